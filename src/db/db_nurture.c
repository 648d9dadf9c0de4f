/* db_nurture: what e-mail nurture's parts share (see db_nurture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_nurture.h"
#include "db_store.h"

int
db_nurture_campaign_state(struct db *db, const char *id,
    struct db_nurture_campaign_state *out)
{
	const char	*params[1] = { id };
	PGresult	*res;
	int		 rc, found;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_NURTURE_CAMPAIGN_STATE, params, &res)) !=
	    DB_OK)
		return rc;
	if ((found = PQntuples(res) == 1)) {
		snprintf(out->organization_id, sizeof(out->organization_id),
		    "%s", PQgetvalue(res, 0, 0));
		snprintf(out->status, sizeof(out->status), "%s",
		    PQgetvalue(res, 0, 1));
		out->steps = (long)db_store_int(res, 0, 2);
	}
	PQclear(res);
	return found;
}

int
db_nurture_enroll(struct db *db, const char *campaign_id,
    const char *leads_array, const char *start, const char *by,
    long *enrolled, long *already, long *refused)
{
	const char	*params[4] = { campaign_id, leads_array, start, by };
	PGresult	*res;
	int		 rc;

	*enrolled = *already = *refused = 0;
	if ((rc = db_exec(db, STMT_NURTURE_ENROLL, params, &res)) != DB_OK)
		return rc;
	*enrolled = (long)db_store_int(res, 0, 0);
	*already = (long)db_store_int(res, 0, 1);
	*refused = (long)db_store_int(res, 0, 2);
	PQclear(res);
	return DB_OK;
}

int
db_nurture_run_begin(struct db *db, const char *workflow, long long *id)
{
	const char	*params[1] = { workflow };
	PGresult	*res;
	int		 rc;

	*id = 0;
	if ((rc = db_exec(db, STMT_NURTURE_RUN_BEGIN, params, &res)) != DB_OK)
		return rc;
	*id = db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

int
db_nurture_run_end(struct db *db, long long id, bool ok, long items,
    const char *message)
{
	char		 idtext[24], itemtext[24];
	const char	*params[4] = { idtext, ok ? "success" : "error",
			    itemtext, ok ? NULL : message };

	snprintf(idtext, sizeof(idtext), "%lld", id);
	snprintf(itemtext, sizeof(itemtext), "%ld", items);
	return db_run(db, STMT_NURTURE_RUN_END, params);
}

int
db_nurture_run_error(struct db *db, const char *workflow, long long run_id,
    const char *message, const char *context)
{
	char		 idtext[24];
	const char	*params[4] = { workflow, run_id > 0 ? idtext : NULL,
			    message, context };

	snprintf(idtext, sizeof(idtext), "%lld", run_id);
	return db_run(db, STMT_NURTURE_RUN_ERROR, params);
}

int
db_nurture_control_get(struct db *db, const char *name,
    struct db_nurture_control *out)
{
	const char	*params[1] = { name };
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_NURTURE_CONTROL_GET, params, &res)) !=
	    DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		out->paused = db_store_bool(res, 0, 0);
		snprintf(out->reason, sizeof(out->reason), "%s",
		    PQgetvalue(res, 0, 1));
		snprintf(out->changed_by, sizeof(out->changed_by), "%s",
		    PQgetvalue(res, 0, 2));
		snprintf(out->changed_at, sizeof(out->changed_at), "%s",
		    PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return DB_OK;
}

int
db_nurture_control_set(struct db *db, const char *name, bool paused,
    const char *reason, const char *by)
{
	const char	*params[4] = { name, paused ? "t" : "f", reason, by };

	return db_run(db, STMT_NURTURE_CONTROL_SET, params);
}
