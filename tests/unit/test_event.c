/*
 * test_event.c - the activity event checked at the door: event_check
 * against its field table (required fields, types, lengths in characters,
 * control characters, NULs, unknown fields, every error reported at once)
 * and event_idempotency_key (explicit key, derived key, none).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event.h"
#include "json_body.h"
#include "check.h"

#define USEC	INT64_C(1000000)
#define NOW	(INT64_C(1762560000) * USEC)	/* 2025-11-08T00:00:00Z */

/* One call of event_check and what it left behind. */
struct run {
	json_object	*obj;
	json_object	*errors;
	struct event	 ev;
	bool		 ok;
};

/* Parse text the way the API does (strict, UTF-8 checked). */
static json_object *
parse(int line, const char *text)
{
	struct json_tokener	*tok = json_tokener_new();
	json_object		*obj;
	enum json_tokener_error	 err;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)strlen(text));
	err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	check_count++;
	if (err != json_tokener_success) {
		check_failed++;
		fprintf(stderr, "%s:%d: test JSON does not parse: %s: %s\n",
		    __FILE__, line, json_tokener_error_desc(err), text);
	}
	return obj;
}

/* Check obj (which the run then owns) with a fresh errors array. */
static void
run_obj(struct run *r, json_object *obj)
{
	r->obj = obj;
	r->errors = json_object_new_array();
	memset(&r->ev, 0xa5, sizeof(r->ev));	/* must be reset */
	r->ok = event_check(obj, NOW, &r->ev, r->errors);
}

static void
run_json(int line, struct run *r, const char *text)
{
	run_obj(r, parse(line, text));
}

/*
 * json_body_parse on text: with word, it must refuse it with a reason that
 * mentions word; with word NULL, it must accept it.
 */
static void
expect_body(int line, const char *text, const char *word)
{
	char		 why[160];
	struct json_body jb;
	const char	*problem;
	json_object	*obj = NULL;
	bool		 ok;

	/* Refused as a whole, or in one part: either is a refusal here. */
	if (json_body_parse(&jb, text, strlen(text), 32, why,
	    sizeof(why)) == 0) {
		if ((problem = json_body_problem(&jb)) == NULL)
			obj = json_object_get(jb.root);
		else
			snprintf(why, sizeof(why), "%s", problem);
	}
	json_body_free(&jb);
	ok = word ? obj == NULL && strstr(why, word) != NULL : obj != NULL;

	check_count++;
	if (!ok) {
		check_failed++;
		fprintf(stderr, "%s:%d: CHECK failed: body %s: expected %s%s, "
		    "got %s\n", __FILE__, line, text,
		    word ? "a refusal naming " : "it parsed", word ? word : "",
		    obj ? "a parsed value" : why);
	}
	json_object_put(obj);
}
#define EXPECT_BODY_REFUSED(text, word)	expect_body(__LINE__, (text), (word))
#define EXPECT_BODY_PARSED(text)	expect_body(__LINE__, (text), NULL)

static void
run_free(struct run *r)
{
	json_object_put(r->obj);
	json_object_put(r->errors);
}

/* A minimal valid event with one more field set to val (owned after). */
static json_object *
with_field(const char *name, json_object *val)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "event_type",
	    json_object_new_string("MESSAGE_SENT"));
	json_object_object_add(obj, "lead_id", json_object_new_string("lead-42"));
	json_object_object_add(obj, name, val);
	return obj;
}

