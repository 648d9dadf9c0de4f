/*
 * portal_retry: the retry queue pages (routes below; see portal_retry.h).
 *
 *   GET  /retry-queue                 counts by state, the list (filters:
 *                                     state, workflow, older than N hours;
 *                                     newest first, keyset pages of 50)
 *   POST /retry-queue/replay          replay the ticked rows (field id,
 *                                     repeated) or all due rows (all=due)
 *   GET  /retry-queue/export.csv      the filtered list as CSV
 *   GET  /retry-queue/ID              one row: payload, origin, history
 *   POST /retry-queue/ID/replay       replay it now
 *   GET  /retry-queue/ID/discard      "are you sure?"
 *   POST /retry-queue/ID/discard      with confirm=yes: kept as discarded
 *
 * Viewers see every page; the POSTs are for admins (admin.c refuses the
 * others, and checks the CSRF token, before a handler runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_put.h"
#include "log.h"
#include "portal_retry.h"
#include "replay.h"
#include "validate.h"

#define LIST_PAGE	50
#define REPLAY_ALL_MAX	1000	/* rows one click replays; the worker does the rest */

static const char *const states[] = { "pending", "refused", "dead", "done",
    "discarded", "all" };

bool
retry_id_valid(const char *s)
{
	long n;

	return s != NULL && strlen(s) <= 18 && parse_long(s, 1,
	    999999999999999999L, &n) == 0;
}

int
retry_filter_read(struct visit *v, struct retry_filter *f)
{
	const char	*state = portal_query(v, "state");
	const char	*workflow = portal_query(v, "workflow");
	const char	*older = portal_query(v, "older");
	long		 hours;
	size_t		 i;

	memset(f, 0, sizeof(*f));
	f->state_name = "pending";
	if (state != NULL && *state != '\0') {
		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (strcmp(state, states[i]) == 0)
				f->state_name = states[i];
		if (strcmp(f->state_name, state) != 0) {
			portal_send_error(v, 400, "The state filter must be "
			    "pending, refused, dead, done, discarded or all.");
			return -1;
		}
	}
	f->state = strcmp(f->state_name, "all") == 0 ? NULL : f->state_name;
	if (workflow != NULL && *workflow != '\0') {
		if (strlen(workflow) > 255) {
			portal_send_error(v, 400, "The workflow filter is longer "
			    "than 255 characters.");
			return -1;
		}
		f->workflow = workflow;
	}
	if (older != NULL && *older != '\0') {
		if (parse_long(older, 0, 876000, &hours) == -1) {
			portal_send_error(v, 400, "\"Older than\" must be a "
			    "number of hours.");
			return -1;
		}
		snprintf(f->older_buf, sizeof(f->older_buf), "%ld", hours);
		f->older = f->older_buf;
	}
	return 0;
}

void
retry_filter_query(const struct retry_filter *f, struct buf *b)
{
	buf_printf(b, "state=%s", f->state_name);
	if (f->workflow != NULL) {
		buf_puts(b, "&workflow=");
		buf_put_urlencoded(b, f->workflow);
	}
	if (f->older != NULL)
		buf_printf(b, "&older=%s", f->older);
}

void
retry_filter_to_query(const struct retry_filter *f, struct db_retry_query *q)
{
	memset(q, 0, sizeof(*q));
	q->state = f->state;
	q->workflow = f->workflow;
	q->older_hours = f->older;
}

bool
retry_state_replayable(const char *state)
{
	return strcmp(state, "pending") == 0 || strcmp(state, "dead") == 0 ||
	    strcmp(state, "refused") == 0;
}

/* The counts by state, for the template. The caller owns the object. */
static json_object *
counts_json(const struct db_retry_counts *n)
{
	json_object *c = json_object_new_object();

	json_put_int(c, "pending", n->pending);
	json_put_int(c, "due", n->due);
	json_put_int(c, "dead", n->dead);
	json_put_int(c, "done", n->done);
	json_put_int(c, "discarded", n->discarded);
	json_put_int(c, "refused", n->refused);
	return c;
}

json_object *
retry_flash(struct visit *v)
{
	static const char *const keys[] = { "taken", "logged", "duplicates",
	    "failed", "dead" };
	long		 n[5];
	char		 text[256];
	size_t		 i;

	for (i = 0; i < 5; i++) {
		const char *s = portal_query(v, keys[i]);

		if (s == NULL || parse_long(s, 0, 100000000, &n[i]) == -1)
			return NULL;
	}
	if (n[0] == 0)
		snprintf(text, sizeof(text), "Nothing was replayed: no row "
		    "was due or could be replayed.");
	else
		snprintf(text, sizeof(text), "Replayed %ld: %ld logged, %ld "
		    "already in the log, %ld failed again, %ld dead.", n[0],
		    n[1], n[2], n[3], n[4]);
	return json_object_new_string(text);
}

/* A row of the list for the template. The caller owns the object. */
static json_object *
list_row(const struct db_retry_item *row)
{
	json_object *r = json_object_new_object();

	json_put_string(r, "id", row->id);
	json_put_string(r, "state", row->state);
	json_put_string(r, "workflow", row->workflow);
	json_put_string(r, "execution_id", row->execution_id);
	json_put_string(r, "lead_id", row->lead_id);
	json_put_string(r, "event_type", row->event_type);
	json_put_string(r, "attempts", row->attempts);
	json_put_string(r, "created_at", row->created_at);
	json_put_string(r, "next_attempt_at", row->next_attempt_at);
	json_put_string(r, "error", row->error);
	json_object_object_add(r, "due", json_object_new_boolean(row->due));
	json_object_object_add(r, "pending", json_object_new_boolean(
	    strcmp(row->state, "pending") == 0));
	json_object_object_add(r, "replayable", json_object_new_boolean(
	    retry_state_replayable(row->state)));
	return r;
}

