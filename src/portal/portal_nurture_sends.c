/*
 * portal_nurture_sends: the send queue (routes below) — every e-mail of
 * every nurture campaign, by state, with the runbook's Issue 1 diagnosis
 * (the last day's failures by reason), and the two ways out for a send a
 * sender claimed and never settled (it died during the SendGrid call, so
 * SendGrid may or may not have the e-mail: the operator decides).
 *
 *   GET  /nurture/sends              the sends, newest first (filters:
 *                                    state, campaign=ID, client=SLUG;
 *                                    keyset pages of 50, before=the last
 *                                    send shown)
 *   GET  /nurture/sends/export.csv   the filtered sends as CSV
 *   POST /nurture/sends/{id}/release    admins: unclaim it; the sender
 *                                    sends it again
 *   POST /nurture/sends/{id}/mark-sent  admins: it went out (SendGrid
 *                                    has it): sent, with its EMAIL_SENT
 *                                    event
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "portal_csv.h"
#include "portal_nurture.h"

#define SENDS_PAGE	50
#define EXPORT_BATCH	1000

/* The states a filter can ask for, as the menu shows them. */
static const struct { const char *value, *label; } states[] = {
	{ "queued", "queued (all)" },
	{ "stuck", "stuck: queued, due over an hour ago" },
	{ "unsettled", "claimed, never settled" },
	{ "failed", "failed" },
	{ "bounced", "bounced" },
	{ "sent", "sent" },
};
#define NSTATES	(sizeof(states) / sizeof(states[0]))

/* The column names, as the CSV's header and the template's keys. */
static const char *const send_names[DB_SEND__MAX] = {
	[DB_SEND_ID] = "id", [DB_SEND_CREATED] = "created_at",
	[DB_SEND_SCHEDULED] = "scheduled_send_time",
	[DB_SEND_SENT] = "actual_send_time", [DB_SEND_STATE] = "state",
	[DB_SEND_CLIENT] = "client", [DB_SEND_CAMPAIGN_ID] = "campaign_id",
	[DB_SEND_CAMPAIGN] = "campaign_name", [DB_SEND_STEP] = "step_number",
	[DB_SEND_LEAD_ID] = "lead_id", [DB_SEND_LEAD_NAME] = "lead_name",
	[DB_SEND_TO] = "to_email", [DB_SEND_SUBJECT] = "subject",
	[DB_SEND_ATTEMPTS] = "attempts", [DB_SEND_FAILURE] = "failure_reason",
	[DB_SEND_BOUNCE] = "bounce_type", [DB_SEND_CLAIMED] = "claimed_at",
	[DB_SEND_CLAIMED_BY] = "claimed_by",
	[DB_SEND_MESSAGE_ID] = "sendgrid_message_id",
	[DB_SEND_DELIVERED] = "delivered_at", [DB_SEND_OPENED] = "opened_at",
	[DB_SEND_CLICKED] = "first_click_at",
	[DB_SEND_NEXT_ATTEMPT] = "next_attempt_at",
};

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The filters but the client (nurture_client_filter's); -1 having sent
 * a 400 naming the bad one. */
static int
filters_read(struct visit *v, struct db_nurture_sends_query *q)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->state = nonempty(portal_query(v, "state"));
	q->campaign = nonempty(portal_query(v, "campaign"));
	q->before = nonempty(portal_query(v, "before"));
	if (q->state != NULL) {
		for (i = 0; i < NSTATES; i++)
			if (strcmp(q->state, states[i].value) == 0)
				break;
		if (i == NSTATES) {
			portal_send_error(v, 400, "The state must be queued, "
			    "stuck, unsettled, failed, bounced or sent.");
			return -1;
		}
	}
	if (q->campaign != NULL && !lead_uuid_valid(q->campaign)) {
		portal_send_error(v, 400, "There is no such nurture campaign.");
		return -1;
	}
	if (q->before != NULL && !lead_uuid_valid(q->before)) {
		portal_send_error(v, 400, "The page marker is not a send id.");
		return -1;
	}
	return 0;
}

/* The filters and the client, read and checked, the reads begun
 * (db_nurture_pages_begin: the caller ends them): 0, or -1 having sent
 * the 400 or 503 (nothing begun). *mem is the caller's to free() either
 * way. */
static int
query_read(struct visit *v, json_object *data,
    struct db_nurture_sends_query *q, void **mem)
{
	*mem = NULL;
	if (filters_read(v, q) == -1)
		return -1;
	return nurture_pages_open(v, data, &q->client, mem);
}

/* The filters (not the page) as a query string, appended to b. */
static void
filters_qs(struct visit *v, const struct db_nurture_sends_query *q,
    struct buf *b)
{
	lead_qs_add(b, "state", q->state);
	lead_qs_add(b, "campaign", q->campaign);
	lead_qs_add(b, "client", nonempty(portal_query(v, "client")));
}

