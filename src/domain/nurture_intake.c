/* nurture_intake: enrolment requests (see nurture_intake.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_nurture.h"
#include "db_nurture_schedule.h"
#include "event.h"
#include "fields.h"
#include "json_body.h"
#include "lead_filters.h"
#include "nurture.h"
#include "nurture_intake.h"
#include "validate.h"

#define EXTERNAL_ID_MAX		255	/* leads.external_id */

enum { F_CAMPAIGN, F_LEAD_IDS, F_EXTERNAL_IDS, F_START_AT, F__MAX };

static const char *
uuid_problem(const char *s, size_t len, void *ctx)
{
	(void)len;
	(void)ctx;
	return lead_uuid_valid(s) ? NULL : "must be a campaign's id (a uuid)";
}

static const char *
start_problem(const char *s, size_t len, void *ctx)
{
	int64_t	 usec;

	(void)len;
	(void)ctx;
	return rfc3339_parse(s, &usec) == -1 ? "must be an RFC 3339 "
	    "date-time such as 2025-11-07T10:15:30Z" : NULL;
}

static const struct field fields[F__MAX] = {
	[F_CAMPAIGN] = { "campaign_id", FIELD_STRING, "is required", 36,
	    "must be a campaign's id (a uuid)", false, uuid_problem },
	[F_LEAD_IDS] = { "lead_ids", FIELD_JSON, NULL, 36, NULL, false,
	    NULL },
	[F_EXTERNAL_IDS] = { "external_ids", FIELD_JSON, NULL, 255, NULL,
	    false, NULL },
	[F_START_AT] = { "start_at", FIELD_STRING, NULL, 64, NULL, false,
	    start_problem },
};

static const struct field_table table = {
	fields, F__MAX, "is not a field of an enrolment (campaign_id, "
	"lead_ids or external_ids, start_at)"
};

struct parse {
	struct nurture_enroll_request	*req;
	const struct json_body		*jb;
	bool				 lists;	/* a list was already kept */
};

/* Keep a list of ids: an array of 1 to NURTURE_ENROLL_MAX strings, each
 * a uuid (lead ids) or a text of 1 to 255 characters (external ids). */
static const char *
keep_list(struct parse *p, bool external, size_t member, json_object *val,
    char *msg, size_t msgsz)
{
	struct nurture_enroll_request	*req = p->req;
	json_object			*el;
	const char			*s, *why;
	size_t				 i, n, len;

	if (member < p->jb->nparts && p->jb->part[member].problem != NULL)
		return p->jb->part[member].problem;
	if (!json_object_is_type(val, json_type_array))
		return external ? "must be an array of the leads' external ids"
		    : "must be an array of lead ids (uuids)";
	n = json_object_array_length(val);
	if (n == 0 || n > NURTURE_ENROLL_MAX)
		return "must hold 1 to 10000 ids";
	if (p->lists)
		return "give lead_ids or external_ids, not both";
	for (i = 0; i < n; i++) {
		el = json_object_array_get_idx(val, i);
		if (!json_object_is_type(el, json_type_string)) {
			snprintf(msg, msgsz, "element %zu must be a string", i);
			return msg;
		}
		s = json_object_get_string(el);
		len = (size_t)json_object_get_string_len(el);
		why = NULL;
		if (!external && (len != 36 || !lead_uuid_valid(s)))
			why = "must be a lead's id (a uuid)";
		else if (external && (len == 0 || len > EXTERNAL_ID_MAX))
			why = "must be an external id of 1 to 255 characters";
		else if (external)
			why = fields_text_problem(s, len);
		if (why != NULL) {
			snprintf(msg, msgsz, "element %zu %s", i, why);
			return msg;
		}
	}
	if ((req->ids = calloc(n, sizeof(*req->ids))) == NULL)
		return "out of memory";
	for (i = 0; i < n; i++) {
		el = json_object_array_get_idx(val, i);
		if ((req->ids[i] = strdup(json_object_get_string(el))) == NULL)
			return "out of memory";
		req->n = i + 1;
	}
	req->external = external;
	p->lists = true;
	return NULL;
}

