/* log: escaped, timestamped log lines on standard error (see log.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "minicrm";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/* The least level written: 0 debug, 1 info, 2 warn, 3 error. Set once,
 * before threads start. */
static int log_min = 1;

int
log_level_set(const char *name)
{
	static const char *const names[] = { "debug", "info", "warn",
	    "error" };
	int	 i;

	if (name == NULL)
		return 0;
	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0 ||
		    (i == 2 && strcmp(name, "warning") == 0)) {
			log_min = i;
			return 0;
		}
	return -1;
}

void
log_init(const char *progname)
{
	log_progname = progname;
}

/*
 * The whole line goes out in one write: a supervisor's master and its
 * child share the log file, and stderr is unbuffered, so a line written
 * piece by piece would interleave with the other process's.
 */
static void
log_write(const char *level, const char *fmt, va_list ap)
{
	char		 msg[2048], stamp[32];
	char		 line[sizeof(msg) * 4 + 128];	/* \xNN per byte */
	struct tm	 tm;
	time_t		 now = time(NULL);
	const unsigned char *p;
	size_t		 n;
	int		 head;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	head = snprintf(line, 128, "%s %s %s: ", stamp, log_progname, level);
	n = head < 0 ? 0 : head >= 128 ? 127 : (size_t)head;
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(line + n, 5, "\\x%02x", *p);
		else
			line[n++] = (char)*p;
	}
	line[n++] = '\n';

	pthread_mutex_lock(&log_lock);
	fwrite(line, 1, n, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_min > 0)
		return;
	va_start(ap, fmt);
	log_write("debug", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_min > 1)
		return;
	va_start(ap, fmt);
	log_write("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_min > 2)
		return;
	va_start(ap, fmt);
	log_write("warn", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write("error", fmt, ap);
	va_end(ap);
}
