/*
 * portal_deenroll_health: the de-enrollment page's health table and its
 * "run now" (routes below). The figures and their judging are the
 * domain's (deenroll_health_read: the de_enrollment_health view and the
 * SOP's thresholds, as `minicrm deenroll --health-check` and the alerts
 * judge them); the run is deenroll_run, as the worker's.
 *
 *   GET  /de-enrollment/health.csv  the health table as CSV
 *   POST /de-enrollment/run   admins: run de-enrollment now for
 *                             client_id (a uuid) or, without one, every
 *                             client; 303 to the runs with the result
 *                             (and, for one client, a link to its run)
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "deenroll.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "portal_csv.h"
#include "portal_deenroll.h"
#include "validate.h"

/* A run from the portal stops between batches after this long (and is
 * recorded partial); the worker's next run does the rest. */
#define PORTAL_RUN_MAX_MS	30000

/* A figure and whether it is past its threshold. */
static void
figure(json_object *row, const char *key, const char *text, bool past)
{
	json_object *f = json_object_new_object();

	json_put_string(f, "text", text);
	json_object_object_add(f, "past", json_object_new_boolean(past));
	json_object_object_add(row, key, f);
}

static json_object *
health_row_json(const struct deenroll_health_row *h)
{
	json_object	*o = json_object_new_object();
	char		 text[48];

	json_put_string(o, "client_id", h->client_id);
	json_put_string(o, "client", h->client_slug);
	json_put_int(o, "runs", h->runs_24h);
	json_put_int(o, "successful", h->successful_runs_24h);
	json_put_int(o, "partial", h->partial_runs_24h);
	json_put_int(o, "de_enrolled", h->leads_de_enrolled_24h);
	if (h->has_success_rate)
		snprintf(text, sizeof(text), "%.1f %%", h->success_rate_24h);
	else
		snprintf(text, sizeof(text), "no finished run");
	figure(o, "success_rate", text,
	    (h->checks & DEENROLL_CHECK_SUCCESS_RATE) != 0);
	snprintf(text, sizeof(text), "%ld", h->failed_runs_24h);
	figure(o, "failed", text, (h->checks & DEENROLL_CHECK_FAILED_RUNS) != 0);
	if (h->has_hours_since_success)
		snprintf(text, sizeof(text), "%.1f h", h->hours_since_success);
	else
		snprintf(text, sizeof(text), "never ran");
	figure(o, "since_success", text,
	    (h->checks & DEENROLL_CHECK_SINCE_SUCCESS) != 0);
	snprintf(text, sizeof(text), "%ld", h->stuck_leads);
	figure(o, "stuck", text, (h->checks & DEENROLL_CHECK_STUCK) != 0);
	if (h->has_avg_duration)
		snprintf(text, sizeof(text), "%ld ms", h->avg_duration_ms_24h);
	else
		snprintf(text, sizeof(text), "—");
	figure(o, "duration", text, (h->checks & DEENROLL_CHECK_DURATION) != 0);
	json_put_string(o, "last_run_at", h->last_run_at[0] ? h->last_run_at :
	    NULL);
	json_put_string(o, "last_success_at", h->last_success_at[0] ?
	    h->last_success_at : NULL);
	json_put_string(o, "level", deenroll_level_name(h->level));
	json_put_string(o, "summary", h->summary);
	return o;
}

/* The SOP's thresholds, as the table's legend says them. */
static json_object *
thresholds_json(void)
{
	json_object	*o = json_object_new_object();
	char		 text[32];

	snprintf(text, sizeof(text), "%.0f", DEENROLL_SUCCESS_RATE_MIN);
	json_put_string(o, "success_rate", text);
	json_put_int(o, "failed", DEENROLL_FAILED_RUNS_MAX);
	snprintf(text, sizeof(text), "%.0f", DEENROLL_HOURS_SINCE_SUCCESS_MAX);
	json_put_string(o, "since_success", text);
	json_put_int(o, "stuck_notice", DEENROLL_STUCK_NOTICE);
	json_put_int(o, "stuck_warning", DEENROLL_STUCK_WARNING);
	json_put_int(o, "stuck_error", DEENROLL_STUCK_ERROR);
	json_put_int(o, "duration_min", DEENROLL_AVG_DURATION_MAX_MS / 60000);
	return o;
}

int
deenroll_health_add(struct visit *v, json_object *data)
{
	struct deenroll_health	 h;
	json_object		*rows;
	long			 stuck = 0;
	size_t			 i;
	int			 rc;

	if ((rc = deenroll_health_read(&v->w->db, NULL, &h)) != DB_OK) {
		deenroll_health_free(&h);
		return rc;
	}
	rows = json_object_new_array();
	for (i = 0; i < h.nrows; i++) {
		json_object_array_add(rows, health_row_json(&h.rows[i]));
		stuck += h.rows[i].stuck_leads;
	}
	json_object_object_add(data, "health", rows);
	json_object_object_add(data, "has_health",
	    json_object_new_boolean(h.nrows > 0));
	json_put_string(data, "health_level", deenroll_level_name(h.level));
	json_put_int(data, "stuck_total", stuck);
	json_object_object_add(data, "thresholds", thresholds_json());
	deenroll_health_free(&h);
	return DB_OK;
}

/* One client's health as a CSV row: the figures as numbers (empty where
 * there is none), the level and the thresholds it is past in words. */
