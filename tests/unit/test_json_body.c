/*
 * test_json_body.c - json_body_parse: what refuses the whole body, what
 * refuses only one child of the root (a batch's element, an envelope's
 * member) with the others kept, the children's spans, the nesting limit
 * counted in containers, and repeated names at any depth. The inputs the
 * fuzzer (tests/fuzz/fuzz_json.c) found are kept at the end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_body.h"
#include "check.h"

/* Parse text (depth 32); want NULL: it must parse, else be refused with
 * a reason that holds want. Returns true if it parsed; *jb is then the
 * caller's to free. */
static bool
parse(int line, const char *text, const char *want, struct json_body *jb)
{
	char	 why[160] = "";
	int	 rc = json_body_parse(jb, text, strlen(text), 32, why,
		    sizeof(why));

	check_count++;
	if ((want == NULL) != (rc == 0) ||
	    (want != NULL && strstr(why, want) == NULL)) {
		check_failed++;
		fprintf(stderr, "%s:%d: CHECK failed: %s: expected %s%s, got "
		    "%s\n", __FILE__, line, text, want ? "a refusal naming " :
		    "it parsed", want ? want : "", rc == 0 ? "it parsed" : why);
	}
	if (rc != 0)
		json_body_free(jb);
	return rc == 0;
}
#define REFUSED(text, want) do {					\
	struct json_body jb_;						\
	if (parse(__LINE__, (text), (want), &jb_))			\
		json_body_free(&jb_);					\
} while (0)

/* The problems of text's parts as "-" (none) or a word each, joined by
 * '|'; problem words are the first of: surrogate, 64 bits, NUL, "key". */
static void
expect_parts(int line, const char *text, const char *want)
{
	static const char *const words[] = { "surrogate", "64 bits", "NUL",
	    "appears more than once" };
	static const char *const short_[] = { "surrogate", "bigint", "nul",
	    "dup" };
	struct json_body	 jb;
	char			 got[256] = "";
	size_t			 i, w;

	if (!parse(line, text, NULL, &jb))
		return;
	for (i = 0; i < jb.nparts; i++) {
		const char *p = jb.part[i].problem, *word = "-";

		for (w = 0; p != NULL && w < 4; w++)
			if (strstr(p, words[w]) != NULL)
				word = short_[w];
		if (p != NULL && strcmp(word, "-") == 0)
			word = p;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i ? "|" : "", word);
	}
	check_str(__FILE__, line, text, got, want);
	json_body_free(&jb);
}
#define PARTS(text, want)	expect_parts(__LINE__, (text), (want))

/* n nested arrays, the innermost holding inner; the caller frees. */
static char *
nest(int n, const char *inner)
{
	size_t	 len = strlen(inner);
	char	*s = malloc(2 * (size_t)n + len + 1);
	int	 i;

	if (s == NULL)
		exit(2);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[(size_t)n + len + (size_t)i] = ']';
	}
	memcpy(s + n, inner, len);
	s[2 * (size_t)n + len] = '\0';
	return s;
}

/* Issue 9 item 4: a bad spot refuses its element, not the batch. */
static void
test_per_element(void)
{
	PARTS("[{\"l\":\"a\"},{\"l\":\"b\\ud800\"},{\"l\":\"c\"}]",
	    "-|surrogate|-");
	PARTS("[{\"l\":\"a\"},{\"m\":{\"n\":18446744073709551616}},{}]",
	    "-|bigint|-");
	PARTS("[{\"l\":\"a\"},{\"m\":{\"k\\u0000x\":1}},{}]", "-|nul|-");
	PARTS("[1, -9223372036854775809, \"\\udc00\", \"\\ud83d\\ude00\"]",
	    "-|bigint|surrogate|-");
	/* The first problem of an element is the one kept. */
	PARTS("[{\"a\":\"\\ud800\",\"b\":1e2,\"c\":99999999999999999999}]",
	    "surrogate");
	/* An envelope's members are parts too. */
	PARTS("{\"payload\":{\"x\":\"\\ud800\"},\"workflow\":\"w\"}",
	    "surrogate|-");
	/* Escaped quotes and backslashes do not end a string early. */
	PARTS("[\"a\\\"]\\\\\", {\"k\\\\u0000\":\"\\\\ud800\"}, 1]", "-|-|-");

	/* What is not JSON, or is wrong at the root itself, is the body's. */
	REFUSED("[{\"a\":1},{\"b\":NaN}]", "NaN");
	REFUSED("[{\"a\":1},{\"b\":\"x\ty\"}]", "control character");
	REFUSED("[{\"a\":1},{\"b\":}]", "malformed JSON");
	REFUSED("[{\"a\":1} {\"b\":2}]", "malformed JSON");
	REFUSED("{\"a\\u0000b\":1}", "NUL");
	REFUSED("{\"\\ud800\":1}", "surrogate");
	REFUSED("18446744073709551616", "64 bits");
	REFUSED("\"\\ud800\"", "surrogate");
	REFUSED("null", "null");
}