/* n copies of unit, NUL-terminated; the caller frees. */
static char *
repeat(const char *unit, size_t n)
{
	size_t	 len = strlen(unit), i;
	char	*s = malloc(len * n + 1);

	if (s == NULL) {
		perror("malloc");
		exit(2);
	}
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* How many errors name field. */
static int
errors_for(json_object *errors, const char *field)
{
	size_t	 i, n = json_object_array_length(errors);
	int	 count = 0;

	for (i = 0; i < n; i++) {
		json_object *f;

		if (json_object_object_get_ex(json_object_array_get_idx(errors,
		    i), "field", &f) && strcmp(json_object_get_string(f),
		    field) == 0)
			count++;
	}
	return count;
}

static void
dump_errors(const struct run *r)
{
	fprintf(stderr, "    errors: %s\n", json_object_to_json_string_ext(
	    r->errors, JSON_C_TO_STRING_PLAIN));
}

/* The event must pass with no errors. */
static void
expect_ok(int line, const struct run *r, const char *what)
{
	check_count++;
	if (r->ok && json_object_array_length(r->errors) == 0)
		return;
	check_failed++;
	fprintf(stderr, "%s:%d: CHECK failed: %s: expected a valid event, "
	    "got %s\n", __FILE__, line, what, r->ok ? "true with errors" :
	    "false");
	dump_errors(r);
}
#define EXPECT_OK(r, what)	expect_ok(__LINE__, (r), (what))

/*
 * The event must be refused with exactly one error, naming field, whose
 * message contains part.
 */
static void
expect_one_error(int line, const struct run *r, const char *what,
    const char *field, const char *part)
{
	json_object	*e, *f, *m;
	const char	*gf = "", *gm = "";

	check_count++;
	if (json_object_array_length(r->errors) == 1) {
		e = json_object_array_get_idx(r->errors, 0);
		if (json_object_object_get_ex(e, "field", &f))
			gf = json_object_get_string(f);
		if (json_object_object_get_ex(e, "message", &m))
			gm = json_object_get_string(m);
	}
	if (!r->ok && json_object_array_length(r->errors) == 1 &&
	    strcmp(gf, field) == 0 && strstr(gm, part) != NULL)
		return;
	check_failed++;
	fprintf(stderr, "%s:%d: CHECK failed: %s: expected a refusal with "
	    "one error for \"%s\" saying \"...%s...\", got %s\n", __FILE__,
	    line, what, field, part, r->ok ? "a valid event" : "these errors");
	dump_errors(r);
}
#define EXPECT_ERROR(r, what, field, part) \
	expect_one_error(__LINE__, (r), (what), (field), (part))

/* Run the minimal event plus name: val and expect one error (or none). */
static void
field_case(int line, const char *name, json_object *val, const char *valtext,
    const char *part)
{
	struct run	 r;
	char		 what[160];

	snprintf(what, sizeof(what), "%s = %s", name, valtext);
	run_obj(&r, with_field(name, val));
	if (part == NULL)
		expect_ok(line, &r, what);
	else
		expect_one_error(line, &r, what, name, part);
	run_free(&r);
}
#define FIELD_REFUSED(name, val, part) \
	field_case(__LINE__, (name), (val), #val, (part))
#define FIELD_ACCEPTED(name, val) \
	field_case(__LINE__, (name), (val), #val, NULL)

static const char *const names[EVF__MAX] = {
	[EVF_EVENT_TYPE] = "event_type",
	[EVF_LEAD_ID] = "lead_id",
	[EVF_CLIENT_ID] = "client_id",
	[EVF_OCCURRED_AT] = "occurred_at",
	[EVF_SOURCE] = "source",
	[EVF_EXECUTION_ID] = "execution_id",
	[EVF_IDEMPOTENCY_KEY] = "idempotency_key",
	[EVF_CHANNEL] = "channel",
	[EVF_MESSAGE] = "message",
	[EVF_METADATA] = "metadata",
};

/* The single-line string fields and their documented limits. */
static const struct {
	enum event_field f;
	size_t		 max;
} lines[] = {
	{ EVF_LEAD_ID, 255 },
	{ EVF_CLIENT_ID, 64 },
	{ EVF_SOURCE, 255 },
	{ EVF_EXECUTION_ID, 255 },
	{ EVF_IDEMPOTENCY_KEY, 255 },
	{ EVF_CHANNEL, 64 },
};
#define NLINES	(sizeof(lines) / sizeof(lines[0]))

static void
test_field_names(void)
{
	int f;

	for (f = 0; f < EVF__MAX; f++)
		CHECK_STR("event_field_name", event_field_name(
		    (enum event_field)f), names[f]);
}

static void
test_full_event(void)
{
	static const char *const want[EVF__MAX] = {
		[EVF_EVENT_TYPE] = "MESSAGE_SENT",
		[EVF_LEAD_ID] = "lead-42",
		[EVF_CLIENT_ID] = "acme",
		[EVF_OCCURRED_AT] = "2025-11-07T10:15:30.123-05:00",
		[EVF_SOURCE] = "n8n",
		[EVF_EXECUTION_ID] = "exec-9001",
		[EVF_IDEMPOTENCY_KEY] = "idem-1",
		[EVF_CHANNEL] = "email",
		[EVF_MESSAGE] = "Hello\nWorld,\r\n\tcaf\xc3\xa9 \xe2\x82\xac",
	};
	struct run	 r;
	json_object	*meta = NULL;
	int		 f;

	run_json(__LINE__, &r, "{"
	    "\"event_type\": \"MESSAGE_SENT\","
	    "\"lead_id\": \"lead-42\","
	    "\"client_id\": \"acme\","
	    "\"occurred_at\": \"2025-11-07T10:15:30.123-05:00\","
	    "\"source\": \"n8n\","
	    "\"execution_id\": \"exec-9001\","
	    "\"idempotency_key\": \"idem-1\","
	    "\"channel\": \"email\","
	    "\"message\": \"Hello\\nWorld,\\r\\n\\tcaf\\u00e9 \\u20ac\","
	    "\"metadata\": {\"campaign\": \"fall\", \"score\": 7.5,"
	    " \"tags\": [\"a\", \"b\", null, true, {\"deep\": [1, 2]}],"
	    " \"unicode\": \"\\ud83d\\ude00\"}"
	    "}");
	EXPECT_OK(&r, "a full event");
	for (f = 0; f < EVF__MAX; f++)
		if (f != EVF_METADATA)
			CHECK_STR(names[f], r.ev.text[f], want[f]);
	json_object_object_get_ex(r.obj, "metadata", &meta);
	CHECK(meta != NULL && r.ev.metadata == meta);
	CHECK_I64("occurred_usec", r.ev.occurred_usec,
	    INT64_C(1762528530) * USEC + 123000);
	run_free(&r);
}

static void
test_minimal_event(void)
{
	struct run	 r;
	int		 f;

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\"}");
	EXPECT_OK(&r, "a minimal event");
	CHECK_STR("event_type", r.ev.text[EVF_EVENT_TYPE], "A");
	CHECK_STR("lead_id", r.ev.text[EVF_LEAD_ID], "l");
	for (f = 0; f < EVF__MAX; f++)
		if (f != EVF_EVENT_TYPE && f != EVF_LEAD_ID)
			CHECK_STR(names[f], r.ev.text[f], NULL);
	CHECK(r.ev.metadata == NULL);
	run_free(&r);

	/* JSON null is the same as absent for an optional field. */
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"channel\": null, \"occurred_at\": null, \"metadata\": null}");
	EXPECT_OK(&r, "optional fields set to null");
	CHECK_STR("channel", r.ev.text[EVF_CHANNEL], NULL);
	CHECK_STR("occurred_at", r.ev.text[EVF_OCCURRED_AT], NULL);
	CHECK(r.ev.metadata == NULL);
	run_free(&r);

	run_json(__LINE__, &r, "{\"metadata\": {}, \"lead_id\": \"l\","
	    " \"event_type\": \"A\"}");
	EXPECT_OK(&r, "empty metadata");
	CHECK(r.ev.metadata != NULL);
	run_free(&r);
}

static void
test_required(void)
{
	struct run r;

	run_json(__LINE__, &r, "{\"lead_id\": \"l\", \"channel\": \"sms\"}");
	EXPECT_ERROR(&r, "no event_type", "event_type", "is required");
	run_free(&r);

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"channel\": \"sms\"}");
	EXPECT_ERROR(&r, "no lead_id", "lead_id", "is required");
	run_free(&r);

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": null}");
	EXPECT_ERROR(&r, "lead_id null", "lead_id", "is required");
	run_free(&r);

	run_json(__LINE__, &r, "{}");
	CHECK(!r.ok);
	CHECK_I64("errors for {}", json_object_array_length(r.errors), 2);
	CHECK_I64("event_type errors for {}",
	    errors_for(r.errors, "event_type"), 1);
	CHECK_I64("lead_id errors for {}", errors_for(r.errors, "lead_id"), 1);
	run_free(&r);

	/* Not an object at all. */
	run_json(__LINE__, &r, "[{\"event_type\": \"A\", \"lead_id\": \"l\"}]");
	EXPECT_ERROR(&r, "an array", "event", "object");
	run_free(&r);
	run_json(__LINE__, &r, "\"MESSAGE_SENT\"");
	EXPECT_ERROR(&r, "a string", "event", "object");
	run_free(&r);
	run_obj(&r, NULL);		/* what json-c makes of "null" */
	EXPECT_ERROR(&r, "null", "event", "object");
	run_free(&r);
}

