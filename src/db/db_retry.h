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
 * error the pointer is NULL. A row's id is text where the caller passes
 * it on (the replay, the pages), a number where it is printed (alerts).
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
	RETRY_TAKE_ATTEMPTS, RETRY_TAKE_TEST
};

/* A failed event for the queue, as the intake checked it (NULL: absent). */
struct db_retry_entry {
	const char	*payload, *workflow, *execution_id, *lead_id;
	const char	*event_type, *error, *client_id, *api_key_id;
	const char	*state;		/* NULL: pending */
};

/* RETRY_INSERT's columns. */
enum db_retry_insert_col {
	DB_RETRY_INSERT_ID,
	DB_RETRY_INSERT_DUPLICATE	/* queued before (same failure) */
};

/*
 * Queue e (the caller's). Writes the row's id, and whether the same
 * failure (workflow, execution, payload) was queued before into
 * *duplicate. Returns a db_status.
 */
int	db_retry_insert(struct db *, const struct db_retry_entry *e,
	    long long *id, bool *duplicate) __attribute__((warn_unused_result));

/* A row taken for replay, locked until the caller's transaction ends. */
struct db_retry_row {
	const char	*id;
	const char	*payload;
	size_t		 payload_len;
	const char	*client_id;	/* "" if none */
	const char	*key_id;	/* "" if none (a direct insert) */
	long long	 attempts;	/* before this one */
	bool		 is_test;	/* queued with a test key (0018) */
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

/* ---- The admin pages (portal_retry*.c) ---- */

/* The columns of STMT_RETRY_COUNTS. */
enum db_retry_counts_col {
	RETRY_COUNTS_PENDING, RETRY_COUNTS_DUE, RETRY_COUNTS_DEAD,
	RETRY_COUNTS_DONE, RETRY_COUNTS_DISCARDED, RETRY_COUNTS_REFUSED
};

/* The rows by state. */
struct db_retry_counts {
	long long	 pending;
	long long	 due;		/* pending and due now */
	long long	 dead;
	long long	 done;
	long long	 discarded;
	long long	 refused;
};

/* The counts by state into *out (the caller's). Nothing to free. */
int	db_retry_counts(struct db *, struct db_retry_counts *out)
	    __attribute__((warn_unused_result));

/* The list's and the export's filters and page: NULL matches all. */
struct db_retry_query {
	const char	*state;		/* "pending", ... */
	const char	*workflow;
	const char	*older_hours;	/* created more than this many hours
					 * ago (digits) */
	const char	*before;	/* ids below this one (keyset) */
	long		 limit;		/* rows at most */
};

/* The columns of STMT_RETRY_LIST. */
enum db_retry_list_col {
	RETRY_LIST_ID, RETRY_LIST_STATE, RETRY_LIST_WORKFLOW,
	RETRY_LIST_EXECUTION, RETRY_LIST_LEAD, RETRY_LIST_EVENT_TYPE,
	RETRY_LIST_ATTEMPTS, RETRY_LIST_CREATED, RETRY_LIST_NEXT_ATTEMPT,
	RETRY_LIST_ERROR, RETRY_LIST_DUE
};

/* A row of the list; texts as shown ("" for none), times in UTC. */
struct db_retry_item {
	const char	*id;
	const char	*state;
	const char	*workflow;
	const char	*execution_id;
	const char	*lead_id;
	const char	*event_type;
	const char	*attempts;
	const char	*created_at;		/* YYYY-MM-DD HH24:MI:SS */
	const char	*next_attempt_at;	/* same */
	const char	*error;			/* its first 200 characters */
	bool		 due;			/* pending and due now */
};

/* One page of the list, newest first. *rows (n) is one allocation the
 * caller free()s. */
int	db_retry_list(struct db *, const struct db_retry_query *,
	    struct db_retry_item **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_RETRY_EXPORT, in the CSV's order. */
enum db_retry_export_col {
	RETRY_EXPORT_ID, RETRY_EXPORT_STATE, RETRY_EXPORT_CREATED,
	RETRY_EXPORT_WORKFLOW, RETRY_EXPORT_EXECUTION, RETRY_EXPORT_LEAD,
	RETRY_EXPORT_EVENT_TYPE, RETRY_EXPORT_ATTEMPTS,
	RETRY_EXPORT_NEXT_ATTEMPT, RETRY_EXPORT_ERROR, RETRY_EXPORT_PAYLOAD,
	RETRY_EXPORT_TEST,	/* "true": queued with a test key (0018) */
	RETRY_EXPORT__MAX
};

/* A row of the export: every column as text, in the CSV's order
 * (times ISO 8601 UTC, "" for none), the whole error and payload. */
struct db_retry_export_row {
	const char	*col[RETRY_EXPORT__MAX];
};

/* One page of the export, newest first. *rows (n) is one allocation the
 * caller free()s before it asks for the next page, so an export of any
 * size holds one page. */
int	db_retry_export(struct db *, const struct db_retry_query *,
	    struct db_retry_export_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_RETRY_ROW. */
enum db_retry_row_col {
	RETRY_ROW_ID, RETRY_ROW_STATE, RETRY_ROW_PAYLOAD, RETRY_ROW_WORKFLOW,
	RETRY_ROW_EXECUTION, RETRY_ROW_LEAD, RETRY_ROW_EVENT_TYPE,
	RETRY_ROW_CLIENT, RETRY_ROW_KEY_NAME, RETRY_ROW_DIRECT,
	RETRY_ROW_QUEUED_ERROR, RETRY_ROW_ERROR, RETRY_ROW_ATTEMPTS,
	RETRY_ROW_CREATED, RETRY_ROW_NEXT_ATTEMPT, RETRY_ROW_DONE_AT,
	RETRY_ROW_LOG_ID, RETRY_ROW_DISCARDED_AT, RETRY_ROW_DISCARDED_BY,
	RETRY_ROW_DUE
};

/* One row as its page shows it; texts "" for none, times
 * YYYY-MM-DD HH24:MI:SS UTC. */
struct db_retry_detail {
	const char	*id;
	const char	*state;
	const char	*payload;
	const char	*workflow;
	const char	*execution_id;
	const char	*lead_id;
	const char	*event_type;
	const char	*client;	/* the client's slug */
	const char	*key_name;	/* the API key's name */
	bool		 direct_insert;	/* queued without an API key */
	const char	*queued_error;	/* why it was queued */
	const char	*error;		/* the last attempt's error */
	const char	*attempts;
	const char	*created_at;
	const char	*next_attempt_at;
	const char	*done_at;
	const char	*log_id;	/* its event in the log, once done */
	const char	*discarded_at;
	const char	*discarded_by;	/* the admin's e-mail */
	bool		 due;
};

/*
 * Row id into *row, one allocation the caller free()s. Returns 1 found,
 * 0 no such row (*row NULL), or a negative db_status (*row NULL).
 */
int	db_retry_get(struct db *, const char *id, struct db_retry_detail **row)
	    __attribute__((warn_unused_result));

/* The columns of STMT_RETRY_HISTORY. */
enum db_retry_history_col {
	RETRY_HISTORY_ATTEMPT, RETRY_HISTORY_AT, RETRY_HISTORY_ERROR
};

/* One failed attempt of a row. */
struct db_retry_attempt {
	const char	*attempt;	/* 1, 2, ... */
	const char	*at;		/* YYYY-MM-DD HH24:MI:SS UTC */
	const char	*error;
};

/* Row id's failed attempts, first first. *rows (n) is one allocation the
 * caller free()s. */
int	db_retry_history(struct db *, const char *id,
	    struct db_retry_attempt **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Discard row id, by (an admin's e-mail), if it is still waiting
 * (pending, dead or refused); the row is kept. Returns 1 discarded, 0 no
 * such row or past discarding, or a negative db_status.
 */
int	db_retry_discard(struct db *, const char *id, const char *by)
	    __attribute__((warn_unused_result));

/* ---- The alerts job (job_alerts.c) ---- */

/* The columns of STMT_QUEUE_PENDING. */
enum db_retry_pending_col { RETRY_PENDING_COUNT, RETRY_PENDING_OLDEST };

/* The pending rows: how many, and the oldest one's age in seconds (0 if
 * none). Nothing to free. */
int	db_retry_pending(struct db *, long long *count,
	    long long *oldest_seconds) __attribute__((warn_unused_result));

/* The columns of STMT_DEAD_UNALERTED_COUNT. */
enum db_retry_unalerted_count_col {
	RETRY_UNALERTED_COUNT, RETRY_UNALERTED_MAX_ID
};

/* How many dead and refused rows wait for their alert, and the highest
 * id among them (0 if none). Nothing to free. */
int	db_retry_unalerted_count(struct db *, long long *count,
	    long long *max_id) __attribute__((warn_unused_result));

/* The columns of STMT_DEAD_UNALERTED. */
enum db_retry_unalerted_col {
	RETRY_UNALERTED_ID, RETRY_UNALERTED_WORKFLOW,
	RETRY_UNALERTED_EXECUTION, RETRY_UNALERTED_LEAD,
	RETRY_UNALERTED_EVENT_TYPE, RETRY_UNALERTED_ERROR,
	RETRY_UNALERTED_ATTEMPTS, RETRY_UNALERTED_STATE
};

/* A dead or refused row whose alert is not delivered yet; texts "-" for
 * none, as the alert shows them. */
struct db_retry_dead {
	long long	 id;
	const char	*workflow;
	const char	*execution_id;
	const char	*lead_id;
	const char	*event_type;
	const char	*error;
	long long	 attempts;
	bool		 refused;	/* refused, else dead */
};

/* At most limit of them, oldest first. *rows (n) is one allocation the
 * caller free()s. */
int	db_retry_unalerted(struct db *, long limit, struct db_retry_dead **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* The dead and refused rows with ids from..to were alerted. */
int	db_retry_alerted(struct db *, long long from, long long to)
	    __attribute__((warn_unused_result));

#endif
