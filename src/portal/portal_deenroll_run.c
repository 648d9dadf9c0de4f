/*
 * portal_deenroll_run: one de-enrollment run (routes below).
 *
 *   GET /de-enrollment/runs/{uuid}             the run's row and its lead
 *                                              log (pages of 100 by log
 *                                              row, after=the last shown)
 *   GET /de-enrollment/runs/{uuid}/export.csv  the lead log as CSV
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json_put.h"
#include "log.h"
#include "portal_csv.h"
#include "portal_deenroll.h"
#include "validate.h"

#define LOG_PAGE	100
#define EXPORT_BATCH	1000

static const char *const log_names[DB_LOG__MAX] = {
	[DB_LOG_ID] = "id", [DB_LOG_LEAD] = "lead_id",
	[DB_LOG_LEAD_NAME] = "lead_name", [DB_LOG_CAMPAIGN_ID] = "campaign_id",
	[DB_LOG_CAMPAIGN] = "campaign", [DB_LOG_ACTION] = "action",
	[DB_LOG_OUTCOME] = "outcome", [DB_LOG_RECEIVED] = "messages_received",
	[DB_LOG_POSITION] = "current_message_position",
	[DB_LOG_TOTAL] = "total_messages", [DB_LOG_ENROLLED] = "enrolled_at",
	[DB_LOG_PROCESSED] = "processed_at",
	[DB_LOG_ERROR] = "error_message",
};

static json_object *
log_json(const struct db_deenroll_log *r)
{
	json_object	*o = json_object_new_object();
	int		 c;

	for (c = 0; c < DB_LOG__MAX; c++)
		json_put_string(o, log_names[c], r->col[c]);
	return o;
}

/* The run, or a 404 / db error sent (NULL). The caller free()s it. */
static struct db_deenroll_run *
run_read(struct visit *v)
{
	struct db_deenroll_run	*run;
	int			 rc;

	if ((rc = db_deenroll_run_get(&v->w->db, v->arg[0], &run)) != DB_OK) {
		portal_send_db_error(v, rc);
		return NULL;
	}
	if (run == NULL)
		portal_send_error(v, 404, "There is no such de-enrollment run.");
	return run;
}

/* GET /de-enrollment/runs/{uuid}: 200, 400 (a bad page marker), 404, 503. */
void
deenroll_run_page(struct visit *v)
{
	const char		*after = portal_query(v, "after");
	struct db_deenroll_run	*run;
	struct db_deenroll_log	*rows;
	json_object		*data, *list;
	char			 url[160];
	size_t			 n, i, shown;
	long			 id;
	int			 rc;

	if (after != NULL && *after == '\0')
		after = NULL;
	if (after != NULL && (strlen(after) > 18 ||
	    parse_long(after, 1, 999999999999999999L, &id) == -1)) {
		portal_send_error(v, 400, "The page marker is not a log row.");
		return;
	}
	if ((run = run_read(v)) == NULL)
		return;
	if ((rc = db_deenroll_run_log(&v->w->db, v->arg[0], after,
	    LOG_PAGE + 1, &rows, &n)) != DB_OK) {
		free(run);
		portal_send_db_error(v, rc);
		return;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "run", deenroll_run_json(run));
	free(run);
	shown = n > LOG_PAGE ? LOG_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, log_json(&rows[i]));
	json_object_object_add(data, "log", list);
	json_object_object_add(data, "has_log",
	    json_object_new_boolean(shown > 0));
	if (n > LOG_PAGE) {
		snprintf(url, sizeof(url), "/de-enrollment/runs/%s?after=%s",
		    v->arg[0], rows[shown - 1].col[DB_LOG_ID]);
		json_put_string(data, "next_url", url);
	}
	if (after != NULL) {
		snprintf(url, sizeof(url), "/de-enrollment/runs/%s", v->arg[0]);
		json_put_string(data, "first_url", url);
	}
	snprintf(url, sizeof(url), "/de-enrollment/runs/%s/export.csv",
	    v->arg[0]);
	json_put_string(data, "export_url", url);
	free(rows);
	portal_send_page(v, 200, PORTAL_TEMPLATE_DEENROLL_RUN, data);
	json_object_put(data);
}

static void
log_csv(struct buf *out, const struct db_deenroll_log *r)
{
	int c;

	for (c = 0; c < DB_LOG__MAX; c++)
		csv_cell(out, r->col[c], c == 0);
	csv_end_row(out);
}

/* GET /de-enrollment/runs/{uuid}/export.csv: 200 text/csv (streamed),
 * 404, 503 (before the first byte). */
void
deenroll_run_export(struct visit *v)
{
	struct db_deenroll_run	*run;
	struct db_deenroll_log	*rows;
	struct buf		 out = BUF_INIT;
	char			 after[24], name[64];
	size_t			 n, i;
	int			 rc, c;

	if ((run = run_read(v)) == NULL)
		return;
	free(run);
	if ((rc = db_deenroll_run_log(&v->w->db, v->arg[0], NULL,
	    EXPORT_BATCH, &rows, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return;
	}
	for (c = 0; c < DB_LOG__MAX; c++)
		buf_printf(&out, "%s%s", c == 0 ? "" : ",", log_names[c]);
	buf_puts(&out, "\r\n");
	snprintf(name, sizeof(name), "de-enrollment-run-%.8s.csv", v->arg[0]);
	if (buf_failed(&out)) {
		free(rows);
		buf_free(&out);
		portal_send_error(v, 500, "The export could not be made.");
		return;
	}
	if (portal_csv_begin(v, name, &out, "") == -1) {
		free(rows);
		buf_free(&out);
		return;
	}
	for (;;) {
		for (i = 0; i < n; i++)
			log_csv(&out, &rows[i]);
		if (n > 0)
			snprintf(after, sizeof(after), "%s",
			    rows[n - 1].col[DB_LOG_ID]);
		free(rows);
		if (portal_csv_flush(v, &out, "de-enrollment lead log") == -1 ||
		    n < EXPORT_BATCH)
			break;
		if (db_deenroll_run_log(&v->w->db, v->arg[0], after,
		    EXPORT_BATCH, &rows, &n) != DB_OK) {
			log_error("lead log export cut short: %s",
			    v->w->db.error);
			http_stream_abort(v->req);
			break;
		}
	}
	buf_free(&out);
}