static void
test_types(void)
{
	size_t i;

	/* A wrong type is one error, not also "is required". */
	FIELD_REFUSED("event_type", json_object_new_int(5), "must be a string");
	FIELD_REFUSED("lead_id", json_object_new_int(42), "must be a string");
	FIELD_REFUSED("lead_id", json_object_new_boolean(1), "must be a string");
	FIELD_REFUSED("lead_id", json_object_new_double(1.5),
	    "must be a string");
	FIELD_REFUSED("lead_id", json_object_new_array(), "must be a string");
	FIELD_REFUSED("lead_id", json_object_new_object(), "must be a string");
	FIELD_REFUSED("occurred_at", json_object_new_int64(1762528530),
	    "must be a string");
	FIELD_REFUSED("message", json_object_new_array(), "must be a string");
	FIELD_REFUSED("metadata", json_object_new_string("{}"),
	    "must be an object");
	FIELD_REFUSED("metadata", json_object_new_array(), "must be an object");
	FIELD_REFUSED("metadata", json_object_new_int(1), "must be an object");
	for (i = 0; i < NLINES; i++)
		FIELD_REFUSED(names[lines[i].f], json_object_new_int(1),
		    "must be a string");

	/* Empty strings are refused, not taken as absent. */
	FIELD_REFUSED("event_type", json_object_new_string(""), "empty");
	FIELD_REFUSED("lead_id", json_object_new_string(""), "empty");
	FIELD_REFUSED("message", json_object_new_string(""), "empty");
	FIELD_REFUSED("occurred_at", json_object_new_string(""), "empty");
	for (i = 0; i < NLINES; i++)
		FIELD_REFUSED(names[lines[i].f], json_object_new_string(""),
		    "empty");
}

