/* log: escaped, timestamped log lines on standard error (see log.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"

static const char *log_progname = "minicrm";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/* Both set once, before threads start. */
static enum log_level log_min = LOG_INFO;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
/* The request this thread serves ("" none): see log_request_id_set. */
static _Thread_local char log_rid[65];

static const char *const level_names[] = { "debug", "info", "warn",
    "error" };

int
log_level_set(const char *name)
{
	int	 i;

	if (name == NULL)
		return 0;
	for (i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0 ||
		    (i == LOG_WARN && strcmp(name, "warning") == 0)) {
			log_min = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_format_set(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "text") == 0)
		log_fmt = LOG_FORMAT_TEXT;
	else if (strcmp(name, "logfmt") == 0)
		log_fmt = LOG_FORMAT_LOGFMT;
	else if (strcmp(name, "json") == 0)
		log_fmt = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

void
log_init(const char *progname)
{
	log_progname = progname;
}

void
log_configure(void)
{
	if (log_format_set(config_get("LOG_FORMAT")) == -1)
		log_warn("LOG_FORMAT must be text, logfmt or json; "
		    "logging as text");
	if (log_level_set(config_get("LOG_LEVEL")) == -1)
		log_warn("LOG_LEVEL must be debug, info, warn or error; "
		    "logging at info");
}

int
log_enabled(enum log_level level)
{
	return level >= log_min;
}

void
log_request_id_set(const char *id)
{
	size_t	 n = 0;

	log_rid[0] = '\0';
	if (id == NULL)
		return;
	for (; id[n] != '\0'; n++)
		if (n == sizeof(log_rid) - 1 || !((id[n] >= 'a' &&
		    id[n] <= 'z') || (id[n] >= 'A' && id[n] <= 'Z') ||
		    (id[n] >= '0' && id[n] <= '9') || id[n] == '.' ||
		    id[n] == '_' || id[n] == '-'))
			return;
	memcpy(log_rid, id, n + 1);
}

const char *
log_request_id(void)
{
	return log_rid;
}

/*
 * A line under construction. A piece that does not fit is not written,
 * nor anything after it (cut is set): text keeps what fit, the structured
 * formats write a shorter line instead, so none is ever half a JSON
 * object or half an escape.
 */
struct line {
	char	*p;
	size_t	 len, cap;	/* cap excludes the room kept for '\n' */
	bool	 cut;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->cut || n > l->cap - l->len) {
		l->cut = true;
		return;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, surrogates, > U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Text: control characters as \xNN, everything else as it is. */
static void
put_text(struct line *l, const char *s)
{
	const unsigned char	*p;
	char			 esc[5];

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(l, esc, 4);
		} else
			put(l, (const char *)p, 1);
}

/* A JSON string, quotes included: escapes, and U+FFFD for bad UTF-8. */
static void
put_json_string(struct line *l, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 n;

	put(l, "\"", 1);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			put(l, "\\", 1);
			put(l, (const char *)p++, 1);
		} else if (*p == '\n') {
			puts_(l, "\\n");
			p++;
		} else if (*p == '\t') {
			puts_(l, "\\t");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p++);
			puts_(l, esc);
		} else if ((n = utf8_len(p)) == 0) {
			puts_(l, "\\ufffd");
			p++;
		} else {
			put(l, (const char *)p, n);
			p += n;
		}
	}
	put(l, "\"", 1);
}

/* logfmt: bare if it needs no quoting, else quoted with \" \\ \n \t and
 * \xNN for other control characters. */
static void
put_logfmt_value(struct line *l, const char *s)
{
	const unsigned char	*p;
	bool			 bare = *s != '\0';
	char			 esc[5];

	for (p = (const unsigned char *)s; *p != '\0' && bare; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' ||
		    *p == 0x7f)
			bare = false;
	if (bare) {
		puts_(l, s);
		return;
	}
	put(l, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			put(l, "\\", 1);
			put(l, (const char *)p, 1);
		} else if (*p == '\n')
			puts_(l, "\\n");
		else if (*p == '\t')
			puts_(l, "\\t");
		else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(l, esc, 4);
		} else
			put(l, (const char *)p, 1);
	}
	put(l, "\"", 1);
}

