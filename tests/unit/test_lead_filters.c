/* test_lead_filters: the checks behind the portal's leads pages. */
#include <stdlib.h>

#include "check.h"
#include "lead_filters.h"

static void
test_uuid(void)
{
	CHECK(lead_uuid_valid("68b6cddd-ed22-43e9-8c85-63052d3adf7f"));
	CHECK(lead_uuid_valid("68B6CDDD-ED22-43E9-8C85-63052D3ADF7F"));
	CHECK(!lead_uuid_valid("68b6cddd-ed22-43e9-8c85-63052d3adf7"));
	CHECK(!lead_uuid_valid("68b6cddd-ed22-43e9-8c85-63052d3adf7ff"));
	CHECK(!lead_uuid_valid("68b6cddded22-43e9-8c85-63052d3adf7f0"));
	CHECK(!lead_uuid_valid("g8b6cddd-ed22-43e9-8c85-63052d3adf7f"));
	CHECK(!lead_uuid_valid("'; DROP TABLE leads; --'"));
	CHECK(!lead_uuid_valid(""));
	CHECK(!lead_uuid_valid(NULL));
}

static void
test_cursor(void)
{
	CHECK(lead_event_cursor_valid("1"));
	CHECK(lead_event_cursor_valid("19951"));
	CHECK(lead_event_cursor_valid("9223372036854775807"));
	CHECK(!lead_event_cursor_valid("9223372036854775808"));
	CHECK(!lead_event_cursor_valid("99999999999999999999"));
	CHECK(!lead_event_cursor_valid("0"));
	CHECK(!lead_event_cursor_valid("012"));
	CHECK(!lead_event_cursor_valid("-5"));
	CHECK(!lead_event_cursor_valid("+5"));
	CHECK(!lead_event_cursor_valid("5 "));
	CHECK(!lead_event_cursor_valid("5x"));
	CHECK(!lead_event_cursor_valid(""));
	CHECK(!lead_event_cursor_valid(NULL));
}

static void
test_date(void)
{
	CHECK(lead_date_valid("2025-01-31"));
	CHECK(lead_date_valid("2024-02-29"));
	CHECK(lead_date_valid("2000-02-29"));
	CHECK(!lead_date_valid("1900-02-29"));
	CHECK(!lead_date_valid("2025-02-29"));
	CHECK(!lead_date_valid("2025-04-31"));
	CHECK(!lead_date_valid("2025-13-01"));
	CHECK(!lead_date_valid("2025-00-10"));
	CHECK(!lead_date_valid("2025-01-00"));
	CHECK(!lead_date_valid("2025-1-01"));
	CHECK(!lead_date_valid("2025/01/01"));
	CHECK(!lead_date_valid("2025-01-01T00:00"));
	CHECK(!lead_date_valid("0999-01-01"));
	CHECK(!lead_date_valid("yesterday"));
	CHECK(!lead_date_valid(NULL));
}

static void
test_tz(void)
{
	CHECK(lead_tz_valid("UTC"));
	CHECK(lead_tz_valid("Europe/Berlin"));
	CHECK(lead_tz_valid("America/Argentina/Buenos_Aires"));
	CHECK(lead_tz_valid("Etc/GMT+5"));
	CHECK(lead_tz_valid("America/Port-au-Prince"));
	CHECK(!lead_tz_valid(""));
	CHECK(!lead_tz_valid("/etc/passwd"));
	CHECK(!lead_tz_valid("Europe//Berlin"));
	CHECK(!lead_tz_valid("Europe/"));
	CHECK(!lead_tz_valid("../../etc/passwd"));
	CHECK(!lead_tz_valid("Europe/Berlin'; --"));
	CHECK(!lead_tz_valid("Europe Berlin"));
	CHECK(!lead_tz_valid("+05:30"));
	CHECK(!lead_tz_valid("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(!lead_tz_valid(NULL));
}

static void
test_patterns(void)
{
	char	out[32];

	CHECK(lead_like_pattern("anna", out, sizeof(out)) == 0);
	CHECK_STR("plain", out, "%anna%");
	CHECK(lead_like_pattern("50%_off\\", out, sizeof(out)) == 0);
	CHECK_STR("LIKE's characters escaped", out, "%50\\%\\_off\\\\%");
	CHECK(lead_like_pattern("", out, sizeof(out)) == -1);
	CHECK(lead_like_pattern("abcdefghijklmnopqrstuvwxyz01234", out,
	    sizeof(out)) == -1);
	CHECK(lead_like_pattern("abcdefghijklmnopqrstuvwxyz012", out,
	    sizeof(out)) == 0);

	CHECK(lead_phone_pattern("+1 (555) 010-0", out, sizeof(out)) == 0);
	CHECK_STR("digits only", out, "%15550100%");
	CHECK(lead_phone_pattern("555.0100", out, sizeof(out)) == 0);
	CHECK_STR("dots", out, "%5550100%");
	CHECK(lead_phone_pattern("55", out, sizeof(out)) == -1);
	CHECK(lead_phone_pattern("anna 555", out, sizeof(out)) == -1);
	CHECK(lead_phone_pattern("rec555", out, sizeof(out)) == -1);
}

static void
test_sort_and_status(void)
{
	enum lead_sort	s;
	bool		desc;

	CHECK(lead_sort_parse(NULL, &s) == 0 && s == LEAD_SORT_CREATED);
	CHECK(lead_sort_parse("name", &s) == 0 && s == LEAD_SORT_NAME);
	CHECK(lead_sort_parse("email", &s) == 0 && s == LEAD_SORT_EMAIL);
	CHECK(lead_sort_parse("created", &s) == 0 && s == LEAD_SORT_CREATED);
	CHECK(lead_sort_parse("id; DROP", &s) == -1);
	CHECK_STR("name", lead_sort_name(LEAD_SORT_EMAIL), "email");
	CHECK(lead_dir_parse(NULL, LEAD_SORT_CREATED, &desc) == 0 && desc);
	CHECK(lead_dir_parse("", LEAD_SORT_NAME, &desc) == 0 && !desc);
	CHECK(lead_dir_parse("desc", LEAD_SORT_NAME, &desc) == 0 && desc);
	CHECK(lead_dir_parse("asc", LEAD_SORT_CREATED, &desc) == 0 && !desc);
	CHECK(lead_dir_parse("up", LEAD_SORT_CREATED, &desc) == -1);

	CHECK(lead_status_valid("new"));
	CHECK(lead_status_valid(LEAD_STATUS_OPTED_OUT));
	CHECK(!lead_status_valid("New"));
	CHECK(!lead_status_valid(""));
	CHECK(!lead_status_valid(NULL));
}

static void
test_query_string(void)
{
	struct buf b = BUF_INIT;

	lead_qs_add(&b, "q", "Anna Müller & co=1");
	lead_qs_add(&b, "client", NULL);
	lead_qs_add(&b, "status", "");
	lead_qs_add(&b, "tz", "Europe/Berlin");
	CHECK_STR("encoded, empty values left out", buf_str(&b),
	    "q=Anna%20M%C3%BCller%20%26%20co%3D1&tz=Europe%2FBerlin");
	buf_free(&b);
}

int
main(void)
{
	test_uuid();
	test_cursor();
	test_date();
	test_tz();
	test_patterns();
	test_sort_and_status();
	test_query_string();
	return check_done("test_lead_filters");
}