static void
test_event_type(void)
{
	FIELD_ACCEPTED("event_type", json_object_new_string("A"));
	FIELD_ACCEPTED("event_type", json_object_new_string("MESSAGE_SENT_2"));
	FIELD_ACCEPTED("event_type", json_object_new_string("CALL_BOOKED"));
	FIELD_REFUSED("event_type", json_object_new_string("message_sent"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("Message_Sent"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("1ST_CALL"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("_SENT"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("MESSAGE-SENT"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("MESSAGE SENT"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("SENT\n"),
	    "upper-case");
	FIELD_REFUSED("event_type", json_object_new_string("\xc3\x89T\xc3\x89"),
	    "upper-case");
}

/* Lengths are counted in characters, not bytes. */
static void
test_lengths(void)
{
	struct run	 r;
	char		*s;
	size_t		 i;

	s = repeat("\xc3\xa9", 255);		/* 255 chars, 510 bytes */
	run_obj(&r, with_field("lead_id", json_object_new_string(s)));
	EXPECT_OK(&r, "lead_id of 255 two-byte characters");
	CHECK_STR("lead_id", r.ev.text[EVF_LEAD_ID], s);
	run_free(&r);
	free(s);

	s = repeat("\xf0\x9f\x98\x80", 255);	/* 255 chars, 1020 bytes */
	FIELD_ACCEPTED("lead_id", json_object_new_string(s));
	free(s);

	s = repeat("\xc3\xa9", 256);
	FIELD_REFUSED("lead_id", json_object_new_string(s),
	    "at most 255 characters");
	free(s);

	for (i = 0; i < NLINES; i++) {
		const char	*name = names[lines[i].f];
		char		 what[96], part[64];

		s = repeat("\xe2\x82\xac", lines[i].max);
		run_obj(&r, with_field(name, json_object_new_string(s)));
		snprintf(what, sizeof(what), "%s of %zu euro signs", name,
		    lines[i].max);
		expect_ok(__LINE__, &r, what);
		run_free(&r);
		free(s);

		s = repeat("x", lines[i].max + 1);
		run_obj(&r, with_field(name, json_object_new_string(s)));
		snprintf(what, sizeof(what), "%s of %zu ASCII", name,
		    lines[i].max + 1);
		snprintf(part, sizeof(part), "at most %zu characters",
		    lines[i].max);
		expect_one_error(__LINE__, &r, what, name, part);
		run_free(&r);
		free(s);
	}

	s = repeat("A", 64);
	FIELD_ACCEPTED("event_type", json_object_new_string(s));
	free(s);
	s = repeat("A", 65);
	FIELD_REFUSED("event_type", json_object_new_string(s),
	    "at most 64 characters");
	free(s);

	s = repeat("\xe2\x82\xac", 16384);
	FIELD_ACCEPTED("message", json_object_new_string(s));
	free(s);
	s = repeat("\xe2\x82\xac", 16385);
	FIELD_REFUSED("message", json_object_new_string(s),
	    "at most 16384 characters");
	free(s);
}

static void
test_control_characters(void)
{
	static const char *const bad[] = {
		"a\nb", "a\rb", "a\tb", "\x01", "a\x1b[31mred", "a\x7f", "a\x1f",
	};
	size_t	 i, j;

	for (i = 0; i < NLINES; i++)
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
			FIELD_REFUSED(names[lines[i].f],
			    json_object_new_string(bad[j]), "control characters");

	/* Free text may hold lines and tabs, but no other control codes. */
	FIELD_ACCEPTED("message", json_object_new_string("one\ntwo\r\n\tthree"));
	FIELD_REFUSED("message", json_object_new_string("a\x01" "b"),
	    "control characters");
	FIELD_REFUSED("message", json_object_new_string("\x1b[2J"),
	    "control characters");
	FIELD_REFUSED("message", json_object_new_string("bell\x07"),
	    "control characters");
	FIELD_REFUSED("message", json_object_new_string("del\x7f"),
	    "control characters");
}

/* NULs and broken UTF-8 inside strings (json-c keeps their length). */
static void
test_nul_and_utf8(void)
{
	struct run r;

	FIELD_REFUSED("lead_id", json_object_new_string_len("a\0b", 3), "NUL");
	FIELD_REFUSED("message", json_object_new_string_len("hi\0", 3), "NUL");
	FIELD_REFUSED("source", json_object_new_string_len("\0", 1), "NUL");
	FIELD_REFUSED("lead_id", json_object_new_string("\xc0\x80"), "UTF-8");
	FIELD_REFUSED("lead_id", json_object_new_string("\xed\xa0\x80"),
	    "UTF-8");
	FIELD_REFUSED("message", json_object_new_string("ok \xff"), "UTF-8");
	FIELD_REFUSED("channel", json_object_new_string("\xe2\x82"), "UTF-8");

	/* The same NUL, arriving as a JSON escape. */
	run_json(__LINE__, &r, "{\"event_type\": \"A\","
	    " \"lead_id\": \"lead\\u0000-42\"}");
	EXPECT_ERROR(&r, "lead_id with \\u0000", "lead_id", "NUL");
	run_free(&r);
}

static void
test_occurred_at(void)
{
	struct run r;

	run_obj(&r, with_field("occurred_at",
	    json_object_new_string("1970-01-01T00:00:00Z")));
	EXPECT_OK(&r, "occurred_at at the epoch");
	CHECK_I64("occurred_usec", r.ev.occurred_usec, 0);
	run_free(&r);

	/* At most a day after now (2025-11-08T00:00:00Z). */
	run_obj(&r, with_field("occurred_at",
	    json_object_new_string("2025-11-09T00:00:00Z")));
	EXPECT_OK(&r, "occurred_at exactly a day ahead");
	CHECK_I64("occurred_usec", r.ev.occurred_usec, NOW + 86400 * USEC);
	run_free(&r);
	FIELD_ACCEPTED("occurred_at",
	    json_object_new_string("2025-11-08T23:00:00-01:00"));
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2025-11-09T00:00:00.000001Z"), "future");
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2025-11-08T23:00:01-01:00"), "future");
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2030-01-01T00:00:00Z"), "future");

	FIELD_REFUSED("occurred_at",
	    json_object_new_string("1969-12-31T23:59:59Z"), "1970");
	FIELD_REFUSED("occurred_at", json_object_new_string("yesterday"),
	    "RFC 3339");
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2025-11-07T10:15:30"), "RFC 3339");
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2023-02-29T10:15:30Z"), "RFC 3339");
	FIELD_REFUSED("occurred_at",
	    json_object_new_string("2025-11-07T10:15:30Z trailing"),
	    "RFC 3339");
}

static void
test_unknown_fields(void)
{
	struct run r;

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"colour\": \"red\"}");
	EXPECT_ERROR(&r, "an unknown field", "colour", "not a field");
	run_free(&r);

	/* Names are matched exactly; even a null unknown field is named. */
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"Lead_ID\": \"x\"}");
	EXPECT_ERROR(&r, "a field in the wrong case", "Lead_ID", "not a field");
	run_free(&r);
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"extra\": null}");
	EXPECT_ERROR(&r, "an unknown null field", "extra", "not a field");
	run_free(&r);

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"a\": 1, \"b\": 2}");
	CHECK(!r.ok);
	CHECK_I64("errors for two unknown fields",
	    json_object_array_length(r.errors), 2);
	CHECK_I64("errors naming a", errors_for(r.errors, "a"), 1);
	CHECK_I64("errors naming b", errors_for(r.errors, "b"), 1);
	run_free(&r);

	/*
	 * A known name with a NUL and more after it is not that field.
	 * json-c cuts object keys at the NUL, so the body parser refuses
	 * such a key before event_check could take it for "lead_id".
	 */
	EXPECT_BODY_REFUSED("{\"event_type\": \"A\","
	    " \"lead_id\\u0000junk\": \"l\"}", "NUL");
}

static void
test_metadata(void)
{
	struct run	 r;
	json_object	*m, *inner;

	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"a\": {\"b\": [\"x\", 1, 2.5, false, null,"
	    " {\"c\": \"caf\\u00e9\"}]}, \"\\u00e9t\\u00e9\": \"\"}}");
	EXPECT_OK(&r, "nested metadata");
	CHECK(r.ev.metadata != NULL);
	run_free(&r);

	/* A NUL in a nested string, in an array, at the top of metadata. */
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"a\": {\"b\": \"x\\u0000y\"}}}");
	EXPECT_ERROR(&r, "NUL in a nested string", "metadata", "NUL");
	run_free(&r);
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"a\": [\"ok\", [\"\\u0000\"]]}}");
	EXPECT_ERROR(&r, "NUL in a nested array", "metadata", "NUL");
	run_free(&r);
	run_json(__LINE__, &r, "{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"a\": \"\\u0000\"}}");
	EXPECT_ERROR(&r, "NUL in a metadata string", "metadata", "NUL");
	run_free(&r);

	/*
	 * A NUL in a key, top level and nested: json-c would cut the key at
	 * the NUL ({"k\u0000x": 1} arrives as {"k": 1}), so the body parser
	 * refuses it. A NUL in a value is a field error (above), and a
	 * "\\u0000" that is an escaped backslash is no NUL at all.
	 */
	EXPECT_BODY_REFUSED("{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"k\\u0000x\": 1}}", "NUL");
	EXPECT_BODY_REFUSED("{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"a\": {\"b\": [{\"k\\u0000\": \"v\"}]}}}", "NUL");
	EXPECT_BODY_PARSED("{\"event_type\": \"A\", \"lead_id\": \"l\","
	    " \"metadata\": {\"k\\\\u0000x\": \"a\\u0000b\"}}");

	/* Invalid UTF-8 in a nested string and in a key (built directly). */
	m = json_object_new_object();
	inner = json_object_new_array();
	json_object_array_add(inner, json_object_new_string("\xed\xa0\x80"));
	json_object_object_add(m, "list", inner);
	FIELD_REFUSED("metadata", m, "UTF-8");
	m = json_object_new_object();
	inner = json_object_new_object();
	json_object_object_add(inner, "\xc0\xae", json_object_new_int(1));
	json_object_object_add(m, "inner", inner);
	FIELD_REFUSED("metadata", m, "UTF-8");
}

