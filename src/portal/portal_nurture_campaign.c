/*
 * portal_nurture_campaign: one nurture campaign (routes below).
 *
 *   GET  /nurture/campaigns/{uuid}       the campaign: its fields and
 *                                        counts, its steps (each with the
 *                                        names its templates use, for
 *                                        admins an edit and a delete form,
 *                                        and a form to add one), the
 *                                        preview form, its enrolments by
 *                                        status (status=all, active,
 *                                        paused, completed, cancelled;
 *                                        keyset pages of 50, after=the
 *                                        last shown), its daily analytics
 *                                        (the last 90 days)
 *   GET  …/{uuid}/enrollments.csv        the enrolments in that status
 *   GET  …/{uuid}/analytics.csv          every day of its analytics
 *   POST …/{uuid}/pause | resume | archive   admins: the campaign's
 *                                        status (paused_at, paused_by)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_nurture.h"
#include "db_nurture_campaigns.h"
#include "json_put.h"
#include "log.h"
#include "nurture_campaigns.h"
#include "portal_csv.h"
#include "portal_nurture_campaigns.h"
#include "validate.h"

#define ENROLMENTS_PAGE		50
/* The enrolments' CSV reads this many a batch: each batch is a top-N
 * sort of the campaign's enrolments in that status (there is no index by
 * campaign and id), so fewer, larger batches: 200,000 enrolments take 20
 * sorts, about 3 MB a batch. */
#define EXPORT_BATCH		10000
#define ANALYTICS_DAYS		90

/* The enrolment statuses, as the tabs show them. */
static const struct portal_choice tabs[] = {
	{ "all", "All" },
	{ "active", "Active" },
	{ "paused", "Paused" },
	{ "completed", "Completed" },
	{ "cancelled", "Cancelled" },
};
#define NTABS	(sizeof(tabs) / sizeof(tabs[0]))

/* The status the query asks for ("all" if none); NULL, having answered
 * 400, if it is not one. */
static const char *
status_read(struct visit *v)
{
	return portal_query_choice(v, "status", tabs, NTABS, "all",
	    "The enrolment status must be all, active, paused, completed or "
	    "cancelled.");
}

/* The path's campaign (the caller frees it), or NULL having answered 404
 * or 503/500. */
static struct db_nc *
campaign_read(struct visit *v)
{
	struct db_nc	*c;
	int		 rc;

	rc = db_nc_get(&v->w->db, v->arg[0], &c);
	return portal_found(v, rc, c, "There is no such nurture campaign.") ?
	    c : NULL;
}

bool
nurture_campaign_state_read(struct visit *v,
    struct db_nurture_campaign_state *state)
{
	int rc;

	if ((rc = db_nurture_campaign_state(&v->w->db, v->arg[0], state)) <
	    0) {
		portal_send_db_error(v, rc);
		return false;
	}
	if (rc == 0) {
		portal_send_error(v, 404, "There is no such nurture campaign.");
		return false;
	}
	return true;
}

void
nurture_campaign_refuse(struct visit *v, int status, const char *message)
{
	json_object *extra = json_object_new_object();

	json_put_string(extra, "error", message);
	nurture_campaign_render(v, status, extra);
	json_object_put(extra);
}

static json_object *
campaign_json(const struct db_nc *c)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", c->id);
	json_put_string(o, "client", c->client);
	json_put_string(o, "name", c->name);
	json_put_string(o, "status", c->status);
	json_object_object_add(o, "is_active",
	    json_object_new_boolean(strcmp(c->status, "active") == 0));
	json_object_object_add(o, "is_paused",
	    json_object_new_boolean(strcmp(c->status, "paused") == 0));
	json_object_object_add(o, "is_archived",
	    json_object_new_boolean(strcmp(c->status, "archived") == 0));
	json_put_string(o, "description", c->description);
	json_put_string(o, "from_email", c->from_email);
	json_put_string(o, "from_name", c->from_name);
	json_put_string(o, "paused_at", c->paused_at);
	json_put_string(o, "paused_by", c->paused_by);
	json_put_int(o, "steps", c->steps);
	json_put_int(o, "active", c->active);
	json_put_int(o, "completed", c->completed);
	json_put_int(o, "sends", c->sends);
	json_put_string(o, "open_rate", c->open_rate);
	json_put_string(o, "click_rate", c->click_rate);
	json_put_string(o, "created", c->created);
	json_put_string(o, "updated", c->updated);
	return o;
}

