/* db_nurture_send: the e-mail sender's store (see db_nurture_send.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "db_nurture_send.h"
#include "db_store.h"

int
db_nurture_send_claim(struct db *db, long limit, const char *claimed_by,
    struct db_nurture_claim **rows, size_t *n)
{
#define F(type, member, col) \
	DB_FIELD(type, struct db_nurture_claim, member, col)
	static const struct db_field fields[] = {
		F(DB_FIELD_TEXT, id, NURTURE_CLAIM_ID),
		F(DB_FIELD_TEXT, lead_id, NURTURE_CLAIM_LEAD_ID),
		F(DB_FIELD_TEXT, campaign_id, NURTURE_CLAIM_CAMPAIGN_ID),
		F(DB_FIELD_INT, step_number, NURTURE_CLAIM_STEP),
		F(DB_FIELD_INT, attempts, NURTURE_CLAIM_ATTEMPTS),
		F(DB_FIELD_TEXT_NULL, first_name, NURTURE_CLAIM_FIRST_NAME),
		F(DB_FIELD_TEXT_NULL, last_name, NURTURE_CLAIM_LAST_NAME),
		F(DB_FIELD_TEXT_NULL, name, NURTURE_CLAIM_NAME),
		F(DB_FIELD_TEXT_NULL, email, NURTURE_CLAIM_EMAIL),
		F(DB_FIELD_TEXT_NULL, phone, NURTURE_CLAIM_PHONE),
		F(DB_FIELD_TEXT_NULL, external_id, NURTURE_CLAIM_EXTERNAL_ID),
		F(DB_FIELD_TEXT, metadata, NURTURE_CLAIM_METADATA),
		F(DB_FIELD_TEXT, campaign_name, NURTURE_CLAIM_CAMPAIGN_NAME),
		F(DB_FIELD_TEXT, from_email, NURTURE_CLAIM_FROM_EMAIL),
		F(DB_FIELD_TEXT, from_name, NURTURE_CLAIM_FROM_NAME),
		F(DB_FIELD_TEXT_NULL, subject_template, NURTURE_CLAIM_SUBJECT),
		F(DB_FIELD_TEXT_NULL, body_template, NURTURE_CLAIM_BODY),
		F(DB_FIELD_TEXT_NULL, blocked, NURTURE_CLAIM_BLOCKED),
	};
#undef F
	char		 limtext[24];
	const char	*params[2] = { limtext, claimed_by };
	void		*out;
	int		 rc;

	snprintf(limtext, sizeof(limtext), "%ld", limit);
	rc = db_store_rows(db, STMT_NURTURE_SEND_CLAIM, params, sizeof(**rows),
	    fields, sizeof(fields) / sizeof(fields[0]), &out, n);
	*rows = out;
	return rc;
}

/* A settle statement's one row: sends settled, timeline rows. Returns 1,
 * 0 or a db_status. */
static int
settle(struct db *db, enum stmt st, const char *const *params)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	rc = db_store_int(res, 0, 0) > 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

static void
put(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value != NULL ?
	    json_object_new_string(value) : NULL);
}

long
db_nurture_send_sent_many(struct db *db, const char *claimed_by,
    const struct db_nurture_sent *sends, size_t n)
{
	json_object	*all = json_object_new_array(), *one;
	const char	*params[2] = { NULL, claimed_by };
	PGresult	*res;
	size_t		 i;
	long		 settled;
	int		 rc;

	/* The batch as one JSON parameter: json-c writes it, the statement
	 * reads it with jsonb_to_recordset; no SQL text is built. */
	for (i = 0; i < n; i++) {
		one = json_object_new_object();
		put(one, "id", sends[i].id);
		put(one, "message_id", sends[i].message_id);
		put(one, "to_email", sends[i].to_email);
		put(one, "subject", sends[i].subject);
		put(one, "body", sends[i].body);
		json_object_array_add(all, one);
	}
	params[0] = json_object_to_json_string_ext(all,
	    JSON_C_TO_STRING_PLAIN);
	rc = db_exec(db, STMT_NURTURE_SEND_SENT_MANY, params, &res);
	json_object_put(all);
	if (rc != DB_OK)
		return rc;
	settled = (long)db_store_int(res, 0, 0);
	PQclear(res);
	return settled;
}

int
db_nurture_send_failed(struct db *db, const char *id, const char *claimed_by,
    const char *reason, const char *to_email, const char *subject,
    const char *body)
{
	const char	*params[6] = { id, claimed_by, reason, to_email,
			    subject, body };

	return settle(db, STMT_NURTURE_SEND_FAILED, params);
}

int
db_nurture_send_release(struct db *db, const char *id,
    const char *claimed_by, double retry_in, int attempts_delta,
    const char *error)
{
	char		 in[32], delta[16];
	const char	*params[5] = { id, claimed_by, retry_in < 0 ? NULL : in,
			    delta, error };
	PGresult	*res;
	int		 rc;

	snprintf(in, sizeof(in), "%.3f", retry_in);
	snprintf(delta, sizeof(delta), "%d", attempts_delta);
	if ((rc = db_exec(db, STMT_NURTURE_SEND_RELEASE, params, &res)) !=
	    DB_OK)
		return rc;
	rc = PQntuples(res) > 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

int
db_nurture_send_recent(struct db *db, long max, double *ages, size_t *n)
{
	char		 maxtext[24];
	const char	*params[1] = { maxtext };
	PGresult	*res;
	int		 rc, i;

	*n = 0;
	snprintf(maxtext, sizeof(maxtext), "%ld", max);
	if ((rc = db_exec(db, STMT_NURTURE_SEND_RECENT, params, &res)) !=
	    DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && (long)i < max; i++)
		ages[i] = strtod(PQgetvalue(res, i, 0), NULL);
	*n = (size_t)i;
	PQclear(res);
	return DB_OK;
}
