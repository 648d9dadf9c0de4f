/*
 * test_deenroll_health: the SOP's thresholds as deenroll_health_judge and
 * deenroll_health_problems apply them (the lines --health-check prints,
 * the checks the alerts raise), the run request's body, the JSON answers.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deenroll.h"

/* A client that ran every 15 minutes for a day, all well. */
static struct deenroll_health_row
healthy(void)
{
	struct deenroll_health_row r;

	memset(&r, 0, sizeof(r));
	strcpy(r.client_id, "68b6cddd-ed22-43e9-8c85-63052d3adf7f");
	strcpy(r.client_slug, "acme");
	r.runs_24h = r.successful_runs_24h = 96;
	r.has_success_rate = true;
	r.success_rate_24h = 100;
	r.has_hours_since_success = true;
	r.hours_since_success = 0.2;
	r.has_avg_duration = true;
	r.avg_duration_ms_24h = 1200;
	r.leads_de_enrolled_24h = 40;
	r.stuck_leads = 3;
	return r;
}

static void
test_ok(void)
{
	struct deenroll_health_row	 r = healthy();
	struct deenroll_problem		 p[DEENROLL_PROBLEMS_MAX];

	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_OK);
	CHECK(r.checks == 0);
	CHECK_STR("ok summary", r.summary, "✅ Client acme: 96 runs in the "
	    "last 24h, all successful, 40 leads de-enrolled");
	CHECK(deenroll_health_problems(&r, p) == 0);
	/* Exactly at the thresholds is not past them. */
	r.success_rate_24h = 95.0;
	r.hours_since_success = 2.0;
	r.stuck_leads = 50;
	r.avg_duration_ms_24h = 240000;
	r.failed_runs_24h = 0;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_OK);
	CHECK(r.checks == 0);
}

static void
test_since_success(void)
{
	struct deenroll_health_row r = healthy();

	r.hours_since_success = 25.04;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_ERROR);
	CHECK(r.checks == DEENROLL_CHECK_SINCE_SUCCESS);
	CHECK_STR("SOP's error line", r.summary,
	    "❌ Client acme hasn't run successfully in 25 hours");
	r.hours_since_success = 2.1;
	deenroll_health_judge(&r);
	CHECK_STR("under 10 hours: a decimal", r.summary,
	    "❌ Client acme hasn't run successfully in 2.1 hours");
	/* Never ran: no figure, no error, a notice. */
	r = healthy();
	r.runs_24h = 0;
	r.has_hours_since_success = false;
	r.has_success_rate = r.has_avg_duration = false;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_NOTICE);
	CHECK(r.checks == 0);
	CHECK_STR("never ran", r.summary, "ℹ️ Client acme has not been run yet");
}

static void
test_failed_runs(void)
{
	struct deenroll_health_row r = healthy();

	r.failed_runs_24h = 3;
	r.success_rate_24h = 96.9;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_NOTICE);
	CHECK(r.checks == 0);
	CHECK_STR("SOP's warning line", r.summary,
	    "⚠️ Client acme has 3 failed runs in the last 24h");
	r.failed_runs_24h = 1;
	deenroll_health_judge(&r);
	CHECK_STR("one", r.summary,
	    "⚠️ Client acme has 1 failed run in the last 24h");
	r.failed_runs_24h = 6;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_WARNING);
	CHECK(r.checks == DEENROLL_CHECK_FAILED_RUNS);
}

static void
test_stuck(void)
{
	struct deenroll_health_row r = healthy();

	r.stuck_leads = 51;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_NOTICE);
	CHECK(r.checks == DEENROLL_CHECK_STUCK);
	r.stuck_leads = 100;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_NOTICE);
	r.stuck_leads = 101;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_WARNING);
	r.stuck_leads = 500;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_WARNING);
	r.stuck_leads = 501;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_ERROR);
	CHECK_STR("stuck line", r.summary, "❌ Client acme has 501 stuck leads "
	    "(finished their campaign, still active)");
}

