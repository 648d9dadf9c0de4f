/*
 * test_nurture_events: SendGrid's event posts as nurture_events_parse
 * checks them — a body that is no JSON array refused whole; each event
 * kept byte for byte or refused alone, its fields named; what jsonb would
 * refuse or alter (a NUL, a lone surrogate, a repeated name, a number out
 * of range) refused before it reaches the database.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nurture_events.h"

/* Parse text; returns the parse's result, the batch in *b. */
static int
parse(const char *text, struct nurture_events_batch *b, char *why,
    size_t whysz)
{
	return nurture_events_parse(text, strlen(text), b, why, whysz);
}

/* The fields named for event index, joined by spaces, into out. */
static const char *
fields_of(const struct nurture_events_batch *b, int index, char *out,
    size_t outsz)
{
	size_t i, n = json_object_array_length(b->errors);

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(b->errors, i);
		json_object *v;

		json_object_object_get_ex(e, "index", &v);
		if (json_object_get_int(v) != index)
			continue;
		json_object_object_get_ex(e, "field", &v);
		if (out[0] != '\0')
			strncat(out, " ", outsz - strlen(out) - 1);
		strncat(out, json_object_get_string(v), outsz - strlen(out) - 1);
	}
	return out;
}

/* One refusal of a one-event post: the field it names, or "ok". */
static const char *
one(const char *event, char *out, size_t outsz)
{
	struct nurture_events_batch	b;
	char				why[200], text[4096];

	snprintf(text, sizeof(text), "[%s]", event);
	if (parse(text, &b, why, sizeof(why)) != 0)
		snprintf(out, outsz, "body: %s", why);
	else if (b.refused_n == 0)
		snprintf(out, outsz, "ok");
	else
		fields_of(&b, 0, out, outsz);
	nurture_events_batch_free(&b);
	return out;
}

#define GOOD	"\"event\":\"open\",\"email\":\"a@example.com\"," \
		"\"timestamp\":1764000000"