/* Every bad field is reported in the same answer, each once. */
static void
test_all_errors_at_once(void)
{
	struct run	 r;
	int		 f;

	run_json(__LINE__, &r, "{\"event_type\": \"lower\", \"lead_id\": \"\","
	    " \"occurred_at\": \"nope\"}");
	CHECK(!r.ok);
	CHECK_I64("errors for 3 bad fields", json_object_array_length(r.errors),
	    3);
	CHECK_I64("event_type errors", errors_for(r.errors, "event_type"), 1);
	CHECK_I64("lead_id errors", errors_for(r.errors, "lead_id"), 1);
	CHECK_I64("occurred_at errors", errors_for(r.errors, "occurred_at"), 1);
	run_free(&r);

	run_json(__LINE__, &r, "{\"lead_id\": 5, \"colour\": \"red\","
	    " \"metadata\": []}");
	CHECK(!r.ok);
	CHECK_I64("errors for missing, wrong, unknown, wrong",
	    json_object_array_length(r.errors), 4);
	CHECK_I64("event_type errors", errors_for(r.errors, "event_type"), 1);
	CHECK_I64("lead_id errors", errors_for(r.errors, "lead_id"), 1);
	CHECK_I64("colour errors", errors_for(r.errors, "colour"), 1);
	CHECK_I64("metadata errors", errors_for(r.errors, "metadata"), 1);
	run_free(&r);

	run_json(__LINE__, &r, "{\"event_type\": \"bad\", \"lead_id\": \"\","
	    " \"client_id\": 1, \"occurred_at\": \"x\", \"source\": \"a\\nb\","
	    " \"execution_id\": [], \"idempotency_key\": {},"
	    " \"channel\": true, \"message\": \"\\u0001\", \"metadata\": \"m\","
	    " \"zz\": 0}");
	CHECK(!r.ok);
	CHECK_I64("errors for 10 bad fields and 1 unknown",
	    json_object_array_length(r.errors), 11);
	for (f = 0; f < EVF__MAX; f++)
		check_i64(__FILE__, __LINE__, names[f],
		    errors_for(r.errors, names[f]), 1);
	CHECK_I64("zz errors", errors_for(r.errors, "zz"), 1);
	run_free(&r);
}

