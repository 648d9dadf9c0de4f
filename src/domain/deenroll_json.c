/*
 * deenroll_json: a run's report and the judged health as JSON objects —
 * the API's answers (POST /api/internal/de-enrollment/run, GET
 * /api/internal/de-enrollment/health) and whatever page wants the same.
 */
#include <stdio.h>
#include <json-c/json.h>

#include "deenroll.h"
#include "event.h"
#include "fields.h"
#include "json_body.h"
#include "json_put.h"
#include "lead_filters.h"

static json_object *
client_json(const struct deenroll_client *c, bool dry_run)
{
	json_object	*o = json_object_new_object();

	json_put_string(o, "client_id", c->client_id);
	json_put_string(o, "client_slug", c->client_slug);
	if (!dry_run)
		json_put_string(o, "run_id", c->run_id[0] ? c->run_id : NULL);
	json_put_string(o, "status", deenroll_status_name(c->status));
	json_put_int(o, "leads_evaluated", c->evaluated);
	json_put_int(o, "leads_de_enrolled", c->de_enrolled);
	json_put_int(o, "batches", c->batches);
	json_put_int(o, "duration_ms", c->duration_ms);
	json_object_object_add(o, "error", c->error[0] ?
	    json_object_new_string(c->error) : NULL);
	return o;
}

json_object *
deenroll_report_json(const struct deenroll_report *r, bool dry_run)
{
	json_object	*o = json_object_new_object();
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; i < r->nclients; i++)
		json_object_array_add(a, client_json(&r->clients[i], dry_run));
	json_put_string(o, "status", r->failed > 0 ? "failed" :
	    r->partial > 0 ? "partial" : "success");
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	json_put_int(o, "clients_run", (long long)r->nclients);
	json_put_int(o, "leads_de_enrolled", r->de_enrolled);
	json_put_int(o, "failed", (long long)r->failed);
	json_put_int(o, "partial", (long long)r->partial);
	json_object_object_add(o, "clients", a);
	return o;
}

static const struct {
	unsigned	 bit;
	const char	*name;
} check_names[] = {
	{ DEENROLL_CHECK_SUCCESS_RATE, "success_rate" },
	{ DEENROLL_CHECK_FAILED_RUNS, "failed_runs" },
	{ DEENROLL_CHECK_SINCE_SUCCESS, "hours_since_success" },
	{ DEENROLL_CHECK_STUCK, "stuck_leads" },
	{ DEENROLL_CHECK_DURATION, "avg_duration" },
};

/* A number, or null when the view had none. */
static json_object *
maybe_double(bool has, double v)
{
	return has ? json_object_new_double(v) : NULL;
}

static json_object *
row_json(const struct deenroll_health_row *r)
{
	struct deenroll_problem	 p[DEENROLL_PROBLEMS_MAX];
	json_object		*o = json_object_new_object();
	json_object		*checks = json_object_new_array();
	json_object		*lines = json_object_new_array();
	json_object		*one;
	size_t			 i, n;

	json_put_string(o, "client_id", r->client_id);
	json_put_string(o, "client_slug", r->client_slug);
	json_put_string(o, "level", deenroll_level_name(r->level));
	json_put_string(o, "summary", r->summary);
	json_put_int(o, "runs_24h", r->runs_24h);
	json_put_int(o, "successful_runs_24h", r->successful_runs_24h);
	json_put_int(o, "failed_runs_24h", r->failed_runs_24h);
	json_put_int(o, "partial_runs_24h", r->partial_runs_24h);
	json_object_object_add(o, "success_rate_24h",
	    maybe_double(r->has_success_rate, r->success_rate_24h));
	json_object_object_add(o, "hours_since_success",
	    maybe_double(r->has_hours_since_success, r->hours_since_success));
	json_object_object_add(o, "avg_duration_ms_24h", r->has_avg_duration ?
	    json_object_new_int64(r->avg_duration_ms_24h) : NULL);
	json_put_int(o, "leads_de_enrolled_24h", r->leads_de_enrolled_24h);
	json_put_int(o, "stuck_leads", r->stuck_leads);
	json_object_object_add(o, "last_run_at", r->last_run_at[0] ?
	    json_object_new_string(r->last_run_at) : NULL);
	json_object_object_add(o, "last_success_at", r->last_success_at[0] ?
	    json_object_new_string(r->last_success_at) : NULL);
	for (i = 0; i < sizeof(check_names) / sizeof(check_names[0]); i++)
		if (r->checks & check_names[i].bit)
			json_object_array_add(checks,
			    json_object_new_string(check_names[i].name));
	json_object_object_add(o, "checks_failed", checks);
	n = deenroll_health_problems(r, p);
	for (i = 0; i < n; i++) {
		one = json_object_new_object();
		json_put_string(one, "level", deenroll_level_name(p[i].level));
		json_put_string(one, "text", p[i].text);
		json_object_array_add(lines, one);
	}
	json_object_object_add(o, "problems", lines);
	return o;
}

