/*
 * api.fcgi: the JSON API that n8n workflows and monitors call.
 *
 *   POST /api/internal/log-activity     x-api-key; one event or an array
 *   POST /api/internal/retry-queue      x-api-key; a failed event to replay
 *   GET  /api/internal/activity-health  the SOP's health figures
 *   POST /api/internal/de-enrollment/run     x-api-key; run de-enrollment now
 *   GET  /api/internal/de-enrollment/health  x-api-key; its health, judged
 *   POST /api/webhooks/sendgrid         SendGrid's signature; its events
 *   POST /api/internal/nurture/enroll   x-api-key; leads into a nurture campaign
 *   GET  /health, /readyz               database readiness
 *   GET  /healthz                       liveness (no database)
 *   GET  /metrics                       Prometheus text; loopback or token
 *
 * Each request goes through the same pipeline: route, method, key, content
 * type and size, then one short database transaction, then the answer.
 * docs/api.md lists every status code each route can answer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activity.h"
#include "apikey.h"
#include "catalog.h"
#include "config.h"
#include "deenroll.h"
#include "event.h"
#include "db.h"
#include "fcgi_server.h"
#include "group_commit.h"
#include "health.h"
#include "log.h"
#include "metrics_report.h"
#include "nurture_events.h"
#include "nurture_intake.h"
#include "prom.h"
#include "retry_intake.h"
#include "sendgrid_signature.h"

/* Shared by the workers: the group committer that stores their events. */
static struct activity_store store;

/* What each worker thread owns for the life of the process. */
struct api_worker {
	struct db		db;
	struct catalog		catalog;
	struct apikey_cache	keys;
};

enum route {
	ROUTE_LOG_ACTIVITY,
	ROUTE_RETRY_QUEUE,
	ROUTE_ACTIVITY_HEALTH,
	ROUTE_DEENROLL_RUN,
	ROUTE_DEENROLL_HEALTH,
	ROUTE_SENDGRID_EVENTS,
	ROUTE_NURTURE_ENROLL,
	ROUTE_HEALTH,
	ROUTE_READYZ,
	ROUTE_HEALTHZ,
	ROUTE_METRICS,
	ROUTE__MAX
};

typedef void (*handler)(struct api_worker *, struct http_request *);

static void	log_activity(struct api_worker *, struct http_request *);
static void	retry_queue(struct api_worker *, struct http_request *);
static void	activity_health(struct api_worker *, struct http_request *);
static void	deenroll_run_now(struct api_worker *, struct http_request *);
static void	deenroll_health(struct api_worker *, struct http_request *);
static void	sendgrid_events(struct api_worker *, struct http_request *);
static void	nurture_enroll_now(struct api_worker *, struct http_request *);
static void	ready(struct api_worker *, struct http_request *);
static void	alive(struct api_worker *, struct http_request *);
static void	metrics_page(struct api_worker *, struct http_request *);

static const struct {
	const char	*path;
	const char	*method;
	handler		 handle;
} routes[ROUTE__MAX] = {
	[ROUTE_LOG_ACTIVITY] =	 { "/api/internal/log-activity", "POST", log_activity },
	[ROUTE_RETRY_QUEUE] =	 { "/api/internal/retry-queue", "POST", retry_queue },
	[ROUTE_ACTIVITY_HEALTH] = { "/api/internal/activity-health", "GET", activity_health },
	[ROUTE_DEENROLL_RUN] =	 { "/api/internal/de-enrollment/run", "POST", deenroll_run_now },
	[ROUTE_DEENROLL_HEALTH] = { "/api/internal/de-enrollment/health", "GET", deenroll_health },
	[ROUTE_SENDGRID_EVENTS] = { "/api/webhooks/sendgrid", "POST", sendgrid_events },
	[ROUTE_NURTURE_ENROLL] = { "/api/internal/nurture/enroll", "POST", nurture_enroll_now },
	[ROUTE_HEALTH] =	 { "/health", "GET", ready },
	[ROUTE_READYZ] =	 { "/readyz", "GET", ready },
	[ROUTE_HEALTHZ] =	 { "/healthz", "GET", alive },
	[ROUTE_METRICS] =	 { "/metrics", "GET", metrics_page },
};