/* event_check appends to the caller's array and judges only its own. */
static void
test_errors_appended(void)
{
	json_object	*obj, *errors = json_object_new_array();
	struct event	 ev;

	event_error(errors, "earlier", "from another item");
	obj = parse(__LINE__, "{\"event_type\": \"A\", \"lead_id\": \"l\"}");
	CHECK(event_check(obj, NOW, &ev, errors));
	CHECK_I64("errors after a valid event", json_object_array_length(errors),
	    1);
	json_object_put(obj);

	obj = parse(__LINE__, "{\"event_type\": \"A\"}");
	CHECK(!event_check(obj, NOW, &ev, errors));
	CHECK_I64("errors after an invalid event",
	    json_object_array_length(errors), 2);
	CHECK_I64("the earlier error kept", errors_for(errors, "earlier"), 1);
	CHECK_I64("the new error", errors_for(errors, "lead_id"), 1);
	json_object_put(obj);
	json_object_put(errors);
}

/* The idempotency key of an event with these fields (NULL = absent). */
static const char *
key_of(const char *src, const char *exec, const char *type, const char *lead,
    const char *explicit_key, char out[80])
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.text[EVF_SOURCE] = src;
	ev.text[EVF_EXECUTION_ID] = exec;
	ev.text[EVF_EVENT_TYPE] = type;
	ev.text[EVF_LEAD_ID] = lead;
	ev.text[EVF_IDEMPOTENCY_KEY] = explicit_key;
	memset(out, 'Z', 80);
	return event_idempotency_key(&ev, out, 80);
}

/* Two keys that must differ (both present). */
static void
keys_differ(int line, const char *what, const char *a, const char *b)
{
	check_count++;
	if (a != NULL && b != NULL && strcmp(a, b) != 0)
		return;
	check_failed++;
	fprintf(stderr, "%s:%d: CHECK failed: %s: keys should differ, got "
	    "%s and %s\n", __FILE__, line, what, a ? a : "NULL",
	    b ? b : "NULL");
}
#define KEYS_DIFFER(what, a, b)	keys_differ(__LINE__, (what), (a), (b))

