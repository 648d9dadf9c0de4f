/*
 * portal_nurture: the nurture dashboard (routes below). The figures come
 * typed from the store (db_nurture_pages) and are judged by the domain
 * (nurture_kpi: the runbook's targets and alert thresholds); this file
 * turns them into the template's data.
 *
 *   GET /nurture                the runbook's KPI table over a window
 *                               (days=1|7|30|90, default 7), rates per day
 *                               (14 days) as SVG charts, the morning
 *                               health check, the pause switches, the
 *                               per-campaign analytics of the window;
 *                               client=SLUG narrows every e-mail figure
 *   GET /nurture/analytics.csv  the analytics of the window as CSV
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_apikey.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "nurture.h"
#include "nurture_kpi.h"
#include "portal_csv.h"
#include "portal_nurture.h"
#include "validate.h"

#define ANALYTICS_PAGE		100
#define EXPORT_BATCH		1000
#define DEFAULT_DAYS		7

static const long windows[] = { 1, 7, 30, 90 };

int
nurture_client_filter(struct visit *v, json_object *data, const char **id,
    void **mem)
{
	struct db_client_row	*rows;
	const char		*slug = portal_query(v, "client");
	json_object		*list;
	size_t			 n, i;
	int			 rc;

	*id = NULL;
	*mem = NULL;
	if (slug != NULL && *slug == '\0')
		slug = NULL;
	if ((rc = db_client_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	*mem = rows;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object	*c = json_object_new_object();
		bool		 chosen = slug != NULL &&
				    strcmp(slug, rows[i].slug) == 0;

		json_put_string(c, "value", rows[i].slug);
		json_put_string(c, "id", rows[i].id);
		json_object_object_add(c, "selected",
		    json_object_new_boolean(chosen));
		json_object_array_add(list, c);
		if (chosen)
			*id = rows[i].id;
	}
	json_object_object_add(data, "clients", list);
	json_put_string(data, "client", slug);
	return slug != NULL && *id == NULL ? 1 : DB_OK;
}

int
nurture_pages_open(struct visit *v, json_object *data, const char **client,
    void **mem)
{
	int rc;

	*mem = NULL;
	if ((rc = db_nurture_pages_begin(&v->w->db)) != DB_OK) {
		portal_send_db_error(v, rc);
		return -1;
	}
	if ((rc = nurture_client_filter(v, data, client, mem)) == DB_OK)
		return 0;
	db_nurture_pages_end(&v->w->db);
	if (rc == 1) {
		portal_send_error(v, 400, "There is no such client.");
		return -1;
	}
	log_error("nurture pages: the clients: %s", v->w->db.error);
	portal_send_db_error(v, rc);
	return -1;
}

void
nurture_pages_fail(struct visit *v, int rc, const char *what, void *mem,
    json_object *data)
{
	if (what != NULL)
		log_error("%s: %s", what, v->w->db.error);
	db_nurture_pages_end(&v->w->db);
	free(mem);
	json_object_put(data);
	portal_send_db_error(v, rc);
}

/* The window (days) from the query; -1 having sent a 400. */
static long
window_read(struct visit *v)
{
	const char	*s = portal_query(v, "days");
	long		 days;
	size_t		 i;

	if (s == NULL || *s == '\0')
		return DEFAULT_DAYS;
	if (parse_long(s, 1, 90, &days) == 0)
		for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
			if (windows[i] == days)
				return days;
	portal_send_error(v, 400, "The window (days) must be 1, 7, 30 or 90.");
	return -1;
}

static void
window_menu(json_object *data, long days)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		json_object *w = json_object_new_object();

		json_put_int(w, "value", windows[i]);
		json_object_object_add(w, "selected",
		    json_object_new_boolean(windows[i] == days));
		json_object_array_add(list, w);
	}
	json_object_object_add(data, "windows", list);
	json_put_int(data, "days", days);
}

/* A rate as the page shows it, with its judgement. */
static json_object *
rate_json(enum nurture_kpi k, long bp)
{
	json_object	*o = json_object_new_object();
	char		 text[32];

	json_put_string(o, "text", nurture_rate_text(bp, text, sizeof(text)));
	json_put_string(o, "level",
	    nurture_kpi_level_name(nurture_kpi_judge(k, bp)));
	return o;
}

