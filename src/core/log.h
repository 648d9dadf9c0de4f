/*
 * log: one line per message on standard error, with a timestamp, a level and
 * the program's name, in the format LOG_FORMAT names:
 *
 *   text    2026-11-27T22:37:16Z api.fcgi info: message (the default)
 *   logfmt  time=2026-11-27T22:37:16Z level=info program=api.fcgi msg="message"
 *   json    {"time":"2026-11-27T22:37:16Z","level":"info","program":"api.fcgi","msg":"message"}
 *
 * A line written while a thread serves a request carries the request's id
 * (nginx's $request_id, log_request_id_set): request_id=… in text and
 * logfmt, "request_id" in JSON. log_event adds named fields (a request's
 * method, route and status; a job's outcome and duration) to the
 * structured formats; text keeps the message alone, as it always read.
 *
 * Control characters are escaped in every format (text: \xNN; logfmt and
 * JSON: their own escapes; JSON replaces invalid UTF-8 with U+FFFD), so
 * text that came from a request cannot forge log lines, and every JSON
 * line parses. Never pass a secret (API key, password, token) to these
 * functions.
 */
#ifndef MINICRM_LOG_H
#define MINICRM_LOG_H

#include <stddef.h>

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_LOGFMT,
	LOG_FORMAT_JSON
};

/* One named value of log_event: a string (NULL is written as "-"), an
 * integer, or a number with three decimals (durations in ms). */
enum log_field_kind { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_MS };
struct log_field {
	const char		*key;	/* [a-z_]+, from the code */
	enum log_field_kind	 kind;
	const char		*str;
	long long		 num;
	double			 ms;
};
#define LOG_STR(k, v)	((struct log_field){ (k), LOG_FIELD_STR, (v), 0, 0 })
#define LOG_INT(k, v)	((struct log_field){ (k), LOG_FIELD_INT, NULL, (v), 0 })
#define LOG_MS(k, v)	((struct log_field){ (k), LOG_FIELD_MS, NULL, 0, (v) })

/* The program's name in every line. Call before threads start. */
void	log_init(const char *progname);
/* LOG_FORMAT and LOG_LEVEL from the configuration (after config_load);
 * a bad value of either is logged and the default kept. Call before
 * threads start. */
void	log_configure(void);
/* LOG_LEVEL's value: "debug", "info" (the default), "warn" or "error"
 * (the least level written). NULL: unchanged. -1 for another name. Call
 * before threads start. */
int	log_level_set(const char *name);
/* LOG_FORMAT's value: "text" (the default), "logfmt" or "json". NULL:
 * unchanged. -1 for another name. Call before threads start. */
int	log_format_set(const char *name);
/* Would a line of this level be written? */
int	log_enabled(enum log_level);

/*
 * This thread's current request id, carried by every line it writes until
 * the next call; NULL or "" for none. Only [A-Za-z0-9._-], at most 64
 * characters, is taken (nginx's are 32 hex digits); anything else is
 * dropped, so a forged header cannot inject into a line. Copied.
 */
void	log_request_id_set(const char *id);
/* The current id, "" if none. Valid until the thread's next set. */
const char *log_request_id(void);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A line with fields: the message (printf-style) plus fields[0..n) in the
 * structured formats. */
void	log_event(enum log_level, const struct log_field *fields, size_t n,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Format one line into out (at most outsz bytes, NUL-terminated, ending
 * in '\n'; a longer one is cut, still one valid line): what log_event
 * writes, for a given time (seconds since the epoch). Returns its length.
 * For the unit tests; uses the current format, program and request id.
 */
size_t	log_format_line(char *out, size_t outsz, long long when,
	    enum log_level, const struct log_field *fields, size_t n,
	    const char *msg);

#endif
