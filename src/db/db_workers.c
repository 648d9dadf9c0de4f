/* db_workers: a run on several connections at once (see db_workers.h). */
#include <pthread.h>
#include <string.h>

#include "db_workers.h"
#include "log.h"

struct worker {
	void		(*fn)(void *, struct db *);
	void		*ctx;
	struct db	*db;
	pthread_t	 thread;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->fn(w->ctx, w->db);
	return NULL;
}

void
db_workers_run(struct db *db, long workers, const char *who,
    void (*fn)(void *ctx, struct db *db), void *ctx)
{
	struct worker	 w[DB_WORKERS_MAX];
	struct db	 extra[DB_WORKERS_MAX];
	size_t		 i, nw = 1, started;

	w[0] = (struct worker){ .fn = fn, .ctx = ctx, .db = db };
	memset(extra, 0, sizeof(extra));
	for (i = 1; workers > 0 && i < (size_t)workers && i < DB_WORKERS_MAX;
	    i++) {
		if (db_open_app(&extra[i]) != 0 || db_ensure(&extra[i]) !=
		    DB_OK) {
			log_warn("%s: worker %zu has no connection (%s); "
			    "running with %zu", who, i + 1, extra[i].error, nw);
			db_close(&extra[i]);
			break;
		}
		w[nw] = (struct worker){ .fn = fn, .ctx = ctx,
		    .db = &extra[i] };
		nw++;
	}
	for (started = 1; started < nw; started++)
		if (pthread_create(&w[started].thread, NULL, worker_main,
		    &w[started]) != 0)
			break;
	worker_main(&w[0]);
	for (i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	for (i = 1; i < nw; i++)
		db_close(&extra[i]);
}
