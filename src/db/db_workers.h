/*
 * db_workers: one run of work on several connections at once — the
 * caller's and one more of its own (db_open_app) for each further worker,
 * each worker a thread. What runs shares its state through ctx and guards
 * it itself. (The scheduler's batches, the de-enrollment's clients.)
 */
#ifndef MINICRM_DB_WORKERS_H
#define MINICRM_DB_WORKERS_H

#include <stddef.h>

#include "db.h"

#define DB_WORKERS_MAX	16

/*
 * Run fn(ctx, db) on up to workers workers (at most DB_WORKERS_MAX; at
 * least one): the first in this thread on db, each other in a thread of
 * its own on a connection opened for it and closed after. A connection
 * that cannot be opened leaves fewer workers, not a failure: logged as
 * who's ("who: worker 3 has no connection (…); running with 2"). Returns
 * when every worker has.
 */
void	db_workers_run(struct db *db, long workers, const char *who,
	    void (*fn)(void *ctx, struct db *db), void *ctx);

#endif