/* "at once", "2 days 3 h 5 min". */
static void
delay_text(long long minutes, char *out, size_t size)
{
	long long	d = minutes / 1440, h = minutes % 1440 / 60,
			m = minutes % 60;
	size_t		n = 0;

	out[0] = '\0';
	if (minutes == 0) {
		snprintf(out, size, "at once");
		return;
	}
	if (d > 0)
		n += (size_t)snprintf(out + n, size - n, "%lld day%s", d,
		    d == 1 ? "" : "s");
	if (h > 0 && n < size)
		n += (size_t)snprintf(out + n, size - n, "%s%lld h",
		    n > 0 ? " " : "", h);
	if (m > 0 && n < size)
		snprintf(out + n, size - n, "%s%lld min", n > 0 ? " " : "", m);
}

/* A step as the page shows it (first: the campaign's first, sent after
 * the enrolment); edit (NULL: none) is the step's form sent back with its
 * errors. */
static json_object *
step_json(const struct db_nc_step *s, bool first, json_object *edit)
{
	json_object	*o = json_object_new_object(), *form;
	struct buf	 names = BUF_INIT;
	char		 delay[64], text[24];

	json_put_int(o, "number", s->number);
	json_put_string(o, "subject", s->subject);
	json_put_string(o, "body", s->body);
	json_put_int(o, "delay", s->delay);
	delay_text(s->delay, delay, sizeof(delay));
	json_put_string(o, "delay_text", delay);
	json_object_object_add(o, "first", json_object_new_boolean(first));
	json_put_string(o, "updated", s->updated);
	nurture_step_names(s->subject, s->body, &names);
	json_put_string(o, "names", names.len > 0 && !buf_failed(&names) ?
	    buf_str(&names) : NULL);
	buf_free(&names);
	if (edit != NULL) {
		json_object_object_add(o, "form", json_object_get(edit));
		json_object_object_add(o, "open", json_object_new_boolean(true));
	} else {
		form = json_object_new_object();
		json_put_string(form, "subject", s->subject);
		json_put_string(form, "body", s->body);
		snprintf(text, sizeof(text), "%lld", s->delay);
		json_put_string(form, "delay_minutes", text);
		json_object_object_add(o, "form", form);
	}
	return o;
}

static json_object *
steps_json(const struct db_nc_step *steps, size_t n, json_object *extra)
{
	json_object	*list = json_object_new_array(), *edit = NULL;
	long long	 editing = 0;
	size_t		 i;

	if (extra != NULL && (edit = json_object_object_get(extra, "edit")) !=
	    NULL)
		editing = json_object_get_int64(
		    json_object_object_get(edit, "number"));
	for (i = 0; i < n; i++)
		json_object_array_add(list, step_json(&steps[i], i == 0,
		    steps[i].number == editing ? edit : NULL));
	return list;
}

/* An enrolment as the page shows it; steps (n of them, in order): the
 * campaign's, for the link to preview its next e-mail — the first step
 * after its current one, as the scheduler picks it. */
static json_object *
enrolment_json(const struct db_nc_enrolment *e,
    const struct db_nc_step *steps, size_t n)
{
	size_t i;

	json_object *o = json_object_new_object();

	json_put_string(o, "id", e->id);
	json_put_string(o, "lead_id", e->lead_id);
	json_put_string(o, "lead_name", e->lead_name);
	json_put_string(o, "external_id", e->external_id);
	json_put_string(o, "email", e->email);
	json_put_string(o, "status", e->status);
	json_put_int(o, "step", e->step);
	json_put_string(o, "next_send", e->next_send);
	json_put_string(o, "reason", e->reason);
	json_put_string(o, "by", e->by);
	json_put_string(o, "enrolled", e->enrolled);
	json_put_string(o, "completed", e->completed);
	json_object_object_add(o, "cancellable", json_object_new_boolean(
	    strcmp(e->status, "active") == 0 ||
	    strcmp(e->status, "paused") == 0));
	for (i = 0; i < n && steps[i].number <= e->step; i++)
		;
	if (i < n && (strcmp(e->status, "active") == 0 ||
	    strcmp(e->status, "paused") == 0))
		json_put_int(o, "preview_step", steps[i].number);
	return o;
}

static json_object *
day_json(const struct db_nc_day *d)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "date", d->date);
	json_put_int(o, "sent", d->sent);
	json_put_int(o, "delivered", d->delivered);
	json_put_int(o, "opens", d->opens);
	json_put_int(o, "clicks", d->clicks);
	json_put_int(o, "bounces", d->bounces);
	json_put_int(o, "unsubscribes", d->unsubscribes);
	json_put_int(o, "spam", d->spam);
	json_put_string(o, "delivery_rate", d->delivery_rate);
	json_put_string(o, "open_rate", d->open_rate);
	json_put_string(o, "click_rate", d->click_rate);
	json_put_string(o, "bounce_rate", d->bounce_rate);
	json_put_string(o, "unsubscribe_rate", d->unsubscribe_rate);
	return o;
}

