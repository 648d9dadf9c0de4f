/*
 * test_fields: the field-table checks every JSON intake goes through —
 * the answers a caller sees for an unknown name, a wrong type, a bad
 * string, a missing field, and what reaches the caller's accept.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fields.h"
#include "json_body.h"

static const char *
no_digits(const char *s, size_t len, void *ctx)
{
	(void)ctx;
	return strcspn(s, "0123456789") < len ? "must not hold digits" : NULL;
}

enum { F_NAME, F_NOTE, F_DATA, F_ANY, F__MAX };

static const struct field table_fields[F__MAX] = {
	[F_NAME] = { "name", FIELD_STRING, "is required", 5, NULL, false,
	    no_digits },
	[F_NOTE] = { "note", FIELD_STRING, NULL, 3, "is too long, sorry", true,
	    NULL },
	[F_DATA] = { "data", FIELD_OBJECT, NULL, 0, NULL, false, NULL },
	[F_ANY] = { "any", FIELD_JSON, "is required (anything)", 8, NULL,
	    false, NULL },
};
static const struct field_table table = { table_fields, F__MAX,
    "is not a field here" };

/* What accept saw: each field's text ("<json>" for a non-string). */
struct seen {
	char	text[F__MAX][64];
	int	calls;
};

static const char *
accept(void *ctx, size_t f, size_t member, json_object *val, const char *s,
    size_t len, char *msg, size_t msgsz)
{
	struct seen *seen = ctx;

	(void)member; (void)len; (void)msg; (void)msgsz;
	seen->calls++;
	snprintf(seen->text[f], sizeof(seen->text[f]), "%s", s != NULL ? s :
	    json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	if (f == F_NOTE && s != NULL && strcmp(s, "no") == 0)
		return "was refused by the caller";
	return NULL;
}

/* Check body; write "field message; ..." of the errors into out. */
static bool
run(const char *body, struct seen *seen, char *out, size_t outsz)
{
	struct json_body	 jb;
	json_object		*errors = json_object_new_array();
	char			 why[160];
	bool			 ok;
	size_t			 i;

	memset(seen, 0, sizeof(*seen));
	out[0] = '\0';
	if (json_body_parse(&jb, body, strlen(body), 8, why, sizeof(why)) !=
	    0) {
		snprintf(out, outsz, "unparsed: %s", why);
		json_object_put(errors);
		return false;
	}
	ok = fields_check(&table, jb.root, jb.part, accept, seen, errors);
	for (i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		size_t used = strlen(out);

		snprintf(out + used, outsz - used, "%s%s %s", used ? "; " : "",
		    json_object_get_string(json_object_object_get(e, "field")),
		    json_object_get_string(json_object_object_get(e,
		    "message")));
	}
	json_object_put(errors);
	json_body_free(&jb);
	return ok;
}

int
main(void)
{
	struct seen	 seen;
	char		 out[512];

	CHECK(run("{\"name\":\"ab\",\"any\":1}", &seen, out, sizeof(out)));
	CHECK_STR("nothing wrong", out, "");
	CHECK_STR("the string reaches accept", seen.text[F_NAME], "ab");
	CHECK_STR("a non-string FIELD_JSON as its JSON", seen.text[F_ANY], "1");

	CHECK(!run("{\"name\":\"ab\",\"any\":1,\"extra\":2}", &seen, out,
	    sizeof(out)));
	CHECK_STR("an unknown name, in the table's words", out,
	    "extra is not a field here");

	CHECK(!run("{\"name\":null,\"any\":null}", &seen, out, sizeof(out)));
	CHECK_STR("null is absent: each required field says its own words",
	    out, "name is required; any is required (anything)");
	CHECK_I64("accept never sees a null", seen.calls, 0);

	CHECK(!run("{\"name\":7,\"data\":[],\"any\":\"\"}", &seen, out,
	    sizeof(out)));
	CHECK_STR("types, and an empty string where it is not a value", out,
	    "name must be a string; data must be an object; "
	    "any must not be empty");

	CHECK(!run("{\"name\":\"abcdef\",\"note\":\"abcd\",\"any\":\"x\"}",
	    &seen, out, sizeof(out)));
	CHECK_STR("too long: the default words, or the field's", out,
	    "name must be at most 5 characters; note is too long, sorry");

	CHECK(run("{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\",\"note\":"
	    "\"\",\"any\":\"x\"}", &seen, out, sizeof(out)));
	CHECK_STR("characters, not bytes; \"\" where it is a value", out, "");

	CHECK(!run("{\"name\":\"a1\",\"note\":\"no\",\"any\":\"x\"}", &seen,
	    out, sizeof(out)));
	CHECK_STR("the field's validator, then the caller's own word", out,
	    "name must not hold digits; note was refused by the caller");

	CHECK(!run("{\"name\":\"a\\u0000b\",\"any\":\"x\"}", &seen, out,
	    sizeof(out)));
	CHECK_STR("a NUL inside a string", out,
	    "name must not contain NUL characters");

	/* What the text parser found: refused first, except a FIELD_JSON
	 * field's non-string value, which goes to accept as it is. */
	CHECK(!run("{\"name\":\"a\",\"note\":\"\\udc00\",\"any\":{\"k\":1,"
	    "\"k\":2}}", &seen, out, sizeof(out)));
	CHECK(strstr(out, "note a string holds a lone UTF-16 surrogate") !=
	    NULL);
	CHECK(strstr(out, "any ") == NULL);
	CHECK(seen.text[F_ANY][0] != '\0');
	return check_done("test_fields");
}