static void
test_rate_duration_order(void)
{
	struct deenroll_health_row	 r = healthy();
	struct deenroll_problem		 p[DEENROLL_PROBLEMS_MAX];
	size_t				 n;

	r.success_rate_24h = 94.9;
	r.avg_duration_ms_24h = 240001;
	r.failed_runs_24h = 2;
	r.stuck_leads = 600;
	r.hours_since_success = 3;
	deenroll_health_judge(&r);
	CHECK(r.checks == (DEENROLL_CHECK_SUCCESS_RATE |
	    DEENROLL_CHECK_DURATION | DEENROLL_CHECK_STUCK |
	    DEENROLL_CHECK_SINCE_SUCCESS));
	n = deenroll_health_problems(&r, p);
	CHECK(n == 5);
	/* Worst first; among equals, the order of the checks. */
	CHECK(p[0].level == DEENROLL_ERROR && p[0].check ==
	    DEENROLL_CHECK_SINCE_SUCCESS);
	CHECK(p[1].level == DEENROLL_ERROR && p[1].check ==
	    DEENROLL_CHECK_STUCK);
	CHECK(p[2].level == DEENROLL_WARNING && p[2].check ==
	    DEENROLL_CHECK_SUCCESS_RATE);
	CHECK(p[3].level == DEENROLL_WARNING && p[3].check ==
	    DEENROLL_CHECK_DURATION);
	CHECK(p[4].level == DEENROLL_NOTICE && p[4].check == 0);
	CHECK_STR("rate line", p[2].text, "⚠️ Client acme: 94.9% of runs "
	    "succeeded in the last 24h (below 95%)");
	CHECK_STR("duration line", p[3].text, "⚠️ Client acme: runs took "
	    "4.0 min on average in the last 24h (over 4 min)");
	/* A success rate from no finished run is no figure. */
	r = healthy();
	r.has_success_rate = false;
	r.success_rate_24h = 0;
	deenroll_health_judge(&r);
	CHECK(r.level == DEENROLL_OK);
}

static void
test_names(void)
{
	CHECK_STR("ok", deenroll_level_name(DEENROLL_OK), "ok");
	CHECK_STR("error", deenroll_level_name(DEENROLL_ERROR), "error");
	CHECK_STR("partial", deenroll_status_name(DEENROLL_PARTIAL), "partial");
	CHECK_STR("failed", deenroll_status_name(DEENROLL_FAILED), "failed");
}

/* The run request's body: {} or {"client_id": uuid}, all else named. */
static void
test_request(void)
{
	char		 id[37];
	json_object	*bad;
	const char	*body;

	CHECK(deenroll_request_parse("{}", 2, id) == NULL);
	CHECK_STR("no client", id, "");
	body = "{\"client_id\":\"68b6cddd-ed22-43e9-8c85-63052d3adf7f\"}";
	CHECK(deenroll_request_parse(body, strlen(body), id) == NULL);
	CHECK_STR("client", id, "68b6cddd-ed22-43e9-8c85-63052d3adf7f");
	body = "{\"client_id\":\"acme\",\"x\":1}";
	bad = deenroll_request_parse(body, strlen(body), id);
	CHECK(bad != NULL);
	CHECK_STR("id cleared", id, "");
	CHECK_STR("both named", json_object_to_json_string_ext(
	    json_object_object_get(bad, "errors"), JSON_C_TO_STRING_PLAIN),
	    "[{\"field\":\"client_id\",\"message\":\"must be a client's id "
	    "(a uuid)\"},{\"field\":\"x\",\"message\":\"is not a field of a "
	    "run request (only client_id)\"}]");
	json_object_put(bad);
	body = "[]";
	bad = deenroll_request_parse(body, strlen(body), id);
	CHECK(bad != NULL);
	json_object_put(bad);
	body = "{\"client_id\":";
	bad = deenroll_request_parse(body, strlen(body), id);
	CHECK(bad != NULL);
	json_object_put(bad);
	body = "{\"client_id\":\"a\",\"client_id\":\"b\"}";
	bad = deenroll_request_parse(body, strlen(body), id);
	CHECK(bad != NULL);
	json_object_put(bad);
}

static void
test_json(void)
{
	struct deenroll_client	 c[2];
	struct deenroll_report	 rep = { 2, c, 7, 1, 0 };
	struct deenroll_health	 h;
	struct deenroll_health_row rows[1];
	json_object		*o;

	memset(c, 0, sizeof(c));
	strcpy(c[0].client_slug, "a");
	c[0].status = DEENROLL_SUCCESS;
	c[0].de_enrolled = 7;
	strcpy(c[1].client_slug, "b");
	c[1].status = DEENROLL_FAILED;
	strcpy(c[1].error, "boom");
	o = deenroll_report_json(&rep, false);
	CHECK_STR("worst status", json_object_get_string(
	    json_object_object_get(o, "status")), "failed");
	CHECK_I64("total", json_object_get_int(json_object_object_get(o,
	    "leads_de_enrolled")), 7);
	CHECK_STR("error", json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(o, "clients"),
	    1), "error")), "boom");
	json_object_put(o);

	rows[0] = healthy();
	rows[0].stuck_leads = 120;
	deenroll_health_judge(&rows[0]);
	h.nrows = 1;
	h.rows = rows;
	h.level = rows[0].level;
	o = deenroll_health_json(&h);
	CHECK_STR("level", json_object_get_string(json_object_object_get(o,
	    "level")), "warning");
	CHECK_STR("checks", json_object_to_json_string_ext(
	    json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "clients"), 0), "checks_failed"),
	    JSON_C_TO_STRING_PLAIN), "[\"stuck_leads\"]");
	json_object_put(o);
}

int
main(void)
{
	test_ok();
	test_since_success();
	test_failed_runs();
	test_stuck();
	test_rate_duration_order();
	test_names();
	test_request();
	test_json();
	return check_done("test_deenroll_health");
}