/* The tabs: [{name, label, n, selected, url}]. */
static json_object *
tabs_json(const char *id, const char *status, const struct db_nc_count *c,
    size_t n)
{
	const struct portal_counts	 counts = { c, n, sizeof(*c),
					    offsetof(struct db_nc_count, status),
					    offsetof(struct db_nc_count, n) };
	char				 base[PORTAL_ARG_MAX + 160];

	snprintf(base, sizeof(base), "/nurture/campaigns/%s?status=", id);
	return portal_tabs_json(tabs, NTABS, status, &counts, "n", base,
	    "#enrolments");
}

/* The message an action left in the query: numbers and fixed words only,
 * so nothing typed is echoed. NULL if there is none. */
static json_object *
flash(struct visit *v)
{
	const char	*s;
	char		 text[256];
	long		 a, b, c;

	if ((s = portal_query(v, "step_added")) != NULL &&
	    parse_long(s, 1, NURTURE_STEPS_MAX, &a) == 0)
		snprintf(text, sizeof(text), "Step %ld added.", a);
	else if ((s = portal_query(v, "step_saved")) != NULL &&
	    parse_long(s, 1, NURTURE_STEPS_MAX, &a) == 0)
		snprintf(text, sizeof(text), "Step %ld saved.", a);
	else if ((s = portal_query(v, "step_deleted")) != NULL &&
	    parse_long(s, 1, NURTURE_STEPS_MAX, &a) == 0) {
		snprintf(text, sizeof(text), "Step %ld deleted.", a);
	} else if ((s = portal_query(v, "status_changed")) != NULL &&
	    (strcmp(s, "active") == 0 || strcmp(s, "paused") == 0 ||
	    strcmp(s, "archived") == 0))
		snprintf(text, sizeof(text), "The campaign is %s now.", s);
	else if ((s = portal_query(v, "enrolled")) != NULL &&
	    parse_long(s, 0, 100000000, &a) == 0 &&
	    parse_long(portal_query(v, "already") ? portal_query(v,
	    "already") : "0", 0, 100000000, &b) == 0 &&
	    parse_long(portal_query(v, "refused") ? portal_query(v,
	    "refused") : "0", 0, 100000000, &c) == 0)
		snprintf(text, sizeof(text), "Enrolled %ld lead(s); %ld "
		    "already in the campaign; %ld refused (another client's, "
		    "opted out, or without a valid e-mail).", a, b, c);
	else if ((s = portal_query(v, "cancelled")) != NULL &&
	    strcmp(s, "1") == 0)
		snprintf(text, sizeof(text), "The enrolment is cancelled.");
	else
		return NULL;
	return json_object_new_string(text);
}

/* Everything but the campaign itself into data; a db_status. */
static int
page_data(struct visit *v, const char *id, const char *status,
    const char *after, json_object *data, json_object *extra)
{
	struct db_nc_step	*steps = NULL;
	struct db_nc_count	*counts = NULL;
	struct db_nc_enrolment	*rows = NULL;
	struct db_nc_day	*days = NULL;
	json_object		*list, *numbers;
	size_t			 nsteps, ncounts, n, ndays, i, shown;
	char			 url[PORTAL_ARG_MAX + 200];
	int			 rc;

	if ((rc = db_nc_steps(&v->w->db, id, &steps, &nsteps)) != DB_OK ||
	    (rc = db_nc_enrolment_counts(&v->w->db, id, &counts,
	    &ncounts)) != DB_OK ||
	    (rc = db_nc_enrolments(&v->w->db, id, status, after,
	    ENROLMENTS_PAGE + 1, &rows, &n)) != DB_OK ||
	    (rc = db_nc_analytics(&v->w->db, id, ANALYTICS_DAYS, &days,
	    &ndays)) != DB_OK)
		goto out;
	json_object_object_add(data, "steps_list",
	    steps_json(steps, nsteps, extra));
	json_object_object_add(data, "has_steps",
	    json_object_new_boolean(nsteps > 0));
	json_object_object_add(data, "can_add_step",
	    json_object_new_boolean(nsteps < NURTURE_STEPS_MAX));
	numbers = json_object_new_array();
	for (i = 0; i < nsteps; i++)
		json_object_array_add(numbers,
		    json_object_new_int64(steps[i].number));
	json_object_object_add(data, "step_numbers", numbers);
	json_object_object_add(data, "tabs", tabs_json(id, status, counts,
	    ncounts));
	shown = n > ENROLMENTS_PAGE ? ENROLMENTS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, enrolment_json(&rows[i], steps,
		    nsteps));
	json_object_object_add(data, "enrolments", list);
	json_object_object_add(data, "has_enrolments",
	    json_object_new_boolean(shown > 0));
	if (n > ENROLMENTS_PAGE) {
		snprintf(url, sizeof(url), "/nurture/campaigns/%s?status=%s&"
		    "after=%s#enrolments", id, status, rows[shown - 1].id);
		json_put_string(data, "next_url", url);
	}
	if (after != NULL) {
		snprintf(url, sizeof(url), "/nurture/campaigns/%s?status=%s#"
		    "enrolments", id, status);
		json_put_string(data, "first_url", url);
	}
	snprintf(url, sizeof(url), "/nurture/campaigns/%s/enrollments.csv?"
	    "status=%s", id, status);
	json_put_string(data, "enrolments_export_url", url);
	snprintf(url, sizeof(url), "/nurture/campaigns/%s/analytics.csv", id);
	json_put_string(data, "analytics_export_url", url);
	json_put_string(data, "status", status);
	list = json_object_new_array();
	for (i = 0; i < ndays; i++)
		json_object_array_add(list, day_json(&days[i]));
	json_object_object_add(data, "days", list);
	json_object_object_add(data, "has_days",
	    json_object_new_boolean(ndays > 0));
	json_put_int(data, "analytics_days", ANALYTICS_DAYS);
