/*
 * portal_alerts: every alert minicrm sent, failed to send, or only logged
 * (alert_history, sql 0016), newest first, and the last 7 days per kind:
 * the SOP's weekly alert review. The messages carry lead data, client and
 * key names and workflows' errors (hostile input): shown as text. The
 * webhook is named by its host only (its URL is a secret, never stored).
 *
 *   GET /alerts             filters: outcome (sent, failed, logged), kind
 *                           (a prefix: "deenroll:", "dead"), from and to
 *                           (UTC days, YYYY-MM-DD); keyset pages of 50
 *                           (before=ID)
 *   GET /alerts/export.csv  the same filters, every row, as CSV
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_alert.h"
#include "db_timeline.h"
#include "json_put.h"
#include "lead_filters.h"
#include "portal_alerts.h"
#include "portal_csv.h"
#include "validate.h"

#define ALERTS_PAGE	50
#define EXPORT_BATCH	1000
#define KIND_MAX	200	/* bytes of a kind filter */

static const char *const hist_names[DB_AHIST__MAX] = {
	[DB_AHIST_ID] = "id", [DB_AHIST_CREATED] = "created_at",
	[DB_AHIST_KIND] = "kind", [DB_AHIST_OUTCOME] = "outcome",
	[DB_AHIST_HOST] = "host", [DB_AHIST_ATTEMPTS] = "attempts",
	[DB_AHIST_ERROR] = "error", [DB_AHIST_MESSAGE] = "message",
};

static const struct portal_choice outcomes[] = {
	{ "all", "every outcome" },
	{ "sent", "sent" },
	{ "failed", "failed" },
	{ "logged", "logged (no webhook)" },
};

/* An optional day filter: true with *out the day or NULL; false having
 * answered 400. */
static bool
day_read(struct visit *v, const char *name, const char **out)
{
	const char	*d = portal_query(v, name);

	*out = NULL;
	if (d == NULL || *d == '\0')
		return true;
	if (!lead_date_valid(d)) {
		portal_send_error(v, 400, "A date is written YYYY-MM-DD.");
		return false;
	}
	*out = d;
	return true;
}

/* The filters and the cursor into f; -1 having sent a 400. */
static int
filters_read(struct visit *v, struct db_alert_hist_filter *f)
{
	const char	*k = portal_query(v, "kind");
	const char	*b = portal_query(v, "before");
	const char	*o;
	long		 n;

	memset(f, 0, sizeof(*f));
	if ((o = portal_query_choice(v, "outcome", outcomes,
	    sizeof(outcomes) / sizeof(outcomes[0]), "all",
	    "The outcome is sent, failed or logged.")) == NULL)
		return -1;
	f->outcome = strcmp(o, "all") == 0 ? NULL : o;
	if (k != NULL && *k != '\0') {
		if (strlen(k) > KIND_MAX || !utf8_valid(k, strlen(k))) {
			portal_send_error(v, 400, "The kind filter is at most "
			    "200 bytes of text.");
			return -1;
		}
		f->kind = k;
	}
	if (!day_read(v, "from", &f->from) || !day_read(v, "to", &f->to))
		return -1;
	if (b != NULL && *b != '\0') {
		if (parse_long(b, 1, 999999999999999999L, &n) == -1) {
			portal_send_error(v, 400, "The page marker is not an "
			    "alert id.");
			return -1;
		}
		f->before = n;
	}
	return 0;
}

/* The filters as a query string (without the marker) into qs. */
static void
filters_qs(struct buf *qs, const struct db_alert_hist_filter *f)
{
	lead_qs_add(qs, "outcome", f->outcome);
	lead_qs_add(qs, "kind", f->kind);
	lead_qs_add(qs, "from", f->from);
	lead_qs_add(qs, "to", f->to);
}

static json_object *
week_json(const struct db_alert_week *w, size_t n)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_put_string(o, "kind", w[i].kind);
		json_put_int(o, "total", w[i].total);
		json_put_int(o, "sent", w[i].sent);
		json_put_int(o, "failed", w[i].failed);
		json_put_int(o, "logged", w[i].logged);
		json_put_string(o, "last", w[i].last);
		json_object_array_add(list, o);
	}
	return list;
}