int
main(void)
{
	struct nurture_events_batch	 b;
	char				 why[256], f[256], *big;
	const char			*text;
	json_object			*r, *ev;
	size_t				 i;

	/* The whole body refused. */
	CHECK(parse("nope", &b, why, sizeof(why)) == -1);
	CHECK(strstr(why, "JSON") != NULL);
	nurture_events_batch_free(&b);
	CHECK(parse("{\"event\":\"open\"}", &b, why, sizeof(why)) == -1);
	CHECK_STR("an object", why, "the body must be a JSON array of "
	    "SendGrid events");
	nurture_events_batch_free(&b);
	CHECK(parse("[{" GOOD "}] x", &b, why, sizeof(why)) == -1);
	nurture_events_batch_free(&b);
	CHECK(parse("[1, 2", &b, why, sizeof(why)) == -1);
	nurture_events_batch_free(&b);

	/* Events kept byte for byte, whatever they carry besides. */
	text = "[ {" GOOD ", \"sg_event_id\":\"e1\",  \"x\": [1, {\"y\":null}]},"
	    "\n{\"event\":\"bounce\",\"email\":\"b@example.com\","
	    "\"timestamp\":0,\"type\":\"blocked\",\"reason\":\"<b>\\\"\","
	    "\"email_send_id\":\"not a uuid\",\"step\":\"1\"} ]";
	CHECK(parse(text, &b, why, sizeof(why)) == 0);
	CHECK_I64("received", b.received, 2);
	CHECK_I64("accepted", b.accepted_n, 2);
	CHECK_I64("refused", b.refused_n, 0);
	CHECK_STR("the accepted text is the events' own", buf_str(&b.accepted),
	    "[{" GOOD ", \"sg_event_id\":\"e1\",  \"x\": [1, {\"y\":null}]},"
	    "{\"event\":\"bounce\",\"email\":\"b@example.com\","
	    "\"timestamp\":0,\"type\":\"blocked\",\"reason\":\"<b>\\\"\","
	    "\"email_send_id\":\"not a uuid\",\"step\":\"1\"}]");
	nurture_events_batch_free(&b);
	CHECK(parse("[]", &b, why, sizeof(why)) == 0);
	CHECK_STR("an empty post", buf_str(&b.accepted), "[]");
	CHECK_I64("...received", b.received, 0);
	nurture_events_batch_free(&b);

	/* Each event refused alone, its fields named. */
	CHECK_STR("a good event", one("{" GOOD "}", f, sizeof(f)), "ok");
	CHECK_STR("null is absent", one("{" GOOD ",\"url\":null,"
	    "\"sg_event_id\":null}", f, sizeof(f)), "ok");
	CHECK_STR("no event", one("{\"email\":\"a@b\",\"timestamp\":1}", f,
	    sizeof(f)), "event");
	CHECK_STR("an upper-case event", one("{\"event\":\"Open\","
	    "\"email\":\"a@b\",\"timestamp\":1}", f, sizeof(f)), "event");
	CHECK_STR("an event of 41 letters", one("{\"event\":\"aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaa\",\"email\":\"a@b\",\"timestamp\":1}", f,
	    sizeof(f)), "event");
	CHECK_STR("no timestamp, no email", one("{\"event\":\"open\"}", f,
	    sizeof(f)), "timestamp email");
	CHECK_STR("a timestamp as a string", one("{\"event\":\"open\","
	    "\"email\":\"a@b\",\"timestamp\":\"1764000000\"}", f, sizeof(f)),
	    "timestamp");
	CHECK_STR("a fractional timestamp", one("{\"event\":\"open\","
	    "\"email\":\"a@b\",\"timestamp\":1764000000.5}", f, sizeof(f)),
	    "timestamp");
	CHECK_STR("a negative timestamp", one("{\"event\":\"open\","
	    "\"email\":\"a@b\",\"timestamp\":-1}", f, sizeof(f)), "timestamp");
	CHECK_STR("a timestamp past 9999", one("{\"event\":\"open\","
	    "\"email\":\"a@b\",\"timestamp\":253402300800}", f, sizeof(f)),
	    "timestamp");
	CHECK_STR("an empty email", one("{\"event\":\"open\",\"email\":\"\","
	    "\"timestamp\":1}", f, sizeof(f)), "email");
	CHECK_STR("an empty sg_event_id", one("{" GOOD ",\"sg_event_id\":\"\"}",
	    f, sizeof(f)), "sg_event_id");
	CHECK_STR("a numeric sg_event_id", one("{" GOOD ",\"sg_event_id\":5}",
	    f, sizeof(f)), "sg_event_id");
	CHECK_STR("a url that is no string", one("{" GOOD ",\"url\":[1]}", f,
	    sizeof(f)), "url");
	CHECK_STR("a reason that is no string", one("{" GOOD ",\"reason\":1}",
	    f, sizeof(f)), "reason");
	CHECK_STR("an element that is no object", one("42", f, sizeof(f)),
	    "event");
	CHECK_STR("a NUL deep inside", one("{" GOOD ",\"a\":{\"b\":[\"x\\u0000\"]}}",
	    f, sizeof(f)), "event");
	CHECK_STR("a lone surrogate", one("{" GOOD ",\"a\":\"\\ud800\"}", f,
	    sizeof(f)), "event");
	CHECK_STR("a repeated name", one("{" GOOD ",\"event\":\"click\"}", f,
	    sizeof(f)), "event");
	CHECK_STR("a number out of range", one("{" GOOD ",\"n\":1e400}", f,
	    sizeof(f)), "event");
	CHECK_STR("an integer beyond 64 bits", one("{" GOOD
	    ",\"n\":123456789012345678901234567890}", f, sizeof(f)), "event");

	/* 200 characters of sg_event_id pass, 201 do not (characters, not
	 * bytes: é is two). */
	big = malloc(2048);
	memset(big, 0, 2048);
	strcpy(big, "{" GOOD ",\"sg_event_id\":\"");
	for (i = 0; i < 200; i++)
		strcat(big, "\xc3\xa9");
	strcat(big, "\"}");
	CHECK_STR("200 characters of sg_event_id", one(big, f, sizeof(f)),
	    "ok");
	big[strlen(big) - 2] = '\0';
	strcat(big, "x\"}");
	CHECK_STR("201", one(big, f, sizeof(f)), "sg_event_id");
	free(big);

	/* In a batch: the good ones kept, the bad named by index, with their
	 * text for workflow_errors, cut on a character boundary. */
	big = malloc(8192);
	strcpy(big, "[{" GOOD "},{\"event\":\"x\",\"email\":\"a@b\","
	    "\"timestamp\":\"soon\",\"pad\":\"");
	for (i = 0; i < 999; i++)
		strcat(big, i == 0 ? "a" : "\xc3\xa9");
	strcat(big, "\"},{" GOOD ",\"sg_event_id\":\"e2\"}]");
	CHECK(parse(big, &b, why, sizeof(why)) == 0);
	CHECK_I64("two of three accepted", b.accepted_n, 2);
	CHECK_I64("one refused", b.refused_n, 1);
	CHECK_STR("event 1's field", fields_of(&b, 1, f, sizeof(f)),
	    "timestamp");
	CHECK_I64("one refusal for the store",
	    json_object_array_length(b.refused), 1);
	r = json_object_array_get_idx(b.refused, 0);
	CHECK(json_object_object_get_ex(r, "event", &ev));
	CHECK(json_object_get_string_len(ev) <= 1000 &&
	    json_object_get_string_len(ev) >= 998);
	CHECK(strncmp(json_object_get_string(ev), "{\"event\":\"x\"", 12) == 0);
	CHECK((json_object_get_string(ev)[json_object_get_string_len(ev) -
	    1] & 0xff) == 0xa9);
	CHECK_STR("the accepted", buf_str(&b.accepted), "[{" GOOD "},{" GOOD
	    ",\"sg_event_id\":\"e2\"}]");
	nurture_events_batch_free(&b);
	free(big);
	nurture_events_batch_free(NULL);

	return check_done("test_nurture_events");
}