/* One row of the KPI table: num (what) of den (of). */
static json_object *
kpi_json(enum nurture_kpi k, long long num, const char *what,
    long long den, const char *of)
{
	const struct nurture_kpi_def	*d = nurture_kpi_def(k);
	json_object			*o = json_object_new_object();
	long				 bp = nurture_rate_bp(num, den);
	char				 text[96];

	json_put_string(o, "key", d->key);
	json_put_string(o, "name", d->name);
	json_put_string(o, "value", nurture_rate_text(bp, text, sizeof(text)));
	json_put_string(o, "target",
	    nurture_kpi_target_text(k, text, sizeof(text)));
	json_put_string(o, "alert", nurture_kpi_alert_text(k, text,
	    sizeof(text)));
	json_put_string(o, "level",
	    nurture_kpi_level_name(nurture_kpi_judge(k, bp)));
	snprintf(text, sizeof(text), "%lld %s of %lld %s", num, what, den, of);
	json_put_string(o, "detail", text);
	return o;
}

static int
kpis_add(struct visit *v, const char *client, long days, json_object *data)
{
	struct db_nurture_kpi_counts	 c;
	json_object			*list;
	int				 rc;

	if ((rc = db_nurture_pages_kpi(&v->w->db, client, days,
	    nurture_workflow_name(NURTURE_SCHEDULER),
	    nurture_workflow_name(NURTURE_SENDER), &c)) != DB_OK)
		return rc;
	list = json_object_new_array();
	json_object_array_add(list, kpi_json(NURTURE_KPI_DELIVERY, c.delivered,
	    "delivered", c.sent, "sent"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_OPEN, c.opened,
	    "opened", c.sent, "sent"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_CLICK, c.clicked,
	    "clicked", c.sent, "sent"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_UNSUBSCRIBE,
	    c.unsubscribes, "unsubscribes", c.sent, "sent"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_BOUNCE, c.bounced,
	    "bounced", c.sent, "sent"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_SCHEDULER,
	    c.scheduler_ok, "successful", c.scheduler_runs, "runs"));
	json_object_array_add(list, kpi_json(NURTURE_KPI_SENDER, c.sender_ok,
	    "successful", c.sender_runs, "runs"));
	json_object_object_add(data, "kpis", list);
	json_put_int(data, "sent", c.sent);
	return DB_OK;
}

/* A figure of the morning check and whether it misses its expectation. */
static void
figure(json_object *o, const char *key, long long n, bool missed)
{
	json_object *f = json_object_new_object();

	json_put_int(f, "n", n);
	json_object_object_add(f, "missed", json_object_new_boolean(missed));
	json_object_object_add(o, key, f);
}

static int
morning_add(struct visit *v, const char *client, json_object *data)
{
	struct db_nurture_morning	 m;
	struct db_nurture_error_count	*rows;
	struct buf			 qs = BUF_INIT;
	json_object			*o, *list;
	size_t				 n, i;
	unsigned			 missed;
	int				 rc;

	if ((rc = db_nurture_pages_morning(&v->w->db, client, &m)) != DB_OK)
		return rc;
	if ((rc = db_nurture_pages_errors_today(&v->w->db, &rows, &n)) !=
	    DB_OK)
		return rc;
	missed = nurture_morning_judge(&m);
	o = json_object_new_object();
	json_put_int(o, "emails", m.emails);
	json_put_int(o, "successful", m.successful);
	figure(o, "failed", m.failed, missed & NURTURE_MORNING_FAILED);
	if (m.has_avg_delay)
		figure(o, "avg_delay", m.avg_delay_s,
		    missed & NURTURE_MORNING_DELAY);
	json_put_int(o, "active", m.active);
	figure(o, "overdue", m.overdue, missed & NURTURE_MORNING_OVERDUE);
	json_put_int(o, "due_soon", m.due_soon);
	figure(o, "errors", m.errors_today, missed & NURTURE_MORNING_ERRORS);
	json_object_object_add(o, "all_met", json_object_new_boolean(
	    missed == 0));
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_put_string(e, "workflow", rows[i].workflow);
		buf_reset(&qs);
		lead_qs_add(&qs, "workflow", rows[i].workflow);
		json_put_string(e, "qs", buf_str(&qs));
		json_put_int(e, "count", rows[i].count);
		json_put_string(e, "last", rows[i].last);
		json_object_array_add(list, e);
	}
	free(rows);
	buf_free(&qs);
	json_object_object_add(o, "errors_by_workflow", list);
	json_object_object_add(o, "has_errors_by_workflow",
	    json_object_new_boolean(n > 0));
	json_object_object_add(data, "morning", o);
	return DB_OK;
}

