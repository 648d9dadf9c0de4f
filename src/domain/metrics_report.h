/*
 * metrics_report: GET /metrics's answer (docs/observability.md): who may
 * read it, and the whole text: every program's shared counters
 * (metrics_text.h) and the figures read from the database (the retry
 * queue, the jobs, de-enrollment, e-mail).
 */
#ifndef MINICRM_METRICS_REPORT_H
#define MINICRM_METRICS_REPORT_H

#include "buf.h"
#include "db.h"

enum metrics_access {
	METRICS_ACCESS_OK,
	METRICS_ACCESS_REMOTE,		/* not loopback, no token sent: 403 */
	METRICS_ACCESS_BAD_TOKEN	/* a token, not the configured one: 401 */
};

/*
 * May this client read /metrics? From loopback (127.0.0.0/8, ::1), unless
 * METRICS_ALLOW_LOOPBACK=0; from anywhere with "Authorization: Bearer
 * TOKEN" whose SHA-256 is METRICS_TOKEN_SHA256 (hex), compared in constant
 * time. authorization is the header's value or NULL. The token is never
 * logged nor kept.
 */
enum metrics_access metrics_report_access(const char *remote_addr,
	    const char *authorization);

/*
 * Write the whole exposition into out. A database that cannot be read
 * leaves its figures out and says so (minicrm_database_up 0): the
 * counters are worth having most when it is down. Returns 0, or -1 if
 * the buffer failed.
 */
int	metrics_report_write(struct db *, struct buf *out);

#endif
