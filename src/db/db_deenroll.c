/* db_deenroll: the de-enrollment job's statements (see db_deenroll.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_deenroll.h"
#include "db_store.h"

static const struct db_field client_fields[] = {
	DB_FIELD(DB_FIELD_TEXT, struct db_deenroll_client, id,
	    DEENROLL_CLIENT_ID),
	DB_FIELD(DB_FIELD_TEXT, struct db_deenroll_client, slug,
	    DEENROLL_CLIENT_SLUG),
};

int
db_deenroll_clients(struct db *db, const char *client_id,
    struct db_deenroll_client **rows, size_t *n)
{
	const char	*params[1] = { client_id };

	return db_store_rows(db, STMT_DEENROLL_CLIENTS, params,
	    sizeof(**rows), client_fields,
	    sizeof(client_fields) / sizeof(client_fields[0]), (void **)rows,
	    n);
}

/* Run st with params; its one number into *out. A db_status. */
static int
db_deenroll_number(struct db *db, enum stmt st, const char *const *params,
    long *out)
{
	PGresult	*res;
	int		 rc;

	*out = 0;
	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	*out = (long)db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

int
db_deenroll_client_exists(struct db *db, const char *client_id)
{
	const char	*params[1] = { client_id };
	long		 n;
	int		 rc;

	if ((rc = db_deenroll_number(db, STMT_DEENROLL_CLIENT_EXISTS, params,
	    &n)) != DB_OK)
		return rc;
	return n > 0;
}

int
db_deenroll_run_open(struct db *db, const char *client_id,
    const char *triggered_by, char run_id[37])
{
	const char	*params[2] = { client_id, triggered_by };
	PGresult	*res;
	int		 rc;

	run_id[0] = '\0';
	if ((rc = db_exec(db, STMT_DEENROLL_RUN_OPEN, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) == 1)
		snprintf(run_id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return run_id[0] != '\0' ? DB_OK : DB_ERROR;
}

int
db_deenroll_batch(struct db *db, const char *run_id, const char *client_id,
    long batch_size, long *done)
{
	char		 size[24];
	const char	*params[3] = { run_id, client_id, size };

	snprintf(size, sizeof(size), "%ld", batch_size);
	return db_deenroll_number(db, STMT_DEENROLL_BATCH, params, done);
}

int
db_deenroll_run_close(struct db *db, const char *run_id, const char *status,
    long duration_ms, const char *error)
{
	char		 ms[24];
	const char	*params[4] = { run_id, status, ms, error };

	snprintf(ms, sizeof(ms), "%ld", duration_ms);
	return db_run(db, STMT_DEENROLL_RUN_CLOSE, params);
}

int
db_deenroll_stuck(struct db *db, const char *client_id, long *n)
{
	const char	*params[1] = { client_id };

	return db_deenroll_number(db, STMT_DEENROLL_STUCK, params, n);
}

#define H(type, member, col) \
	DB_FIELD(type, struct db_deenroll_health, member, col)
static const struct db_field health_fields[] = {
	H(DB_FIELD_TEXT, client_id, DH_CLIENT_ID),
	H(DB_FIELD_TEXT, client_slug, DH_CLIENT_SLUG),
	H(DB_FIELD_INT, runs_24h, DH_RUNS),
	H(DB_FIELD_INT, successful_runs_24h, DH_SUCCESSFUL),
	H(DB_FIELD_INT, failed_runs_24h, DH_FAILED),
	H(DB_FIELD_INT, partial_runs_24h, DH_PARTIAL),
	H(DB_FIELD_TEXT_NULL, success_rate_24h, DH_SUCCESS_RATE),
	H(DB_FIELD_TEXT_NULL, hours_since_success, DH_HOURS_SINCE_SUCCESS),
	H(DB_FIELD_TEXT_NULL, avg_duration_ms_24h, DH_AVG_DURATION),
	H(DB_FIELD_INT, leads_de_enrolled_24h, DH_DE_ENROLLED),
	H(DB_FIELD_INT, stuck_leads, DH_STUCK),
	H(DB_FIELD_TEXT, last_run_at, DH_LAST_RUN_AT),
	H(DB_FIELD_TEXT, last_success_at, DH_LAST_SUCCESS_AT),
};
#undef H

int
db_deenroll_health(struct db *db, const char *client_id,
    struct db_deenroll_health **rows, size_t *n)
{
	const char	*params[1] = { client_id };

	return db_store_rows(db, STMT_DEENROLL_HEALTH, params, sizeof(**rows),
	    health_fields, sizeof(health_fields) / sizeof(health_fields[0]),
	    (void **)rows, n);
}

int
db_deenroll_recalc(struct db *db, const char *client_id, long *changed)
{
	const char	*params[1] = { client_id };

	return db_deenroll_number(db, STMT_CAMPAIGNS_RECALC, params, changed);
}

int
db_deenroll_cleanup(struct db *db, long runs_days, long logs_days,
    long *removed)
{
	char		 runs[24], logs[24];
	const char	*params[2] = { runs, logs };

	snprintf(runs, sizeof(runs), "%ld", runs_days);
	snprintf(logs, sizeof(logs), "%ld", logs_days);
	return db_deenroll_number(db, STMT_DEENROLL_CLEANUP, params, removed);
}

int
db_deenroll_migration_check(struct db *db,
    struct db_deenroll_migration_check *out)
{
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_DEENROLL_MIGRATION_CHECK, NULL, &res)) !=
	    DB_OK)
		return rc;
	out->completed_today = db_store_int(res, 0, 0);
	out->with_history = db_store_int(res, 0, 1);
	if (PQntuples(res) == 1)
		snprintf(out->avg_history, sizeof(out->avg_history), "%s",
		    PQgetvalue(res, 0, 2));
	PQclear(res);
	return DB_OK;
}