/* GET /alerts: 200, 400 (a bad filter), 503. */
void
alerts_page(struct visit *v)
{
	struct db_alert_hist_filter	 f;
	struct db_alert_hist		*rows = NULL;
	struct db_alert_week		*week = NULL;
	struct buf			 qs = BUF_INIT, url = BUF_INIT;
	json_object			*data, *list;
	size_t				 n = 0, nweek = 0, i, shown;
	int				 rc, c;

	if (filters_read(v, &f) == -1)
		return;
	if ((rc = db_timeline_begin(&v->w->db, "UTC")) == DB_OK) {
		if ((rc = db_alert_history_list(&v->w->db, &f, ALERTS_PAGE + 1,
		    &rows, &n)) == DB_OK)
			rc = db_alert_history_week(&v->w->db, &week, &nweek);
		db_timeline_end(&v->w->db);
	}
	if (rc != DB_OK) {
		free(rows);
		free(week);
		portal_send_db_error(v, rc);
		return;
	}
	data = portal_page_data(v);
	shown = n > ALERTS_PAGE ? ALERTS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++) {
		json_object *e = json_object_new_object();

		for (c = 0; c < DB_AHIST__MAX; c++)
			json_put_string(e, hist_names[c], rows[i].col[c]);
		json_object_object_add(e, "failed", json_object_new_boolean(
		    strcmp(rows[i].col[DB_AHIST_OUTCOME], "failed") == 0));
		json_object_array_add(list, e);
	}
	json_object_object_add(data, "alerts", list);
	json_object_object_add(data, "has_alerts",
	    json_object_new_boolean(shown > 0));
	json_object_object_add(data, "week", week_json(week, nweek));
	json_object_object_add(data, "has_week",
	    json_object_new_boolean(nweek > 0));
	list = json_object_new_array();
	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		json_object *o = json_object_new_object();

		json_put_string(o, "value", outcomes[i].name);
		json_put_string(o, "label", outcomes[i].label);
		json_object_object_add(o, "selected", json_object_new_boolean(
		    f.outcome != NULL ? strcmp(f.outcome,
		    outcomes[i].name) == 0 : i == 0));
		json_object_array_add(list, o);
	}
	json_object_object_add(data, "outcomes", list);
	json_put_string(data, "kind", f.kind != NULL ? f.kind : "");
	json_put_string(data, "from", f.from != NULL ? f.from : "");
	json_put_string(data, "to", f.to != NULL ? f.to : "");
	filters_qs(&qs, &f);
	if (n > ALERTS_PAGE) {
		buf_printf(&url, "/alerts?%s%sbefore=%s", buf_str(&qs),
		    qs.len > 0 ? "&" : "", rows[shown - 1].col[DB_AHIST_ID]);
		json_put_string(data, "next_url", buf_str(&url));
	}
	if (f.before > 0) {
		buf_reset(&url);
		buf_printf(&url, "/alerts?%s", buf_str(&qs));
		json_put_string(data, "first_url", buf_str(&url));
	}
	buf_reset(&url);
	buf_printf(&url, "/alerts/export.csv?%s", buf_str(&qs));
	json_put_string(data, "export_url", buf_str(&url));
	free(rows);
	free(week);
	buf_free(&qs);
	buf_free(&url);
	portal_send_page(v, 200, PORTAL_TEMPLATE_ALERTS, data);
	json_object_put(data);
}

static int
hist_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	return db_alert_history_list(&v->w->db, ctx, EXPORT_BATCH,
	    (struct db_alert_hist **)rows, n);
}

static void
hist_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_alert_hist	*r = rows;
	struct db_alert_hist_filter	*f = ctx;
	size_t				 i;
	int				 c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < DB_AHIST__MAX; c++)
			csv_cell(out, r[i].col[c], c == 0);
		csv_end_row(out);
	}
	f->before = n > 0 ? strtoll(r[n - 1].col[DB_AHIST_ID], NULL, 10) : 0;
}

/* GET /alerts/export.csv: 200 text/csv (streamed a batch at a time), 400
 * a bad filter, 503 (before the first byte). */
void
alerts_export(struct visit *v)
{
	struct db_alert_hist_filter	 f;
	struct portal_csv_batches	 b = { "alerts.csv",
	    "id,created_at,kind,outcome,host,attempts,error,message\r\n",
	    "alert history", EXPORT_BATCH, hist_read, hist_write, &f };
	int				 rc;

	if (filters_read(v, &f) == -1)
		return;
	if ((rc = db_timeline_begin(&v->w->db, "UTC")) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	portal_csv_batches(v, &b);
	db_timeline_end(&v->w->db);
}
