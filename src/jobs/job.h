/*
 * job: the periodic jobs that `minicrm worker` runs on their schedules and
 * `minicrm job run NAME` runs once (for cron, systemd timers or n8n).
 *
 * A job is a row of a table: its name, the setting of its interval with a
 * default, and its run function. Every run, from the worker or the CLI,
 * goes through job_run(): it takes the job's PostgreSQL advisory lock on
 * the job's own connection (so two workers, on one machine or two, never
 * run the same job at once: the second skips), runs it, logs one line with
 * what it did and how long it took, and lets the lock go.
 */
#ifndef MINICRM_JOB_H
#define MINICRM_JOB_H

#include <signal.h>
#include <stddef.h>

#include "db.h"

/* What a run came to; also `minicrm job run`'s exit status. */
enum job_outcome {
	JOB_DONE = 0,
	JOB_FAILED = 1,		/* the database failed; logged */
	JOB_SKIPPED = 3		/* another run holds the job's lock */
};

struct job_run {
	struct db		*db;		/* the job's connection */
	volatile sig_atomic_t	*stop;		/* non-zero: wind down */
	char			 summary[512];	/* what it did, for the log */
};

struct job {
	const char	*name;
	const char	*interval_key;	/* setting: seconds between runs */
	long		 default_interval;
	/* Do the work; fill run->summary. Returns JOB_DONE or JOB_FAILED. */
	enum job_outcome (*run)(struct job_run *);
	const char	*what;		/* one line for `minicrm job list` */
};

extern const struct job	jobs[];
extern const size_t	jobs_count;

/* The job named name, or NULL. */
const struct job	*job_find(const char *name);

/* Seconds between runs in the worker (0: not run by the worker). */
long			 job_interval(const struct job *);

/*
 * Run job once under its advisory lock, on db (opened by the caller),
 * and log the outcome. stop may be NULL.
 */
enum job_outcome	 job_run(const struct job *, struct db *,
			    volatile sig_atomic_t *stop);

/* The run functions, in job_*.c. */
enum job_outcome	 job_replay(struct job_run *);
enum job_outcome	 job_alerts(struct job_run *);
enum job_outcome	 job_health(struct job_run *);
enum job_outcome	 job_compact(struct job_run *);
enum job_outcome	 job_prune(struct job_run *);
enum job_outcome	 job_deenroll(struct job_run *);
enum job_outcome	 job_deenroll_cleanup(struct job_run *);
enum job_outcome	 job_nurture_send(struct job_run *);
enum job_outcome	 job_nurture_scheduler(struct job_run *);
enum job_outcome	 job_nurture_analytics(struct job_run *);
enum job_outcome	 job_nurture_alerts(struct job_run *);

#endif
