/* db_archive: archive and re-import of old log rows (see db_archive.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_archive.h"
#include "db_store.h"

/* STMT__MAX: no such statement (a set deleted by a cascade has no delete;
 * most have nothing to do after an import). */
static const struct {
	const char	*table;
	enum stmt	 temp, mark, copy_out, del;
	enum stmt	 import_temp, import_copy, import, after_import;
} sets[DB_ARCHIVE__MAX] = {
#define SET(id, table, del, after) { table, STMT_ARCHIVE_##id##_TEMP,	\
	STMT_ARCHIVE_##id##_MARK, STMT_ARCHIVE_##id##_COPY_OUT, del,	\
	STMT_ARCHIVE_##id##_IMPORT_TEMP, STMT_ARCHIVE_##id##_IMPORT_COPY, \
	STMT_ARCHIVE_##id##_IMPORT, after }
#define DEL(id)	STMT_ARCHIVE_##id##_DELETE
	[DB_ARCHIVE_LOG] = SET(LOG, "lead_activity_log", DEL(LOG),
	    STMT__MAX),
	[DB_ARCHIVE_EMAIL_EVENTS] = SET(EMAIL_EVENTS, "email_events",
	    DEL(EMAIL_EVENTS), STMT__MAX),
	[DB_ARCHIVE_WORKFLOW_ERRORS] = SET(WORKFLOW_ERRORS, "workflow_errors",
	    DEL(WORKFLOW_ERRORS), STMT__MAX),
	[DB_ARCHIVE_WORKFLOW_RUNS] = SET(WORKFLOW_RUNS, "workflow_executions",
	    DEL(WORKFLOW_RUNS), STMT__MAX),
	[DB_ARCHIVE_ALERTS] = SET(ALERTS, "alert_history", DEL(ALERTS),
	    STMT__MAX),
	[DB_ARCHIVE_RETRY] = SET(RETRY, "retry_queue", DEL(RETRY),
	    STMT_ARCHIVE_RETRY_IMPORT_FIX),
	[DB_ARCHIVE_RETRY_ATTEMPTS] = SET(RETRY_ATTEMPTS,
	    "retry_queue_attempts", STMT__MAX, STMT__MAX),
#undef DEL
#undef SET
};

bool
db_archive_cascades(enum db_archive_set s)
{
	return sets[s].del == STMT__MAX;
}

const char *
db_archive_table(enum db_archive_set s)
{
	return sets[s].table;
}

