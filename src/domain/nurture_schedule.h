/*
 * nurture_schedule: the runbook's "Lead Nurture - Message Scheduler" — due
 * enrolments turned into queued email_sends rows (sql/0014,
 * nurture_schedule_batch()), batch after batch until none is left, the
 * run's time is up or the stop flag is raised. Each run is a
 * workflow_executions row (nurture_run_begin/end), its items the
 * enrolments taken.
 *
 * A run batches on NURTURE_SCHEDULER_WORKERS connections at once (2: the
 * database's second core). Two runs at once (two workers, the worker and
 * `minicrm job run`), like the connections of one run, split the due
 * enrolments: each batch takes them FOR UPDATE SKIP LOCKED, and
 * a step is queued once per enrolment (UNIQUE (enrollment_id,
 * step_number)).
 *
 * Used by the worker's nurture-scheduler job, `minicrm job run
 * nurture-scheduler` and `minicrm nurture schedule`.
 */
#ifndef MINICRM_NURTURE_SCHEDULE_H
#define MINICRM_NURTURE_SCHEDULE_H

#include <signal.h>
#include <stdbool.h>

#include "db.h"

#define NURTURE_SCHEDULE_BATCH_DEFAULT	1000	/* NURTURE_SCHEDULER_BATCH */
#define NURTURE_SCHEDULE_RUNTIME_DEFAULT 50000	/* NURTURE_SCHEDULER_MAX_RUNTIME,
						 * ms: under the job's minute */

enum nurture_schedule_status {
	NURTURE_SCHEDULE_DONE,		/* no due enrolment left */
	NURTURE_SCHEDULE_PARTIAL,	/* time up or stopped: more left */
	NURTURE_SCHEDULE_PAUSED,	/* the scheduler switch is paused */
	NURTURE_SCHEDULE_FAILED		/* a batch failed; error says why */
};

struct nurture_schedule_report {
	enum nurture_schedule_status	 status;
	long	due;		/* due when the run began */
	long	taken;		/* enrolments taken */
	long	queued;		/* sends queued */
	long	finished;	/* enrolments completed after the last step */
	long	unsubscribed;	/* completed: the lead opted out */
	long	invalid_email;	/* completed: no valid e-mail */
	long	batches;
	long	duration_ms;
	char	error[256];	/* "" unless FAILED */
};

struct nurture_schedule_options {
	long			 batch_size;	/* 0: NURTURE_SCHEDULER_BATCH */
	long			 max_runtime_ms; /* 0: NURTURE_SCHEDULER_MAX_RUNTIME */
	volatile sig_atomic_t	*stop;		/* checked between batches */
	long			 workers;	/* 0: NURTURE_SCHEDULER_WORKERS */
	/* After each batch (may be NULL): the report so far; with workers
	 * > 1 from their threads, one call at a time. */
	void			(*progress)(void *ctx,
				    const struct nurture_schedule_report *);
	void			*progress_ctx;
};

/*
 * One run on db (a connection the caller opened and closes; the other
 * workers open and close their own, as MINICRM_APP_DATABASE_URL says):
 * fills *report. Returns the report's status. Each batch commits on its
 * own; a failed batch (after retries of a deadlock) ends the run, keeping
 * the batches before it.
 */
enum nurture_schedule_status nurture_schedule_run(struct db *db,
	    const struct nurture_schedule_options *opts,
	    struct nurture_schedule_report *report);

/* "done", "partial", "paused", "failed". */
const char	*nurture_schedule_status_name(enum nurture_schedule_status);

/* NURTURE_SCHEDULER_BATCH (1..10000), NURTURE_SCHEDULER_MAX_RUNTIME (ms,
 * 1 ms to an hour), NURTURE_SCHEDULER_WORKERS (connections batching at
 * once, 1..8, default 2). */
long	nurture_schedule_batch_size(void);
long	nurture_schedule_max_runtime(void);
long	nurture_schedule_workers(void);

#endif
