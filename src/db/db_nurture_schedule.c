/* db_nurture_schedule: the scheduler's statements (see
 * db_nurture_schedule.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_nurture_schedule.h"
#include "db_store.h"

int
db_nurture_schedule_batch(struct db *db, long size,
    struct db_nurture_batch *out)
{
	char		 sizetext[24];
	const char	*params[1] = { sizetext };
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	snprintf(sizetext, sizeof(sizetext), "%ld", size);
	if ((rc = db_exec(db, STMT_NURTURE_SCHEDULE_BATCH, params, &res)) !=
	    DB_OK)
		return rc;
	out->taken = (long)db_store_int(res, 0, 0);
	out->queued = (long)db_store_int(res, 0, 1);
	out->finished = (long)db_store_int(res, 0, 2);
	out->unsubscribed = (long)db_store_int(res, 0, 3);
	out->invalid_email = (long)db_store_int(res, 0, 4);
	PQclear(res);
	return DB_OK;
}

int
db_nurture_schedule_due(struct db *db, long *n)
{
	PGresult	*res;
	int		 rc;

	*n = 0;
	if ((rc = db_exec(db, STMT_NURTURE_SCHEDULE_DUE, NULL, &res)) != DB_OK)
		return rc;
	*n = (long)db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

static const struct db_field lead_id_fields[] = {
	DB_FIELD(DB_FIELD_TEXT, struct db_nurture_lead_id, id, 0),
};

int
db_nurture_leads_by_external(struct db *db, const char *client_id,
    const char *external_json, struct db_nurture_lead_id **rows, size_t *n)
{
	const char	*params[2] = { client_id, external_json };

	return db_store_rows(db, STMT_NURTURE_LEADS_BY_EXTERNAL, params,
	    sizeof(**rows), lead_id_fields, 1, (void **)rows, n);
}

int
db_nurture_client_leads(struct db *db, const char *client_id,
    const char *after, long limit, struct db_nurture_lead_id **rows,
    size_t *n)
{
	char		 limittext[24];
	const char	*params[3] = { client_id, after, limittext };

	snprintf(limittext, sizeof(limittext), "%ld", limit);
	return db_store_rows(db, STMT_NURTURE_CLIENT_LEADS, params,
	    sizeof(**rows), lead_id_fields, 1, (void **)rows, n);
}