/* Each part's span is its text, white space around it left out. */
static void
test_spans(void)
{
	static const char	 text[] = " [ 1 , \"two\" ,{\"a\":[3]} ,"
				    "null,true ] ";
	static const char *const want[] = { "1", "\"two\"", "{\"a\":[3]}",
				    "null", "true" };
	struct json_body	 jb;
	char			 got[32];
	size_t			 i;

	if (!parse(__LINE__, text, NULL, &jb))
		return;
	CHECK_I64("parts", jb.nparts, 5);
	for (i = 0; i < jb.nparts && i < 5; i++) {
		snprintf(got, sizeof(got), "%.*s",
		    (int)(jb.part[i].end - jb.part[i].start),
		    text + jb.part[i].start);
		CHECK_STR("span", got, want[i]);
	}
	json_body_free(&jb);
	if (parse(__LINE__, "{\"payload\" : {\"a\":1} , \"error\":\"e\"}",
	    NULL, &jb)) {
		CHECK_I64("members", jb.nparts, 2);
		CHECK_I64("payload start", jb.part[0].start, 13);
		CHECK_I64("payload end", jb.part[0].end, 20);
		json_body_free(&jb);
	}
	if (parse(__LINE__, "42", NULL, &jb)) {
		CHECK_I64("a scalar has no parts", jb.nparts, 0);
		json_body_free(&jb);
	}
	if (parse(__LINE__, "[]", NULL, &jb)) {
		CHECK_I64("an empty array has no parts", jb.nparts, 0);
		json_body_free(&jb);
	}
}

/* Issue 9 item 5: 32 containers at most, the innermost empty or not. */
static void
test_depth(void)
{
	static const char *const inner[] = { "", "1", "{}", "\"s\"" };
	struct json_body	 jb;
	size_t			 i;
	char			*s;

	for (i = 0; i < sizeof(inner) / sizeof(inner[0]); i++) {
		s = nest(32, inner[i]);
		if (strcmp(inner[i], "{}") == 0) {
			REFUSED(s, "deeper than 32");	/* 33 containers */
			free(s);
			s = nest(31, inner[i]);
		}
		if (parse(__LINE__, s, NULL, &jb))
			json_body_free(&jb);
		free(s);
		s = nest(33, inner[i]);
		REFUSED(s, "deeper than 32");
		free(s);
	}
	s = nest(100000, "");
	REFUSED(s, "deeper than 32");
	free(s);
}

/* Issue 9 item 6: a repeated name refuses the object that holds it. */
static void
test_repeated_names(void)
{
	struct json_body jb;

	REFUSED("{\"event_type\":\"NOPE\",\"event_type\":\"MESSAGE_SENT\"}",
	    "the key \"event_type\" appears more than once");
	REFUSED("{\"a\":1,\"b\":2,\"a\":3}", "\"a\"");
	REFUSED("{\"a\":1,\"\\u0061\":2}", "\"a\"");	/* same name */
	REFUSED("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "\"\xc3\xa9\"");
	REFUSED("{\"a\\nb\":1,\"a\\nb\":2}", "\"a\\nb\"");	/* shown escaped */
	REFUSED("{\"x\":{\"a\":[1,{\"b\":2}]},\"q\":\"}\",\"x\":0}", "\"x\"");
	REFUSED("{\"" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\":1,\"" "0123456789"
	    "012345678901234567890123456789012345678901234567890123456789"
	    "0123456789\":2}", "(name cut)");
	/* At any depth, in one element only. */
	PARTS("[{\"a\":1},{\"m\":{\"k\":1,\"k\":2}},{\"a\":1,\"b\":1}]",
	    "-|dup|-");
	PARTS("[{\"m\":[[{\"z\":{\"y\":1,\"y\":2}}]]},{\"m\":{\"a\":{}}}]",
	    "dup|-");
	PARTS("{\"payload\":{\"a\":1,\"a\":2},\"workflow\":\"w\"}", "dup|-");
	/* The name of the object that repeats, not an earlier one. */
	if (parse(__LINE__, "[{\"m\":{\"p\":1},\"n\":{\"q\":{},\"r\":1,"
	    "\"q\":2}}]", NULL, &jb)) {
		CHECK(jb.part[0].problem != NULL &&
		    strstr(jb.part[0].problem, "\"q\"") != NULL);
		json_body_free(&jb);
	}
	/* A dropped repeat that held objects does not shift the next
	 * element's objects. */
	PARTS("[{\"a\":{\"b\":{}},\"a\":{}},{\"c\":{\"d\":1}},{\"e\":{},"
	    "\"e\":1}]", "dup|-|dup");
	/* Not repeats: the same name in sibling objects or elements. */
	PARTS("[{\"a\":{\"a\":1},\"b\":{\"a\":2}},{\"a\":1}]", "-|-");
	PARTS("[{\"a\":1,\"A\":2,\"a \":3,\"\":4}]", "-");
}

/* Inputs the fuzzer found (make fuzz-json), each once a crash. */
static void
test_fuzz_findings(void)
{
	/* name_repeat read the name after freeing it (heap use after free,
	 * found at once by fuzz_json's envelope seed). */
	PARTS("{\"payload\":{\"a\":1,\"a\":2},\"workflow\":\"w\",\"error\":"
	    "\"e\"}", "dup|-|-");
}

int
main(void)
{
	test_per_element();
	test_spans();
	test_depth();
	test_repeated_names();
	test_fuzz_findings();
	return check_done("test_json_body");
}
