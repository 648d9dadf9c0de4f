/*
 * test_nurture_intake: the enrolment API's body (nurture_enroll_request_parse)
 * — what it keeps, every problem named by its field, nothing kept from a
 * refused body — and the analytics' day check.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nurture_analytics.h"
#include "nurture_intake.h"

#define CAMPAIGN	"68b6cddd-ed22-43e9-8c85-63052d3adf7f"
#define LEAD1		"0d8a1f40-5c1e-4a34-9a44-2c5b0a3f8e11"
#define LEAD2		"9f1c2b3a-4d5e-4f60-8a7b-1c2d3e4f5a6b"

/* Parse body; the refusal's fields joined by commas into fields ("" when
 * kept). */
static json_object *
parse(const char *body, struct nurture_enroll_request *req, char *fields,
    size_t fieldsz)
{
	char		*copy = strdup(body);
	json_object	*bad, *errors, *f;
	size_t		 i;

	bad = nurture_enroll_request_parse(copy, strlen(copy), req);
	free(copy);
	fields[0] = '\0';
	if (bad != NULL && json_object_object_get_ex(bad, "errors", &errors))
		for (i = 0; i < json_object_array_length(errors); i++) {
			json_object_object_get_ex(json_object_array_get_idx(
			    errors, i), "field", &f);
			if (i > 0)
				strncat(fields, ",", fieldsz - strlen(fields) - 1);
			strncat(fields, json_object_get_string(f),
			    fieldsz - strlen(fields) - 1);
		}
	return bad;
}

static void
refused(const char *body, const char *want)
{
	struct nurture_enroll_request	 req;
	char				 fields[256];
	json_object			*bad;

	bad = parse(body, &req, fields, sizeof(fields));
	CHECK(bad != NULL);
	CHECK_STR(body, fields, want);
	CHECK(req.n == 0 && req.ids == NULL);
	json_object_put(bad);
	nurture_enroll_request_free(&req);
}

static void
test_kept(void)
{
	struct nurture_enroll_request	 req;
	char				 fields[256];
	json_object			*bad;

	bad = parse("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": [\""
	    LEAD1 "\", \"" LEAD2 "\"], \"start_at\": \"2030-01-01T09:00:00Z\"}",
	    &req, fields, sizeof(fields));
	CHECK(bad == NULL);
	CHECK_STR("campaign", req.campaign_id, CAMPAIGN);
	CHECK(!req.external);
	CHECK_I64("ids", req.n, 2);
	CHECK_STR("id 0", req.n > 0 ? req.ids[0] : NULL, LEAD1);
	CHECK_STR("id 1", req.n > 1 ? req.ids[1] : NULL, LEAD2);
	CHECK_STR("start", req.start_at, "2030-01-01T09:00:00Z");
	nurture_enroll_request_free(&req);
	nurture_enroll_request_free(&req);	/* twice is harmless */

	bad = parse("{\"external_ids\": [\"crm-1\", \"ünï \\\"q\\\"\"], "
	    "\"campaign_id\": \"" CAMPAIGN "\"}", &req, fields,
	    sizeof(fields));
	CHECK(bad == NULL);
	CHECK(req.external);
	CHECK_I64("external ids", req.n, 2);
	CHECK_STR("external 1", req.n > 1 ? req.ids[1] : NULL, "ünï \"q\"");
	CHECK_STR("no start", req.start_at, "");
	nurture_enroll_request_free(&req);
}

static void
test_refused(void)
{
	refused("", "body");
	refused("[1]", "body");
	refused("{\"campaign_id\": ", "body");
	refused("{}", "campaign_id,lead_ids");
	refused("{\"campaign_id\": \"x\", \"lead_ids\": [\"" LEAD1 "\"]}",
	    "campaign_id");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": []}",
	    "lead_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": {}}",
	    "lead_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": [\"" LEAD1
	    "\", \"nope\"]}", "lead_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": [\"" LEAD1
	    "\", null]}", "lead_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": [\"" LEAD1
	    "\"], \"external_ids\": [\"a\"]}", "external_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"external_ids\": [\"\"]}",
	    "external_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"external_ids\": "
	    "[\"a\\u0000b\"]}", "external_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"external_ids\": "
	    "[\"\\ud800\"]}", "external_ids");
	refused("{\"campaign_id\": \"" CAMPAIGN "\", \"lead_ids\": [\"" LEAD1
	    "\"], \"start_at\": \"soon\"}", "start_at");
	refused("{\"campaign_id\": 7, \"lead_ids\": [\"" LEAD1 "\"], "
	    "\"x\": 1}", "campaign_id,x");
}

static void
test_dates(void)
{
	CHECK(nurture_analytics_date_valid("2026-11-27"));
	CHECK(nurture_analytics_date_valid("2024-02-29"));
	CHECK(!nurture_analytics_date_valid("2026-02-29"));
	CHECK(!nurture_analytics_date_valid("1900-02-29"));
	CHECK(nurture_analytics_date_valid("2000-02-29"));
	CHECK(!nurture_analytics_date_valid("2026-13-01"));
	CHECK(!nurture_analytics_date_valid("2026-04-31"));
	CHECK(!nurture_analytics_date_valid("2026-4-01"));
	CHECK(!nurture_analytics_date_valid("2026-04-01x"));
	CHECK(!nurture_analytics_date_valid("yesterday"));
	CHECK(!nurture_analytics_date_valid(NULL));
}

int
main(void)
{
	test_kept();
	test_refused();
	test_dates();
	return check_done("test_nurture_intake");
}