int
db_archive_lock(struct db *db, bool *taken)
{
	PGresult	*res;
	int		 rc;

	*taken = false;
	if ((rc = db_exec(db, STMT_ARCHIVE_LOCK, NULL, &res)) != DB_OK)
		return rc;
	*taken = db_store_bool(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

/* A row count from a command's tag ("INSERT 0 12", "COPY 12"). */
static long long
command_rows(PGresult *res)
{
	return strtoll(PQcmdTuples(res), NULL, 10);
}

/* COPY and CREATE cannot be prepared: their constant text (sql.h) runs as
 * it is, with no parameter. */
static PGresult *
exec_text(struct db *db, enum stmt st)
{
	return PQexec(db->conn, stmt_defs[st].sql);
}

/* A result that is not the status wanted: the error noted, cleared. */
static int
failed(struct db *db, PGresult *res)
{
	snprintf(db->error, sizeof(db->error), "%s",
	    PQresultErrorMessage(res));
	db->error[strcspn(db->error, "\n")] = '\0';
	PQclear(res);
	return DB_ERROR;
}

int
db_archive_mark(struct db *db, enum db_archive_set s, const char *cutoff,
    long long *marked)
{
	const char	*params[1] = { cutoff };
	PGresult	*res;
	int		 rc;

	*marked = 0;
	if ((rc = db_exec_script(db, stmt_defs[sets[s].temp].sql)) != DB_OK)
		return rc;
	if ((rc = db_exec(db, sets[s].mark, params, &res)) != DB_OK)
		return rc;
	*marked = command_rows(res);
	PQclear(res);
	return DB_OK;
}

int
db_archive_copy_out(struct db *db, enum db_archive_set s, db_copy_sink sink,
    void *ctx, long long *rows)
{
	PGresult	*res;
	char		*data;
	int		 len, sink_failed = 0;

	*rows = 0;
	if ((res = exec_text(db, sets[s].copy_out)) == NULL ||
	    PQresultStatus(res) != PGRES_COPY_OUT)
		return failed(db, res);
	PQclear(res);
	while ((len = PQgetCopyData(db->conn, &data, 0)) > 0) {
		if (!sink_failed && sink(ctx, data, (size_t)len) == -1)
			sink_failed = 1;
		PQfreemem(data);
	}
	res = PQgetResult(db->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(db, res);
	*rows = command_rows(res);
	PQclear(res);
	while ((res = PQgetResult(db->conn)) != NULL)
		PQclear(res);
	if (sink_failed) {
		snprintf(db->error, sizeof(db->error),
		    "the archive file could not be written");
		return DB_ERROR;
	}
	return DB_OK;
}

int
db_archive_delete_batch(struct db *db, enum db_archive_set s, long batch,
    const char *cutoff, long long *last, long long *taken,
    long long *deleted)
{
	char		 n[24], after[24];
	const char	*params[3] = { n, cutoff, after };
	PGresult	*res;
	int		 rc;

	snprintf(n, sizeof(n), "%ld", batch);
	snprintf(after, sizeof(after), "%lld", *last);
	*taken = *deleted = 0;
	if (db_archive_cascades(s))
		return DB_OK;
	if ((rc = db_exec(db, sets[s].del, params, &res)) != DB_OK)
		return rc;
	*taken = db_store_int(res, 0, 0);
	*deleted = db_store_int(res, 0, 1);
	if (*taken > 0)
		*last = db_store_int(res, 0, 2);
	PQclear(res);
	return DB_OK;
}

int
db_archive_columns(struct db *db, enum db_archive_set s, char *out,
    size_t outsz)
{
	const char	*params[1] = { sets[s].table };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_ARCHIVE_COLUMNS, params, &res)) != DB_OK)
		return rc;
	snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

/* Feed the source to a COPY FROM STDIN in progress; *rows COPY's count. */
static int
copy_in(struct db *db, db_copy_source source, void *ctx, long long *rows)
{
	PGresult	*res;
	char		 buf[65536];
	ssize_t		 n;
	int		 ok = 1;

	while ((n = source(ctx, buf, sizeof(buf))) > 0)
		if (PQputCopyData(db->conn, buf, (int)n) != 1) {
			ok = 0;
			break;
		}
	PQputCopyEnd(db->conn, n < 0 ? "the archive file could not be "
	    "read" : NULL);
	res = PQgetResult(db->conn);
	if (!ok || PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(db, res);
	*rows = command_rows(res);
	PQclear(res);
	while ((res = PQgetResult(db->conn)) != NULL)
		PQclear(res);
	return DB_OK;
}

int
db_archive_import(struct db *db, enum db_archive_set s,
    db_copy_source source, void *ctx, long long *rows, long long *added)
{
	PGresult	*res;
	int		 rc;

	*rows = *added = 0;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_exec_script(db, stmt_defs[sets[s].import_temp].sql)) !=
	    DB_OK)
		goto fail;
	if ((res = exec_text(db, sets[s].import_copy)) == NULL ||
	    PQresultStatus(res) != PGRES_COPY_IN) {
		rc = failed(db, res);
		goto fail;
	}
	PQclear(res);
	if ((rc = copy_in(db, source, ctx, rows)) != DB_OK)
		goto fail;
	if ((rc = db_exec(db, sets[s].import, NULL, &res)) != DB_OK)
		goto fail;
	*added = command_rows(res);
	PQclear(res);
	if (sets[s].after_import != STMT__MAX &&
	    (rc = db_run(db, sets[s].after_import, NULL)) != DB_OK)
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc;
}
