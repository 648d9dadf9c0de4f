/* db: a self-healing libpq connection with prepared statements (see db.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"

static void
db_set_error(struct db *db, const char *msg)
{
	size_t	 n;

	snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "");
	n = strlen(db->error);
	while (n > 0 && db->error[n - 1] == '\n')
		db->error[--n] = '\0';
}

static int db_classify_state(struct db *, const PGresult *);

/* Map a failed result to its meaning, by SQLSTATE class, and count it
 * (metrics.h: minicrm_db_errors_total). */
static int
db_classify(struct db *db, const PGresult *res)
{
	static const enum metrics_db_error kinds[] = {
		[-DB_UNAVAILABLE] = METRICS_DB_UNAVAILABLE,
		[-DB_CONFLICT] = METRICS_DB_CONFLICT,
		[-DB_RETRY] = METRICS_DB_RETRY,
		[-DB_BAD_INPUT] = METRICS_DB_BAD_INPUT,
		[-DB_ERROR] = METRICS_DB_OTHER,
	};
	int	 rc = db_classify_state(db, res);

	metrics_db_error(kinds[-rc]);
	return rc;
}

static int
db_classify_state(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(db->conn) != CONNECTION_OK || state == NULL)
		return DB_UNAVAILABLE;
	if (strcmp(state, "23505") == 0)
		return DB_CONFLICT;
	if (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)
		return DB_RETRY;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
	    strncmp(state, "53", 2) == 0)
		return DB_UNAVAILABLE;
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
		return DB_BAD_INPUT;
	return DB_ERROR;
}

/* Server NOTICEs ("relation exists, skipping") are not worth a log line;
 * warnings are. */
static void
db_notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	(void)arg;
	if (severity != NULL && strcmp(severity, "WARNING") == 0)
		log_warn("database: %s", PQresultErrorField(res,
		    PG_DIAG_MESSAGE_PRIMARY));
}

static int
db_connect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	memset(db->prepared, 0, sizeof(db->prepared));
	db->in_transaction = false;
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return DB_UNAVAILABLE;
	}
	PQsetNoticeReceiver(db->conn, db_notice, NULL);
	return DB_OK;
}

int
db_open(struct db *db, const char *conninfo)
{
	memset(db, 0, sizeof(*db));
	if ((db->conninfo = strdup(conninfo)) == NULL)
		return DB_ERROR;
	return db_connect(db);
}

int
db_open_app(struct db *db)
{
	const char *url = config_get("MINICRM_APP_DATABASE_URL");

	if (url == NULL) {
		log_error("MINICRM_APP_DATABASE_URL is not set (run make run, "
		    "or set it or MINICRM_CONF)");
		return -1;
	}
	if (db_open(db, url) != DB_OK)
		log_warn("database not reachable yet: %s", db->error);
	return 0;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	memset(db, 0, sizeof(*db));
}

/*
 * An idle connection has nothing to read. If its socket is readable, the
 * server has sent its goodbye (shutdown, restart, idle timeout) or closed
 * it: either way the connection is not worth a statement. This is how a
 * dead connection is noticed before a statement is lost on it.
 */
static bool
db_server_went_away(struct db *db)
{
	struct pollfd	 pfd = { PQsocket(db->conn), POLLIN, 0 };
	int		 n;

	if (pfd.fd < 0 || PQstatus(db->conn) != CONNECTION_OK)
		return true;
	/* Even with a zero timeout, poll fails with EINTR when a signal
	 * arrives meanwhile (the worker's SIGTERM, installed without
	 * SA_RESTART): that says nothing about the server, so ask again. */
	do
		n = poll(&pfd, 1, 0);
	while (n == -1 && errno == EINTR);
	return n != 0;
}

int
db_ensure(struct db *db)
{
	if (db->conn != NULL && !db_server_went_away(db))
		return DB_OK;
	/* A new connection would silently run the rest outside the
	 * transaction (and COMMIT would "succeed"): fail instead. */
	if (db->in_transaction) {
		db_set_error(db, "the connection to the database was lost "
		    "in a transaction");
		metrics_db_error(METRICS_DB_UNAVAILABLE);
		return DB_UNAVAILABLE;
	}
	if (db_connect(db) != DB_OK) {
		metrics_db_reconnect(false);
		metrics_db_error(METRICS_DB_UNAVAILABLE);
		return DB_UNAVAILABLE;
	}
	metrics_db_reconnect(true);
	return DB_OK;
}

static int
db_prepare(struct db *db, enum stmt s)
{
	PGresult	*res;
	int		 rc = DB_OK;

	res = PQprepare(db->conn, stmt_defs[s].name, stmt_defs[s].sql,
	    stmt_defs[s].nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_set_error(db, PQresultErrorMessage(res));
		rc = db_classify(db, res);
	} else
		db->prepared[s] = true;
	PQclear(res);
	return rc;
}

int
db_exec(struct db *db, enum stmt s, const char *const *params,
    PGresult **out)
{
	PGresult	*res;
	ExecStatusType	 st;
	int		 rc;

	*out = NULL;
	if ((rc = db_ensure(db)) != DB_OK)
		return rc;
	if (!db->prepared[s] && (rc = db_prepare(db, s)) != DB_OK)
		return rc;
	res = PQexecPrepared(db->conn, stmt_defs[s].name,
	    stmt_defs[s].nparams, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = res;
		return DB_OK;
	}
	db_set_error(db, PQresultErrorMessage(res));
	rc = db_classify(db, res);
	PQclear(res);
	return rc;
}

int
db_run(struct db *db, enum stmt s, const char *const *params)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, s, params, &res)) == DB_OK)
		PQclear(res);
	return rc;
}

int
db_exec_script(struct db *db, const char *sql)
{
	PGresult	*res;
	int		 rc = DB_OK;

	if ((rc = db_ensure(db)) != DB_OK)
		return rc;
	res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_set_error(db, PQresultErrorMessage(res));
		rc = db_classify(db, res);
	}
	PQclear(res);
	return rc;
}

int
db_begin(struct db *db)
{
	int rc;

	if ((rc = db_exec_script(db, "BEGIN")) == DB_OK)
		db->in_transaction = true;
	return rc;
}

/* DB_OK only if the server confirmed the commit of an open transaction. */
int
db_commit(struct db *db)
{
	int rc;

	if (PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
		db_rollback(db);
		return DB_ERROR;
	}
	rc = db_exec_script(db, "COMMIT");
	db->in_transaction = false;
	return rc;
}

/* Leave the connection clean whatever state the transaction is in. */
void
db_rollback(struct db *db)
{
	PGresult *res;

	db->in_transaction = false;
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
}

const char *
db_status_text(int status)
{
	switch (status) {
	case DB_OK:
		return "ok";
	case DB_UNAVAILABLE:
		return "database unavailable";
	case DB_CONFLICT:
		return "conflict";
	case DB_RETRY:
		return "transaction conflict, retry";
	case DB_BAD_INPUT:
		return "value refused by the database";
	default:
		return "database error";
	}
}
