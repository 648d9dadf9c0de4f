/*
 * portal_deenroll: de-enrollment runs (routes below).
 *
 *   GET  /de-enrollment              the runs, newest first (filters:
 *                                    client=SLUG, status, from and to —
 *                                    UTC days —; keyset pages of 50,
 *                                    before=the last run shown)
 *   GET  /de-enrollment/export.csv   the filtered runs as CSV
 *
 * The health table and "run now" are in portal_deenroll_health.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db_apikey.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "portal_csv.h"
#include "portal_deenroll.h"

#define RUNS_PAGE	50
#define EXPORT_BATCH	1000

static const char *const statuses[] = { "running", "success", "partial",
    "failed", NULL };

/* The column names, as the CSV's header and the template's keys. */
static const char *const run_names[DB_RUN__MAX] = {
	[DB_RUN_ID] = "id", [DB_RUN_CLIENT] = "client",
	[DB_RUN_AT] = "run_at", [DB_RUN_FINISHED] = "finished_at",
	[DB_RUN_STATUS] = "status", [DB_RUN_EVALUATED] = "leads_evaluated",
	[DB_RUN_DE_ENROLLED] = "leads_de_enrolled",
	[DB_RUN_BATCHES] = "batches", [DB_RUN_DURATION] = "duration_ms",
	[DB_RUN_ERROR] = "error_details",
	[DB_RUN_TRIGGERED_BY] = "triggered_by",
};

json_object *
deenroll_run_json(const struct db_deenroll_run *r)
{
	json_object	*o = json_object_new_object();
	const char	*status = r->col[DB_RUN_STATUS];
	int		 c;

	for (c = 0; c < DB_RUN__MAX; c++)
		json_put_string(o, run_names[c], r->col[c]);
	json_object_object_add(o, "failed", json_object_new_boolean(
	    status != NULL && strcmp(status, "failed") == 0));
	return o;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Read the filters into q; -1 having sent a 400 naming the bad one. */
static int
filters_read(struct visit *v, struct db_deenroll_runs_query *q)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->client = nonempty(portal_query(v, "client"));
	q->status = nonempty(portal_query(v, "status"));
	q->from = nonempty(portal_query(v, "from"));
	q->to = nonempty(portal_query(v, "to"));
	q->before = nonempty(portal_query(v, "before"));
	if (q->status != NULL) {
		for (i = 0; statuses[i] != NULL; i++)
			if (strcmp(q->status, statuses[i]) == 0)
				break;
		if (statuses[i] == NULL) {
			portal_send_error(v, 400, "The status must be running, "
			    "success, partial or failed.");
			return -1;
		}
	}
	if ((q->from != NULL && !lead_date_valid(q->from)) ||
	    (q->to != NULL && !lead_date_valid(q->to))) {
		portal_send_error(v, 400, "A date must be written YYYY-MM-DD.");
		return -1;
	}
	if (q->client != NULL && strlen(q->client) > 64) {
		portal_send_error(v, 400, "There is no such client.");
		return -1;
	}
	if (q->before != NULL && !lead_uuid_valid(q->before)) {
		portal_send_error(v, 400, "The page marker is not a run id.");
		return -1;
	}
	return 0;
}

/* The filters (not the page) as a query string, appended to b. */
static void
filters_qs(const struct db_deenroll_runs_query *q, struct buf *b)
{
	lead_qs_add(b, "client", q->client);
	lead_qs_add(b, "status", q->status);
	lead_qs_add(b, "from", q->from);
	lead_qs_add(b, "to", q->to);
}

/* The menus: clients and statuses, [{value, selected}]. */
static int
menus(struct visit *v, json_object *data,
    const struct db_deenroll_runs_query *q)
{
	struct db_client_row	*rows;
	json_object		*list;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_client_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_put_string(c, "value", rows[i].slug);
		json_put_string(c, "id", rows[i].id);
		json_object_object_add(c, "selected", json_object_new_boolean(
		    q->client != NULL && strcmp(q->client, rows[i].slug) == 0));
		json_object_array_add(list, c);
	}
	free(rows);
	json_object_object_add(data, "clients", list);
	list = json_object_new_array();
	for (i = 0; statuses[i] != NULL; i++) {
		json_object *s = json_object_new_object();

		json_put_string(s, "value", statuses[i]);
		json_object_object_add(s, "selected", json_object_new_boolean(
		    q->status != NULL && strcmp(q->status, statuses[i]) == 0));
		json_object_array_add(list, s);
	}
	json_object_object_add(data, "statuses", list);
	return DB_OK;
}

