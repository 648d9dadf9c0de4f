/*
 * portal_retry_row: one retry-queue row — its payload pretty-printed,
 * where it came from, its attempts and error history — and what an admin
 * may do with it: replay it now, or discard it after a confirmation (the
 * row is kept, as discarded, never deleted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json_put.h"
#include "log.h"
#include "portal_retry.h"
#include "replay.h"

/* The row for a template. The caller owns the object. */
static json_object *
row_data(const struct db_retry_detail *r)
{
	json_object	*row = json_object_new_object(), *parsed;
	const char	*prefix = config_get("MINICRM_ROLE_PREFIX");
	char		 n8n_role[80];

	json_put_string(row, "id", r->id);
	json_put_string(row, "state", r->state);
	json_put_string(row, "payload", r->payload);
	json_put_string(row, "workflow", r->workflow);
	json_put_string(row, "execution_id", r->execution_id);
	json_put_string(row, "lead_id", r->lead_id);
	json_put_string(row, "event_type", r->event_type);
	json_put_string(row, "client", r->client);
	json_put_string(row, "key_name", r->key_name);
	json_put_string(row, "queued_error", r->queued_error);
	json_put_string(row, "error", r->error);
	json_put_string(row, "attempts", r->attempts);
	json_put_string(row, "created_at", r->created_at);
	json_put_string(row, "next_attempt_at", r->next_attempt_at);
	json_put_string(row, "done_at", r->done_at);
	json_put_string(row, "log_id", r->log_id);
	json_put_string(row, "discarded_at", r->discarded_at);
	json_put_string(row, "discarded_by", r->discarded_by);
	json_object_object_add(row, "direct_insert",
	    json_object_new_boolean(r->direct_insert));
	/* The instance's n8n role, which makes the direct INSERTs: named
	 * after its prefix (docs/operations.md, "Sharing a PostgreSQL
	 * server"), minicrm_n8n for the database minicrm. */
	snprintf(n8n_role, sizeof(n8n_role), "%s_n8n",
	    prefix != NULL && *prefix != '\0' ? prefix : "minicrm");
	json_put_string(row, "n8n_role", n8n_role);
	json_object_object_add(row, "due", json_object_new_boolean(r->due));
	json_object_object_add(row, "pending", json_object_new_boolean(
	    strcmp(r->state, "pending") == 0));
	json_object_object_add(row, "replayable", json_object_new_boolean(
	    retry_state_replayable(r->state)));
	/* The payload pretty-printed if it is JSON, else as it came. */
	if ((parsed = json_tokener_parse(r->payload)) != NULL) {
		json_put_string(row, "payload_pretty", json_object_to_json_string_ext(
		    parsed, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(parsed);
	} else
		json_object_object_add(row, "payload_not_json",
		    json_object_new_boolean(true));
	return row;
}

/* A row's failed attempts for the template. The caller owns the array. */
static json_object *
history_data(const struct db_retry_attempt *rows, size_t n)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *h = json_object_new_object();

		json_put_string(h, "attempt", rows[i].attempt);
		json_put_string(h, "at", rows[i].at);
		json_put_string(h, "error", rows[i].error);
		json_object_array_add(list, h);
	}
	return list;
}

/*
 * Load row v->arg[0] into a new page data object (the caller frees it).
 * Returns NULL having sent the answer: 404 no such row, 503/500.
 */
static json_object *
load_row(struct visit *v, bool history)
{
	struct db_retry_detail	*row;
	struct db_retry_attempt	*attempts;
	json_object		*data;
	size_t			 n;
	int			 rc;

	if ((rc = db_retry_get(&v->w->db, v->arg[0], &row)) < 0) {
		portal_send_db_error(v, rc);
		return NULL;
	}
	if (rc == 0) {
		portal_send_error(v, 404, "There is no such retry-queue row.");
		return NULL;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "row", row_data(row));
	free(row);
	if (!history)
		return data;
	if ((rc = db_retry_history(&v->w->db, v->arg[0], &attempts, &n)) !=
	    DB_OK) {
		json_object_put(data);
		portal_send_db_error(v, rc);
		return NULL;
	}
	json_object_object_add(data, "history", history_data(attempts, n));
	json_object_object_add(data, "has_history",
	    json_object_new_boolean(n > 0));
	free(attempts);
	return data;
}

/* GET /retry-queue/ID: 200, 404, 503. */
void
retry_row_page(struct visit *v)
{
	json_object *data, *msg;

	if ((data = load_row(v, true)) == NULL)
		return;
	if ((msg = retry_flash(v)) != NULL)
		json_object_object_add(data, "flash", msg);
	if (portal_query(v, "discarded") != NULL)
		json_put_string(data, "flash", "The row was discarded. It is kept, "
		    "and will not be replayed.");
	portal_send_page(v, 200, PORTAL_TEMPLATE_RETRY_ROW, data);
	json_object_put(data);
}

/* POST /retry-queue/ID/replay: 303 to the row with the outcome; 404,
 * 409 done or discarded, 503. */
void
retry_row_replay(struct visit *v)
{
	struct replay_options	 opts;
	struct replay_result	 r;
	char			 location[256];
	int			 rc;

	memset(&opts, 0, sizeof(opts));
	opts.id = v->arg[0];
	if ((rc = replay_run(&v->w->db, &opts, &r)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	if (r.taken == 0) {
		portal_send_error(v, 409, "This row does not exist, or is done "
		    "or discarded: there is nothing to replay.");
		return;
	}
	log_info("retry queue: %s replayed row %s", v->who.email, v->arg[0]);
	snprintf(location, sizeof(location), "/retry-queue/%s?taken=%ld&"
	    "logged=%ld&duplicates=%ld&failed=%ld&dead=%ld", v->arg[0],
	    r.taken, r.logged, r.duplicates, r.failed, r.dead);
	portal_redirect(v, location);
}

/* The confirmation page, or a 409 page for a row past discarding. */
static void
discard_form(struct visit *v, int status)
{
	json_object *data;

	if ((data = load_row(v, false)) == NULL)
		return;
	if (!json_object_get_boolean(json_object_object_get(
	    json_object_object_get(data, "row"), "replayable")))
		status = 409;
	portal_send_page(v, status, PORTAL_TEMPLATE_RETRY_DISCARD, data);
	json_object_put(data);
}

/* GET /retry-queue/ID/discard: 200 "are you sure?", 404, 409, 503. */
void
retry_discard_page(struct visit *v)
{
	discard_form(v, 200);
}

/* POST /retry-queue/ID/discard: with confirm=yes 303 to the row; without
 * it 400 and the question again; 404, 409 done or discarded, 503. */
void
retry_discard_post(struct visit *v)
{
	const char	*confirm = form_get(&v->form, "confirm");
	char		 location[256];
	int		 rc;

	if (confirm == NULL || strcmp(confirm, "yes") != 0) {
		discard_form(v, 400);
		return;
	}
	if ((rc = db_retry_discard(&v->w->db, v->arg[0], v->who.email)) < 0) {
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0) {
		discard_form(v, 409);
		return;
	}
	log_info("retry queue: %s discarded row %s", v->who.email, v->arg[0]);
	snprintf(location, sizeof(location), "/retry-queue/%s?discarded=1",
	    v->arg[0]);
	portal_redirect(v, location);
}
