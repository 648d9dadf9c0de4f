/*
 * job alerts: the retry queue's alerts, every minute by default.
 *   - an event that went dead, or was queued refused (kept for review,
 *     docs/retry-queue.md): one alert per row, in the SOP's format
 *     (workflow, execution, lead, event) with its last error; more than
 *     DEAD_ONE_BY_ONE at once become one summary, so a burst does not
 *     flood the channel;
 *   - the queue above HEALTH_RETRY_QUEUE_ALERT (the SOP's alert state):
 *     once when it goes above, once when it is back;
 *   - a known API key refused in the last hour (revoked, or the wrong
 *     secret: a caller whose events are neither logged nor queued): once
 *     when it starts, once when an hour passes without one;
 * and delivers every alert still waiting (a webhook that was down).
 * Every attempt is kept in alert_history (kinds dead_event, refused_event,
 * dead_events_summary, and the conditions' keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "db_apikey.h"
#include "db_retry.h"
#include "health.h"
#include "job.h"
#include "log.h"

#define DEAD_ONE_BY_ONE		10
#define DEAD_LISTED		5	/* rows named in a summary */
#define ERROR_SHOWN		300	/* bytes of the last error shown */

/* "2 h 05 min", "12 min", "40 s"; into out. */
static const char *
age_text(long long s, char *out, size_t outsz)
{
	if (s >= 3600)
		snprintf(out, outsz, "%lld h %02lld min", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, outsz, "%lld min", s / 60);
	else
		snprintf(out, outsz, "%lld s", s);
	return out;
}