static void
health_csv(struct buf *out, const struct deenroll_health_row *h)
{
	char	 text[32];

	csv_cell(out, h->client_slug, true);
	csv_cell(out, h->client_id, false);
	csv_cell(out, deenroll_level_name(h->level), false);
	portal_csv_int(out, h->runs_24h, false);
	portal_csv_int(out, h->successful_runs_24h, false);
	portal_csv_int(out, h->failed_runs_24h, false);
	portal_csv_int(out, h->partial_runs_24h, false);
	snprintf(text, sizeof(text), "%.1f", h->success_rate_24h);
	csv_cell(out, h->has_success_rate ? text : "", false);
	snprintf(text, sizeof(text), "%.1f", h->hours_since_success);
	csv_cell(out, h->has_hours_since_success ? text : "", false);
	snprintf(text, sizeof(text), "%ld", h->avg_duration_ms_24h);
	csv_cell(out, h->has_avg_duration ? text : "", false);
	portal_csv_int(out, h->leads_de_enrolled_24h, false);
	portal_csv_int(out, h->stuck_leads, false);
	csv_cell(out, h->last_run_at, false);
	csv_cell(out, h->last_success_at, false);
	csv_cell(out, h->summary, false);
	csv_end_row(out);
}

/* GET /de-enrollment/health.csv: 200 text/csv, one row per client (the
 * page's health table); 503 or 500 if the figures cannot be read. */
void
deenroll_health_export(struct visit *v)
{
	struct deenroll_health	 h;
	struct buf		 out = BUF_INIT;
	size_t			 i;
	int			 rc;

	if ((rc = deenroll_health_read(&v->w->db, NULL, &h)) != DB_OK) {
		deenroll_health_free(&h);
		portal_send_db_error(v, rc);
		return;
	}
	if (portal_csv_begin(v, "de-enrollment-health.csv", &out,
	    "client,client_id,level,runs_24h,successful_runs_24h,"
	    "failed_runs_24h,partial_runs_24h,success_rate_24h,"
	    "hours_since_success,avg_duration_ms_24h,leads_de_enrolled_24h,"
	    "stuck_leads,last_run_at,last_success_at,summary\r\n") == 0) {
		for (i = 0; i < h.nrows; i++)
			health_csv(&out, &h.rows[i]);
		if (portal_csv_flush(v, &out, "de-enrollment health") == -1)
			log_warn("de-enrollment health export not sent whole");
	}
	buf_free(&out);
	deenroll_health_free(&h);
}

void
deenroll_flash_add(struct visit *v, json_object *data)
{
	static const char *const keys[] = { "ran", "de_enrolled", "failed",
	    "partial" };
	const char	*run = portal_query(v, "run");
	long		 n[4];
	char		 text[256];
	size_t		 i;

	for (i = 0; i < 4; i++) {
		const char *s = portal_query(v, keys[i]);

		if (s == NULL || parse_long(s, 0, 1000000000, &n[i]) == -1)
			return;
	}
	if (n[0] == 0)
		snprintf(text, sizeof(text), "Nothing ran: no client with "
		    "campaigns was chosen.");
	else
		snprintf(text, sizeof(text), "Ran de-enrollment for %ld "
		    "client%s: %ld lead%s de-enrolled, %ld failed, %ld "
		    "partial.", n[0], n[0] == 1 ? "" : "s", n[1],
		    n[1] == 1 ? "" : "s", n[2], n[3]);
	json_put_string(data, "flash", text);
	if (run != NULL && lead_uuid_valid(run))
		json_put_string(data, "flash_run", run);
}

/* POST /de-enrollment/run: 303 to /de-enrollment with the result; 400 a
 * malformed client id; 503 when the clients cannot be read. */
void
deenroll_run_now(struct visit *v)
{
	const char		*client = form_get(&v->form, "client_id");
	struct deenroll_options	 opts;
	struct deenroll_report	 report;
	char			 by[AUTH_EMAIL_MAX + 16], to[320];
	int			 rc;

	if (client != NULL && *client == '\0')
		client = NULL;
	if (client != NULL && !lead_uuid_valid(client)) {
		portal_send_error(v, 400, "Choose a client, or every client.");
		return;
	}
	snprintf(by, sizeof(by), "portal:%s", v->who.email);
	memset(&opts, 0, sizeof(opts));
	opts.client_id = client;
	opts.max_runtime_ms = PORTAL_RUN_MAX_MS;
	opts.triggered_by = by;
	memset(&report, 0, sizeof(report));
	if ((rc = deenroll_run(&v->w->db, &opts, &report)) != DB_OK) {
		log_error("de-enrollment from the portal: %s", v->w->db.error);
		deenroll_report_free(&report);
		portal_send_db_error(v, rc);
		return;
	}
	log_info("de-enrollment: %s ran %s: %zu clients, %ld de-enrolled, "
	    "%zu failed, %zu partial", v->who.email, client ? client : "all",
	    report.nclients, report.de_enrolled, report.failed,
	    report.partial);
	snprintf(to, sizeof(to), "/de-enrollment?ran=%zu&de_enrolled=%ld&"
	    "failed=%zu&partial=%zu%s%s", report.nclients, report.de_enrolled,
	    report.failed, report.partial,
	    report.nclients == 1 && report.clients[0].run_id[0] ? "&run=" : "",
	    report.nclients == 1 ? report.clients[0].run_id : "");
	deenroll_report_free(&report);
	portal_redirect(v, to);
}