static void
send_and_free(struct http_request *req, int status, json_object *obj)
{
	http_send_json(req, status, status == 503 ? "Retry-After: 5\r\n" : NULL,
	    obj);
	json_object_put(obj);
}

/* The key: true with *who filled, or false having answered 401 or 503. */
static bool
authenticate(struct api_worker *w, struct http_request *req,
    struct apikey_identity *who)
{
	int rc;

	rc = apikey_authenticate(&w->db, &w->keys, req->api_key, who);
	if (rc == APIKEY_MISSING) {
		http_send_error(req, 401, "missing x-api-key header", NULL);
		return false;
	}
	if (rc == APIKEY_INVALID) {
		log_warn("rejected an invalid API key from %s",
		    req->remote_addr);
		http_send_error(req, 401, "invalid API key", NULL);
		return false;
	}
	if (rc != APIKEY_OK) {
		http_send_error(req, 503, "database unavailable; retry later",
		    NULL);
		return false;
	}
	return true;
}

/*
 * The steps every JSON POST takes after its route and method: the key,
 * the content type, the length, the body (in req->body). Returns true with
 * *who filled, or false having answered 401, 415, 411, 413, 400 or 503.
 */
static bool
read_json_post(struct api_worker *w, struct http_request *req,
    struct apikey_identity *who)
{
	if (!authenticate(w, req, who))
		return false;
	if (!http_is_json(req)) {
		http_send_error(req, 415, "Content-Type must be "
		    "application/json", NULL);
		return false;
	}
	switch (http_read_body(req, ACTIVITY_MAX_BODY)) {
	case 0:
		return true;
	case 411:
		http_send_error(req, 411, "a JSON body is required", NULL);
		return false;
	case 413:
		http_send_error(req, 413, "the body is larger than 1 MiB",
		    NULL);
		return false;
	default:
		http_send_error(req, 400, "the body could not be read", NULL);
		return false;
	}
}

/* A batch's answer: each event's fate by index; 207 when some were
 * refused, 400 when none was stored or found stored before. */
static json_object *
batch_answer(const struct activity_result *r, int *status)
{
	json_object	*obj = json_object_new_object();
	json_object	*results = json_object_new_array();
	json_object	*rejected = json_object_new_array();
	size_t		 i;

	for (i = 0; i < r->n; i++) {
		const struct activity_event *e = &r->events[i];
		json_object *one = json_object_new_object();

		json_object_object_add(one, "index",
		    json_object_new_int((int)i));
		if (e->fate == ACTIVITY_REFUSED) {
			json_object_object_add(one, "errors",
			    json_object_get(e->errors));
			json_object_array_add(rejected, one);
			continue;
		}
		json_object_object_add(one, "id", json_object_new_int64(e->id));
		json_object_object_add(one, "duplicate", json_object_new_boolean(
		    e->fate == ACTIVITY_DUPLICATE));
		json_object_array_add(results, one);
	}
	if (r->stored + r->duplicates == 0) {
		*status = 400;
		json_object_object_add(obj, "error",
		    json_object_new_string("no valid events in the batch"));
	} else
		*status = r->refused > 0 ? 207 : r->stored > 0 ? 201 : 200;
	json_object_object_add(obj, "received", json_object_new_int((int)r->n));
	json_object_object_add(obj, "accepted",
	    json_object_new_int((int)r->stored));
	json_object_object_add(obj, "duplicates",
	    json_object_new_int((int)r->duplicates));
	json_object_object_add(obj, "rejected",
	    json_object_new_int((int)r->refused));
	json_object_object_add(obj, "results", results);
	json_object_object_add(obj, "errors", rejected);
	return obj;
}

/* One event's answer: 201 created, 200 duplicate, 400 with its errors. */
static json_object *
single_answer(const struct activity_event *e, int *status)
{
	json_object *obj;

	if (e->fate == ACTIVITY_REFUSED) {
		*status = 400;
		return event_error_body("invalid event",
		    json_object_get(e->errors));
	}
	obj = json_object_new_object();
	*status = e->fate == ACTIVITY_DUPLICATE ? 200 : 201;
	json_object_object_add(obj, "status", json_object_new_string(
	    e->fate == ACTIVITY_DUPLICATE ? "duplicate" : "created"));
	json_object_object_add(obj, "id", json_object_new_int64(e->id));
	json_object_object_add(obj, "duplicate", json_object_new_boolean(
	    e->fate == ACTIVITY_DUPLICATE));
	return obj;
}

