/* test_nurture_campaigns: a nurture step's checks (lengths, delay, the
 * templates compile, no partials) and the names a template uses. (The
 * preview is the sender's renderer: test_nurture_render.) */
#include <stdlib.h>

#include "check.h"
#include "nurture_campaigns.h"

static void
test_step_numbers(void)
{
	CHECK(nurture_step_number_valid("1"));
	CHECK(nurture_step_number_valid("100"));
	CHECK(!nurture_step_number_valid("0"));
	CHECK(!nurture_step_number_valid("101"));
	CHECK(!nurture_step_number_valid("01"));
	CHECK(!nurture_step_number_valid("+1"));
	CHECK(!nurture_step_number_valid("1x"));
	CHECK(!nurture_step_number_valid(""));
	CHECK(!nurture_step_number_valid(NULL));
}

static void
test_step_check(void)
{
	struct nurture_step_check	 c;
	char				*big;

	CHECK_I64("a good step", nurture_step_check("Hi {{first_name}}",
	    "Hello {{#company}}{{company}}{{/company}}", "1440", &c), 0);
	CHECK_I64("...its delay", c.delay, 1440);
	CHECK_I64("an empty subject", nurture_step_check("", "b", "0", &c), 1);
	CHECK_STR("...named", c.errors[0].field, "subject");
	CHECK_I64("a two-line subject", nurture_step_check("a\nb", "b", "0",
	    &c), 1);
	CHECK_I64("a delay past a year", nurture_step_check("s", "b",
	    "525601", &c), 1);
	CHECK_STR("...named", c.errors[0].field, "delay_minutes");
	CHECK_I64("a negative delay", nurture_step_check("s", "b", "-1", &c),
	    1);
	CHECK_I64("a delay that is no number", nurture_step_check("s", "b",
	    "5m", &c), 1);
	CHECK_I64("a broken body", nurture_step_check("s",
	    "Hello\n  {{#offer}}x", "0", &c), 1);
	CHECK_STR("...named", c.errors[0].field, "body");
	CHECK_I64("...with the line and column", strstr(c.errors[0].message, "line 2, column 3") != NULL, 1);
	CHECK_I64("...and the parser's words", strstr(c.errors[0].message, "offer") != NULL, 1);
	CHECK_I64("a broken subject and body and delay", nurture_step_check(
	    "{{x", "{{/y}}", "", &c), 3);
	CHECK_I64("a partial is refused", nurture_step_check("s",
	    "a\n{{> footer}}", "0", &c), 1);
	CHECK_I64("...where it is", strstr(c.errors[0].message,
	    "line 2, column 1") != NULL, 1);
	big = malloc(100002);
	memset(big, 'a', 100001);
	big[100001] = '\0';
	CHECK_I64("a body of 100001 characters", nurture_step_check("s", big,
	    "0", &c), 1);
	big[100000] = '\0';
	CHECK_I64("...100000 is fine", nurture_step_check("s", big, "0", &c),
	    0);
	free(big);
	/* Characters, not bytes: 998 two-byte characters fit. */
	big = malloc(2 * 999 + 1);
	for (int i = 0; i < 998; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * 998] = '\0';
	CHECK_I64("a subject of 998 characters", nurture_step_check(big, "b",
	    "0", &c), 0);
	free(big);
}

static void
test_names(void)
{
	struct buf b = BUF_INIT;

	CHECK_I64("names", nurture_template_names("{{first_name}}, "
	    "{{#company}}at {{ company }}{{/company}}{{^x}}{{{raw}}}{{/x}}"
	    "{{! no }}{{.}}{{&amp}}", &b), 5);
	CHECK_STR("...in order, once each", buf_str(&b), "{{first_name}}, "
	    "{{company}}, {{x}}, {{raw}}, {{amp}}");
	buf_reset(&b);
	CHECK_I64("new delimiters", nurture_template_names(
	    "{{a}}{{=<% %>=}}<%b%> {{c}} <%={{ }}=%>{{d}}", &b), 3);
	CHECK_STR("...followed", buf_str(&b), "{{a}}, {{b}}, {{d}}");
	buf_reset(&b);
	CHECK_I64("none", nurture_template_names("plain text", &b), 0);
	buf_reset(&b);
	CHECK_I64("a step: subject then body, once each", nurture_step_names(
	    "Hi {{first_name}}", "{{first_name}} at {{company}}", &b), 2);
	CHECK_STR("...listed", buf_str(&b), "{{first_name}}, {{company}}");
	buf_free(&b);
}

int
main(void)
{
	test_step_numbers();
	test_step_check();
	test_names();
	return check_done("test_nurture_campaigns");
}
