/* activity: parse, check and store lead events (see activity.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "activity.h"
#include "event.h"
#include "json_body.h"
#include "log.h"
#include "validate.h"

/* One event of the body, as it goes through the checks. */
struct item {
	json_object	*errors;	/* array; empty if the event is valid */
	int		 row;		/* its ordinal in the stored batch, or 0 */
};

static int64_t
now_usec(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/*
 * The client an event belongs to: the key's client if the key is bound to
 * one, else the event's client_id, else the "default" client. Appends an
 * error and returns NULL if there is none. *rc reports database trouble.
 */
static const char *
resolve_client(struct db *db, struct catalog *cat,
    const struct apikey_identity *who, const struct event *ev,
    json_object *errors, int *rc)
{
	const char *named = ev->text[EVF_CLIENT_ID], *id;

	*rc = DB_OK;
	if (who->client_id[0] != '\0') {
		if (named == NULL)
			return who->client_id;
		id = catalog_client_id(db, cat, named, rc);
		if (*rc == DB_OK && (id == NULL ||
		    strcmp(id, who->client_id) != 0)) {
			event_error(errors, "client_id",
			    "this API key may only log events of its own "
			    "client");
			return NULL;
		}
		return id;
	}
	id = catalog_client_id(db, cat, named ? named : "default", rc);
	if (*rc == DB_OK && id == NULL)
		event_error(errors, "client_id", named ? "is not a known client"
		    : "is required (there is no default client)");
	return id;
}

/* The event as log_activity_batch() reads it. Caller frees. */
static json_object *
event_row(const struct event *ev, const char *client_id, const char *key_id)
{
	static const enum event_field copied[] = { EVF_LEAD_ID,
	    EVF_EVENT_TYPE, EVF_SOURCE, EVF_EXECUTION_ID, EVF_CHANNEL,
	    EVF_MESSAGE };
	json_object	*row = json_object_new_object();
	char		 when[RFC3339_BUFSZ], key[80];
	const char	*idem;
	size_t		 i;

	json_object_object_add(row, "client_id",
	    json_object_new_string(client_id));
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (ev->text[copied[i]] != NULL)
			json_object_object_add(row,
			    event_field_name(copied[i]),
			    json_object_new_string(ev->text[copied[i]]));
	if (ev->text[EVF_OCCURRED_AT] != NULL) {
		rfc3339_format(ev->occurred_usec, when);
		json_object_object_add(row, "occurred_at",
		    json_object_new_string(when));
	}
	if ((idem = event_idempotency_key(ev, key, sizeof(key))) != NULL)
		json_object_object_add(row, "idempotency_key",
		    json_object_new_string(idem));
	if (ev->metadata != NULL)
		json_object_object_add(row, "metadata",
		    json_object_get(ev->metadata));
	if (key_id[0] != '\0')
		json_object_object_add(row, "api_key_id",
		    json_object_new_string(key_id));
	return row;
}

/* Check one element (size: its body's bytes if it is the whole body, else
 * 0; problem: what json_body found in its text, or NULL); on success
 * append its row to rows. */
static int
check_item(struct db *db, struct catalog *cat,
    const struct apikey_identity *who, json_object *obj, size_t size,
    const char *problem, int64_t now, struct item *it, json_object *rows)
{
	struct event	 ev;
	const char	*client;
	int		 rc = DB_OK;
	bool		 valid;

	it->errors = json_object_new_array();
	it->row = 0;
	/* json-c altered what was sent (or kept one of a repeated name):
	 * the parsed value is not the event, so nothing else is checked. */
	if (problem != NULL) {
		event_error(it->errors, "event", problem);
		return DB_OK;
	}
	/* The size that counts is the event's serialized JSON. A body of at
	 * most half the limit cannot serialize past it (escaping at most
	 * doubles a character), so only larger ones are measured. */
	if ((size == 0 || size > EVENT_MAX_BYTES / 2) &&
	    json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN,
	    &size) == NULL)
		size = 0;
	if (size > EVENT_MAX_BYTES) {
		event_error(it->errors, "event", "is larger than 64 KiB");
		return DB_OK;
	}
	/* Report every problem at once: catalog checks run on whatever
	 * fields passed, even when others did not. */
	valid = event_check(obj, now, &ev, it->errors);
	if (ev.text[EVF_EVENT_TYPE] != NULL &&
	    !catalog_has_event_type(db, cat, ev.text[EVF_EVENT_TYPE], &rc)) {
		if (rc != DB_OK)
			return rc;
		event_error(it->errors, "event_type",
		    "is not a known event type");
		valid = false;
	}
	client = resolve_client(db, cat, who, &ev, it->errors, &rc);
	if (rc != DB_OK)
		return rc;
	if (!valid || client == NULL)
		return DB_OK;
	json_object_array_add(rows, event_row(&ev, client, who->key_id));
	it->row = (int)json_object_array_length(rows);
	return DB_OK;
}

int
activity_store_direct(void *arg, const char *rows, size_t nrows,
    long long *ids, int *dups)
{
	struct db	*db = arg;
	const char	*params[1] = { rows };
	PGresult	*res = NULL;
	int		 rc = DB_ERROR, attempt, i, n;

	/* A deadlock between two batches is retried, not reported. */
	for (attempt = 0; attempt < 3; attempt++)
		if ((rc = db_exec(db, STMT_LOG_BATCH, params, &res)) !=
		    DB_RETRY)
			break;
	if (rc != DB_OK) {
		log_warn("log_activity_batch: %s: %s", db_status_text(rc),
		    db->error);
		return rc;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		long row = strtol(PQgetvalue(res, i, 0), NULL, 10);

		if (row < 1 || (size_t)row > nrows)
			continue;
		ids[row] = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		dups[row] = PQgetvalue(res, i, 2)[0] == 't';
	}
	PQclear(res);
	return DB_OK;
}