/* The state and campaign menus. */
static int
menus(struct visit *v, json_object *data,
    const struct db_nurture_sends_query *q)
{
	struct db_nurture_campaign_item	*rows;
	json_object			*list;
	size_t				 n, i;
	int				 rc;

	if ((rc = db_nurture_pages_campaigns(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_put_string(c, "id", rows[i].id);
		json_put_string(c, "name", rows[i].name);
		json_put_string(c, "client", rows[i].client);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    q->campaign != NULL && strcmp(q->campaign, rows[i].id) == 0));
		json_object_array_add(list, c);
	}
	free(rows);
	json_object_object_add(data, "campaigns", list);
	list = json_object_new_array();
	for (i = 0; i < NSTATES; i++) {
		json_object *s = json_object_new_object();

		json_put_string(s, "value", states[i].value);
		json_put_string(s, "label", states[i].label);
		json_object_object_add(s, "selected", json_object_new_boolean(
		    q->state != NULL && strcmp(q->state, states[i].value) == 0));
		json_object_array_add(list, s);
	}
	json_object_object_add(data, "states", list);
	json_put_string(data, "state", q->state);
	return DB_OK;
}

static json_object *
send_json(const struct db_nurture_send *s)
{
	json_object	*o = json_object_new_object();
	const char	*state = s->col[DB_SEND_STATE];
	int		 c;

	for (c = 0; c < DB_SEND__MAX; c++)
		json_put_string(o, send_names[c], s->col[c]);
	json_object_object_add(o, "unsettled", json_object_new_boolean(
	    state != NULL && strcmp(state, "unsettled") == 0));
	return o;
}

/* The queue's counts and the last day's failures by reason. */
static int
summary_add(struct visit *v, const struct db_nurture_sends_query *q,
    json_object *data)
{
	struct db_nurture_queue_counts	 c;
	struct db_nurture_failure	*rows;
	json_object			*list;
	long long			 failed = 0;
	size_t				 n, i;
	int				 rc;

	if ((rc = db_nurture_pages_queue_counts(&v->w->db, q->client,
	    q->campaign, &c)) != DB_OK ||
	    (rc = db_nurture_pages_failures(&v->w->db, q->client, q->campaign,
	    &rows, &n)) != DB_OK)
		return rc;
	json_put_int(data, "queued", c.queued);
	json_put_int(data, "stuck", c.stuck);
	json_put_int(data, "unsettled", c.unsettled);
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *f = json_object_new_object();

		json_put_string(f, "reason", rows[i].reason);
		json_put_int(f, "count", rows[i].count);
		json_object_array_add(list, f);
		failed += rows[i].count;
	}
	free(rows);
	json_object_object_add(data, "failures", list);
	json_object_object_add(data, "has_failures",
	    json_object_new_boolean(n > 0));
	json_put_int(data, "failed_day", failed);
	return DB_OK;
}

static int
sends_add(struct visit *v, struct db_nurture_sends_query *q,
    json_object *data)
{
	struct db_nurture_send	*rows;
	struct buf		 qs = BUF_INIT, url = BUF_INIT;
	json_object		*list;
	size_t			 n, i, shown;
	int			 rc;

	q->limit = SENDS_PAGE + 1;
	if ((rc = db_nurture_pages_sends(&v->w->db, q, &rows, &n)) != DB_OK)
		return rc;
	shown = n > SENDS_PAGE ? SENDS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, send_json(&rows[i]));
	json_object_object_add(data, "sends", list);
	json_object_object_add(data, "has_sends",
	    json_object_new_boolean(shown > 0));
	filters_qs(v, q, &qs);
	if (n > SENDS_PAGE) {
		buf_printf(&url, "/nurture/sends?%s%sbefore=%s", buf_str(&qs),
		    qs.len > 0 ? "&" : "", rows[shown - 1].col[DB_SEND_ID]);
		json_put_string(data, "next_url", buf_str(&url));
	}
	if (q->before != NULL) {
		buf_reset(&url);
		buf_printf(&url, "/nurture/sends?%s", buf_str(&qs));
		json_put_string(data, "first_url", buf_str(&url));
	}
	buf_reset(&url);
	buf_printf(&url, "/nurture/sends/export.csv?%s", buf_str(&qs));
	json_put_string(data, "export_url", buf_str(&url));
	json_put_string(data, "qs", buf_str(&qs));
	/* The same without the state: the counts' links to their states. */
	buf_reset(&qs);
	lead_qs_add(&qs, "campaign", q->campaign);
	lead_qs_add(&qs, "client", nonempty(portal_query(v, "client")));
	if (qs.len > 0)
		json_put_string(data, "scope_qs", buf_str(&qs));
	free(rows);
	buf_free(&qs);
	buf_free(&url);
	return DB_OK;
}