/* An ingest's outcome as the API answers it (the caller frees it). */
static json_object *
activity_answer(const struct activity_result *r, int *status)
{
	switch (r->verdict) {
	case ACTIVITY_DONE:
		return r->batch ? batch_answer(r, status) :
		    single_answer(&r->events[0], status);
	case ACTIVITY_BAD_BODY:
		*status = 400;
		return event_error_body(r->message, NULL);
	case ACTIVITY_TOO_MANY:
		*status = 413;
		return event_error_body(r->message, NULL);
	case ACTIVITY_DB_FAILED:
		if (r->db_rc == DB_UNAVAILABLE) {
			*status = 503;
			return event_error_body("database unavailable; retry "
			    "later", NULL);
		}
		if (r->db_rc == DB_BAD_INPUT) {
			*status = 400;
			return event_error_body("the database refused a value "
			    "of the event", NULL);
		}
		break;
	case ACTIVITY_NO_MEMORY:
		break;
	}
	*status = 500;
	return event_error_body(r->verdict == ACTIVITY_NO_MEMORY ?
	    "out of memory" : "internal error", NULL);
}

/*
 * POST /api/internal/log-activity: 201 stored, 200 duplicate, 207 batch
 * partly rejected, 400 invalid, 401 key, 411/413 length, 415 type, 503.
 */
static void
log_activity(struct api_worker *w, struct http_request *req)
{
	struct apikey_identity	 who;
	struct activity_result	 result;
	json_object		*answer;
	int			 status;

	if (!read_json_post(w, req, &who))
		return;
	(void)activity_ingest(&w->db, &w->catalog, &store, &who,
	    req->body.data, req->body.len, &result);
	answer = activity_answer(&result, &status);
	activity_result_free(&result);
	/* A test key's events were stored marked test (sql 0018). */
	if (who.is_test && status < 300)
		json_object_object_add(answer, "test",
		    json_object_new_boolean(1));
	send_and_free(req, status, answer);
}

/* An intake's outcome as the API answers it (the caller frees it). */
static json_object *
retry_answer(const struct retry_intake_result *r, int *status)
{
	json_object *obj;

	switch (r->verdict) {
	case RETRY_QUEUED:
	case RETRY_DUPLICATE:
		obj = json_object_new_object();
		*status = r->verdict == RETRY_DUPLICATE ? 200 : 201;
		json_object_object_add(obj, "status", json_object_new_string(
		    r->verdict == RETRY_DUPLICATE ? "duplicate" : "queued"));
		json_object_object_add(obj, "id", json_object_new_int64(r->id));
		json_object_object_add(obj, "duplicate", json_object_new_boolean(
		    r->verdict == RETRY_DUPLICATE));
		return obj;
	case RETRY_REFUSED:
		*status = 400;
		return event_error_body(r->message, json_object_get(r->errors));
	case RETRY_DB_FAILED:
		if (r->db_rc == DB_UNAVAILABLE) {
			*status = 503;
			return event_error_body("database unavailable; retry "
			    "later", NULL);
		}
		if (r->db_rc == DB_BAD_INPUT) {
			*status = 400;
			return event_error_body("the database refused a value "
			    "of the entry", NULL);
		}
		break;
	}
	*status = 500;
	return event_error_body("internal error", NULL);
}

/*
 * POST /api/internal/retry-queue: 201 queued, 200 already queued, 400
 * invalid envelope, 401 key, 411/413 length, 415 type, 503.
 */
static void
retry_queue(struct api_worker *w, struct http_request *req)
{
	struct apikey_identity		 who;
	struct retry_intake_result	 result;
	json_object			*answer;
	int				 status;

	if (!read_json_post(w, req, &who))
		return;
	(void)retry_intake(&w->db, &who, req->body.data, req->body.len,
	    &result);
	answer = retry_answer(&result, &status);
	retry_intake_result_free(&result);
	/* Queued marked test: its replay logs it as test (sql 0018). */
	if (who.is_test && status < 300)
		json_object_object_add(answer, "test",
		    json_object_new_boolean(1));
	send_and_free(req, status, answer);
}

