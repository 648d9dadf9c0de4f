/*
 * nurture_schedule: the scheduler's run (see nurture_schedule.h). Memory
 * is one report whatever the number of enrolments: they never leave the
 * database, each batch is one statement (nurture_schedule_batch).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "db_nurture_schedule.h"
#include "db_workers.h"
#include "log.h"
#include "nurture.h"
#include "nurture_schedule.h"

#define BATCH_MAX	10000
#define RUNTIME_MAX	(3600L * 1000)
#define RETRIES		3	/* a batch lost to a deadlock */
#define WORKERS_MAX	8
_Static_assert(WORKERS_MAX <= DB_WORKERS_MAX,
    "db_workers_run runs at most DB_WORKERS_MAX workers");

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
nurture_schedule_workers(void)
{
	return config_get_long("NURTURE_SCHEDULER_WORKERS", 2, 1,
	    WORKERS_MAX);
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

/* What the workers of one run share; lock guards the report and the
 * progress callback. */
struct pool {
	pthread_mutex_t				 lock;
	const struct nurture_schedule_options	*o;
	struct nurture_schedule_report		*r;
	long					 size, max_ms;
	double					 t0;
	bool					 over;	/* a batch failed */
};

/*
 * Batches until one takes nothing, the time is up, stop, or a batch
 * failed (here or in another worker: a failure ends the run). Not until one comes back short: a
 * step whose delay is 0 makes its enrolment due again at once, and it is
 * queued in the same run. A batch that took nothing is not counted; each
 * worker runs at least one batch.
 */
static void
worker_main(void *ctx, struct db *db)
{
	struct pool		*p = ctx;
	struct db_nurture_batch	 b;
	bool			 first = true, stop;
	int			 rc;

	for (;; first = false) {
		pthread_mutex_lock(&p->lock);
		stop = p->over || (!first && ((p->o->stop != NULL &&
		    *p->o->stop) || ms_since(p->t0) >= p->max_ms));
		if (stop && !p->over)
			p->r->status = NURTURE_SCHEDULE_PARTIAL;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return;
		rc = batch_with_retry(db, p->size, &b);
		pthread_mutex_lock(&p->lock);
		stop = false;
		if (rc != DB_OK) {
			fail(p->r, "a batch failed: ", rc, db);
			p->over = true;
		} else if (b.taken == 0) {
			/* None left but what another worker holds: this one
			 * is done (the other goes on until it finds none),
			 * and so is the run, even if another worker's time
			 * was up just before. */
			if (p->r->status == NURTURE_SCHEDULE_PARTIAL)
				p->r->status = NURTURE_SCHEDULE_DONE;
			stop = true;
		} else {
			p->r->batches++;
			p->r->taken += b.taken;
			p->r->queued += b.queued;
			p->r->finished += b.finished;
			p->r->unsubscribed += b.unsubscribed;
			p->r->invalid_email += b.invalid_email;
			p->r->duration_ms = ms_since(p->t0);
			if (p->o->progress != NULL)
				p->o->progress(p->o->progress_ctx, p->r);
		}
		stop = stop || p->over;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return;
	}
}

/*
 * The batches, on db and on workers - 1 connections more: two batches at
 * once take different enrolments (SKIP LOCKED) and each is bound by one
 * backend's core, so a second worker uses the database's second core. A
 * connection that cannot be opened leaves fewer workers, not a failure.
 */
static void
batches(struct db *db, const struct nurture_schedule_options *o,
    struct nurture_schedule_report *r, double t0)
{
	struct pool	 p;
	long		 workers;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	p.o = o;
	p.r = r;
	p.t0 = t0;
	p.size = o->batch_size > 0 ? o->batch_size :
	    nurture_schedule_batch_size();
	p.max_ms = o->max_runtime_ms > 0 ? o->max_runtime_ms :
	    nurture_schedule_max_runtime();
	workers = o->workers > 0 ? o->workers : nurture_schedule_workers();
	if (workers > WORKERS_MAX)
		workers = WORKERS_MAX;
	/* No second worker for what one batch holds. */
	if (r->due <= p.size)
		workers = 1;
	db_workers_run(db, workers, "nurture scheduler", worker_main, &p);
	pthread_mutex_destroy(&p.lock);
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