out:
	free(steps);
	free(counts);
	free(rows);
	free(days);
	return rc;
}

void
nurture_campaign_render(struct visit *v, int status_code, json_object *extra)
{
	const char	*status = status_read(v);
	const char	*after;
	struct db_nc	*c;
	json_object	*data, *msg;
	int		 rc;

	if (status == NULL || !portal_query_marker(v, "after", &after,
	    "The page marker is not an enrolment id."))
		return;
	if ((c = campaign_read(v)) == NULL)
		return;
	data = portal_page_data(v);
	json_object_object_add(data, "campaign", campaign_json(c));
	free(c);
	if ((rc = page_data(v, v->arg[0], status, after, data, extra)) !=
	    DB_OK) {
		json_object_put(data);
		portal_send_db_error(v, rc);
		return;
	}
	if ((msg = flash(v)) != NULL)
		json_object_object_add(data, "flash", msg);
	portal_data_merge(data, extra, "edit");
	portal_send_page(v, status_code, PORTAL_TEMPLATE_NURTURE_CAMPAIGN,
	    data);
	json_object_put(data);
}

/* GET /nurture/campaigns/{uuid}: 200, 400 (a bad status or page), 404,
 * 503. */
void
nurture_campaign_page(struct visit *v)
{
	nurture_campaign_render(v, 200, NULL);
}

static const char enrolments_header[] = "enrollment_id,lead_id,lead_name,"
    "external_id,email,status,current_step,next_send_at,completion_reason,"
    "enrolled_by,enrolled_at,completed_at\r\n";

static void
enrolment_csv(struct buf *out, const struct db_nc_enrolment *e)
{
	csv_cell(out, e->id, true);
	csv_cell(out, e->lead_id, false);
	csv_cell(out, e->lead_name, false);
	csv_cell(out, e->external_id, false);
	csv_cell(out, e->email, false);
	csv_cell(out, e->status, false);
	portal_csv_int(out, e->step, false);
	csv_cell(out, e->next_send, false);
	csv_cell(out, e->reason, false);
	csv_cell(out, e->by, false);
	csv_cell(out, e->enrolled, false);
	csv_cell(out, e->completed, false);
	csv_end_row(out);
}

/* Where the enrolments export is: the next batch starts after after. */
struct enrolments_export {
	const char	*id, *status;
	char		 after[37];	/* "": from the first */
};

static int
enrolments_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	struct enrolments_export *e = ctx;

	return db_nc_enrolments(&v->w->db, e->id, e->status,
	    e->after[0] != '\0' ? e->after : NULL, EXPORT_BATCH,
	    (struct db_nc_enrolment **)rows, n);
}

static void
enrolments_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_nc_enrolment	*r = rows;
	struct enrolments_export	*e = ctx;
	size_t				 i;

	for (i = 0; i < n; i++)
		enrolment_csv(out, &r[i]);
	if (n > 0)
		snprintf(e->after, sizeof(e->after), "%s", r[n - 1].id);
}

/* GET /nurture/campaigns/{uuid}/enrollments.csv: 200 text/csv (streamed
 * a batch at a time), 400 bad status, 404, 503 (before the first byte). */