/* The state filter's choices, the one selected marked. */
static json_object *
state_options(const struct retry_filter *f)
{
	json_object	*opts = json_object_new_array();
	size_t		 s;

	for (s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		json_object *o = json_object_new_object();

		json_put_string(o, "value", states[s]);
		json_object_object_add(o, "selected", json_object_new_boolean(
		    strcmp(states[s], f->state_name) == 0));
		json_object_array_add(opts, o);
	}
	return opts;
}

/* GET /retry-queue: 200, 400 bad filter, 503. */
void
retry_list_page(struct visit *v)
{
	struct retry_filter	 f;
	struct db_retry_counts	 counts;
	struct db_retry_query	 q;
	struct db_retry_item	*rows;
	struct buf		 query = BUF_INIT, next = BUF_INIT;
	json_object		*data, *list, *msg;
	const char		*before = portal_query(v, "before");
	size_t			 i, n;
	int			 rc;

	if (retry_filter_read(v, &f) == -1)
		return;
	if (before != NULL && *before != '\0' && !retry_id_valid(before)) {
		portal_send_error(v, 400, "The page marker is not a row id.");
		return;
	}
	if ((rc = db_retry_counts(&v->w->db, &counts)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	retry_filter_to_query(&f, &q);
	q.before = before != NULL && *before != '\0' ? before : NULL;
	q.limit = LIST_PAGE + 1;
	if ((rc = db_retry_list(&v->w->db, &q, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "has_due",
	    json_object_new_boolean(counts.due > 0));
	json_object_object_add(data, "counts", counts_json(&counts));
	list = json_object_new_array();
	for (i = 0; i < n && i < LIST_PAGE; i++)
		json_object_array_add(list, list_row(&rows[i]));
	json_object_object_add(data, "rows", list);
	json_object_object_add(data, "has_rows",
	    json_object_new_boolean(n > 0));
	retry_filter_query(&f, &query);
	if (n > LIST_PAGE) {
		buf_printf(&next, "/retry-queue?%s&before=%s", buf_str(&query),
		    rows[LIST_PAGE - 1].id);
		json_put_string(data, "next_href", buf_str(&next));
	}
	free(rows);
	buf_reset(&next);
	buf_printf(&next, "/retry-queue/export.csv?%s", buf_str(&query));
	json_put_string(data, "export_href", buf_str(&next));
	json_object_object_add(data, "states", state_options(&f));
	json_put_string(data, "state", f.state_name);
	json_put_string(data, "workflow", f.workflow ? f.workflow : "");
	json_put_string(data, "older", f.older ? f.older : "");
	json_object_object_add(data, "filtered", json_object_new_boolean(
	    f.workflow != NULL || f.older != NULL ||
	    strcmp(f.state_name, "pending") != 0));
	if ((msg = retry_flash(v)) != NULL)
		json_object_object_add(data, "flash", msg);
	portal_send_page(v, 200, PORTAL_TEMPLATE_RETRY_QUEUE, data);
	json_object_put(data);
	buf_free(&query);
	buf_free(&next);
}

/* Add one replay's counts to the sum. */
static void
add_result(struct replay_result *sum, const struct replay_result *r)
{
	sum->taken += r->taken;
	sum->logged += r->logged;
	sum->duplicates += r->duplicates;
	sum->failed += r->failed;
	sum->dead += r->dead;
}

/* 303 to the list with the replay's counts in the query. */
static void
redirect_with_result(struct visit *v, const struct replay_result *r)
{
	char location[256];

	snprintf(location, sizeof(location), "/retry-queue?taken=%ld&"
	    "logged=%ld&duplicates=%ld&failed=%ld&dead=%ld", r->taken,
	    r->logged, r->duplicates, r->failed, r->dead);
	portal_redirect(v, location);
}

/*
 * POST /retry-queue/replay: the ticked rows (every "id" field; form_get
 * would give only the first) or, with all=due, the due rows (at most
 * REPLAY_ALL_MAX per click). 303 to the list with the counts; 400 nothing
 * chosen or a bad id; 503.
 */
void
retry_replay_selected(struct visit *v)
{
	struct replay_options	 opts;
	struct replay_result	 sum, r;
	const char		*all = form_get(&v->form, "all");
	size_t			 i, chosen = 0;
	int			 rc;

	memset(&opts, 0, sizeof(opts));
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < v->form.n; i++)
		if (strcmp(v->form.field[i].name, "id") == 0) {
			if (!retry_id_valid(v->form.field[i].value)) {
				portal_send_error(v, 400, "A selected row is "
				    "not a row id.");
				return;
			}
			chosen++;
		}
	if (all != NULL && strcmp(all, "due") == 0) {
		opts.limit = REPLAY_ALL_MAX;
		if ((rc = replay_run(&v->w->db, &opts, &sum)) != DB_OK) {
			portal_send_db_error(v, rc);
			return;
		}
	} else if (chosen == 0) {
		portal_send_error(v, 400, "Tick the rows to replay, or use "
		    "\"Replay all due now\".");
		return;
	}
	for (i = 0; chosen > 0 && i < v->form.n; i++) {
		if (strcmp(v->form.field[i].name, "id") != 0)
			continue;
		opts.id = v->form.field[i].value;
		if ((rc = replay_run(&v->w->db, &opts, &r)) != DB_OK) {
			portal_send_db_error(v, rc);
			return;
		}
		add_result(&sum, &r);
	}
	log_info("retry queue: %s replayed %ld rows (%ld logged, %ld "
	    "duplicates, %ld failed, %ld dead)", v->who.email, sum.taken,
	    sum.logged, sum.duplicates, sum.failed, sum.dead);
	redirect_with_result(v, &sum);
}
