/* db_nurture_campaigns: what the nurture campaign pages read and change
 * (see db_nurture_campaigns.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_nurture_campaigns.h"
#include "db_store.h"

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

#define C(type, member, col)	DB_FIELD(type, struct db_nc, member, col)
static const struct db_field nc_fields[] = {
	C(DB_FIELD_TEXT, id, DB_NC_ID),
	C(DB_FIELD_TEXT, client, DB_NC_CLIENT),
	C(DB_FIELD_TEXT, client_id, DB_NC_CLIENT_ID),
	C(DB_FIELD_TEXT, name, DB_NC_NAME),
	C(DB_FIELD_TEXT, status, DB_NC_STATUS),
	C(DB_FIELD_INT, steps, DB_NC_STEPS),
	C(DB_FIELD_INT, active, DB_NC_ACTIVE),
	C(DB_FIELD_INT, completed, DB_NC_COMPLETED),
	C(DB_FIELD_INT, sends, DB_NC_SENDS),
	C(DB_FIELD_TEXT_NULL, open_rate, DB_NC_OPEN_RATE),
	C(DB_FIELD_TEXT_NULL, click_rate, DB_NC_CLICK_RATE),
	C(DB_FIELD_TEXT, description, DB_NC_DESCRIPTION),
	C(DB_FIELD_TEXT, from_email, DB_NC_FROM_EMAIL),
	C(DB_FIELD_TEXT, from_name, DB_NC_FROM_NAME),
	C(DB_FIELD_TEXT_NULL, paused_at, DB_NC_PAUSED_AT),
	C(DB_FIELD_TEXT_NULL, paused_by, DB_NC_PAUSED_BY),
	C(DB_FIELD_TEXT, created, DB_NC_CREATED),
	C(DB_FIELD_TEXT, updated, DB_NC_UPDATED),
};
#undef C

/* One number as text for a parameter. */
static const char *
num(char buf[24], long long n)
{
	snprintf(buf, 24, "%lld", n);
	return buf;
}

int
db_nc_list(struct db *db, const char *client, const char *status,
    struct db_nc **rows, size_t *n)
{
	const char *params[2] = { client, status };

	return db_store_rows(db, STMT_NC_LIST, params, sizeof(**rows),
	    nc_fields, NFIELDS(nc_fields), (void **)rows, n);
}

int
db_nc_get(struct db *db, const char *id, struct db_nc **row)
{
	const char *params[1] = { id };

	return db_store_row(db, STMT_NC_GET, params, sizeof(**row), nc_fields,
	    NFIELDS(nc_fields), (void **)row);
}

/* Run st; 1 and the first column of its one row into out (size bytes),
 * 0 if it returned no row, or a db_status. */
static int
one_value(struct db *db, enum stmt st, const char *const *params, char *out,
    size_t size)
{
	PGresult	*res;
	int		 rc, found;

	if (out != NULL && size > 0)
		out[0] = '\0';
	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	if ((found = PQntuples(res) > 0) && out != NULL)
		snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return found;
}

int
db_nc_create(struct db *db, const char *client, const char *name,
    const char *from_email, const char *from_name, const char *description,
    char id_out[37])
{
	const char *params[5] = { client, name, from_email, from_name,
	    description };

	return one_value(db, STMT_NC_CREATE, params, id_out, 37);
}