static json_object *
analytics_json(const struct db_nurture_analytics *a)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "date", a->date);
	json_put_string(o, "client", a->client);
	json_put_string(o, "campaign_id", a->campaign_id);
	json_put_string(o, "campaign", a->campaign);
	json_put_int(o, "sent", a->sent);
	json_put_int(o, "delivered", a->delivered);
	json_put_int(o, "opens", a->opens);
	json_put_int(o, "clicks", a->clicks);
	json_put_int(o, "bounces", a->bounces);
	json_put_int(o, "unsubscribes", a->unsubscribes);
	json_put_int(o, "spam_reports", a->spam_reports);
	json_object_object_add(o, "delivery_rate",
	    rate_json(NURTURE_KPI_DELIVERY, a->delivery_bp));
	json_object_object_add(o, "open_rate",
	    rate_json(NURTURE_KPI_OPEN, a->open_bp));
	json_object_object_add(o, "click_rate",
	    rate_json(NURTURE_KPI_CLICK, a->click_bp));
	json_object_object_add(o, "bounce_rate",
	    rate_json(NURTURE_KPI_BOUNCE, a->bounce_bp));
	json_object_object_add(o, "unsubscribe_rate",
	    rate_json(NURTURE_KPI_UNSUBSCRIBE, a->unsubscribe_bp));
	return o;
}

static int
analytics_add(struct visit *v, const char *client, long days,
    json_object *data)
{
	struct db_nurture_analytics	*rows;
	json_object			*list;
	size_t				 n, i, shown;
	int				 rc;

	if ((rc = db_nurture_pages_analytics(&v->w->db, client, days, 0,
	    ANALYTICS_PAGE + 1, &rows, &n)) != DB_OK)
		return rc;
	shown = n > ANALYTICS_PAGE ? ANALYTICS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, analytics_json(&rows[i]));
	free(rows);
	json_object_object_add(data, "analytics", list);
	json_object_object_add(data, "has_analytics",
	    json_object_new_boolean(shown > 0));
	json_object_object_add(data, "analytics_more",
	    json_object_new_boolean(n > ANALYTICS_PAGE));
	return DB_OK;
}

/* The page's own query string (client, days) as "qs", for its links. */
static void
links_add(json_object *data, const char *slug, long days)
{
	struct buf	 qs = BUF_INIT;
	char		 d[24];

	snprintf(d, sizeof(d), "%ld", days);
	lead_qs_add(&qs, "client", slug);
	if (days != DEFAULT_DAYS)
		lead_qs_add(&qs, "days", d);
	json_put_string(data, "qs", buf_str(&qs));
	buf_free(&qs);
}

/* The outcome a switch or an action left in the query, as "flash". */
static void
flash_add(struct visit *v, json_object *data)
{
	static const struct { const char *key, *text; } flashes[] = {
		{ "sender-paused", "The sender is paused." },
		{ "sender-resumed", "The sender is running again." },
		{ "scheduler-paused", "The scheduler is paused." },
		{ "scheduler-resumed", "The scheduler is running again." },
		{ "analytics-updated", "The campaign analytics are up to date "
		    "(yesterday and today, or the day asked for)." },
	};
	const char	*s = portal_query(v, "done");
	size_t		 i;

	for (i = 0; s != NULL && i < sizeof(flashes) / sizeof(flashes[0]); i++)
		if (strcmp(s, flashes[i].key) == 0)
			json_put_string(data, "flash", flashes[i].text);
}