static void
test_idempotency_key(void)
{
	char		 base[80], other[80], copy[4][16];
	const char	*k, *b;
	struct run	 r;
	struct event	 ev;

	/* An explicit key wins, with or without an execution. */
	k = key_of("n8n", "exec-1", "MESSAGE_SENT", "lead-1", "mine", base);
	CHECK_STR("explicit key", k, "mine");
	k = key_of(NULL, NULL, "MESSAGE_SENT", "lead-1", "mine", base);
	CHECK_STR("explicit key without execution_id", k, "mine");

	/* None without an execution. */
	k = key_of("n8n", NULL, "MESSAGE_SENT", "lead-1", NULL, base);
	CHECK_STR("no execution_id, no key", k, NULL);

	/* Derived: present, short, and the same for the same parts. */
	b = key_of("n8n", "exec-1", "MESSAGE_SENT", "lead-1", NULL, base);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(strncmp(b, "exec:", 5) == 0);
	CHECK(strlen(b) > 5 && strlen(b) < 80);
	snprintf(copy[0], sizeof(copy[0]), "n8n");
	snprintf(copy[1], sizeof(copy[1]), "exec-1");
	snprintf(copy[2], sizeof(copy[2]), "MESSAGE_SENT");
	snprintf(copy[3], sizeof(copy[3]), "lead-1");
	k = key_of(copy[0], copy[1], copy[2], copy[3], NULL, other);
	CHECK_STR("derived key again, from copies", k, b);

	/* Different when any one part differs. */
	k = key_of("zapier", "exec-1", "MESSAGE_SENT", "lead-1", NULL, other);
	KEYS_DIFFER("another source", b, k);
	k = key_of(NULL, "exec-1", "MESSAGE_SENT", "lead-1", NULL, other);
	KEYS_DIFFER("no source", b, k);
	k = key_of("n8n", "exec-2", "MESSAGE_SENT", "lead-1", NULL, other);
	KEYS_DIFFER("another execution_id", b, k);
	k = key_of("n8n", "exec-1", "CALL_BOOKED", "lead-1", NULL, other);
	KEYS_DIFFER("another event_type", b, k);
	k = key_of("n8n", "exec-1", "MESSAGE_SENT", "lead-2", NULL, other);
	KEYS_DIFFER("another lead_id", b, k);

	/* Parts are not simply concatenated. */
	{
		char x[80], y[80];

		KEYS_DIFFER("(ab,c) vs (a,bc) in source/execution_id",
		    key_of("ab", "c", "T", "l", NULL, x),
		    key_of("a", "bc", "T", "l", NULL, y));
		KEYS_DIFFER("execution_id/event_type boundary",
		    key_of("s", "e1A", "B", "l", NULL, x),
		    key_of("s", "e1", "AB", "l", NULL, y));
		KEYS_DIFFER("event_type/lead_id boundary",
		    key_of("s", "e", "AB", "c", NULL, x),
		    key_of("s", "e", "A", "Bc", NULL, y));
		KEYS_DIFFER("source and execution_id swapped",
		    key_of("x", "y", "T", "l", NULL, x),
		    key_of("y", "x", "T", "l", NULL, y));
	}

	/* Only those four parts count: a retry may differ elsewhere. */
	memset(&ev, 0, sizeof(ev));
	ev.text[EVF_SOURCE] = "n8n";
	ev.text[EVF_EXECUTION_ID] = "exec-1";
	ev.text[EVF_EVENT_TYPE] = "MESSAGE_SENT";
	ev.text[EVF_LEAD_ID] = "lead-1";
	ev.text[EVF_MESSAGE] = "a different message";
	ev.text[EVF_CHANNEL] = "sms";
	ev.text[EVF_CLIENT_ID] = "acme";
	ev.text[EVF_OCCURRED_AT] = "2025-11-07T10:15:31Z";
	ev.occurred_usec = 1;
	CHECK_STR("key ignores the other fields",
	    event_idempotency_key(&ev, other, sizeof(other)), b);

	/* End to end: the key of a checked event. */
	run_json(__LINE__, &r, "{\"event_type\": \"MESSAGE_SENT\","
	    " \"lead_id\": \"lead-1\", \"source\": \"n8n\","
	    " \"execution_id\": \"exec-1\", \"message\": \"hi\"}");
	EXPECT_OK(&r, "event with an execution_id");
	CHECK_STR("key of a checked event",
	    event_idempotency_key(&r.ev, other, sizeof(other)), b);
	run_free(&r);

	run_json(__LINE__, &r, "{\"event_type\": \"MESSAGE_SENT\","
	    " \"lead_id\": \"lead-1\", \"execution_id\": \"exec-1\","
	    " \"idempotency_key\": \"order-77\"}");
	EXPECT_OK(&r, "event with an idempotency_key");
	CHECK_STR("explicit key of a checked event",
	    event_idempotency_key(&r.ev, other, sizeof(other)), "order-77");
	run_free(&r);
}

/*
 * The body parser refuses what json-c would accept or alter, and accepts
 * the JSON that is merely unusual.
 */
