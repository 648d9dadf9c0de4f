/*
 * db_metrics: the store behind GET /metrics's database figures
 * (sql_metrics.def) and the jobs' counts every run adds to (job_stats).
 * Everything is copied into the caller's struct: nothing to free.
 */
#ifndef MINICRM_DB_METRICS_H
#define MINICRM_DB_METRICS_H

#include "db.h"

#define DB_METRICS_JOBS_MAX	32

struct db_metrics_job {
	char		 job[101];
	long long	 runs, failures, skipped;
	double		 duration_sum, last_duration;	/* seconds */
	double		 last_run, last_success, last_failure; /* epoch s, 0 never */
};

struct db_metrics {
	struct {
		char		 state[16];
		long long	 rows;
		double		 oldest_age;	/* seconds, 0 if none */
	} retry[5];			/* pending, done, dead, discarded, refused */
	int		 nretry;
	struct {
		char		 status[16];
		long long	 runs, leads;	/* in the last 24 hours */
	} deenroll[4];			/* running, success, partial, failed */
	int		 ndeenroll;
	double		 deenroll_last_run, deenroll_last_success; /* epoch s */
	struct {
		char		 status[16];
		long long	 sends;		/* created in the last 24 hours */
	} email[4];			/* queued, sent, failed, bounced */
	int		 nemail;
	long long	 email_queued;	/* all queued now */
	struct db_metrics_job jobs[DB_METRICS_JOBS_MAX];
	int		 njobs;
};

/* Read every figure into *out (zeroed first). A db_status. */
int	db_metrics_read(struct db *, struct db_metrics *out)
	    __attribute__((warn_unused_result));

/* Add one run of job to its counts: outcome "done", "failed" or
 * "skipped", taking seconds. A db_status. */
int	db_metrics_job_record(struct db *, const char *job,
	    const char *outcome, double seconds)
	    __attribute__((warn_unused_result));

#endif
