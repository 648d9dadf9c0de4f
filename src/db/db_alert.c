/* db_alert: alert_state (see db_alert.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <libpq-fe.h>

#include "db_alert.h"
#include "db_store.h"

/* Run s; 1 if it returned a row, 0 if not, or a db_status. */
static int
db_alert_change(struct db *db, enum stmt s, const char *key,
    const char *text)
{
	const char	*params[2] = { key, text };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, s, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

int
db_alert_raise(struct db *db, const char *key, const char *text)
{
	return db_alert_change(db, STMT_ALERT_RAISE, key, text);
}

int
db_alert_clear(struct db *db, const char *key, const char *text)
{
	return db_alert_change(db, STMT_ALERT_CLEAR, key, text);
}

int
db_alert_pending(struct db *db, struct db_alert_msg **msgs, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_alert_msg, key,
		    ALERT_PENDING_KEY),
		DB_FIELD(DB_FIELD_TEXT, struct db_alert_msg, message,
		    ALERT_PENDING_MESSAGE),
	};
	void	*out;
	int	 rc;

	rc = db_store_rows(db, STMT_ALERT_PENDING, NULL, sizeof(**msgs),
	    fields, 2, &out, n);
	*msgs = out;
	return rc;
}

int
db_alert_sent(struct db *db, const char *key)
{
	const char	*params[1] = { key };

	return db_run(db, STMT_ALERT_SENT, params);
}

int
db_alert_send_failed(struct db *db, const char *key, const char *err)
{
	const char	*params[2] = { key, err };

	return db_run(db, STMT_ALERT_SEND_FAILED, params);
}

int
db_alert_history_add(struct db *db, const char *kind, const char *text,
    const char *host, const char *outcome, const char *err)
{
	const char	*params[5] = { kind, text, host, outcome, err };
	bool		 inside = db->in_transaction;
	int		 rc;

	/* Inside a caller's transaction a failed INSERT must not abort it
	 * (the alert's own state is written there). */
	if (inside && (rc = db_exec_script(db,
	    "SAVEPOINT alert_history")) != DB_OK)
		return rc;
	rc = db_run(db, STMT_ALERT_HISTORY_ADD, params);
	if (inside && rc != DB_OK)
		(void)!db_exec_script(db, "ROLLBACK TO SAVEPOINT alert_history");
	else if (inside)
		rc = db_exec_script(db, "RELEASE SAVEPOINT alert_history");
	return rc;
}

int
db_alert_history_list(struct db *db, const struct db_alert_hist_filter *f,
    long limit, struct db_alert_hist **rows, size_t *n)
{
	struct db_field	 fields[DB_AHIST__MAX];
	char		 b[24], l[24];
	const char	*params[6] = { f->outcome, f->kind, f->from, f->to,
	    f->before > 0 ? b : NULL, l };

	db_store_text_fields(fields, DB_AHIST__MAX,
	    offsetof(struct db_alert_hist, col));
	snprintf(b, sizeof(b), "%lld", f->before);
	snprintf(l, sizeof(l), "%ld", limit);
	return db_store_rows(db, STMT_ALERT_HISTORY_LIST, params,
	    sizeof(**rows), fields, DB_AHIST__MAX, (void **)rows, n);
}

int
db_alert_history_week(struct db *db, struct db_alert_week **rows, size_t *n)
{
#define W(type, member, col)	DB_FIELD(type, struct db_alert_week, member, col)
	static const struct db_field fields[] = {
		W(DB_FIELD_TEXT, kind, 0), W(DB_FIELD_INT, total, 1),
		W(DB_FIELD_INT, sent, 2), W(DB_FIELD_INT, failed, 3),
		W(DB_FIELD_INT, logged, 4), W(DB_FIELD_TEXT, last, 5),
	};
#undef W

	return db_store_rows(db, STMT_ALERT_HISTORY_WEEK, NULL,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]),
	    (void **)rows, n);
}