static void
test_body(void)
{
	char deep[200];
	int i;

	EXPECT_BODY_REFUSED("{\"lead_id\": \"a\\ud800\"}", "surrogate");
	EXPECT_BODY_REFUSED("{\"lead_id\": \"a\\udc00b\"}", "surrogate");
	EXPECT_BODY_REFUSED("{\"lead_id\": \"a\\ud800\\u0041\"}", "surrogate");
	EXPECT_BODY_PARSED("{\"lead_id\": \"\\ud83d\\ude00\"}");
	EXPECT_BODY_REFUSED("{\"n\": NaN}", "NaN");
	EXPECT_BODY_REFUSED("{\"n\": -Infinity}", "Infinity");
	EXPECT_BODY_REFUSED("{\"n\": nan}", "NaN");
	EXPECT_BODY_REFUSED("{\"n\": 9223372036854775808}", "64 bits");
	EXPECT_BODY_REFUSED("{\"n\": -9223372036854775809}", "64 bits");
	EXPECT_BODY_PARSED("{\"n\": 9223372036854775807, \"m\": 1e300}");
	EXPECT_BODY_REFUSED("{\"m\": \"a\tb\"}", "control character");
	EXPECT_BODY_PARSED("{\"m\": \"a\\tb\", \"t\": true, \"f\": false}");
	EXPECT_BODY_PARSED("42");
	EXPECT_BODY_REFUSED("null", "null");
	EXPECT_BODY_REFUSED("{\"a\": 1", "too early");
	EXPECT_BODY_REFUSED("{\"a\": 1} 2", "malformed JSON at byte 9");
	EXPECT_BODY_REFUSED("{\"a\": 1} x", "malformed");
	/* 32 nested arrays holding a value are fine; 33 are not. */
	for (i = 0; i < 32; i++)
		deep[i] = '[';
	deep[32] = '1';
	for (i = 0; i < 32; i++)
		deep[33 + i] = ']';
	deep[65] = '\0';
	EXPECT_BODY_PARSED(deep);
	memmove(deep + 1, deep, 66);
	deep[0] = '[';
	deep[66] = ']';
	deep[67] = '\0';
	EXPECT_BODY_REFUSED(deep, "deeper than 32");
}

/* The campaign fields in metadata that move a lead (sql/0011): an
 * enrolment names its campaign, a step says whose it is, and each has
 * its shape; the field named in the error is the one inside metadata. */
static void
test_campaign_metadata(void)
{
	static const struct {
		const char	*json;
		const char	*field;	/* NULL: accepted */
		const char	*part;
	} cases[] = {
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"Spring\"}}", NULL, NULL },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign_id\":"
		  " \"0b0e4d6e-5a59-4a0c-9d53-6d2f1f8c2a11\"}}", NULL, NULL },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"New\", \"total_steps\": 4}}",
		  NULL, NULL },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"Spring\", \"step\": 2}}",
		  NULL, NULL },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\"}",
		  NULL, NULL },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\"}",
		  "metadata.campaign", "is required for CAMPAIGN_ENROLLED" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"step\": 1}}",
		  "metadata.campaign", "is required for CAMPAIGN_ENROLLED" },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\","
		  " \"metadata\": {\"step\": 3}}",
		  "metadata.campaign", "is required with metadata.step" },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"S\", \"step\": 0}}",
		  "metadata.step", "between 1 and 100000" },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"S\", \"step\": \"2\"}}",
		  "metadata.step", "whole number" },
		{ "{\"event_type\": \"MESSAGE_SENT\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"S\", \"step\": 2.5}}",
		  "metadata.step", "whole number" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign_id\": \"nope\"}}",
		  "metadata.campaign_id", "uuid" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"\"}}",
		  "metadata.campaign", "1 to 200" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"a\\nb\"}}",
		  "metadata.campaign", "one line" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": 7}}",
		  "metadata.campaign", "name" },
		{ "{\"event_type\": \"CAMPAIGN_ENROLLED\", \"lead_id\": \"l\","
		  " \"metadata\": {\"campaign\": \"N\", \"total_steps\": 1001}}",
		  "metadata.total_steps", "between 0 and 1000" },
	};
	struct run	 r;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_json(__LINE__, &r, cases[i].json);
		if (cases[i].field == NULL)
			expect_ok(__LINE__, &r, cases[i].json);
		else
			expect_one_error(__LINE__, &r, cases[i].json,
			    cases[i].field, cases[i].part);
		run_free(&r);
	}
}

int
main(void)
{
	test_body();
	test_field_names();
	test_full_event();
	test_minimal_event();
	test_required();
	test_types();
	test_event_type();
	test_lengths();
	test_control_characters();
	test_nul_and_utf8();
	test_occurred_at();
	test_unknown_fields();
	test_metadata();
	test_campaign_metadata();
	test_all_errors_at_once();
	test_errors_appended();
	test_idempotency_key();
	return check_done("test_event");
}
