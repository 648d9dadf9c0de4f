/* db_leads: the leads search, a lead, the event types (see db_leads.h). */
#include <stdio.h>
#include <stdlib.h>

#include "db_leads.h"
#include "db_store.h"

/* The statements by order and direction (descending second). */
static const enum stmt leads_stmt[DB_LEADS_SORT__MAX][2] = {
	[DB_LEADS_CREATED] = { STMT_LEADS_CREATED_ASC, STMT_LEADS_CREATED_DESC },
	[DB_LEADS_NAME] = { STMT_LEADS_NAME_ASC, STMT_LEADS_NAME_DESC },
	[DB_LEADS_EMAIL] = { STMT_LEADS_EMAIL_ASC, STMT_LEADS_EMAIL_DESC },
};

/* Every column of a result is text, in column order: 0, 1, 2, ...
 * (but the last, is_test, a flag). */
static const int all_text[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
_Static_assert(DB_LEAD_TEST <= sizeof(all_text) / sizeof(all_text[0]) &&
    DB_LEAD_ROW_TEST <= sizeof(all_text) / sizeof(all_text[0]),
    "all_text covers every column");

static int
out_of_memory(struct db *db, PGresult *res)
{
	PQclear(res);
	snprintf(db->error, sizeof(db->error), "out of memory");
	return DB_ERROR;
}

int
db_leads_search(struct db *db, const struct db_leads_query *q,
    struct db_lead_row **rows, size_t *n)
{
#define F(member, col)	DB_FIELD(DB_FIELD_TEXT_NULL, struct db_lead_row, \
			    member, col)
	static const struct db_field fields[] = {
		F(id, DB_LEAD_ROW_ID), F(name, DB_LEAD_ROW_NAME),
		F(external_id, DB_LEAD_ROW_EXTERNAL),
		F(email, DB_LEAD_ROW_EMAIL), F(phone, DB_LEAD_ROW_PHONE),
		F(status, DB_LEAD_ROW_STATUS), F(client, DB_LEAD_ROW_CLIENT),
		F(created, DB_LEAD_ROW_CREATED),
		F(last_activity, DB_LEAD_ROW_LAST_ACTIVITY),
		DB_FIELD(DB_FIELD_BOOL, struct db_lead_row, is_test,
		    DB_LEAD_ROW_TEST),
	};
#undef F
	const char	*params[7];
	char		 limit[16];
	void		*out;
	int		 rc;

	snprintf(limit, sizeof(limit), "%d", q->rows);
	params[0] = q->like;
	params[1] = q->second;
	params[2] = q->client;
	params[3] = q->status;
	params[4] = q->after;
	params[5] = limit;
	params[6] = q->with_test ? "t" : "f";
	rc = db_store_rows(db, leads_stmt[q->sort][q->desc], params,
	    sizeof(**rows), fields, sizeof(fields) / sizeof(fields[0]), &out,
	    n);
	*rows = out;
	return rc;
}

int
db_lead_get(struct db *db, const char *id, struct db_lead **lead)
{
	const char	*params[1] = { id };
	struct db_lead	*out;
	PGresult	*res;
	char		*pool;
	int		 rc;

	*lead = NULL;
	if ((rc = db_exec(db, STMT_LEAD_GET, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	/* Every column before is_test (a flag, not copied) is text. */
	if ((out = db_store_alloc(res, sizeof(*out), all_text, DB_LEAD_TEST,
	    &pool)) == NULL)
		return out_of_memory(db, res);
	out->id = db_store_text_null(&pool, res, 0, DB_LEAD_ID);
	out->name = db_store_text_null(&pool, res, 0, DB_LEAD_NAME);
	out->first_name = db_store_text_null(&pool, res, 0,
	    DB_LEAD_FIRST_NAME);
	out->last_name = db_store_text_null(&pool, res, 0, DB_LEAD_LAST_NAME);
	out->email = db_store_text_null(&pool, res, 0, DB_LEAD_EMAIL);
	out->phone = db_store_text_null(&pool, res, 0, DB_LEAD_PHONE);
	out->external_id = db_store_text_null(&pool, res, 0,
	    DB_LEAD_EXTERNAL);
	out->status = db_store_text_null(&pool, res, 0, DB_LEAD_STATUS);
	out->client = db_store_text_null(&pool, res, 0, DB_LEAD_CLIENT);
	out->created = db_store_text_null(&pool, res, 0, DB_LEAD_CREATED);
	out->is_test = PQgetvalue(res, 0, DB_LEAD_TEST)[0] == 't';
	*lead = out;
	PQclear(res);
	return 1;
}

int
db_event_type_list(struct db *db, struct db_event_type_row **rows,
    size_t *n)
{
	struct db_event_type_row *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_EVENT_TYPES_ALL, NULL, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), all_text, 1, &pool)) ==
	    NULL)
		return out_of_memory(db, res);
	for (i = 0; i < PQntuples(res); i++)
		out[i].name = db_store_text(&pool, res, i, 0);
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}
