/*
 * nurture_send: one run of the e-mail sender ("Lead Nurture - Email
 * Sender", docs/nurture.md, docs/worker.md). Unless the sender switch is
 * paused, the run is recorded (workflow_executions), then batch after
 * batch: due queued sends are claimed (committed before any call),
 * rendered (nurture_render.h), handed to the mailer all at once (SendGrid
 * over a few connections, given by the caller: the domain knows no HTTP)
 * and, once every answer is in, settled in one transaction, each by its
 * answer:
 *
 *   accepted          sent, with SendGrid's message id; EMAIL_SENT
 *   refused (4xx)     failed with SendGrid's reason; EMAIL_FAILED
 *   rate limited      (429) wait for X-RateLimit-Reset, call again; a
 *                     wait over a minute, or a third 429 for one e-mail,
 *                     gives it back and ends the run
 *   key refused       (401/403) given back, the sender switch paused with
 *                     the reason, the run ends: nothing more is sent until
 *                     an operator resumes it; the caller alerts
 *   server error,     (5xx, timeout, no connection) given back, due again
 *   no answer         after 1, 5, 15, 60 minutes; the fifth failure fails it
 *
 * A send the lead must not get (opted out, e-mail invalid or missing,
 * enrolment cancelled, step deleted) or whose personalization fails is
 * failed without a call. A claim that is never settled (the process died
 * during the call: SendGrid may have accepted it) is not sent again by
 * itself.
 *
 * N8N_MAX_EMAILS_PER_MINUTE (max_per_minute): at most that many calls in
 * any 60 seconds, counting the e-mails sent in the last minute by earlier
 * runs; when the minute's allowance is used up the run ends and the rest
 * waits for the next run (the worker is not held up waiting).
 */
#ifndef MINICRM_NURTURE_SEND_H
#define MINICRM_NURTURE_SEND_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* One e-mail as the mailer sends it. */
struct nurture_mail {
	const char	*send_id;	/* email_sends.id: custom_args */
	const char	*lead_id;
	const char	*campaign_id;
	long		 step;
	const char	*to;
	const char	*from_email;
	const char	*from_name;	/* "" for none */
	const char	*subject;	/* plain text */
	const char	*html;		/* the body, text/html */
};

/* What the mail service answered. */
enum nurture_mail_status {
	NURTURE_MAIL_ACCEPTED,		/* 202 */
	NURTURE_MAIL_RATE_LIMITED,	/* 429 */
	NURTURE_MAIL_KEY_REFUSED,	/* 401, 403 */
	NURTURE_MAIL_REFUSED,		/* another 4xx: this e-mail is wrong */
	NURTURE_MAIL_SERVER_ERROR,	/* 5xx, or an answer that makes no sense */
	NURTURE_MAIL_TIMEOUT,		/* no answer in time */
	NURTURE_MAIL_TRANSPORT,		/* no connection */
	NURTURE_MAIL_NOT_CALLED		/* not sent: the key was refused on
					 * an earlier one of the batch, or
					 * the stop flag went up */
};

struct nurture_mail_result {
	enum nurture_mail_status	 status;
	long		 http_status;	/* 0: no answer */
	char		 message_id[128];	/* ACCEPTED: X-Message-Id */
	long long	 reset_at;	/* RATE_LIMITED: X-RateLimit-Reset,
					 * Unix seconds; 0 unknown */
	char		 reason[512];	/* unless ACCEPTED: one line, no secret */
};

/* The mailer: sends mails[0..n) — at once, as many at a time as it
 * can — and fills results[0..n), the answer to each. */
typedef void	nurture_mail_fn(void *ctx, const struct nurture_mail *mails,
		    size_t n, struct nurture_mail_result *results);

#define NURTURE_SEND_MAX_ATTEMPTS	5	/* server errors: then failed */
#define NURTURE_SEND_BATCH		10	/* sends claimed at a time: called
						 * at once, settled in one
						 * transaction */
#define NURTURE_SEND_429_WAIT_MAX	60	/* seconds waited for a 429 */
#define NURTURE_SEND_429_TRIES		3	/* 429s for one e-mail per run */

struct nurture_send_options {
	const char		*sender_id;	/* claimed_by: "host:pid" */
	long			 max_per_minute;	/* 0: no cap */
	long			 batch;		/* 0: NURTURE_SEND_BATCH; a crash
						 * during its calls leaves that
						 * many claimed */
	volatile sig_atomic_t	*stop;		/* may be NULL */
	nurture_mail_fn		*mail;
	void			*mail_ctx;
};

/* Why the run ended. */
enum nurture_send_end {
	NURTURE_SEND_DRAINED,		/* nothing due left */
	NURTURE_SEND_PAUSED,		/* the switch was paused: nothing done,
					 * no run recorded */
	NURTURE_SEND_RATE_CAP,		/* the minute's allowance is used */
	NURTURE_SEND_RATE_LIMITED,	/* SendGrid's 429 for too long */
	NURTURE_SEND_KEY_REFUSED,	/* 401/403: the switch is now paused */
	NURTURE_SEND_STOPPED,		/* the stop flag */
	NURTURE_SEND_DB_FAILED		/* the database failed; reason */
};

struct nurture_send_report {
	enum nurture_send_end	 end;
	long	sent;
	long	failed;		/* for good: refused, personalization, … */
	long	retried;	/* given back for a later retry (5xx, timeout) */
	long	rate_limited;	/* 429 answers */
	long	released;	/* claimed but not called: given back */
	long	key_status;	/* KEY_REFUSED: 401 or 403 */
	char	reason[800];	/* why it ended, unless DRAINED */
};

/*
 * One run on db (outside a transaction) with opts; fills *report.
 * Returns DB_OK, or a db_status when the database failed (report->end is
 * then NURTURE_SEND_DB_FAILED, report->reason says where).
 */
int	nurture_send_run(struct db *, const struct nurture_send_options *opts,
	    struct nurture_send_report *report)
	    __attribute__((warn_unused_result));

/* "drained", "paused", "rate cap", …: for summaries. */
const char	*nurture_send_end_name(enum nurture_send_end);

#endif
