/*
 * nurture_schedule: the scheduler's run (see nurture_schedule.h). Memory
 * is one report whatever the number of enrolments: they never leave the
 * database, each batch is one statement (nurture_schedule_batch).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "db_nurture_schedule.h"
#include "log.h"
#include "nurture.h"
#include "nurture_schedule.h"

#define BATCH_MAX	10000
#define RUNTIME_MAX	(3600L * 1000)
#define RETRIES		3	/* a batch lost to a deadlock */

const char *
nurture_schedule_status_name(enum nurture_schedule_status s)
{
	switch (s) {
	case NURTURE_SCHEDULE_DONE:
		return "done";
	case NURTURE_SCHEDULE_PARTIAL:
		return "partial";
	case NURTURE_SCHEDULE_PAUSED:
		return "paused";
	case NURTURE_SCHEDULE_FAILED:
		return "failed";
	}
	return "failed";
}

long
nurture_schedule_batch_size(void)
{
	return config_get_long("NURTURE_SCHEDULER_BATCH",
	    NURTURE_SCHEDULE_BATCH_DEFAULT, 1, BATCH_MAX);
}

long
nurture_schedule_max_runtime(void)
{
	return config_get_long("NURTURE_SCHEDULER_MAX_RUNTIME",
	    NURTURE_SCHEDULE_RUNTIME_DEFAULT, 1, RUNTIME_MAX);
}

static long
ms_since(double t0)
{
	return (long)((clock_mono() - t0) * 1000.0);
}

static void
fail(struct nurture_schedule_report *r, const char *what, int rc,
    const struct db *db)
{
	r->status = NURTURE_SCHEDULE_FAILED;
	snprintf(r->error, sizeof(r->error), "%s%s: %.200s", what,
	    db_status_text(rc), db->error);
}

/* One batch, again after a deadlock or serialization failure (the batch
 * was rolled back whole, so running it again is safe). */
static int
batch_with_retry(struct db *db, long size, struct db_nurture_batch *b)
{
	struct timespec	 pause;
	int		 rc, attempt;

	for (attempt = 1;; attempt++) {
		rc = db_nurture_schedule_batch(db, size, b);
		if (rc != DB_RETRY || attempt == RETRIES)
			return rc;
		log_warn("nurture scheduler: batch retried after: %s",
		    db->error);
		pause.tv_sec = 0;
		pause.tv_nsec = 50L * 1000 * 1000 * attempt;
		nanosleep(&pause, NULL);
	}
}

/* Batches until one takes nothing, the time is up or stop. Not until one
 * comes back short: a step whose delay is 0 makes its enrolment due again
 * at once, and it is queued in the same run. A batch that took nothing
 * is not counted. */
static void
batches(struct db *db, const struct nurture_schedule_options *o,
    struct nurture_schedule_report *r, double t0)
{
	long			 size, max_ms;
	struct db_nurture_batch	 b;
	int			 rc;

	size = o->batch_size > 0 ? o->batch_size :
	    nurture_schedule_batch_size();
	max_ms = o->max_runtime_ms > 0 ? o->max_runtime_ms :
	    nurture_schedule_max_runtime();
	for (;;) {
		if (r->batches > 0 && ((o->stop != NULL && *o->stop) ||
		    ms_since(t0) >= max_ms)) {
			r->status = NURTURE_SCHEDULE_PARTIAL;
			return;
		}
		if ((rc = batch_with_retry(db, size, &b)) != DB_OK) {
			fail(r, "a batch failed: ", rc, db);
			return;
		}
		if (b.taken == 0)
			return;
		r->batches++;
		r->taken += b.taken;
		r->queued += b.queued;
		r->finished += b.finished;
		r->unsubscribed += b.unsubscribed;
		r->invalid_email += b.invalid_email;
		r->duration_ms = ms_since(t0);
		if (o->progress != NULL)
			o->progress(o->progress_ctx, r);
	}
}

enum nurture_schedule_status
nurture_schedule_run(struct db *db, const struct nurture_schedule_options *o,
    struct nurture_schedule_report *r)
{
	struct nurture_run	 run;
	double			 t0 = clock_mono();
	int			 rc;

	memset(r, 0, sizeof(*r));
	r->status = NURTURE_SCHEDULE_DONE;
	nurture_run_begin(db, NURTURE_SCHEDULER, &run);
	if ((rc = nurture_paused(db, NURTURE_SWITCH_SCHEDULER)) < 0)
		fail(r, "the scheduler switch could not be read: ", rc, db);
	else if (rc > 0)
		r->status = NURTURE_SCHEDULE_PAUSED;
	else if ((rc = db_nurture_schedule_due(db, &r->due)) != DB_OK)
		fail(r, "the due enrolments could not be counted: ", rc, db);
	else
		batches(db, o, r, t0);
	r->duration_ms = ms_since(t0);
	nurture_run_end(db, &run, r->taken,
	    r->status == NURTURE_SCHEDULE_FAILED ? r->error : NULL);
	if (o->progress != NULL)
		o->progress(o->progress_ctx, r);
	return r->status;
}