/* The 503 of the health routes: the database could not be read. */
static json_object *
unavailable_answer(void)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "status",
	    json_object_new_string("unavailable"));
	json_object_object_add(obj, "error",
	    json_object_new_string("database unavailable"));
	return obj;
}


/* GET /api/internal/activity-health: 200, or 503 without a database. */
static void
activity_health(struct api_worker *w, struct http_request *req)
{
	struct health_report h;

	if (health_activity(&w->db, &h) != DB_OK)
		send_and_free(req, 503, unavailable_answer());
	else
		send_and_free(req, 200, health_report_json(&h));
}

#define DEENROLL_MAX_BODY	4096

/* The client a run or health request is about: the body's (run) or
 * none, narrowed to the key's own client for a key bound to one. Returns
 * true, or false having answered 403 or 404 (or 503). */
static bool
deenroll_client(struct api_worker *w, struct http_request *req,
    const struct apikey_identity *who, char client_id[37])
{
	int rc;

	if (who->client_id[0] != '\0') {
		if (client_id[0] != '\0' &&
		    strcmp(client_id, who->client_id) != 0) {
			http_send_error(req, 403, "this API key may only run "
			    "its own client", NULL);
			return false;
		}
		snprintf(client_id, 37, "%s", who->client_id);
	}
	if (client_id[0] == '\0')
		return true;
	if ((rc = deenroll_client_exists(&w->db, client_id)) < 0) {
		http_send_error(req, 503, "database unavailable; retry later",
		    NULL);
		return false;
	}
	if (rc == 0) {
		http_send_error(req, 404, "no such client", NULL);
		return false;
	}
	return true;
}

/*
 * POST /api/internal/de-enrollment/run: de-enrollment now, for every
 * client with campaigns or the body's {"client_id"} (a key bound to a
 * client: that one), synchronously, for at most
 * DE_ENROLLMENT_API_MAX_RUNTIME ms (50 s: nginx waits 60), then 'partial'.
 * 200 with each client's run (a failed client is in the answer, not an
 * error), 400 bad body, 401 key, 403 another client's, 404 no such
 * client, 413 length, 415 type, 503.
 */
static void
deenroll_run_now(struct api_worker *w, struct http_request *req)
{
	struct apikey_identity	 who;
	struct deenroll_options	 opts;
	struct deenroll_report	 rep;
	char			 client_id[37] = "", prefix[APIKEY_PREFIX_LEN + 1];
	char			 by[64];
	json_object		*bad;

	if (!authenticate(w, req, &who))
		return;
	/* No body (nginx passes an absent length as ""): every client. */
	if (req->content_length != NULL && *req->content_length != '\0' &&
	    strcmp(req->content_length, "0") != 0) {
		if (!http_is_json(req)) {
			http_send_error(req, 415, "Content-Type must be "
			    "application/json", NULL);
			return;
		}
		switch (http_read_body(req, DEENROLL_MAX_BODY)) {
		case 0:
			break;
		case 413:
			http_send_error(req, 413, "the body is larger than "
			    "4 KiB", NULL);
			return;
		default:
			http_send_error(req, 400, "the body could not be read",
			    NULL);
			return;
		}
		if ((bad = deenroll_request_parse(req->body.data,
		    req->body.len, client_id)) != NULL) {
			send_and_free(req, 400, bad);
			return;
		}
	}
	if (!deenroll_client(w, req, &who, client_id))
		return;
	memset(&opts, 0, sizeof(opts));
	opts.client_id = client_id[0] != '\0' ? client_id : NULL;
	opts.max_runtime_ms = config_get_long("DE_ENROLLMENT_API_MAX_RUNTIME",
	    50000, 1, 3600000);
	if (opts.max_runtime_ms > deenroll_max_runtime())
		opts.max_runtime_ms = deenroll_max_runtime();
	if (apikey_prefix(req->api_key, prefix) != 0)
		snprintf(prefix, sizeof(prefix), "?");
	snprintf(by, sizeof(by), "api:key %s", prefix);
	opts.triggered_by = by;
	if (deenroll_run(&w->db, &opts, &rep) != DB_OK) {
		deenroll_report_free(&rep);
		send_and_free(req, 503, unavailable_answer());
		return;
	}
	send_and_free(req, 200, deenroll_report_json(&rep, false));
	deenroll_report_free(&rep);
}