int
db_nc_steps(struct db *db, const char *id, struct db_nc_step **rows,
    size_t *n)
{
#define S(type, member, col) DB_FIELD(type, struct db_nc_step, member, col)
	static const struct db_field fields[] = {
		S(DB_FIELD_INT, number, DB_NC_STEP_NUMBER),
		S(DB_FIELD_TEXT, subject, DB_NC_STEP_SUBJECT),
		S(DB_FIELD_TEXT, body, DB_NC_STEP_BODY),
		S(DB_FIELD_INT, delay, DB_NC_STEP_DELAY),
		S(DB_FIELD_TEXT, updated, DB_NC_STEP_UPDATED),
	};
#undef S
	const char *params[1] = { id };

	return db_store_rows(db, STMT_NC_STEPS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_nc_step_add(struct db *db, const char *id, const char *subject,
    const char *body, const char *delay, long *number)
{
	const char	*params[4] = { id, subject, body, delay };
	char		 text[24];
	int		 rc;

	*number = 0;
	if ((rc = one_value(db, STMT_NC_STEP_ADD, params, text,
	    sizeof(text))) < 0)
		return rc;
	*number = strtol(text, NULL, 10);
	return DB_OK;
}

int
db_nc_step_update(struct db *db, const char *id, long number,
    const char *subject, const char *body, const char *delay)
{
	char		 n[24];
	const char	*params[5] = { id, num(n, number), subject, body, delay };

	return one_value(db, STMT_NC_STEP_UPDATE, params, NULL, 0);
}

int
db_nc_step_delete(struct db *db, const char *id, long number)
{
	char		 n[24];
	const char	*params[2] = { id, num(n, number) };

	return one_value(db, STMT_NC_STEP_DELETE, params, NULL, 0);
}

int
db_nc_status_set(struct db *db, const char *id, const char *to,
    const char *from, const char *by)
{
	const char *params[4] = { id, to, from, by };

	return one_value(db, STMT_NC_STATUS_SET, params, NULL, 0);
}

int
db_nc_enrolments(struct db *db, const char *id, const char *status,
    const char *after, long limit, struct db_nc_enrolment **rows, size_t *n)
{
#define E(type, member, col) DB_FIELD(type, struct db_nc_enrolment, member, col)
	static const struct db_field fields[] = {
		E(DB_FIELD_TEXT, id, DB_NCE_ID),
		E(DB_FIELD_TEXT, lead_id, DB_NCE_LEAD_ID),
		E(DB_FIELD_TEXT, lead_name, DB_NCE_LEAD_NAME),
		E(DB_FIELD_TEXT, external_id, DB_NCE_EXTERNAL_ID),
		E(DB_FIELD_TEXT_NULL, email, DB_NCE_EMAIL),
		E(DB_FIELD_TEXT, status, DB_NCE_STATUS),
		E(DB_FIELD_INT, step, DB_NCE_STEP),
		E(DB_FIELD_TEXT_NULL, next_send, DB_NCE_NEXT_SEND),
		E(DB_FIELD_TEXT_NULL, reason, DB_NCE_REASON),
		E(DB_FIELD_TEXT, by, DB_NCE_BY),
		E(DB_FIELD_TEXT, enrolled, DB_NCE_ENROLLED),
		E(DB_FIELD_TEXT_NULL, completed, DB_NCE_COMPLETED),
	};
#undef E
	char		 lim[24];
	const char	*params[4] = { id, status, after, num(lim, limit) };

	return db_store_rows(db, STMT_NC_ENROLMENTS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_nc_enrolment_counts(struct db *db, const char *id,
    struct db_nc_count **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_nc_count, status,
		    DB_NC_COUNT_STATUS),
		DB_FIELD(DB_FIELD_INT, struct db_nc_count, n, DB_NC_COUNT_N),
	};
	const char *params[1] = { id };

	return db_store_rows(db, STMT_NC_ENROLMENT_COUNTS, params,
	    sizeof(**rows), fields, NFIELDS(fields), (void **)rows, n);
}

int
db_nc_analytics(struct db *db, const char *id, long days,
    struct db_nc_day **rows, size_t *n)
{
#define D(type, member, col) DB_FIELD(type, struct db_nc_day, member, col)
	static const struct db_field fields[] = {
		D(DB_FIELD_TEXT, date, DB_NC_DAY_DATE),
		D(DB_FIELD_INT, sent, DB_NC_DAY_SENT),
		D(DB_FIELD_INT, delivered, DB_NC_DAY_DELIVERED),
		D(DB_FIELD_INT, opens, DB_NC_DAY_OPENS),
		D(DB_FIELD_INT, clicks, DB_NC_DAY_CLICKS),
		D(DB_FIELD_INT, bounces, DB_NC_DAY_BOUNCES),
		D(DB_FIELD_INT, unsubscribes, DB_NC_DAY_UNSUBSCRIBES),
		D(DB_FIELD_INT, spam, DB_NC_DAY_SPAM),
		D(DB_FIELD_TEXT_NULL, delivery_rate, DB_NC_DAY_DELIVERY_RATE),
		D(DB_FIELD_TEXT_NULL, open_rate, DB_NC_DAY_OPEN_RATE),
		D(DB_FIELD_TEXT_NULL, click_rate, DB_NC_DAY_CLICK_RATE),
		D(DB_FIELD_TEXT_NULL, bounce_rate, DB_NC_DAY_BOUNCE_RATE),
		D(DB_FIELD_TEXT_NULL, unsubscribe_rate,
		    DB_NC_DAY_UNSUBSCRIBE_RATE),
	};
#undef D
	char		 d[24];
	const char	*params[2] = { id, days > 0 ? num(d, days) : NULL };

	return db_store_rows(db, STMT_NC_ANALYTICS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

int
db_nc_lead_enrolments(struct db *db, const char *lead,
    struct db_nc_lead_enrolment **rows, size_t *n)
{
#define L(type, member, col) \
	DB_FIELD(type, struct db_nc_lead_enrolment, member, col)
	static const struct db_field fields[] = {
		L(DB_FIELD_TEXT, id, DB_NCL_ID),
		L(DB_FIELD_TEXT, campaign_id, DB_NCL_CAMPAIGN_ID),
		L(DB_FIELD_TEXT, campaign, DB_NCL_CAMPAIGN),
		L(DB_FIELD_TEXT, campaign_status, DB_NCL_CAMPAIGN_STATUS),
		L(DB_FIELD_TEXT, status, DB_NCL_STATUS),
		L(DB_FIELD_INT, done, DB_NCL_DONE),
		L(DB_FIELD_INT, steps, DB_NCL_STEPS),
		L(DB_FIELD_INT, next_step, DB_NCL_NEXT_STEP),
		L(DB_FIELD_TEXT_NULL, next_send, DB_NCL_NEXT_SEND),
		L(DB_FIELD_TEXT_NULL, reason, DB_NCL_REASON),
		L(DB_FIELD_TEXT, enrolled, DB_NCL_ENROLLED),
		L(DB_FIELD_TEXT_NULL, completed, DB_NCL_COMPLETED),
	};
#undef L
	const char *params[1] = { lead };

	return db_store_rows(db, STMT_NC_LEAD_ENROLMENTS, params,
	    sizeof(**rows), fields, NFIELDS(fields), (void **)rows, n);
}

int
db_nc_lead_sends(struct db *db, const char *lead, long limit,
    struct db_nc_send **rows, size_t *n)
{
#define S(type, member, col) DB_FIELD(type, struct db_nc_send, member, col)
	static const struct db_field fields[] = {
		S(DB_FIELD_TEXT, id, DB_NCS_ID),
		S(DB_FIELD_TEXT, campaign_id, DB_NCS_CAMPAIGN_ID),
		S(DB_FIELD_TEXT, campaign, DB_NCS_CAMPAIGN),
		S(DB_FIELD_INT, step, DB_NCS_STEP),
		S(DB_FIELD_TEXT_NULL, subject, DB_NCS_SUBJECT),
		S(DB_FIELD_TEXT, status, DB_NCS_STATUS),
		S(DB_FIELD_TEXT_NULL, scheduled, DB_NCS_SCHEDULED),
		S(DB_FIELD_TEXT_NULL, sent, DB_NCS_SENT),
		S(DB_FIELD_TEXT_NULL, opened, DB_NCS_OPENED),
		S(DB_FIELD_TEXT_NULL, clicked, DB_NCS_CLICKED),
		S(DB_FIELD_TEXT_NULL, failure, DB_NCS_FAILURE),
		S(DB_FIELD_TEXT_NULL, bounce, DB_NCS_BOUNCE),
	};
#undef S
	char		 lim[24];
	const char	*params[2] = { lead, num(lim, limit) };

	return db_store_rows(db, STMT_NC_LEAD_SENDS, params, sizeof(**rows),
	    fields, NFIELDS(fields), (void **)rows, n);
}

#define CH(type, member, col) DB_FIELD(type, struct db_nc_choice, member, col)
static const struct db_field choice_fields[] = {
	CH(DB_FIELD_TEXT, id, DB_NCC_ID),
	CH(DB_FIELD_TEXT, name, DB_NCC_NAME),
	CH(DB_FIELD_TEXT, client, DB_NCC_CLIENT),
	CH(DB_FIELD_TEXT, status, DB_NCC_STATUS),
	CH(DB_FIELD_INT, steps, DB_NCC_STEPS),
};
#undef CH

int
db_nc_lead_choices(struct db *db, const char *lead,
    struct db_nc_choice **rows, size_t *n)
{
	const char *params[1] = { lead };

	return db_store_rows(db, STMT_NC_LEAD_CHOICES, params, sizeof(**rows),
	    choice_fields, NFIELDS(choice_fields), (void **)rows, n);
}

int
db_nc_choices(struct db *db, const char *client, struct db_nc_choice **rows,
    size_t *n)
{
	const char *params[1] = { client };

	return db_store_rows(db, STMT_NC_CHOICES, params, sizeof(**rows),
	    choice_fields, NFIELDS(choice_fields), (void **)rows, n);
}

int
db_nc_lead_refusal(struct db *db, const char *lead, const char *campaign,
    struct db_nc_refusal *out)
{
	const char	*params[2] = { lead, campaign };
	PGresult	*res;
	int		 rc, found;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_NC_LEAD_REFUSAL, params, &res)) != DB_OK)
		return rc;
	if ((found = PQntuples(res) == 1)) {
		out->other_client = db_store_bool(res, 0, 0);
		out->opted_out = db_store_bool(res, 0, 1);
		out->email_opt_out = db_store_bool(res, 0, 2);
		out->no_email = db_store_bool(res, 0, 3);
		out->email_invalid = db_store_bool(res, 0, 4);
	}
	PQclear(res);
	return found;
}

int
db_nc_filter_ids(struct db *db, const struct db_nc_filter *f,
    const char *after, long limit, const char ***ids, size_t *n)
{
	char		 lim[24];
	const char	*params[6] = { f->like, f->second, f->client, f->status,
			    after, num(lim, limit) };
	PGresult	*res;
	char		*pool;
	const char	**out;
	size_t		 i, rows;
	int		 rc;

	*ids = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_NC_FILTER_IDS, params, &res)) != DB_OK)
		return rc;
	rows = (size_t)PQntuples(res);
	/* The pointers, then the ids (36 characters and a NUL each). */
	if ((out = malloc(rows * (sizeof(*out) + 37) + 1)) == NULL) {
		PQclear(res);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	pool = (char *)(out + rows);
	for (i = 0; i < rows; i++) {
		snprintf(pool, 37, "%s", PQgetvalue(res, (int)i, 0));
		out[i] = pool;
		pool += 37;
	}
	PQclear(res);
	*ids = out;
	*n = rows;
	return DB_OK;
}