/* The runs' part of the page into data; a db_status. */
static int
runs_add(struct visit *v, struct db_deenroll_runs_query *q, json_object *data)
{
	struct db_deenroll_run	*rows;
	struct buf		 qs = BUF_INIT, url = BUF_INIT;
	json_object		*list;
	size_t			 n, i, shown;
	int			 rc;

	q->limit = RUNS_PAGE + 1;
	if ((rc = db_deenroll_runs(&v->w->db, q, &rows, &n)) != DB_OK)
		return rc;
	shown = n > RUNS_PAGE ? RUNS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, deenroll_run_json(&rows[i]));
	json_object_object_add(data, "runs", list);
	json_object_object_add(data, "has_runs",
	    json_object_new_boolean(shown > 0));
	filters_qs(q, &qs);
	if (n > RUNS_PAGE) {
		buf_printf(&url, "/de-enrollment?%s%sbefore=%s", buf_str(&qs),
		    qs.len > 0 ? "&" : "", rows[shown - 1].col[DB_RUN_ID]);
		json_put_string(data, "next_url", buf_str(&url));
	}
	if (q->before != NULL) {
		buf_reset(&url);
		buf_printf(&url, "/de-enrollment?%s", buf_str(&qs));
		json_put_string(data, "first_url", buf_str(&url));
	}
	buf_reset(&url);
	buf_printf(&url, "/de-enrollment/export.csv?%s", buf_str(&qs));
	json_put_string(data, "export_url", buf_str(&url));
	json_put_string(data, "from", q->from);
	json_put_string(data, "to", q->to);
	free(rows);
	buf_free(&qs);
	buf_free(&url);
	return DB_OK;
}

/* GET /de-enrollment: 200, 400 (a bad filter), 503. */
void
deenroll_page(struct visit *v)
{
	struct db_deenroll_runs_query	 q;
	json_object			*data;
	int				 rc;

	if (filters_read(v, &q) == -1)
		return;
	data = portal_page_data(v);
	if ((rc = menus(v, data, &q)) != DB_OK ||
	    (rc = runs_add(v, &q, data)) != DB_OK ||
	    (rc = deenroll_health_add(v, data)) != DB_OK) {
		json_object_put(data);
		portal_send_db_error(v, rc);
		return;
	}
	deenroll_flash_add(v, data);
	portal_send_page(v, 200, PORTAL_TEMPLATE_DEENROLL, data);
	json_object_put(data);
}

static void
run_csv(struct buf *out, const struct db_deenroll_run *r)
{
	int c;

	for (c = 0; c < DB_RUN__MAX; c++)
		csv_cell(out, r->col[c], c == 0);
	csv_end_row(out);
}

/* GET /de-enrollment/export.csv: 200 text/csv (streamed a batch at a
 * time), 400 bad filter, 503 (before the first byte). */
void
deenroll_export(struct visit *v)
{
	struct db_deenroll_runs_query	 q;
	struct db_deenroll_run		*rows;
	struct buf			 out = BUF_INIT;
	char				 before[37];
	size_t				 n, i;
	int				 rc, c;

	if (filters_read(v, &q) == -1)
		return;
	q.limit = EXPORT_BATCH;
	if ((rc = db_deenroll_runs(&v->w->db, &q, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	for (c = 0; c < DB_RUN__MAX; c++)
		buf_printf(&out, "%s%s", c == 0 ? "" : ",", run_names[c]);
	buf_puts(&out, "\r\n");
	if (buf_failed(&out)) {
		free(rows);
		buf_free(&out);
		portal_send_error(v, 500, "The export could not be made.");
		return;
	}
	if (portal_csv_begin(v, "de-enrollment-runs.csv", &out, "") == -1) {
		free(rows);
		buf_free(&out);
		return;
	}
	for (;;) {
		for (i = 0; i < n; i++)
			run_csv(&out, &rows[i]);
		if (n > 0)
			snprintf(before, sizeof(before), "%s",
			    rows[n - 1].col[DB_RUN_ID]);
		free(rows);
		if (portal_csv_flush(v, &out, "de-enrollment runs") == -1 ||
		    n < EXPORT_BATCH)
			break;
		q.before = before;
		if (db_deenroll_runs(&v->w->db, &q, &rows, &n) != DB_OK) {
			log_error("de-enrollment runs export cut short: %s",
			    v->w->db.error);
			http_stream_abort(v->req);
			break;
		}
	}
	buf_free(&out);
}
