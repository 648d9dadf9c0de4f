/* activity: parse, check and store lead events (see activity.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "activity.h"
#include "db_activity.h"
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

/* The event as log_activity_batch() reads it, sent by the key who.
 * Caller frees. */
static json_object *
event_row(const struct event *ev, const char *client_id,
    const struct apikey_identity *who)
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
	if (who->key_id[0] != '\0')
		json_object_object_add(row, "api_key_id",
		    json_object_new_string(who->key_id));
	/* Only a test key's rows carry the flag (absent is live), so a live
	 * batch is the bytes it always was. */
	if (who->is_test)
		json_object_object_add(row, "is_test",
		    json_object_new_boolean(1));
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
	json_object_array_add(rows, event_row(&ev, client, who));
	it->row = (int)json_object_array_length(rows);
	return DB_OK;
}

int
activity_store_direct(void *arg, const char *rows, size_t nrows,
    long long *ids, int *dups)
{
	struct db	*db = arg;
	int		 rc = DB_ERROR, attempt;

	/* A deadlock between two batches is retried, not reported. */
	for (attempt = 0; attempt < 3; attempt++)
		if ((rc = db_activity_log_batch(db, rows, nrows, ids,
		    dups)) != DB_RETRY)
			break;
	if (rc != DB_OK)
		log_warn("log_activity_batch: %s: %s", db_status_text(rc),
		    db->error);
	return rc;
}

/* Each event's fate, from the checks (items) and the store (ids, dups). */
static void
fill_fates(struct activity_result *out, struct item *items,
    const long long *ids, const int *dups)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		struct activity_event *e = &out->events[i];

		if (items[i].row == 0) {
			e->fate = ACTIVITY_REFUSED;
			e->errors = json_object_get(items[i].errors);
			out->refused++;
		} else if (dups[items[i].row]) {
			e->fate = ACTIVITY_DUPLICATE;
			e->id = ids[items[i].row];
			out->duplicates++;
		} else {
			e->fate = ACTIVITY_STORED;
			e->id = ids[items[i].row];
			out->stored++;
		}
	}
}

static enum activity_verdict
verdict(struct activity_result *out, enum activity_verdict v,
    const char *message)
{
	out->verdict = v;
	if (message != NULL)
		snprintf(out->message, sizeof(out->message), "%s", message);
	return v;
}

long long
activity_result_first_id(const struct activity_result *r)
{
	size_t i;

	for (i = 0; r->verdict == ACTIVITY_DONE && i < r->n; i++)
		if (r->events[i].fate != ACTIVITY_REFUSED)
			return r->events[i].id;
	return 0;
}

void
activity_result_free(struct activity_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n && r->events != NULL; i++)
		json_object_put(r->events[i].errors);
	free(r->events);
	r->events = NULL;
	r->n = 0;
}

enum activity_verdict
activity_ingest(struct db *db, struct catalog *cat,
    const struct activity_store *store, const struct apikey_identity *who,
    const char *body, size_t len, struct activity_result *out)
{
	static struct item	 no_items[1];
	struct json_body	 jb;
	json_object		*root, *rows = NULL;
	const char		*problem;
	struct item		*items = no_items;
	long long		*ids = NULL;
	int			*dups = NULL;
	size_t			 n = 0, i;
	int64_t			 now = now_usec();
	int			 rc = DB_OK;

	memset(out, 0, sizeof(*out));
	if (json_body_parse(&jb, body, len, ACTIVITY_MAX_DEPTH, out->message,
	    sizeof(out->message)) != 0)
		return verdict(out, ACTIVITY_BAD_BODY, NULL);
	root = jb.root;
	out->batch = json_object_is_type(root, json_type_array);
	if (!out->batch && !json_object_is_type(root, json_type_object)) {
		verdict(out, ACTIVITY_BAD_BODY, "the body must be an event "
		    "object or an array of them");
		goto out;
	}
	/* One event: a problem anywhere in it refuses it, as the body. */
	if (!out->batch && (problem = json_body_problem(&jb)) != NULL) {
		verdict(out, ACTIVITY_BAD_BODY, problem);
		goto out;
	}
	n = out->batch ? json_object_array_length(root) : 1;
	if (out->batch && n == 0) {
		verdict(out, ACTIVITY_BAD_BODY, "the batch is empty");
		goto out;
	}
	if (n > ACTIVITY_MAX_BATCH) {
		verdict(out, ACTIVITY_TOO_MANY, "a batch holds at most 1000 "
		    "events");
		goto out;
	}
	items = calloc(n, sizeof(*items));
	ids = calloc(n + 1, sizeof(*ids));
	dups = calloc(n + 1, sizeof(*dups));
	out->events = calloc(n, sizeof(*out->events));
	rows = json_object_new_array_ext((int)n);
	if (items == NULL || ids == NULL || dups == NULL ||
	    out->events == NULL) {
		verdict(out, ACTIVITY_NO_MEMORY, "out of memory");
		goto out;
	}
	for (i = 0; i < n && rc == DB_OK; i++)
		rc = check_item(db, cat, who, out->batch ?
		    json_object_array_get_idx(root, i) : root,
		    out->batch ? 0 : len,
		    out->batch ? jb.part[i].problem : NULL, now, &items[i],
		    rows);
	if (rc == DB_OK && json_object_array_length(rows) > 0)
		rc = store->store(store->arg, json_object_to_json_string_ext(
		    rows, JSON_C_TO_STRING_PLAIN),
		    json_object_array_length(rows), ids, dups);
	if (rc != DB_OK) {
		out->db_rc = rc;
		verdict(out, ACTIVITY_DB_FAILED, NULL);
	} else {
		out->n = n;
		fill_fates(out, items, ids, dups);
		verdict(out, ACTIVITY_DONE, NULL);
	}
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
	return out->verdict;
}