static const char *
accept(void *ctx, size_t f, size_t member, json_object *val, const char *s,
    size_t len, char *msg, size_t msgsz)
{
	struct parse	*p = ctx;

	switch (f) {
	case F_CAMPAIGN:
		snprintf(p->req->campaign_id, sizeof(p->req->campaign_id),
		    "%.*s", (int)len, s);
		return NULL;
	case F_START_AT:
		snprintf(p->req->start_at, sizeof(p->req->start_at), "%.*s",
		    (int)len, s);
		return NULL;
	case F_LEAD_IDS:
	case F_EXTERNAL_IDS:
		return keep_list(p, f == F_EXTERNAL_IDS, member, val, msg,
		    msgsz);
	default:
		abort();
	}
}

void
nurture_enroll_request_free(struct nurture_enroll_request *req)
{
	size_t	 i;

	if (req == NULL)
		return;
	for (i = 0; i < req->n; i++)
		free(req->ids[i]);
	free(req->ids);
	req->ids = NULL;
	req->n = 0;
}

/* Does errors already name lead_ids or external_ids? */
static bool
names_a_list(json_object *errors)
{
	json_object	*field;
	const char	*name;
	size_t		 i;

	for (i = 0; i < json_object_array_length(errors); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(errors,
		    i), "field", &field))
			continue;
		name = json_object_get_string(field);
		if (strcmp(name, "lead_ids") == 0 ||
		    strcmp(name, "external_ids") == 0)
			return true;
	}
	return false;
}

json_object *
nurture_enroll_request_parse(const char *body, size_t len,
    struct nurture_enroll_request *req)
{
	struct json_body	 jb;
	struct parse		 p;
	json_object		*errors;
	char			 why[256];

