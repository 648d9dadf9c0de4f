/* test_nurture_render: personalization of nurture e-mails (nurture_render.h). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nurture_render.h"

static struct nurture_render_input
lead(const char *subject, const char *body)
{
	struct nurture_render_input	 in = {
		.first_name = "Ada", .last_name = "Lovelace",
		.name = "Ada Lovelace", .email = "ada@example.com",
		.phone = NULL, .external_id = "ext-1",
		.metadata_json = "{\"company\": \"Analytical & Co\", "
		    "\"seats\": 12, \"first_name\": \"Meta\", \"blank\": \"\", "
		    "\"nothing\": null, \"address\": {\"city\": \"London\"}}",
		.campaign_name = "Welcome <series>", .step_number = 2,
		.subject_template = subject, .body_template = body,
	};

	return in;
}

static void
test_view(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;

	in = lead("Hi {{first_name}}", "<p>{{name}} of {{company}} ({{seats}} "
	    "seats), {{campaign_name}} #{{step_number}}, {{address.city}}, "
	    "{{external_id}} {{email}}</p>");
	CHECK_I64("a complete view renders", nurture_render(&in, &r),
	    NURTURE_RENDER_OK);
	CHECK_STR("the column wins over the metadata key", r.subject,
	    "Hi Ada");
	CHECK_STR("columns, metadata, numbers, nested keys; HTML escaped",
	    r.body, "<p>Ada Lovelace of Analytical &amp; Co (12 seats), "
	    "Welcome &lt;series&gt; #2, London, ext-1 ada@example.com</p>");
	CHECK_STR("no reason when it rendered", r.reason, "");
	nurture_render_free(&r);
	CHECK(r.subject == NULL && r.body == NULL);
	nurture_render_free(&r);
	nurture_render_free(NULL);
}

static void
test_missing(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;
	static const struct {
		const char	*subject, *body, *reason;
	} cases[] = {
		{ "Hi", "Dear {{title}} {{last_name}}",
		    "personalization: no value for {{title}}" },
		{ "Hello {{phone}}", "x",
		    "personalization: no value for {{phone}}" },
		{ "Hi", "{{blank}}", "personalization: no value for {{blank}}" },
		{ "Hi", "{{nothing}}",
		    "personalization: no value for {{nothing}}" },
		{ "Hi", "{{address.zip}}",
		    "personalization: no value for {{address.zip}}" },
		{ "Hi", "{{address}}",
		    "personalization: no value for {{address}}" },
		{ "Hi", "{{#plan}}x{{/plan}}",
		    "personalization: no value for {{plan}}" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = lead(cases[i].subject, cases[i].body);
		CHECK_I64(cases[i].body, nurture_render(&in, &r),
		    NURTURE_RENDER_MISSING);
		CHECK_STR(cases[i].body, r.reason, cases[i].reason);
		CHECK(r.subject == NULL && r.body == NULL);
		nurture_render_free(&r);
	}

	/* A lead without metadata at all, or with metadata that is no
	 * object: only the columns. */
	in = lead("Hi", "{{company}}");
	in.metadata_json = NULL;
	CHECK_I64("no metadata", nurture_render(&in, &r),
	    NURTURE_RENDER_MISSING);
	CHECK_STR("no metadata: the token named", r.reason,
	    "personalization: no value for {{company}}");
	nurture_render_free(&r);
	in.metadata_json = "[1, 2]";
	in.body_template = "{{first_name}}";
	CHECK_I64("metadata that is no object is ignored",
	    nurture_render(&in, &r), NURTURE_RENDER_OK);
	nurture_render_free(&r);
}

static void
test_fallbacks(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;

	in = lead("Hi", "Hello {{#phone}}{{phone}}{{/phone}}{{^phone}}there"
	    "{{/phone}}, {{#blank}}x{{/blank}}{{^nothing}}ok{{/nothing}}");
	CHECK_I64("sections over null and empty values are fallbacks",
	    nurture_render(&in, &r), NURTURE_RENDER_OK);
	CHECK_STR("the fallbacks rendered", r.body, "Hello there, ok");
	nurture_render_free(&r);
}

static void
test_subject(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;

	in = lead("{{company}} <3 \"{{first_name}}\" 'n' {{campaign_name}}",
	    "x");
	in.metadata_json = "{\"company\": \"Tom & Jerry\\r\\nBcc: x@y\"}";
	CHECK_I64("subject", nurture_render(&in, &r), NURTURE_RENDER_OK);
	CHECK_STR("the subject is plain text, one line", r.subject,
	    "Tom & Jerry  Bcc: x@y <3 \"Ada\" 'n' Welcome <series>");
	nurture_render_free(&r);
}

static void
test_broken(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;

	in = lead("Hi", "{{#first_name}}unclosed");
	CHECK_I64("a broken body template", nurture_render(&in, &r),
	    NURTURE_RENDER_BAD_TEMPLATE);
	CHECK("its reason names the template and the problem" &&
	    strncmp(r.reason, "personalization: the step's body template is "
	    "broken: body:1:", 50) == 0);
	nurture_render_free(&r);
	in = lead("Hi {{>partial}}", "x");
	CHECK_I64("a partial is not allowed", nurture_render(&in, &r),
	    NURTURE_RENDER_BAD_TEMPLATE);
	nurture_render_free(&r);
	in = lead("{{", "x");
	CHECK_I64("a broken subject", nurture_render(&in, &r),
	    NURTURE_RENDER_BAD_TEMPLATE);
	nurture_render_free(&r);
	in = lead(NULL, "x");
	CHECK_I64("no subject template renders empty", nurture_render(&in, &r),
	    NURTURE_RENDER_OK);
	CHECK_STR("empty subject", r.subject, "");
	nurture_render_free(&r);
}

/* Where a failure is, for the portal's preview; and the view it shows. */
static void
test_where(void)
{
	struct nurture_render_input	 in;
	struct nurture_render_result	 r;
	json_object			*view;

	in = lead("Hi {{first_name}}", "<p>Dear {{first_name}},\n  at "
	    "{{title}}</p>");
	CHECK_I64("a missing token", nurture_render(&in, &r),
	    NURTURE_RENDER_MISSING);
	CHECK_STR("...named alone", r.missing, "title");
	CHECK_STR("...in the body", r.where, "body");
	CHECK_I64("...on its second line", r.line, 2);
	CHECK_I64("...at its column", r.column, 6);
	nurture_render_free(&r);
	in = lead("{{#x}}", "b");
	CHECK_I64("a broken subject", nurture_render(&in, &r),
	    NURTURE_RENDER_BAD_TEMPLATE);
	CHECK_STR("...is in the subject", r.where, "subject");
	CHECK_STR("...and names no token", r.missing, "");
	nurture_render_free(&r);
	in = lead("s", "b");
	CHECK_I64("rendered", nurture_render(&in, &r), NURTURE_RENDER_OK);
	CHECK_STR("...nowhere to point at", r.where, "");
	nurture_render_free(&r);
	view = nurture_render_view(&in);
	CHECK_STR("the view: a column wins over metadata",
	    json_object_get_string(json_object_object_get(view, "first_name")),
	    "Ada");
	CHECK_I64("...the step number is a number", json_object_get_int64(
	    json_object_object_get(view, "step_number")), 2);
	json_object_put(view);
}

int
main(void)
{
	test_where();
	test_view();
	test_missing();
	test_fallbacks();
	test_subject();
	test_broken();
	return check_done("test_nurture_render");
}
