/*
 * db_retry: the store of the retry queue (retry_queue and its attempts'
 * history; sql_retry.def, sql_worker.def): the replay's rows (replay.c),
 * the admin pages' counts, list, export, one row and discard
 * (portal_retry*.c), and what the alerts job reads and marks
 * (job_alerts.c). The HTTP intake (retry_intake.c) is not here yet.
 *
 * Every function returns a db_status (0 or negative) unless it says
 * otherwise. Rows come back as one allocation each call, strings
 * included, that the caller free()s (also when there are none); on an
 * error the pointer is NULL. Ids are text, as the pages and the replay
 * pass them on.
 */
#ifndef MINICRM_DB_RETRY_H
#define MINICRM_DB_RETRY_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* A row's state (retry_queue.state). */
enum db_retry_state {
	DB_RETRY_STATE_NONE,		/* no such row */
	DB_RETRY_STATE_PENDING,
	DB_RETRY_STATE_REFUSED,		/* kept for review, replayed by id only */
	DB_RETRY_STATE_DEAD,
	DB_RETRY_STATE_DONE,
	DB_RETRY_STATE_DISCARDED
};

/* ---- The replay (replay.c) ---- */

/* The columns of STMT_REPLAY_TAKE and STMT_REPLAY_TAKE_ID. */
enum db_retry_take_col {
	RETRY_TAKE_ID, RETRY_TAKE_PAYLOAD, RETRY_TAKE_CLIENT, RETRY_TAKE_KEY,
	RETRY_TAKE_ATTEMPTS
};

/* A row taken for replay, locked until the caller's transaction ends. */
struct db_retry_row {
	const char	*id;
	const char	*payload;
	size_t		 payload_len;
	const char	*client_id;	/* "" if none */
	const char	*key_id;	/* "" if none (a direct insert) */
	long long	 attempts;	/* before this one */
};

/*
 * Take at most limit due pending rows with an id above after (a keyset
 * cursor, "0" for the first), oldest first, FOR UPDATE SKIP LOCKED: call
 * it inside a transaction (db_begin). *rows (n of them) is one
 * allocation the caller free()s.
 */
int	db_retry_take(struct db *, const char *after, long limit,
	    struct db_retry_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Take row id, due or not, if it is pending, dead or refused (waiting for
 * a replay that holds it): *n is 1 or 0. As db_retry_take otherwise.
 */
int	db_retry_take_id(struct db *, const char *id,
	    struct db_retry_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * The savepoint each replayed row runs under, inside the batch's
 * transaction: set it before the row's writes, then release it (the row
 * is logged) or roll back to it (the row failed: its own writes go, the
 * batch goes on). Each returns a db_status.
 */
int	db_retry_savepoint(struct db *) __attribute__((warn_unused_result));
int	db_retry_savepoint_release(struct db *)
	    __attribute__((warn_unused_result));
int	db_retry_savepoint_rollback(struct db *)
	    __attribute__((warn_unused_result));

/* Row id was logged, as log_id in lead_activity_log: done. */
int	db_retry_done(struct db *, const char *id, long long log_id)
	    __attribute__((warn_unused_result));

/* How a failed row waits: dead after max_attempts, the next try after
 * base_seconds · 2^(attempts before), at most cap_seconds. */
struct db_retry_backoff {
	long	max_attempts;
	long	base_seconds;
	long	cap_seconds;
};

/*
 * Row id failed again because of error (kept in its history): counted,
 * and due again later, dead at the limit, or still refused. *state is its
 * new state (DB_RETRY_STATE_NONE if the row is not there).
 */
int	db_retry_fail(struct db *, const char *id, const char *error,
	    const struct db_retry_backoff *, enum db_retry_state *state)
	    __attribute__((warn_unused_result));

/* How many pending rows are due now, into *n. */
int	db_retry_count_due(struct db *, long long *n)
	    __attribute__((warn_unused_result));

#endif