/* GET /nurture: 200; 400 an unknown client or window; 503, 500. */
void
nurture_page(struct visit *v)
{
	json_object	*data;
	const char	*client;
	void		*mem;
	long		 days;
	int		 rc;

	if ((days = window_read(v)) == -1)
		return;
	data = portal_page_data(v);
	if (nurture_pages_open(v, data, &client, &mem) == -1) {
		free(mem);
		json_object_put(data);
		return;
	}
	if ((rc = kpis_add(v, client, days, data)) != DB_OK ||
	    (rc = nurture_charts_add(v, client, data)) != DB_OK ||
	    (rc = morning_add(v, client, data)) != DB_OK ||
	    (rc = nurture_switches_add(v, data)) != DB_OK ||
	    (rc = analytics_add(v, client, days, data)) != DB_OK) {
		nurture_pages_fail(v, rc, "nurture dashboard", mem, data);
		return;
	}
	db_nurture_pages_end(&v->w->db);
	window_menu(data, days);
	links_add(data, portal_query(v, "client"), days);
	flash_add(v, data);
	free(mem);
	portal_send_page(v, 200, PORTAL_TEMPLATE_NURTURE, data);
	json_object_put(data);
}

/* A rate as a CSV cell: "95.5", empty for none. */
static void
rate_csv(struct buf *out, long bp)
{
	char text[24];

	if (bp < 0)
		text[0] = '\0';
	else
		snprintf(text, sizeof(text), "%ld.%02ld", bp / 100, bp % 100);
	csv_cell(out, text, false);
}

static void
analytics_csv(struct buf *out, const struct db_nurture_analytics *a)
{
	csv_cell(out, a->date, true);
	csv_cell(out, a->client, false);
	csv_cell(out, a->campaign_id, false);
	csv_cell(out, a->campaign, false);
	portal_csv_int(out, a->sent, false);
	portal_csv_int(out, a->delivered, false);
	portal_csv_int(out, a->opens, false);
	portal_csv_int(out, a->clicks, false);
	portal_csv_int(out, a->bounces, false);
	portal_csv_int(out, a->unsubscribes, false);
	portal_csv_int(out, a->spam_reports, false);
	rate_csv(out, a->delivery_bp);
	rate_csv(out, a->open_bp);
	rate_csv(out, a->click_bp);
	rate_csv(out, a->bounce_bp);
	rate_csv(out, a->unsubscribe_bp);
	csv_cell(out, a->updated, false);
	csv_end_row(out);
}

/* Where the analytics export is: the next batch starts after after. */
struct analytics_export {
	const char	*client;
	long		 days;
	long long	 after;		/* 0: from the first */
};

static int
analytics_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	struct analytics_export *e = ctx;

	return db_nurture_pages_analytics(&v->w->db, e->client, e->days,
	    e->after, EXPORT_BATCH, (struct db_nurture_analytics **)rows, n);
}

static void
analytics_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_nurture_analytics	*a = rows;
	struct analytics_export			*e = ctx;
	size_t					 i;

	for (i = 0; i < n; i++)
		analytics_csv(out, &a[i]);
	e->after = n > 0 ? a[n - 1].id : 0;
}

/* GET /nurture/analytics.csv: 200 text/csv (streamed a batch at a time),
 * 400 an unknown client or window, 503 (before the first byte). */
void
nurture_analytics_export(struct visit *v)
{
	struct analytics_export		 e = { NULL, 0, 0 };
	struct portal_csv_batches	 b = { "nurture-analytics.csv",
	    "analytics_date,client,campaign_id,campaign_name,"
	    "emails_sent_today,emails_delivered_today,unique_opens_today,"
	    "unique_clicks_today,bounces_today,unsubscribes_today,"
	    "spam_reports_today,delivery_rate,open_rate,click_rate,"
	    "bounce_rate,unsubscribe_rate,updated_at\r\n",
	    "nurture analytics", EXPORT_BATCH, analytics_read, analytics_write,
	    &e };
	json_object			*scratch;
	void				*mem;
	int				 rc;

	if ((e.days = window_read(v)) == -1)
		return;
	scratch = json_object_new_object();
	rc = nurture_pages_open(v, scratch, &e.client, &mem);
	json_object_put(scratch);
	if (rc == 0) {
		portal_csv_batches(v, &b);
		db_nurture_pages_end(&v->w->db);
	}
	free(mem);
}
