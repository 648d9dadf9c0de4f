/* db_alert: alert_state (see db_alert.h). */
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