	memset(req, 0, sizeof(*req));
	errors = json_object_new_array();
	if (json_body_parse(&jb, body, len, 4, why, sizeof(why)) != 0) {
		json_body_free(&jb);
		fields_error(errors, "body", why);
		return event_error_body("the body is not valid JSON", errors);
	}
	if (!json_object_is_type(jb.root, json_type_object)) {
		json_body_free(&jb);
		fields_error(errors, "body", "must be a JSON object with "
		    "campaign_id and lead_ids or external_ids");
		return event_error_body("the body must be a JSON object",
		    errors);
	}
	p.req = req;
	p.jb = &jb;
	p.lists = false;
	fields_check(&table, jb.root, jb.part, accept, &p, errors);
	if (!p.lists && !names_a_list(errors))
		fields_error(errors, "lead_ids", "is required (or "
		    "external_ids)");
	json_body_free(&jb);
	if (json_object_array_length(errors) > 0) {
		nurture_enroll_request_free(req);
		return event_error_body("invalid enrolment", errors);
	}
	json_object_put(errors);
	return NULL;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How many different strings ids[0..n) holds (the order of ids is
 * kept: a sorted copy is counted). -1 if memory ran out. */
static long
distinct(char *const *ids, size_t n)
{
	char	**copy;
	size_t	  i;
	long	  k = 0;

	if ((copy = malloc(n * sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, ids, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), by_text);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(copy[i], copy[i - 1]) != 0)
			k++;
	free(copy);
	return k;
}

/* The external ids as a JSON array text; the caller frees it (free). */
static char *
external_json(const struct nurture_enroll_request *req)
{
	json_object	*a = json_object_new_array();
	char		*s;
	size_t		 i;

	for (i = 0; i < req->n; i++)
		json_object_array_add(a, json_object_new_string(req->ids[i]));
	s = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return s;
}

static void
result_fail(struct nurture_intake_result *out, enum nurture_intake_status s,
    const char *message)
{
	out->status = s;
	snprintf(out->error, sizeof(out->error), "%s", message);
}

/* Enrol the leads named by external id: those found among the client's
 * leads; the rest are refused. */
static void
enroll_external(struct db *db, const struct nurture_enroll_request *req,
    const char *org, const char *by, struct nurture_enroll_result *er)
{
	struct db_nurture_lead_id	*rows = NULL;
	const char			**ids = NULL;
	char				*json;
	long				 asked;
	size_t				 i, n = 0;
	int				 rc;

	memset(er, 0, sizeof(*er));
	if ((asked = distinct(req->ids, req->n)) < 0 ||
	    (json = external_json(req)) == NULL) {
		er->status = NURTURE_ENROLL_DB_ERROR;
		snprintf(er->error, sizeof(er->error), "out of memory");
		return;
	}
	rc = db_nurture_leads_by_external(db, org, json, &rows, &n);
	free(json);
	if (rc != DB_OK) {
		er->status = NURTURE_ENROLL_DB_ERROR;
		snprintf(er->error, sizeof(er->error), "%s", db->error);
		free(rows);
		return;
	}
	if (n > 0 && (ids = calloc(n, sizeof(*ids))) == NULL) {
		free(rows);
		er->status = NURTURE_ENROLL_DB_ERROR;
		snprintf(er->error, sizeof(er->error), "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		ids[i] = rows[i].id;
	if (n > 0)
		nurture_enroll(db, req->campaign_id, ids, n,
		    req->start_at[0] != '\0' ? req->start_at : NULL, by, er);
	else
		er->status = NURTURE_ENROLL_OK;
	er->refused += asked - (long)n;
	free(ids);
	free(rows);
}

enum nurture_intake_status
nurture_intake_enroll(struct db *db, const struct nurture_enroll_request *req,
    const char *client_id, const char *by, struct nurture_intake_result *out)
{
	struct db_nurture_campaign_state	 state;
	struct nurture_enroll_result		 er;
	struct nurture_run			 run;
	int					 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_nurture_campaign_state(db, req->campaign_id, &state)) <
	    0) {
		result_fail(out, NURTURE_INTAKE_DB_ERROR, db->error);
		return out->status;
	}
	if (rc == 0) {
		result_fail(out, NURTURE_INTAKE_NO_CAMPAIGN,
		    "there is no such campaign");
		return out->status;
	}
	if (client_id != NULL && client_id[0] != '\0' &&
	    strcmp(client_id, state.organization_id) != 0) {
		result_fail(out, NURTURE_INTAKE_OTHER_CLIENT, "this API key "
		    "may only enrol into its own client's campaigns");
		return out->status;
	}
	if (strcmp(state.status, "archived") == 0 || state.steps == 0) {
		result_fail(out, NURTURE_INTAKE_CLOSED, state.steps == 0 ?
		    "the campaign has no steps yet" :
		    "the campaign is archived");
		return out->status;
	}
	nurture_run_begin(db, NURTURE_ENROLLMENT, &run);
	if (req->external)
		enroll_external(db, req, state.organization_id, by, &er);
	else
		nurture_enroll(db, req->campaign_id,
		    (const char *const *)req->ids, req->n,
		    req->start_at[0] != '\0' ? req->start_at : NULL, by, &er);
	out->enrolled = er.enrolled;
	out->already = er.already;
	out->refused = er.refused;
	snprintf(out->error, sizeof(out->error), "%s", er.error);
	switch (er.status) {
	case NURTURE_ENROLL_OK:
		out->status = NURTURE_INTAKE_OK;
		break;
	case NURTURE_ENROLL_NO_CAMPAIGN:
		out->status = NURTURE_INTAKE_NO_CAMPAIGN;
		break;
	case NURTURE_ENROLL_CLOSED:
		out->status = NURTURE_INTAKE_CLOSED;
		break;
	case NURTURE_ENROLL_BAD_INPUT:
		out->status = NURTURE_INTAKE_BAD_INPUT;
		break;
	default:
		out->status = NURTURE_INTAKE_DB_ERROR;
	}
	nurture_run_end(db, &run, out->enrolled,
	    out->status == NURTURE_INTAKE_OK ||
	    out->status == NURTURE_INTAKE_CLOSED ||
	    out->status == NURTURE_INTAKE_BAD_INPUT ? NULL : out->error);
	return out->status;
}
