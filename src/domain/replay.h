/*
 * replay: the retry queue's replay (issue 5). Takes due rows of retry_queue
 * with FOR UPDATE SKIP LOCKED and logs each through the same path as the
 * API (activity_ingest: same validation, same idempotency), so an event
 * already in the log is never stored twice. A row that fails is tried
 * again later (exponential backoff) and is dead after REPLAY_MAX_ATTEMPTS
 * with its last error. A refused row (queued as refused: the API had
 * refused the event) is never taken by itself, only by id, and stays
 * refused when it fails again.
 *
 * Used by `minicrm replay`, the worker's replay job and the admin portal's
 * retry-queue page.
 */
#ifndef MINICRM_REPLAY_H
#define MINICRM_REPLAY_H

#include <signal.h>
#include <stdbool.h>

#include "db.h"

struct replay_options {
	long			 limit;		/* at most this many rows; 0: all due */
	const char		*id;		/* only this row (due or not), or NULL */
	bool			 dry_run;	/* report what would happen, change nothing */
	/* Checked between rows: when it becomes non-zero the run stops after
	 * the row in hand (committed or rolled back, never half). May be NULL. */
	volatile sig_atomic_t	*stop;
	/* Called after each row (may be NULL): rows done so far, of total. */
	void			(*progress)(void *ctx, long done, long total);
	void			*progress_ctx;
};

struct replay_result {
	long	taken;		/* rows looked at */
	long	logged;		/* stored in the log now */
	long	duplicates;	/* already in the log: marked done, nothing stored */
	long	failed;		/* failed, will be tried again */
	long	dead;		/* failed for the last time */
};

/*
 * Replay due rows on db (a connection the caller opened and closes).
 * Returns 0 with *result filled, or a db_status if the database failed
 * (rows in hand are rolled back and stay due).
 */
int	replay_run(struct db *db, const struct replay_options *opts,
	    struct replay_result *result) __attribute__((warn_unused_result));

#endif
