/*
 * alert: the operators' alerts, sent to a Slack-compatible incoming webhook
 * (ALERT_WEBHOOK_URL; a POST of {"text": "..."}; the de-enrollment job's
 * conditions to DE_ENROLLMENT_ALERT_WEBHOOK and e-mail nurture's to
 * NURTURE_ALERT_WEBHOOK when those are set). Without a
 * webhook an alert is only logged.
 *
 * An alert never blocks or fails the job that raises it: the webhook gets
 * 5 seconds to connect and 10 in all, and a message that could not be
 * delivered stays marked not yet sent in the database (alert_state, or
 * retry_queue.dead_alerted_at) and is sent again on the next run.
 *
 * A condition (the retry queue above its limit, no events in business
 * hours) is alerted once when it starts to hold and once when it clears,
 * however many runs see it: alert_condition() keeps that state in
 * alert_state, alert_flush() delivers what waits.
 *
 * Every attempt (sent, failed, or logged for want of a webhook) is kept in
 * alert_history (alert_deliver, alert_record; alert_flush records its
 * own): the portal's Alerts page.
 */
#ifndef MINICRM_ALERT_H
#define MINICRM_ALERT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

enum alert_result {
	ALERT_SENT = 0,		/* the webhook answered 2xx */
	ALERT_LOGGED = 1,	/* no webhook configured: logged only */
	ALERT_FAILED = -1	/* not delivered: err says why; try again */
};

/* Call once at start, before threads (libcurl's global set-up). */
void	alert_init(void);

/*
 * Send text to the webhook (or log it). On ALERT_FAILED err holds a
 * one-line reason that never contains the webhook's URL (only its host).
 */
enum alert_result alert_send(const char *text, char *err, size_t errsz);

/*
 * alert_send for the condition key's message: to the webhook its kind
 * has (the de-enrollment job's, "deenroll:…", go to
 * DE_ENROLLMENT_ALERT_WEBHOOK if it is set, e-mail nurture's, "nurture:…",
 * to NURTURE_ALERT_WEBHOOK); NULL key: alert_send.
 */
enum alert_result alert_send_for(const char *key, const char *text,
	    char *err, size_t errsz);

/*
 * alert_send_for, and the attempt kept in alert_history (the portal's
 * Alerts page) as kind (NULL: key): its outcome, the webhook's host only,
 * the reason of a failure. A history that cannot be written is logged and
 * changes nothing else: the result is the delivery's. Safe inside the
 * caller's transaction (the row is written under a savepoint).
 */
enum alert_result alert_deliver(struct db *, const char *kind,
	    const char *key, const char *text, char *err, size_t errsz);

/* Keep an attempt already made (r, err as alert_send_for's) in
 * alert_history as alert_deliver does. */
void	alert_record(struct db *, const char *kind, const char *key,
	    const char *text, enum alert_result r, const char *err);

/*
 * The condition named key holds now (active) or not. Raises it (queues
 * raise_text) the first time it holds, clears it (queues clear_text) the
 * first time it no longer does, and does nothing otherwise. Returns 1 if a
 * message was queued, 0 if not, or a db_status.
 */
int	alert_condition(struct db *, const char *key, bool active,
	    const char *raise_text, const char *clear_text)
	    __attribute__((warn_unused_result));

/*
 * Deliver the queued condition messages. *sent and *failed count them.
 * Returns DB_OK or a db_status (a webhook failure is not an error: the
 * message stays queued).
 */
int	alert_flush(struct db *, int *sent, int *failed)
	    __attribute__((warn_unused_result));

/* The webhook's host, for logs ("-" when unset); writes into out. */
const char *alert_webhook_host(char *out, size_t outsz);

#endif
