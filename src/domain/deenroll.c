/*
 * deenroll: the de-enrollment runs (see deenroll.h). Memory is one struct
 * per client whatever the number of leads: the leads never leave the
 * database, each batch is one statement (process_de_enrollment_batch).
 *
 * Time: DE_ENROLLMENT_MAX_RUNTIME counts from the call's start, over all
 * clients; once it is past, each client still gets one batch (so a large
 * client first in line never starves the rest) and stops after it,
 * 'partial' if it had more. The stop flag is firmer: the client in hand
 * stops after its batch ('partial'), the clients after it are not begun.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "db_deenroll.h"
#include "db_workers.h"
#include "deenroll.h"
#include "lead_filters.h"
#include "log.h"

#define DEENROLL_BATCH_MAX	10000
#define DEENROLL_RUNTIME_MAX	(24L * 3600 * 1000)
#define DEENROLL_RETRIES	3	/* a batch lost to a deadlock */
#define DEENROLL_WORKERS_MAX	16
_Static_assert(DEENROLL_WORKERS_MAX <= DB_WORKERS_MAX,
    "db_workers_run runs at most DB_WORKERS_MAX workers");

/* What the workers of one call share; lock guards next, the report's
 * totals and the progress callback. */
struct pool {
	pthread_mutex_t			 lock;
	const struct deenroll_options	*o;
	const struct db_deenroll_client	*rows;
	size_t				 n;
	size_t				 next;	/* the next client to begin */
	struct deenroll_report		*report;
	long				 size, max_ms;
	double				 t0;
};

const char *
deenroll_status_name(enum deenroll_status s)
{
	switch (s) {
	case DEENROLL_SUCCESS:
		return "success";
	case DEENROLL_PARTIAL:
		return "partial";
	case DEENROLL_FAILED:
		return "failed";
	}
	return "failed";
}

void
deenroll_report_free(struct deenroll_report *r)
{
	if (r == NULL)
		return;
	free(r->clients);
	r->clients = NULL;
	r->nclients = 0;
}

long
deenroll_batch_size(void)
{
	return config_get_long("DE_ENROLLMENT_BATCH_SIZE",
	    DEENROLL_BATCH_DEFAULT, 1, DEENROLL_BATCH_MAX);
}

long
deenroll_workers(void)
{
	return config_get_long("DE_ENROLLMENT_WORKERS", 2, 1,
	    DEENROLL_WORKERS_MAX);
}

long
deenroll_max_runtime(void)
{
	return config_get_long("DE_ENROLLMENT_MAX_RUNTIME",
	    DEENROLL_RUNTIME_DEFAULT, 1, DEENROLL_RUNTIME_MAX);
}

int
deenroll_client_exists(struct db *db, const char *client_id)
{
	if (!lead_uuid_valid(client_id))
		return 0;
	return db_deenroll_client_exists(db, client_id);
}

int
deenroll_recalc(struct db *db, const char *client_id, long *changed)
{
	*changed = 0;
	if (client_id != NULL && !lead_uuid_valid(client_id))
		return DB_OK;
	return db_deenroll_recalc(db, client_id, changed);
}

static long
ms_since(double t0)
{
	return (long)((clock_mono() - t0) * 1000.0);
}


/* Keep why c failed: what went wrong, then the database's message, cut
 * to the room the report has. */
static void
set_error(struct deenroll_client *c, const char *what, int rc,
    const struct db *db)
{
	int	 n;

	n = snprintf(c->error, sizeof(c->error), "%s%s: %s", what,
	    db_status_text(rc), db->error);
	if (n < 0 || (size_t)n >= sizeof(c->error))
		c->error[sizeof(c->error) - 1] = '\0';
}

/* One batch, again after a deadlock or serialization failure (the batch
 * was rolled back whole, so running it again is safe). */
static int
batch_with_retry(struct db *db, const struct deenroll_client *c, long size,
    long *done)
{
	struct timespec	 pause;
	int		 rc, attempt;

	for (attempt = 1;; attempt++) {
		rc = db_deenroll_batch(db, c->run_id, c->client_id, size, done);
		if (rc != DB_RETRY || attempt == DEENROLL_RETRIES)
			return rc;
		log_warn("deenroll %s: batch retried after: %s",
		    c->client_slug, db->error);
		pause.tv_sec = 0;
		pause.tv_nsec = 50L * 1000 * 1000 * attempt;
		nanosleep(&pause, NULL);
	}
}

/* The dry run of one client: its stuck leads, nothing written. */
static void
dry_run_one(struct db *db, struct deenroll_client *c)
{
	int	 rc;

	if ((rc = db_deenroll_stuck(db, c->client_id, &c->evaluated)) !=
	    DB_OK) {
		c->status = DEENROLL_FAILED;
		set_error(c, "", rc, db);
	}
}

