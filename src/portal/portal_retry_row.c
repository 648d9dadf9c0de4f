/*
 * portal_retry_row: one retry-queue row — its payload pretty-printed,
 * where it came from, its attempts and error history — and what an admin
 * may do with it: replay it now, or discard it after a confirmation (the
 * row is kept, as discarded, never deleted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "portal_retry.h"
#include "replay.h"

static void
add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The row's columns (as STMT_RETRY_ROW returns them) for a template. */
static json_object *
row_data(PGresult *res)
{
	static const char *const names[] = { "id", "state", "payload",
	    "workflow", "execution_id", "lead_id", "event_type", "client",
	    "key_name", NULL, "queued_error", "error", "attempts",
	    "created_at", "next_attempt_at", "done_at", "log_id",
	    "discarded_at", "discarded_by" };
	json_object	*row = json_object_new_object(), *parsed;
	const char	*state = PQgetvalue(res, 0, 1);
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] != NULL)
			add_str(row, names[i], PQgetvalue(res, 0, (int)i));
	json_object_object_add(row, "direct_insert", json_object_new_boolean(
	    PQgetvalue(res, 0, 9)[0] == 't'));
	json_object_object_add(row, "due", json_object_new_boolean(
	    PQgetvalue(res, 0, 19)[0] == 't'));
	json_object_object_add(row, "pending", json_object_new_boolean(
	    strcmp(state, "pending") == 0));
	json_object_object_add(row, "replayable", json_object_new_boolean(
	    strcmp(state, "pending") == 0 || strcmp(state, "dead") == 0 ||
	    strcmp(state, "refused") == 0));
	/* The payload pretty-printed if it is JSON, else as it came. */
	if ((parsed = json_tokener_parse(PQgetvalue(res, 0, 2))) != NULL) {
		add_str(row, "payload_pretty", json_object_to_json_string_ext(
		    parsed, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(parsed);
	} else
		json_object_object_add(row, "payload_not_json",
		    json_object_new_boolean(true));
	return row;
}

/*
 * Load row v->arg[0] into a new page data object (the caller frees it).
 * Returns NULL having sent the answer: 404 no such row, 503/500.
 */
static json_object *
load_row(struct visit *v, bool history)
{
	const char	*params[1] = { v->arg[0] };
	json_object	*data, *rows;
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(&v->w->db, STMT_RETRY_ROW, params, &res)) != DB_OK) {
		portal_send_db_error(v, rc);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		portal_send_error(v, 404, "There is no such retry-queue row.");
		return NULL;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "row", row_data(res));
	PQclear(res);
	if (!history)
		return data;
	if ((rc = db_exec(&v->w->db, STMT_RETRY_HISTORY, params, &res)) !=
	    DB_OK) {
		json_object_put(data);
		portal_send_db_error(v, rc);
		return NULL;
	}
	rows = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object *h = json_object_new_object();

		add_str(h, "attempt", PQgetvalue(res, i, 0));
		add_str(h, "at", PQgetvalue(res, i, 1));
		add_str(h, "error", PQgetvalue(res, i, 2));
		json_object_array_add(rows, h);
	}
	json_object_object_add(data, "history", rows);
	json_object_object_add(data, "has_history",
	    json_object_new_boolean(PQntuples(res) > 0));
	PQclear(res);
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
		add_str(data, "flash", "The row was discarded. It is kept, "
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
	const char	*params[2] = { v->arg[0], v->who.email };
	char		 location[256];
	PGresult	*res;
	int		 rc, n;

	if (confirm == NULL || strcmp(confirm, "yes") != 0) {
		discard_form(v, 400);
		return;
	}
	if ((rc = db_exec(&v->w->db, STMT_RETRY_DISCARD, params, &res)) !=
	    DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		discard_form(v, 409);
		return;
	}
	log_info("retry queue: %s discarded row %s", v->who.email, v->arg[0]);
	snprintf(location, sizeof(location), "/retry-queue/%s?discarded=1",
	    v->arg[0]);
	portal_redirect(v, location);
}
