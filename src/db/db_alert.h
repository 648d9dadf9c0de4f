/*
 * db_alert: the store of alert_state (sql_worker.def), where alert.c keeps
 * each condition's raised or cleared state and the messages waiting to be
 * delivered, and of alert_history (sql_alert.def, sql 0016): every
 * delivery attempt, for the portal's Alerts page.
 */
#ifndef MINICRM_DB_ALERT_H
#define MINICRM_DB_ALERT_H

#include <stddef.h>

#include "db.h"

/*
 * The condition key holds: mark it active and queue text, unless it was
 * active already. Returns 1 if it was raised now, 0 if not, or a negative
 * db_status.
 */
int	db_alert_raise(struct db *, const char *key, const char *text)
	    __attribute__((warn_unused_result));

/* The condition key no longer holds: as db_alert_raise, the other way. */
int	db_alert_clear(struct db *, const char *key, const char *text)
	    __attribute__((warn_unused_result));

/* The columns of STMT_ALERT_PENDING. */
enum db_alert_pending_col { ALERT_PENDING_KEY, ALERT_PENDING_MESSAGE };

/* A message waiting to be delivered. */
struct db_alert_msg {
	const char	*key;		/* the condition */
	const char	*message;
};

/*
 * The waiting messages, oldest first, locked until the caller's
 * transaction ends (call it inside one). *msgs (n of them) is one
 * allocation, strings included, that the caller releases with free()
 * (also for n == 0). Returns a db_status; on an error *msgs is NULL.
 */
int	db_alert_pending(struct db *, struct db_alert_msg **msgs, size_t *n)
	    __attribute__((warn_unused_result));

/* key's message was delivered. A db_status. */
int	db_alert_sent(struct db *, const char *key)
	    __attribute__((warn_unused_result));

/* key's message could not be delivered, because of err. A db_status. */
int	db_alert_send_failed(struct db *, const char *key, const char *err)
	    __attribute__((warn_unused_result));

/*
 * Record one delivery attempt: kind (a condition key, or dead_event, …),
 * the message, the webhook's host ("-": none), outcome ("sent", "failed",
 * "logged"), err (the failure's reason; NULL otherwise). A db_status.
 */
int	db_alert_history_add(struct db *, const char *kind, const char *text,
	    const char *host, const char *outcome, const char *err)
	    __attribute__((warn_unused_result));

/* The columns of STMT_ALERT_HISTORY_LIST, all text. */
enum db_alert_hist_col {
	DB_AHIST_ID, DB_AHIST_CREATED, DB_AHIST_KIND, DB_AHIST_OUTCOME,
	DB_AHIST_HOST, DB_AHIST_ATTEMPTS, DB_AHIST_ERROR, DB_AHIST_MESSAGE,
	DB_AHIST__MAX
};

struct db_alert_hist {
	const char	*col[DB_AHIST__MAX];
};

/* The history's filters; NULL (or 0) members do not filter. */
struct db_alert_hist_filter {
	const char	*outcome;	/* sent, failed, logged */
	const char	*kind;		/* a prefix of the kind */
	const char	*from, *to;	/* YYYY-MM-DD, UTC days, inclusive */
	long long	 before;	/* rows older than this id */
};

/*
 * The history, newest first, at most limit rows, inside a
 * db_timeline_begin(db, "UTC") read. *rows (n of them) is one allocation,
 * strings included, that the caller free()s (also for n == 0). A
 * db_status.
 */
int	db_alert_history_list(struct db *, const struct db_alert_hist_filter *,
	    long limit, struct db_alert_hist **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* The last 7 days' alerts of one kind. */
struct db_alert_week {
	const char	*kind;
	long long	 total, sent, failed, logged;
	const char	*last;		/* UTC, YYYY-MM-DD HH:MM:SS */
};

/* The last 7 days, per kind, the most frequent first; *rows as
 * db_alert_history_list's. A db_status. */
int	db_alert_history_week(struct db *, struct db_alert_week **rows,
	    size_t *n) __attribute__((warn_unused_result));

#endif