json_object *
deenroll_health_json(const struct deenroll_health *h)
{
	json_object	*o = json_object_new_object();
	json_object	*a = json_object_new_array();
	json_object	*t = json_object_new_object();
	size_t		 i;

	for (i = 0; i < h->nrows; i++)
		json_object_array_add(a, row_json(&h->rows[i]));
	json_put_string(o, "level", deenroll_level_name(h->level));
	json_object_object_add(o, "ok", json_object_new_boolean(
	    h->level == DEENROLL_OK));
	json_object_object_add(t, "success_rate_min",
	    json_object_new_double(DEENROLL_SUCCESS_RATE_MIN));
	json_put_int(t, "failed_runs_max", DEENROLL_FAILED_RUNS_MAX);
	json_object_object_add(t, "hours_since_success_max",
	    json_object_new_double(DEENROLL_HOURS_SINCE_SUCCESS_MAX));
	json_put_int(t, "stuck_notice", DEENROLL_STUCK_NOTICE);
	json_put_int(t, "stuck_warning", DEENROLL_STUCK_WARNING);
	json_put_int(t, "stuck_error", DEENROLL_STUCK_ERROR);
	json_put_int(t, "avg_duration_max_ms", DEENROLL_AVG_DURATION_MAX_MS);
	json_object_object_add(o, "thresholds", t);
	json_object_object_add(o, "clients", a);
	return o;
}

/* The run request's body: one optional field. */
static const char *
uuid_problem(const char *s, size_t len, void *ctx)
{
	(void)len;
	(void)ctx;
	return lead_uuid_valid(s) ? NULL : "must be a client's id (a uuid)";
}

static const struct field run_fields[] = {
	{ "client_id", FIELD_STRING, NULL, 36,
	    "must be a client's id (a uuid)", false, uuid_problem },
};

static const struct field_table run_table = {
	run_fields, sizeof(run_fields) / sizeof(run_fields[0]),
	"is not a field of a run request (only client_id)"
};

static const char *
run_accept(void *ctx, size_t f, size_t member, json_object *val,
    const char *s, size_t len, char *msg, size_t msgsz)
{
	char	*client_id = ctx;

	(void)f;
	(void)member;
	(void)val;
	(void)msg;
	(void)msgsz;
	snprintf(client_id, 37, "%.*s", (int)len, s);
	return NULL;
}

json_object *
deenroll_request_parse(const char *body, size_t len, char client_id[37])
{
	struct json_body	 jb;
	json_object		*errors;
	char			 why[256];

	client_id[0] = '\0';
	if (json_body_parse(&jb, body, len, 4, why, sizeof(why)) != 0) {
		json_body_free(&jb);
		errors = json_object_new_array();
		fields_error(errors, "body", why);
		return event_error_body("the body is not valid JSON", errors);
	}
	if (!json_object_is_type(jb.root, json_type_object)) {
		json_body_free(&jb);
		errors = json_object_new_array();
		fields_error(errors, "body", "must be a JSON object: {} or "
		    "{\"client_id\": \"<uuid>\"}");
		return event_error_body("the body must be a JSON object",
		    errors);
	}
	errors = json_object_new_array();
	if (!fields_check(&run_table, jb.root, jb.part, run_accept, client_id,
	    errors)) {
		json_body_free(&jb);
		client_id[0] = '\0';
		return event_error_body("invalid run request", errors);
	}
	json_object_put(errors);
	json_body_free(&jb);
	return NULL;
}
