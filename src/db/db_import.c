/* db_import: the Airtable import's store (see db_import.h). */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_import.h"
#include "db_store.h"

static const struct {
	enum stmt	 stage, copy, truncate;
} staging[] = {
	[DB_IMPORT_LEADS] = { STMT_IMPORT_STAGE_LEADS, STMT_IMPORT_COPY_LEADS,
	    STMT_IMPORT_TRUNCATE_LEADS },
	[DB_IMPORT_EVENTS] = { STMT_IMPORT_STAGE_EVENTS,
	    STMT_IMPORT_COPY_EVENTS, STMT_IMPORT_TRUNCATE_EVENTS },
	[DB_IMPORT_RETRY] = { STMT_IMPORT_STAGE_RETRY, STMT_IMPORT_COPY_RETRY,
	    STMT_IMPORT_TRUNCATE_RETRY },
};

static void
set_error(struct db *db, const char *msg)
{
	size_t	 n;

	snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "");
	n = strlen(db->error);
	while (n > 0 && db->error[n - 1] == '\n')
		db->error[--n] = '\0';
}

int
db_import_stage(struct db *db, enum db_import_table t)
{
	int	 rc;

	if ((rc = db_exec_script(db, stmt_defs[staging[t].stage].sql)) !=
	    DB_OK)
		return rc;
	return db_exec_script(db, stmt_defs[staging[t].truncate].sql);
}

int
db_import_copy_begin(struct db *db, enum db_import_table t)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_ensure(db)) != DB_OK)
		return rc;
	res = PQexec(db->conn, stmt_defs[staging[t].copy].sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		set_error(db, PQresultErrorMessage(res));
		PQclear(res);
		return PQstatus(db->conn) == CONNECTION_OK ? DB_ERROR :
		    DB_UNAVAILABLE;
	}
	PQclear(res);
	return DB_OK;
}

int
db_import_copy_put(struct db *db, const char *data, size_t len)
{
	if (PQputCopyData(db->conn, data, (int)len) != 1) {
		set_error(db, PQerrorMessage(db->conn));
		return DB_UNAVAILABLE;
	}
	return DB_OK;
}

int
db_import_copy_end(struct db *db)
{
	PGresult	*res;
	int		 rc = DB_OK;

	if (PQputCopyEnd(db->conn, NULL) != 1) {
		set_error(db, PQerrorMessage(db->conn));
		rc = DB_UNAVAILABLE;
	}
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == DB_OK) {
			set_error(db, PQresultErrorMessage(res));
			rc = PQstatus(db->conn) == CONNECTION_OK ?
			    DB_BAD_INPUT : DB_UNAVAILABLE;
		}
		PQclear(res);
	}
	return rc;
}

/* A statement of one row of counts: column i added to *out[i]. */
static int
counts(struct db *db, enum stmt s, long long *a, long long *b)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, s, NULL, &res)) != DB_OK)
		return rc;
	*a += db_store_int(res, 0, 0);
	if (b != NULL)
		*b += db_store_int(res, 0, 1);
	PQclear(res);
	return DB_OK;
}

static int
unresolved_rows(struct db *db, db_import_unresolved_fn fn, void *ctx)
{
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(db, STMT_IMPORT_EVENTS_UNRESOLVED, NULL, &res)) !=
	    DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++)
		fn(ctx, (long)db_store_int(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), db_store_int(res, i, 3));
	PQclear(res);
	return DB_OK;
}

/*
 * The chunk's events into the log: the fast INSERT (IMPORT_EVENTS_INSERT),
 * and where a unique violation stops it, the one with ON CONFLICT DO
 * NOTHING in its place, from a savepoint (the caller's transaction keeps
 * the chunk's leads). A sort of a chunk's rows fits in memory with room to
 * spare at 64 MB (4 MB, the default, spills it to disk).
 */
static int
events_insert(struct db *db, long long *added)
{
	int	 rc;

	if ((rc = db_exec_script(db, "SET LOCAL work_mem = '64MB'")) != DB_OK ||
	    (rc = db_exec_script(db, "SAVEPOINT import_events")) != DB_OK)
		return rc;
	rc = counts(db, STMT_IMPORT_EVENTS_INSERT, added, NULL);
	if (rc == DB_CONFLICT) {
		if ((rc = db_exec_script(db,
		    "ROLLBACK TO SAVEPOINT import_events")) != DB_OK)
			return rc;
		rc = counts(db, STMT_IMPORT_EVENTS_APPLY, added, NULL);
	}
	if (rc != DB_OK)
		return rc;
	return db_exec_script(db, "RELEASE SAVEPOINT import_events");
}

int
db_import_apply(struct db *db, enum db_import_table t, bool names,
    struct db_import_counts *c, db_import_unresolved_fn unresolved,
    void *ctx)
{
	int	 rc;

	switch (t) {
	case DB_IMPORT_LEADS:
		rc = counts(db, STMT_IMPORT_LEADS_APPLY, &c->added, &c->filled);
		break;
	case DB_IMPORT_EVENTS:
		if ((rc = counts(db, STMT_IMPORT_EVENTS_LEADS,
		    &c->leads_created, NULL)) != DB_OK)
			return rc;
		if (names) {
			if ((rc = db_run(db, STMT_IMPORT_EVENTS_NAMES, NULL)) !=
			    DB_OK)
				return rc;
			if ((rc = unresolved_rows(db, unresolved, ctx)) !=
			    DB_OK)
				return rc;
		}
		rc = events_insert(db, &c->added);
		break;
	case DB_IMPORT_RETRY:
		rc = counts(db, STMT_IMPORT_RETRY_APPLY, &c->added, NULL);
		break;
	default:
		abort();
	}
	if (rc != DB_OK)
		return rc;
	return db_exec_script(db, stmt_defs[staging[t].truncate].sql);
}

int
db_import_compare(struct db *db, const char *from, const char *to,
    const char *tz, const char *types, const char *client_id,
    struct db_import_day **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_import_day, day, 0),
		DB_FIELD(DB_FIELD_TEXT, struct db_import_day, event_type, 1),
		DB_FIELD(DB_FIELD_INT, struct db_import_day, events, 2),
	};
	const char	*params[5] = { from, to, tz, types, client_id };

	return db_store_rows(db, STMT_IMPORT_COMPARE, params, sizeof(**rows),
	    fields, sizeof(fields) / sizeof(fields[0]), (void **)rows, n);
}