/* One key and its value, in the structured formats. */
static void
put_field(struct line *l, const char *key, const char *value, bool number)
{
	if (log_fmt == LOG_FORMAT_JSON) {
		puts_(l, ",\"");
		puts_(l, key);
		puts_(l, "\":");
		if (number)
			puts_(l, value);
		else
			put_json_string(l, value);
	} else {
		put(l, " ", 1);
		puts_(l, key);
		put(l, "=", 1);
		put_logfmt_value(l, value);
	}
}

size_t
log_format_line(char *out, size_t outsz, long long when,
    enum log_level level, const struct log_field *fields, size_t n,
    const char *msg)
{
	struct line	 l = { out, 0, outsz > 0 ? outsz - 2 : 0, false };
	char		 stamp[32], num[64];
	struct tm	 tm;
	time_t		 t = (time_t)when;
	size_t		 i;

	if (outsz < 512) {
		if (outsz > 0)
			out[0] = '\0';
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_fmt == LOG_FORMAT_TEXT) {
		/* Today's lines, unchanged, plus the request's id; a long
		 * one keeps what fits. */
		puts_(&l, stamp);
		put(&l, " ", 1);
		puts_(&l, log_progname);
		put(&l, " ", 1);
		puts_(&l, level_names[level]);
		puts_(&l, ": ");
		put_text(&l, msg);
		if (log_rid[0] != '\0') {
			puts_(&l, " request_id=");
			puts_(&l, log_rid);
		}
		l.cut = false;
		goto end;
	}
	if (log_fmt == LOG_FORMAT_JSON) {
		puts_(&l, "{\"time\":\"");
		puts_(&l, stamp);
		put(&l, "\"", 1);
	} else {
		puts_(&l, "time=");
		puts_(&l, stamp);
	}
	put_field(&l, "level", level_names[level], false);
	put_field(&l, "program", log_progname, false);
	put_field(&l, "msg", msg, false);
	for (i = 0; i < n; i++) {
		switch (fields[i].kind) {
		case LOG_FIELD_INT:
			snprintf(num, sizeof(num), "%lld", fields[i].num);
			put_field(&l, fields[i].key, num, true);
			break;
		case LOG_FIELD_MS:
			snprintf(num, sizeof(num), "%.3f", fields[i].ms);
			put_field(&l, fields[i].key, num, true);
			break;
		default:
			put_field(&l, fields[i].key, fields[i].str ?
			    fields[i].str : "-", false);
		}
	}
	if (log_rid[0] != '\0')
		put_field(&l, "request_id", log_rid, false);
	if (log_fmt == LOG_FORMAT_JSON)
		put(&l, "}", 1);
	if (l.cut)
		return log_format_line(out, outsz, when, level, NULL, 0,
		    "(a line too long to log was dropped)");
end:
	l.cap = outsz - 1;
	put(&l, "\n", 1);
	out[l.len] = '\0';
	return l.len;
}

/*
 * The whole line goes out in one write: a supervisor's master and its
 * child share the log file, and stderr is unbuffered, so a line written
 * piece by piece would interleave with the other process's.
 */
static void
log_write(enum log_level level, const struct log_field *fields, size_t n,
    const char *fmt, va_list ap)
{
	char		 msg[2048];
	char		 line[sizeof(msg) * 6 + 4096];	/* \u00NN per byte, fields */
	size_t		 len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = log_format_line(line, sizeof(line), (long long)time(NULL),
	    level, fields, n, msg);
	pthread_mutex_lock(&log_lock);
	fwrite(line, 1, len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void
log_event(enum log_level level, const struct log_field *fields, size_t n,
    const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	log_write(level, fields, n, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_min > LOG_DEBUG)
		return;
	va_start(ap, fmt);
	log_write(LOG_DEBUG, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_min > LOG_INFO)
		return;
	va_start(ap, fmt);
	log_write(LOG_INFO, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_min > LOG_WARN)
		return;
	va_start(ap, fmt);
	log_write(LOG_WARN, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(LOG_ERROR, NULL, 0, fmt, ap);
	va_end(ap);
}