/* One client's run, batch after batch, its row opened and closed. */
static void
run_one(struct db *db, struct pool *p, struct deenroll_client *c)
{
	const struct deenroll_options *o = p->o;
	const char	*by = o->triggered_by != NULL ? o->triggered_by : "cli";
	long		 size = p->size;
	double		 started = clock_mono();
	long		 done;
	int		 rc;

	if ((rc = db_deenroll_run_open(db, c->client_id, by, c->run_id)) !=
	    DB_OK) {
		c->status = DEENROLL_FAILED;
		set_error(c, "the run could not be recorded: ", rc, db);
		return;
	}
	for (;;) {
		if (c->batches > 0 && ((o->stop != NULL && *o->stop) ||
		    ms_since(p->t0) >= p->max_ms)) {
			c->status = DEENROLL_PARTIAL;
			break;
		}
		if ((rc = batch_with_retry(db, c, size, &done)) != DB_OK) {
			c->status = DEENROLL_FAILED;
			set_error(c, "", rc, db);
			break;
		}
		c->batches++;
		log_debug("deenroll %s: batch %ld: %ld leads completed",
		    c->client_slug, c->batches, done);
		c->evaluated += done;
		c->de_enrolled += done;
		c->duration_ms = ms_since(started);
		if (done < size) {
			c->status = DEENROLL_SUCCESS;
			break;
		}
		if (o->progress != NULL) {
			pthread_mutex_lock(&p->lock);
			o->progress(o->progress_ctx, c);
			pthread_mutex_unlock(&p->lock);
		}
	}
	c->duration_ms = ms_since(started);
	if ((rc = db_deenroll_run_close(db, c->run_id,
	    deenroll_status_name(c->status), c->duration_ms,
	    c->status == DEENROLL_FAILED ? c->error : NULL)) != DB_OK) {
		/* The batches done are kept; the row stays 'running'. */
		if (c->status != DEENROLL_FAILED)
			set_error(c, "the run could not be closed: ", rc,
			    db);
		c->status = DEENROLL_FAILED;
	}
}


/* Take clients in order until none is left or the stop flag is up: the
 * clients begun are always a prefix of the list. */
static void
worker_main(void *ctx, struct db *db)
{
	struct pool		*p = ctx;
	const struct deenroll_options *o = p->o;
	struct deenroll_client	*c;
	size_t			 i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->next == p->n || (o->stop != NULL && *o->stop)) {
			pthread_mutex_unlock(&p->lock);
			return;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);

		c = &p->report->clients[i];
		snprintf(c->client_id, sizeof(c->client_id), "%s",
		    p->rows[i].id);
		snprintf(c->client_slug, sizeof(c->client_slug), "%s",
		    p->rows[i].slug);
		c->status = DEENROLL_SUCCESS;
		if (o->dry_run)
			dry_run_one(db, c);
		else
			run_one(db, p, c);
		c->finished = true;
		if (c->status == DEENROLL_FAILED)
			log_warn("deenroll %s: run failed: %s", c->client_slug,
			    c->error);

		pthread_mutex_lock(&p->lock);
		if (c->status == DEENROLL_FAILED)
			p->report->failed++;
		else if (c->status == DEENROLL_PARTIAL)
			p->report->partial++;
		p->report->de_enrolled += c->de_enrolled;
		if (o->progress != NULL)
			o->progress(o->progress_ctx, c);
		pthread_mutex_unlock(&p->lock);
	}
}

/*
 * Clients are independent (each its own campaigns, so two batches of two
 * clients never wait on each other's rows): with workers > 1 they run at
 * once, each worker on a connection of its own, the caller's db the first.
 * A run is then bound by the database's cores, not by one backend's: a
 * batch's per-lead work is already at the set-based floor's
 * (docs/scaling.md). A connection that cannot be opened leaves fewer
 * workers, not a failure.
 */
int
deenroll_run(struct db *db, const struct deenroll_options *o,
    struct deenroll_report *report)
{
	struct db_deenroll_client	*rows = NULL;
	struct pool			 p;
	size_t				 n;
	long				 workers;
	int				 rc;

	memset(report, 0, sizeof(*report));
	if (o->client_id != NULL && !lead_uuid_valid(o->client_id))
		return DB_OK;	/* no such client: no runs */
	if ((rc = db_deenroll_clients(db, o->client_id, &rows, &n)) != DB_OK)
		return rc;
	if (n > 0 && (report->clients = calloc(n,
	    sizeof(*report->clients))) == NULL) {
		free(rows);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	p.o = o;
	p.rows = rows;
	p.n = n;
	p.report = report;
	p.t0 = clock_mono();
	p.size = o->batch_size > 0 ? o->batch_size : deenroll_batch_size();
	p.max_ms = o->max_runtime_ms > 0 ? o->max_runtime_ms :
	    deenroll_max_runtime();
	/* No more workers than clients. */
	workers = o->workers < DEENROLL_WORKERS_MAX ? o->workers :
	    DEENROLL_WORKERS_MAX;
	if ((size_t)workers > n)
		workers = (long)n;
	db_workers_run(db, workers, "deenroll", worker_main, &p);
	report->nclients = p.next;
	pthread_mutex_destroy(&p.lock);
	free(rows);
	return DB_OK;
}