/*
 * GET /api/internal/de-enrollment/health: each client's health (a key
 * bound to a client: its own) judged by the SOP's thresholds, and the
 * overall level. 200 (whatever the level), 401 key, 503.
 */
static void
deenroll_health(struct api_worker *w, struct http_request *req)
{
	struct apikey_identity	 who;
	struct deenroll_health	 h;

	if (!authenticate(w, req, &who))
		return;
	if (deenroll_health_read(&w->db, who.client_id[0] != '\0' ?
	    who.client_id : NULL, &h) != DB_OK) {
		deenroll_health_free(&h);
		send_and_free(req, 503, unavailable_answer());
		return;
	}
	send_and_free(req, 200, deenroll_health_json(&h));
	deenroll_health_free(&h);
}

/* A FastCGI parameter of the request (a header: "HTTP_X_…"), or NULL. */
static const char *
request_param(struct http_request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

/* The header a signature problem is about, for the 401's errors. */
static const char *
signature_field(enum sendgrid_sig_status st)
{
	switch (st) {
	case SENDGRID_SIG_NO_KEY:
	case SENDGRID_SIG_BAD_KEY:
		return "SENDGRID_WEBHOOK_PUBLIC_KEY";
	case SENDGRID_SIG_BAD_TIMESTAMP:
	case SENDGRID_SIG_STALE:
	case SENDGRID_SIG_FUTURE:
		return "X-Twilio-Email-Event-Webhook-Timestamp";
	default:
		return "X-Twilio-Email-Event-Webhook-Signature";
	}
}

/* Is the post signed by SendGrid's key (SENDGRID_WEBHOOK_PUBLIC_KEY),
 * recently (SENDGRID_WEBHOOK_MAX_AGE)? true, or false having answered
 * 401 naming the problem. */
static bool
sendgrid_signed(struct http_request *req)
{
	enum sendgrid_sig_status	 st;
	json_object			*errors;

	st = sendgrid_signature_verify(
	    config_get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
	    request_param(req, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE"),
	    request_param(req, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP"),
	    req->body.data, req->body.len, time(NULL),
	    config_get_long("SENDGRID_WEBHOOK_MAX_AGE", SENDGRID_SIG_MAX_AGE,
	    1, 7 * 86400));
	if (st == SENDGRID_SIG_OK)
		return true;
	if (st == SENDGRID_SIG_NO_KEY || st == SENDGRID_SIG_BAD_KEY)
		log_error("sendgrid webhook: %s",
		    sendgrid_signature_message(st));
	else
		log_warn("sendgrid webhook: refused a post from %s: %s",
		    req->remote_addr, sendgrid_signature_message(st));
	errors = json_object_new_array();
	event_error(errors, signature_field(st),
	    sendgrid_signature_message(st));
	send_and_free(req, 401, event_error_body(
	    sendgrid_signature_message(st), errors));
	return false;
}

/* A post's outcome as the API answers it (the caller frees it). */
static json_object *
sendgrid_answer(const struct nurture_events_result *r, int *status)
{
	json_object *obj;

	switch (r->verdict) {
	case NURTURE_EVENTS_STORED:
		*status = 200;
		obj = json_object_new_object();
		json_object_object_add(obj, "received",
		    json_object_new_int64(r->received));
		json_object_object_add(obj, "stored",
		    json_object_new_int64(r->stored));
		json_object_object_add(obj, "duplicates",
		    json_object_new_int64(r->duplicates));
		json_object_object_add(obj, "unknown_sends",
		    json_object_new_int64(r->unknown_sends));
		json_object_object_add(obj, "refused",
		    json_object_new_int64(r->refused));
		json_object_object_add(obj, "errors", r->errors != NULL ?
		    json_object_get(r->errors) : json_object_new_array());
		return obj;
	case NURTURE_EVENTS_BAD_BODY:
		*status = 400;
		return event_error_body(r->message, NULL);
	case NURTURE_EVENTS_DB_FAILED:
		/* SendGrid posts again on a 5xx: for a day. */
		if (r->db_rc == DB_UNAVAILABLE || r->db_rc == DB_RETRY) {
			*status = 503;
			return event_error_body("database unavailable; retry "
			    "later", NULL);
		}
		break;
	case NURTURE_EVENTS__MAX:
		break;
	}
	*status = 500;
	return event_error_body("internal error; nothing was stored", NULL);
}

/*
 * POST /api/webhooks/sendgrid: SendGrid's Event Webhook, a JSON array of
 * events. No API key (SendGrid cannot send ours): the signature is the
 * authentication, checked over the raw body before anything is parsed.
 * 200 with the counts once committed (an event refused alone is in
 * "errors"), 400 not a JSON array (nothing written), 401 unsigned, badly
 * signed, stale or future timestamp, no key configured (nothing
 * written), 411/413 length (1 MiB), 415 type, 503 database unavailable
 * (SendGrid retries), 500.
 */
static void
sendgrid_events(struct api_worker *w, struct http_request *req)
{
	struct nurture_events_result	 result;
	json_object			*answer;
	int				 status;

	if (!http_is_json(req)) {
		http_send_error(req, 415, "Content-Type must be "
		    "application/json", NULL);
		return;
	}
	switch (http_read_body(req, NURTURE_EVENTS_MAX_BODY)) {
	case 0:
		break;
	case 411:
		http_send_error(req, 411, "a JSON body is required", NULL);
		return;
	case 413:
		http_send_error(req, 413, "the body is larger than 1 MiB",
		    NULL);
		return;
	default:
		http_send_error(req, 400, "the body could not be read", NULL);
		return;
	}
	if (!sendgrid_signed(req))
		return;
	nurture_events_ingest(&w->db, req->body.data, req->body.len,
	    &result);
	answer = sendgrid_answer(&result, &status);
	nurture_events_result_free(&result);
	send_and_free(req, status, answer);
}

/* An enrolment refused as a whole: {"error", "errors": [{field,
 * message}]}. */
static void
nurture_refuse(struct http_request *req, int status, const char *field,
    const char *message)
{
	json_object *errors = json_object_new_array();

	event_error(errors, field, message);
	send_and_free(req, status, event_error_body(message, errors));
}

/*
 * POST /api/internal/nurture/enroll: leads (lead_ids, or external_ids of
 * the campaign's client) into a nurture campaign (nurture_intake.h), the
 * first step due start_at (or now) plus its delay. 201 when some lead was
 * enrolled, 200 when none was new (already in it, or refused), each with
 * {campaign_id, enrolled, already, refused}; 400 a bad body (every field
 * named, nothing written), 401 key, 403 another client's campaign (a key
 * bound to a client), 404 no such campaign, 409 the campaign is archived
 * or has no steps, 411, 413, 415, 503.
 */
static void
nurture_enroll_now(struct api_worker *w, struct http_request *req)
{
	struct apikey_identity		 who;
	struct nurture_enroll_request	 er;
	struct nurture_intake_result	 r;
	char				 prefix[APIKEY_PREFIX_LEN + 1], by[64];
	json_object			*bad, *obj;

	if (!read_json_post(w, req, &who))
		return;
	if ((bad = nurture_enroll_request_parse(req->body.data, req->body.len,
	    &er)) != NULL) {
		nurture_enroll_request_free(&er);
		send_and_free(req, 400, bad);
		return;
	}
	if (apikey_prefix(req->api_key, prefix) != 0)
		snprintf(prefix, sizeof(prefix), "?");
	snprintf(by, sizeof(by), "api:key %s", prefix);
	nurture_intake_enroll(&w->db, &er, who.client_id, by, &r);
	nurture_enroll_request_free(&er);
	switch (r.status) {
	case NURTURE_INTAKE_OK:
		break;
	case NURTURE_INTAKE_NO_CAMPAIGN:
		nurture_refuse(req, 404, "campaign_id", r.error);
		return;
	case NURTURE_INTAKE_OTHER_CLIENT:
		nurture_refuse(req, 403, "campaign_id", r.error);
		return;
	case NURTURE_INTAKE_CLOSED:
		nurture_refuse(req, 409, "campaign_id", r.error);
		return;
	case NURTURE_INTAKE_BAD_INPUT:
		nurture_refuse(req, 400, "start_at", r.error);
		return;
	default:
		log_error("nurture enroll: %s", r.error);
		http_send_error(req, 503, "database unavailable; retry later",
		    NULL);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "campaign_id",
	    json_object_new_string(er.campaign_id));
	json_object_object_add(obj, "enrolled",
	    json_object_new_int64(r.enrolled));
	json_object_object_add(obj, "already", json_object_new_int64(r.already));
	json_object_object_add(obj, "refused", json_object_new_int64(r.refused));
	send_and_free(req, r.enrolled > 0 ? 201 : 200, obj);
}

/* GET /health, /readyz: 200 if the database answers, else 503. */
static void
ready(struct api_worker *w, struct http_request *req)
{
	json_object *obj;

	if (health_ready(&w->db) != DB_OK) {
		send_and_free(req, 503, unavailable_answer());
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "status", json_object_new_string("ok"));
	json_object_object_add(obj, "database", json_object_new_string("ok"));
	send_and_free(req, 200, obj);
}

/* GET /healthz: 200 while the process serves requests. */
static void
alive(struct api_worker *w, struct http_request *req)
{
	json_object *obj = json_object_new_object();

	(void)w;
	json_object_object_add(obj, "status", json_object_new_string("ok"));
	send_and_free(req, 200, obj);
}

/*
 * GET /metrics: every program's counters and the database's figures
 * (docs/observability.md). 200; 403 to a client that is not loopback and
 * sent no token; 401 for a token that is not METRICS_TOKEN_SHA256's; 500
 * if the answer could not be built.
 */
static void
metrics_page(struct api_worker *w, struct http_request *req)
{
	struct buf	 out = BUF_INIT;

	switch (metrics_report_access(req->remote_addr, req->authorization)) {
	case METRICS_ACCESS_OK:
		break;
	case METRICS_ACCESS_REMOTE:
		http_send_error(req, 403, "/metrics is served to loopback, or "
		    "with the token: Authorization: Bearer TOKEN", NULL);
		return;
	default: {
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "error", json_object_new_string(
		    "invalid metrics token"));
		http_send_json(req, 401, "WWW-Authenticate: Bearer "
		    "realm=\"metrics\"\r\n", obj);
		json_object_put(obj);
		return;
	}
	}
	(void)metrics_report_write(&w->db, &out);
	http_send(req, 200, PROM_CONTENT_TYPE, NULL, &out);
	buf_free(&out);
}

static void
api_handle(void *ctx, struct http_request *req)
{
	struct api_worker	*w = ctx;
	int			 r;

	for (r = 0; r < ROUTE__MAX; r++)
		if (strcmp(req->path, routes[r].path) == 0)
			break;
	if (r == ROUTE__MAX) {
		http_send_error(req, 404, "no such endpoint", NULL);
		return;
	}
	req->route = routes[r].path;	/* the log's and the metrics' label */
	if (strcmp(req->method, routes[r].method) != 0 &&
	    !(strcmp(req->method, "HEAD") == 0 &&
	    strcmp(routes[r].method, "GET") == 0)) {
		json_object *obj = json_object_new_object();
		char allow[64];

		json_object_object_add(obj, "error", json_object_new_string(
		    "method not allowed"));
		snprintf(allow, sizeof(allow), "Allow: %s\r\n",
		    routes[r].method);
		http_send_json(req, 405, allow, obj);
		json_object_put(obj);
		return;
	}
	routes[r].handle(w, req);
	/* Whatever happened, the connection leaves the request clean. */
	db_rollback(&w->db);
}

static void *
api_worker_new(void)
{
	struct api_worker *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (db_open_app(&w->db) == -1) {
		free(w);
		return NULL;
	}
	w->keys.ttl = config_get_long("MINICRM_APIKEY_CACHE_SECONDS", 2, 0,
	    3600);
	return w;
}

static void
api_worker_free(void *ctx)
{
	struct api_worker *w = ctx;

	db_close(&w->db);
	catalog_free(&w->catalog);
	free(w);
}

/* Once, before the workers: start the committers they share. */
static int
api_init(void)
{
	const char	*url = config_get("MINICRM_APP_DATABASE_URL");
	long		 n = config_get_long("MINICRM_COMMITTERS", 2, 1, 16);

	if (url == NULL) {
		log_error("MINICRM_APP_DATABASE_URL is not set");
		return -1;
	}
	store.store = group_commit_store;
	store.arg = group_commit_start(url, (int)n, 5000);
	return store.arg == NULL ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct fcgi_app app = {
		"api.fcgi", api_init, api_worker_new, api_worker_free,
		api_handle, NULL, NULL, METRICS_API
	};

	return fcgi_server_main(&app, argc, argv);
}