/* What a release or mark-sent did, from the query, as "flash". */
static void
flash_add(struct visit *v, json_object *data)
{
	const char *done = portal_query(v, "done");

	if (done == NULL)
		return;
	if (strcmp(done, "released") == 0)
		json_put_string(data, "flash", "Released: the sender will "
		    "send it again.");
	else if (strcmp(done, "marked-sent") == 0)
		json_put_string(data, "flash", "Marked sent.");
}

/* GET /nurture/sends: 200, 400 (a bad filter), 503. */
void
nurture_sends_page(struct visit *v)
{
	struct db_nurture_sends_query	 q;
	json_object			*data = portal_page_data(v);
	void				*mem;
	int				 rc;

	if (query_read(v, data, &q, &mem) == -1) {
		free(mem);
		json_object_put(data);
		return;
	}
	if ((rc = menus(v, data, &q)) != DB_OK ||
	    (rc = summary_add(v, &q, data)) != DB_OK ||
	    (rc = sends_add(v, &q, data)) != DB_OK) {
		nurture_pages_fail(v, rc, "nurture sends", mem, data);
		return;
	}
	db_nurture_pages_end(&v->w->db);
	flash_add(v, data);
	free(mem);
	portal_send_page(v, 200, PORTAL_TEMPLATE_NURTURE_SENDS, data);
	json_object_put(data);
}

static void
send_csv(struct buf *out, const struct db_nurture_send *s)
{
	int c;

	for (c = 0; c < DB_SEND__MAX; c++)
		csv_cell(out, s->col[c], c == 0);
	csv_end_row(out);
}

/* Where the sends export is: the filters, the next batch before before. */
struct sends_export {
	struct db_nurture_sends_query	 q;
	char				 before[37];
};

static int
sends_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	struct sends_export *e = ctx;

	return db_nurture_pages_sends(&v->w->db, &e->q,
	    (struct db_nurture_send **)rows, n);
}

static void
sends_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_nurture_send	*s = rows;
	struct sends_export		*e = ctx;
	size_t				 i;

	for (i = 0; i < n; i++)
		send_csv(out, &s[i]);
	if (n > 0) {
		snprintf(e->before, sizeof(e->before), "%s",
		    s[n - 1].col[DB_SEND_ID]);
		e->q.before = e->before;
	}
}

/* GET /nurture/sends/export.csv: 200 text/csv (streamed a batch at a
 * time), 400 a bad filter, 503 (before the first byte). */
void
nurture_sends_export(struct visit *v)
{
	struct sends_export		 e;
	struct buf			 header = BUF_INIT;
	struct portal_csv_batches	 b = { "nurture-sends.csv", NULL,
					    "nurture sends", EXPORT_BATCH,
					    sends_read, sends_write, &e };
	json_object			*scratch = json_object_new_object();
	void				*mem;
	int				 rc, c;

	rc = query_read(v, scratch, &e.q, &mem);
	json_object_put(scratch);
	if (rc == -1) {
		free(mem);
		return;
	}
	e.q.limit = EXPORT_BATCH;
	for (c = 0; c < DB_SEND__MAX; c++)
		buf_printf(&header, "%s%s", c == 0 ? "" : ",", send_names[c]);
	buf_puts(&header, "\r\n");
	if (buf_failed(&header))
		portal_send_error(v, 500, "The export could not be made.");
	else {
		b.header = buf_str(&header);
		portal_csv_batches(v, &b);
	}
	db_nurture_pages_end(&v->w->db);
	free(mem);
	buf_free(&header);
}

/* Release or mark sent send v->arg[0]: 303 back to the unsettled sends;
 * 409 if it is not unsettled (settled meanwhile, released already, or
 * still within its sender's call); 503. */
static void
settle(struct visit *v, bool mark_sent)
{
	const char	*id = v->arg[0];
	bool		 done;
	int		 rc;

	rc = mark_sent ?
	    db_nurture_pages_mark_sent(&v->w->db, id, v->who.email, v->who.id,
	    &done) : db_nurture_pages_release(&v->w->db, id, &done);
	if (rc != DB_OK) {
		log_error("nurture send %s: %s", id, v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	if (!done) {
		portal_send_error(v, 409, "This e-mail is not claimed and "
		    "unsettled (any more): a sender settled it, someone "
		    "released it, or its sender may still be in its call "
		    "(wait 5 minutes).");
		return;
	}
	log_info("nurture: %s %s send %s", v->who.email,
	    mark_sent ? "marked sent" : "released", id);
	portal_redirect(v, mark_sent ?
	    "/nurture/sends?state=unsettled&done=marked-sent" :
	    "/nurture/sends?state=unsettled&done=released");
}

void
nurture_send_release(struct visit *v)
{
	settle(v, false);
}

void
nurture_send_mark_sent(struct visit *v)
{
	settle(v, true);
}