void
nurture_campaign_enrolments_export(struct visit *v)
{
	const char			*status = status_read(v);
	struct db_nc			*c;
	struct enrolments_export	 e = { v->arg[0], status, "" };
	char				 name[80];
	struct portal_csv_batches	 b = { name, enrolments_header,
					    "nurture enrolments", EXPORT_BATCH,
					    enrolments_read, enrolments_write,
					    &e };

	if (status == NULL || (c = campaign_read(v)) == NULL)
		return;
	free(c);
	snprintf(name, sizeof(name), "nurture-%.8s-enrollments-%s.csv",
	    v->arg[0], status);
	portal_csv_batches(v, &b);
}

static const char analytics_header[] = "analytics_date,emails_sent_today,"
    "emails_delivered_today,unique_opens_today,unique_clicks_today,"
    "bounces_today,unsubscribes_today,spam_reports_today,delivery_rate,"
    "open_rate,click_rate,bounce_rate,unsubscribe_rate\r\n";

/* GET /nurture/campaigns/{uuid}/analytics.csv: 200 text/csv, 404, 503. */
void
nurture_campaign_analytics_export(struct visit *v)
{
	struct db_nc		*c;
	struct db_nc_day	*days;
	struct buf		 out = BUF_INIT;
	char			 name[64];
	size_t			 n, i;
	int			 rc;

	if ((c = campaign_read(v)) == NULL)
		return;
	free(c);
	if ((rc = db_nc_analytics(&v->w->db, v->arg[0], 0, &days, &n)) !=
	    DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	snprintf(name, sizeof(name), "nurture-%.8s-analytics.csv", v->arg[0]);
	if (portal_csv_begin(v, name, &out, analytics_header) == 0) {
		for (i = 0; i < n; i++) {
			const struct db_nc_day *d = &days[i];

			csv_cell(&out, d->date, true);
			portal_csv_int(&out, d->sent, false);
			portal_csv_int(&out, d->delivered, false);
			portal_csv_int(&out, d->opens, false);
			portal_csv_int(&out, d->clicks, false);
			portal_csv_int(&out, d->bounces, false);
			portal_csv_int(&out, d->unsubscribes, false);
			portal_csv_int(&out, d->spam, false);
			csv_cell(&out, d->delivery_rate, false);
			csv_cell(&out, d->open_rate, false);
			csv_cell(&out, d->click_rate, false);
			csv_cell(&out, d->bounce_rate, false);
			csv_cell(&out, d->unsubscribe_rate, false);
			csv_end_row(&out);
		}
		if (portal_csv_flush(v, &out, "nurture analytics") == -1)
			log_warn("nurture analytics export: not whole");
	}
	free(days);
	buf_free(&out);
}

/*
 * Move the campaign to status to from one of from (an array literal);
 * refused says why when it is in none of them. 303 back with the new
 * status; 404; 409 (the page with the message); 503.
 */
static void
status_change(struct visit *v, const char *to, const char *from,
    const char *refused)
{
	struct db_nurture_campaign_state	 state;
	char					 url[PORTAL_ARG_MAX + 160], by[300];
	int					 rc;

	if (!nurture_campaign_state_read(v, &state))
		return;
	snprintf(by, sizeof(by), "portal:%s", v->who.email);
	if ((rc = db_nc_status_set(&v->w->db, v->arg[0], to, from, by)) < 0) {
		log_error("nurture campaign %s to %s: %s", v->arg[0], to,
		    v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0) {
		nurture_campaign_refuse(v, 409, refused);
		return;
	}
	log_info("nurture campaign %s %s by %s", v->arg[0], to, v->who.email);
	snprintf(url, sizeof(url), "/nurture/campaigns/%s?status_changed=%s",
	    v->arg[0], to);
	portal_redirect(v, url);
}

/* POST /nurture/campaigns/{uuid}/pause: 303, 404, 409 not active, 503. */
void
nurture_campaign_pause(struct visit *v)
{
	status_change(v, "paused", "{active}", "Only an active campaign can "
	    "be paused. Nothing changed.");
}

/* POST /nurture/campaigns/{uuid}/resume: 303, 404, 409 not paused, 503. */
void
nurture_campaign_resume(struct visit *v)
{
	status_change(v, "active", "{paused}", "Only a paused campaign can "
	    "be resumed. Nothing changed.");
}

/* POST /nurture/campaigns/{uuid}/archive: 303, 404, 409 archived already,
 * 503. */
void
nurture_campaign_archive(struct visit *v)
{
	status_change(v, "archived", "{active,paused}", "The campaign is "
	    "archived already. Nothing changed.");
}
