/*
 * test_log.c - the log line in its three formats (log.h): text as it always
 * read, logfmt quoting, JSON that parses (json-c) whatever the message
 * holds (quotes, control characters, invalid UTF-8), the request id and
 * what is refused as one, a line too long for its buffer, and the levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "check.h"
#include "log.h"

/* 2026-11-27T22:37:16Z */
#define WHEN	1795819036LL

static char	 line[4096];

static const char *
fmt(enum log_level level, const struct log_field *f, size_t n,
    const char *msg)
{
	log_format_line(line, sizeof(line), WHEN, level, f, n, msg);
	return line;
}

/* Parse the line (without its '\n') as JSON; NULL if it is not. */
static json_object *
parse(const char *s)
{
	char			 copy[sizeof(line)];
	size_t			 n = strlen(s);
	json_tokener		*tok = json_tokener_new();
	json_object		*obj;

	memcpy(copy, s, n + 1);
	if (n > 0 && copy[n - 1] == '\n')
		copy[--n] = '\0';
	obj = json_tokener_parse_ex(tok, copy, (int)n);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)n) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

static const char *
get(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) ?
	    json_object_get_string(v) : NULL;
}

static void
test_text(void)
{
	struct log_field f[] = { LOG_STR("route", "/x") };

	CHECK(log_format_set("text") == 0);
	log_request_id_set(NULL);
	CHECK_STR("text: today's line",
	    fmt(LOG_INFO, f, 1, "job replay: 3 taken"),
	    "2026-11-27T22:37:16Z api.fcgi info: job replay: 3 taken\n");
	CHECK_STR("text: control characters escaped",
	    fmt(LOG_WARN, NULL, 0, "a\nb\tc\x7f"),
	    "2026-11-27T22:37:16Z api.fcgi warn: a\\x0ab\\x09c\\x7f\n");
	log_request_id_set("0f4c2a");
	CHECK_STR("text: the request id at the end",
	    fmt(LOG_ERROR, NULL, 0, "boom"),
	    "2026-11-27T22:37:16Z api.fcgi error: boom request_id=0f4c2a\n");
	log_request_id_set(NULL);
}

static void
test_logfmt(void)
{
	struct log_field f[] = {
		LOG_STR("method", "POST"),
		LOG_STR("route", "/api/internal/log-activity"),
		LOG_INT("status", 201),
		LOG_MS("duration_ms", 1.5),
		LOG_STR("summary", "said \"hi\" = a\\b\nc"),
		LOG_STR("empty", ""),
		LOG_STR("none", NULL),
	};

	CHECK(log_format_set("logfmt") == 0);
	log_request_id_set("abc123");
	CHECK_STR("logfmt: quoted where it must be",
	    fmt(LOG_INFO, f, sizeof(f) / sizeof(f[0]), "request done"),
	    "time=2026-11-27T22:37:16Z level=info program=api.fcgi "
	    "msg=\"request done\" method=POST "
	    "route=/api/internal/log-activity status=201 duration_ms=1.500 "
	    "summary=\"said \\\"hi\\\" = a\\\\b\\nc\" empty=\"\" none=- "
	    "request_id=abc123\n");
	log_request_id_set(NULL);
}

static void
test_json(void)
{
	struct log_field f[] = {
		LOG_STR("route", "/leads/*"),
		LOG_INT("status", 404),
		LOG_MS("duration_ms", 0.25),
	};
	json_object	*obj;
	json_object	*v;

	CHECK(log_format_set("json") == 0);
	log_request_id_set("rid-1");
	obj = parse(fmt(LOG_INFO, f, 3,
	    "quote \" backslash \\ nl \n tab \t bell \a bad \xff\xfe ok \xc3\xa9"));
	CHECK(obj != NULL);
	CHECK_STR("json: the message back, bad UTF-8 replaced", get(obj, "msg"),
	    "quote \" backslash \\ nl \n tab \t bell \a bad \xef\xbf\xbd"
	    "\xef\xbf\xbd ok \xc3\xa9");
	CHECK_STR("json: level", get(obj, "level"), "info");
	CHECK_STR("json: program", get(obj, "program"), "api.fcgi");
	CHECK_STR("json: time", get(obj, "time"), "2026-11-27T22:37:16Z");
	CHECK_STR("json: route", get(obj, "route"), "/leads/*");
	CHECK_STR("json: request id", get(obj, "request_id"), "rid-1");
	CHECK(json_object_object_get_ex(obj, "status", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int(v) == 404);
	CHECK(json_object_object_get_ex(obj, "duration_ms", &v) &&
	    json_object_is_type(v, json_type_double));
	json_object_put(obj);
	CHECK(line[strlen(line) - 1] == '\n');
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);
	log_request_id_set(NULL);
}

static void
test_request_id(void)
{
	char	 long_id[100];

	log_request_id_set("0123456789abcdef0123456789abcdef");
	CHECK_STR("nginx's id is kept", log_request_id(),
	    "0123456789abcdef0123456789abcdef");
	log_request_id_set("x\" level=error");
	CHECK_STR("an id with other characters is dropped",
	    log_request_id(), "");
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	log_request_id_set(long_id);
	CHECK_STR("an id over 64 characters is dropped", log_request_id(),
	    "");
	log_request_id_set("");
	CHECK_STR("empty: none", log_request_id(), "");
}

static void
test_too_long(void)
{
	char		*msg = malloc(3000);
	char		 small[600];
	json_object	*obj;

	memset(msg, '"', 2999);		/* each becomes \" in JSON */
	msg[2999] = '\0';
	CHECK(log_format_set("json") == 0);
	log_format_line(small, sizeof(small), WHEN, LOG_INFO, NULL, 0, msg);
	obj = parse(small);
	CHECK(obj != NULL);
	CHECK_STR("a line too long: a shorter line, still JSON",
	    get(obj, "msg"), "(a line too long to log was dropped)");
	json_object_put(obj);
	CHECK(log_format_set("text") == 0);
	log_format_line(small, sizeof(small), WHEN, LOG_INFO, NULL, 0, msg);
	CHECK(strlen(small) == sizeof(small) - 1);
	CHECK(small[strlen(small) - 1] == '\n');
	free(msg);
}

static void
test_settings(void)
{
	CHECK(log_format_set("xml") == -1);
	CHECK(log_format_set(NULL) == 0);
	CHECK(log_level_set("warn") == 0);
	CHECK(!log_enabled(LOG_INFO));
	CHECK(log_enabled(LOG_WARN));
	CHECK(log_enabled(LOG_ERROR));
	CHECK(log_level_set("warning") == 0);
	CHECK(!log_enabled(LOG_INFO));
	CHECK(log_level_set("debug") == 0);
	CHECK(log_enabled(LOG_DEBUG));
	CHECK(log_level_set("loud") == -1);
	CHECK(log_enabled(LOG_DEBUG));	/* unchanged */
	CHECK(log_level_set("info") == 0);
	CHECK(!log_enabled(LOG_DEBUG));
}

int
main(void)
{
	log_init("api.fcgi");
	test_text();
	test_logfmt();
	test_json();
	test_request_id();
	test_too_long();
	test_settings();
	return check_done("test_log");
}