/* Copy column col of res's first row into out (size bytes). */
static void
copy_col(const PGresult *res, int col, char *out, size_t size)
{
	snprintf(out, size, "%s", PQgetvalue(res, 0, col));
}

int
db_nc_enrolment_cancel(struct db *db, const char *id, const char *reason,
    char lead[37], char campaign[37], char status[16])
{
	const char	*params[2] = { id, reason };
	PGresult	*res;
	int		 rc, outcome;

	lead[0] = campaign[0] = status[0] = '\0';
	if ((rc = db_exec(db, STMT_NC_ENROLMENT_CANCEL, params, &res)) != DB_OK)
		return rc;
	outcome = 1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if ((rc = db_exec(db, STMT_NC_ENROLMENT_GET, params, &res)) !=
		    DB_OK)
			return rc;
		outcome = PQntuples(res) == 0 ? 2 : 0;
	}
	if (outcome != 2) {
		copy_col(res, 0, lead, 37);
		copy_col(res, 1, campaign, 37);
		copy_col(res, 2, status, 16);
	}
	PQclear(res);
	return outcome;
}

int
db_nc_lead_view(struct db *db, const char *client_id, const char *uuid,
    const char *external_id, struct db_nc_view **row)
{
#define V(member, col) DB_FIELD(DB_FIELD_TEXT_NULL, struct db_nc_view, member, col)
	static const struct db_field fields[] = {
		V(id, DB_NCV_ID), V(first_name, DB_NCV_FIRST_NAME),
		V(last_name, DB_NCV_LAST_NAME), V(name, DB_NCV_NAME),
		V(email, DB_NCV_EMAIL), V(phone, DB_NCV_PHONE),
		V(external_id, DB_NCV_EXTERNAL_ID),
		V(metadata, DB_NCV_METADATA),
	};
#undef V
	const char	*params[3] = { uuid, external_id, client_id };

	return db_store_row(db, STMT_NC_LEAD_VIEW, params, sizeof(**row),
	    fields, NFIELDS(fields), (void **)row);
}