static json_object *
db_failure(int rc, int *status)
{
	if (rc == DB_UNAVAILABLE) {
		*status = 503;
		return event_error_body("database unavailable; retry later", NULL);
	}
	if (rc == DB_BAD_INPUT) {
		*status = 400;
		return event_error_body("the database refused a value of the event",
		    NULL);
	}
	*status = 500;
	return event_error_body("internal error", NULL);
}

static json_object *
single_answer(struct item *it, long long id, int dup, int *status)
{
	json_object *obj;

	if (it->row == 0) {
		*status = 400;
		return event_error_body("invalid event", json_object_get(it->errors));
	}
	obj = json_object_new_object();
	*status = dup ? 200 : 201;
	json_object_object_add(obj, "status",
	    json_object_new_string(dup ? "duplicate" : "created"));
	json_object_object_add(obj, "id", json_object_new_int64(id));
	json_object_object_add(obj, "duplicate", json_object_new_boolean(dup));
	return obj;
}

static json_object *
batch_answer(struct item *items, size_t n, long long *ids, int *dups,
    int *status)
{
	json_object	*obj = json_object_new_object();
	json_object	*results = json_object_new_array();
	json_object	*rejected = json_object_new_array();
	int		 accepted = 0, duplicates = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "index", json_object_new_int((int)i));
		if (items[i].row == 0) {
			json_object_object_add(r, "errors",
			    json_object_get(items[i].errors));
			json_object_array_add(rejected, r);
			continue;
		}
		json_object_object_add(r, "id",
		    json_object_new_int64(ids[items[i].row]));
		json_object_object_add(r, "duplicate",
		    json_object_new_boolean(dups[items[i].row]));
		json_object_array_add(results, r);
		if (dups[items[i].row])
			duplicates++;
		else
			accepted++;
	}
	if (accepted + duplicates == 0) {
		*status = 400;
		json_object_object_add(obj, "error",
		    json_object_new_string("no valid events in the batch"));
	} else if (json_object_array_length(rejected) > 0)
		*status = 207;
	else
		*status = accepted > 0 ? 201 : 200;
	json_object_object_add(obj, "received", json_object_new_int((int)n));
	json_object_object_add(obj, "accepted", json_object_new_int(accepted));
	json_object_object_add(obj, "duplicates",
	    json_object_new_int(duplicates));
	json_object_object_add(obj, "rejected", json_object_new_int(
	    (int)json_object_array_length(rejected)));
	json_object_object_add(obj, "results", results);
	json_object_object_add(obj, "errors", rejected);
	return obj;
}

json_object *
activity_ingest(struct db *db, struct catalog *cat,
    const struct activity_store *store, const struct apikey_identity *who,
    const char *body, size_t len,
    int *status)
{
	static struct item	 no_items[1];
	struct json_body	 jb;
	json_object		*root, *rows = NULL, *answer = NULL;
	const char		*problem;
	char			 why[160];
	struct item		*items = no_items;
	long long		*ids = NULL;
	int			*dups = NULL;
	size_t			 n = 0, i;
	bool			 batch;
	int64_t			 now = now_usec();
	int			 rc = DB_OK;

	if (json_body_parse(&jb, body, len, ACTIVITY_MAX_DEPTH, why,
	    sizeof(why)) != 0) {
		*status = 400;
		return event_error_body(why, NULL);
	}
	root = jb.root;
	batch = json_object_is_type(root, json_type_array);
	if (!batch && !json_object_is_type(root, json_type_object)) {
		*status = 400;
		answer = event_error_body("the body must be an event object or an "
		    "array of them", NULL);
		goto out;
	}
	/* One event: a problem anywhere in it refuses it, as the body. */
	if (!batch && (problem = json_body_problem(&jb)) != NULL) {
		*status = 400;
		answer = event_error_body(problem, NULL);
		goto out;
	}
	n = batch ? json_object_array_length(root) : 1;
	if (batch && n == 0) {
		*status = 400;
		answer = event_error_body("the batch is empty", NULL);
		goto out;
	}
	if (n > ACTIVITY_MAX_BATCH) {
		*status = 413;
		answer = event_error_body("a batch holds at most 1000 events", NULL);
		goto out;
	}
	items = calloc(n, sizeof(*items));
	ids = calloc(n + 1, sizeof(*ids));
	dups = calloc(n + 1, sizeof(*dups));
	rows = json_object_new_array_ext((int)n);
	if (items == NULL || ids == NULL || dups == NULL) {
		*status = 500;
		answer = event_error_body("out of memory", NULL);
		goto out;
	}
	for (i = 0; i < n && rc == DB_OK; i++)
		rc = check_item(db, cat, who, batch ?
		    json_object_array_get_idx(root, i) : root, batch ? 0 : len,
		    batch ? jb.part[i].problem : NULL, now, &items[i], rows);
	if (rc == DB_OK && json_object_array_length(rows) > 0)
		rc = store->store(store->arg, json_object_to_json_string_ext(
		    rows, JSON_C_TO_STRING_PLAIN),
		    json_object_array_length(rows), ids, dups);
	if (rc != DB_OK)
		answer = db_failure(rc, status);
	else if (batch)
		answer = batch_answer(items, n, ids, dups, status);
	else
		answer = single_answer(&items[0], ids[1], dups[1], status);
out:
	if (items != no_items) {
		for (i = 0; i < n; i++)
			json_object_put(items[i].errors);
		free(items);
	}
	free(ids);
	free(dups);
	json_object_put(rows);
	json_body_free(&jb);
	return answer;
}