/* At most max bytes of s, cut on a UTF-8 character boundary. */
static void
put_cut(struct buf *b, const char *s, size_t max)
{
	size_t	 n = strlen(s);

	if (n <= max) {
		buf_puts(b, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	buf_append(b, s, max);
	buf_puts(b, "…");
}

/* The SOP's fields of a dead or refused row. */
static void
dead_fields(struct buf *b, const struct db_retry_dead *r)
{
	buf_printf(b, "Workflow: %s\nExecution: %s\nLead: %s\nEvent: %s\n",
	    r->workflow, r->execution_id, r->lead_id, r->event_type);
	buf_puts(b, "Last error: ");
	put_cut(b, r->error, ERROR_SHOWN);
	buf_printf(b, "\nAttempts: %lld\n", r->attempts);
}

/* More than DEAD_ONE_BY_ONE rows wait: one alert that names the first n
 * (rows) and counts all of them; once it is sent, every row up to max_id
 * is marked alerted. Returns a db_status. */
static int
dead_summary(struct db *db, const struct db_retry_dead *rows, size_t n,
    long long count, long long max_id, long *sent, long *waiting)
{
	struct buf	 text = BUF_INIT;
	char		 err[512];
	size_t		 i;
	int		 rc = DB_OK;

	buf_printf(&text, "⚠️ Activity Log Failed: %lld events went "
	    "dead or were refused in the retry queue\n", count);
	for (i = 0; i < n; i++) {
		buf_printf(&text, "\nRow %lld\n", rows[i].id);
		dead_fields(&text, &rows[i]);
	}
	buf_printf(&text, "\n…and %lld more. They are kept in the "
	    "retry queue, not lost: fix the cause, then replay them "
	    "from the admin portal's Retry queue page.", count - (long long)n);
	if (alert_deliver(db, "dead_events_summary", NULL, buf_str(&text),
	    err, sizeof(err)) != ALERT_FAILED &&
	    (rc = db_retry_alerted(db, 0, max_id)) == DB_OK)
		*sent = (long)count;
	else
		*waiting = (long)count;
	buf_free(&text);
	return rc;
}

/*
 * Alert the dead rows not alerted yet. *sent counts the rows alerted,
 * *waiting those left for the next run (webhook down). Returns a db_status.
 */
static int
dead_alerts(struct db *db, long *sent, long *waiting)
{
	struct db_retry_dead *rows;
	struct buf	 text = BUF_INIT;
	char		 err[512];
	long long	 count, max_id;
	size_t		 i, n;
	int		 rc;

	*sent = *waiting = 0;
	if ((rc = db_retry_unalerted_count(db, &count, &max_id)) != DB_OK)
		return rc;
	if (count == 0)
		return DB_OK;
	if ((rc = db_retry_unalerted(db, count > DEAD_ONE_BY_ONE ?
	    DEAD_LISTED : DEAD_ONE_BY_ONE, &rows, &n)) != DB_OK)
		return rc;
	if (count > DEAD_ONE_BY_ONE) {
		rc = dead_summary(db, rows, n, count, max_id, sent, waiting);
		free(rows);
		return rc;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&text);
		buf_puts(&text, rows[i].refused ? "⚠️ Activity Log Failed: "
		    "event refused, kept in the retry queue for review\n\n" :
		    "⚠️ Activity Log Failed: event dead in the retry "
		    "queue\n\n");
		dead_fields(&text, &rows[i]);
		buf_printf(&text, "\nKept in the retry queue (row %lld), not "
		    "lost: fix the cause, then replay it from the admin "
		    "portal's Retry queue page or with: minicrm replay --id "
		    "%lld", rows[i].id, rows[i].id);
		if (alert_deliver(db, rows[i].refused ? "refused_event" :
		    "dead_event", NULL, buf_str(&text), err, sizeof(err)) ==
		    ALERT_FAILED) {
			/* The webhook is down: this row and the rest wait
			 * for the next run. */
			*waiting = (long)count - *sent;
			break;
		}
		if ((rc = db_retry_alerted(db, rows[i].id, rows[i].id)) !=
		    DB_OK)
			break;
		(*sent)++;
	}
	free(rows);
	buf_free(&text);
	return rc;
}

/* The SOP's alert state: more than 20 events waiting. Sets *pending. */
static int
queue_alert(struct db *db, long long *pending, int *changed)
{
	char		 raise[512], clear[256], age[32];
	long long	 oldest;
	int		 rc;

	if ((rc = db_retry_pending(db, pending, &oldest)) != DB_OK)
		return rc;
	snprintf(raise, sizeof(raise), "⚠️ Retry queue above %d: %lld "
	    "events pending, the oldest waiting %s.\nThe SOP's alert state "
	    "(sustained portal outage or bad credentials): check /health "
	    "and the API's log. The events are kept, not lost; the worker "
	    "replays the queue by itself once the cause is fixed.",
	    HEALTH_RETRY_QUEUE_ALERT, *pending, age_text(oldest, age,
	    sizeof(age)));
	snprintf(clear, sizeof(clear), "✅ Retry queue back to %lld pending "
	    "(alert above %d).", *pending, HEALTH_RETRY_QUEUE_ALERT);
	rc = alert_condition(db, "retry_queue_backlog",
	    *pending > HEALTH_RETRY_QUEUE_ALERT, raise, clear);
	if (rc < 0)
		return rc;
	*changed = rc;
	return DB_OK;
}

/* Known keys refused in the last hour (sql 0009). Sets *keys. */
static int
key_alert(struct db *db, int *keys)
{
	struct db_apikey_refusal *rows;
	struct buf	 raise = BUF_INIT;
	size_t		 i, n;
	int		 rc;

	if ((rc = db_apikey_refused_recently(db, &rows, &n)) != DB_OK)
		return rc;
	*keys = (int)n;
	buf_puts(&raise, "🔑 minicrm is refusing an API key it knows: a "
	    "caller (an n8n workflow?) still uses a revoked key or a wrong "
	    "secret, and its events are neither logged nor queued.\n");
	for (i = 0; i < n; i++)
		buf_printf(&raise, "\nKey %s (mcrm_%s_…), %s: refused %lld "
		    "times, last at %s UTC", rows[i].name, rows[i].prefix,
		    rows[i].revoked ? "revoked" : "live (wrong secret)",
		    rows[i].refused_count, rows[i].last_refused);
	buf_puts(&raise, "\n\nGive the caller a live key (minicrm apikey "
	    "create, then its n8n credential) and re-run its failed "
	    "executions. The keys page shows every key's refusals.");
	free(rows);
	rc = alert_condition(db, "api_key_refused", *keys > 0, buf_str(&raise),
	    "✅ No API key refused in the last hour.");
	buf_free(&raise);
	return rc < 0 ? rc : DB_OK;
}

enum job_outcome
job_alerts(struct job_run *run)
{
	long		 dead_sent, dead_waiting;
	long long	 pending = 0;
	int		 changed = 0, sent = 0, failed = 0, keys = 0, rc;

	if ((rc = dead_alerts(run->db, &dead_sent, &dead_waiting)) != DB_OK ||
	    (rc = queue_alert(run->db, &pending, &changed)) != DB_OK ||
	    (rc = key_alert(run->db, &keys)) != DB_OK ||
	    (rc = alert_flush(run->db, &sent, &failed)) != DB_OK) {
		snprintf(run->summary, sizeof(run->summary), "%s (%s)",
		    db_status_text(rc), run->db->error);
		return JOB_FAILED;
	}
	snprintf(run->summary, sizeof(run->summary), "dead events alerted "
	    "%ld, waiting %ld; queue %lld pending%s; keys refused in the "
	    "last hour %d; condition alerts sent %d, waiting %d", dead_sent,
	    dead_waiting, pending, changed ? (pending >
	    HEALTH_RETRY_QUEUE_ALERT ? " (raised)" : " (cleared)") : "", keys,
	    sent, failed);
	return JOB_DONE;
}
