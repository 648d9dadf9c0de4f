/*
 * sendgrid: SendGrid's v3 mail send (POST {SENDGRID_API_URL}/v3/mail/send)
 * through libcurl, the mailer of the nurture sender (nurture_send.h).
 *
 * One e-mail per call: personalizations[0].to the lead, from the
 * campaign's from_email/from_name, the rendered subject, the body as
 * text/html, custom_args {email_send_id, lead_id, campaign_id, step} (all
 * strings) so SendGrid's events find their send again, and with
 * SENDGRID_SANDBOX=1 mail_settings.sandbox_mode (SendGrid checks the
 * request and answers 200 without delivering: a smoke test on a real
 * account). The answer becomes a typed outcome (enum nurture_mail_status):
 * 2xx accepted (X-Message-Id), 429 rate limited (X-RateLimit-Reset),
 * 401/403 key refused, another 4xx refused with SendGrid's errors[].message
 * as the reason, 5xx server error, no answer within SENDGRID_TIMEOUT
 * seconds (10) a timeout, no connection a transport error.
 *
 * The API key (SENDGRID_API_KEY) goes in the Authorization header and
 * nowhere else: no log line and no reason carries it, nor the URL's path.
 * A batch of e-mails goes out over NURTURE_SENDER_CONNECTIONS (4)
 * connections at once, kept open between calls and batches.
 */
#ifndef MINICRM_SENDGRID_H
#define MINICRM_SENDGRID_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "nurture_send.h"

#define SENDGRID_URL_DEFAULT	"https://api.sendgrid.com"
#define SENDGRID_TIMEOUT_DEFAULT 10	/* seconds */

#define SENDGRID_CONNECTIONS_DEFAULT 4	/* NURTURE_SENDER_CONNECTIONS */
#define SENDGRID_CONNECTIONS_MAX 32

struct sendgrid {
	void			*multi;		/* CURLM * */
	void			**easy;		/* CURL *[connections] */
	long			 connections;	/* calls in flight at most */
	struct curl_slist	*headers;	/* with the key: never logged */
	char			*endpoint;	/* …/v3/mail/send */
	char			 host[256];	/* for reasons and logs */
	long			 timeout;	/* seconds */
	bool			 sandbox;
	/* Set by the caller (may be NULL): once it is non-zero no new call
	 * starts; the rest of a batch is NURTURE_MAIL_NOT_CALLED. */
	volatile sig_atomic_t	*stop;
};

/*
 * Set up a client from the settings (alert_init() was called). Returns 0,
 * or -1 with err saying why (SENDGRID_API_KEY unset, out of memory); then
 * nothing needs closing.
 */
int	sendgrid_open(struct sendgrid *, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

/* Release what sendgrid_open allocated; NULL-safe, twice-safe. */
void	sendgrid_close(struct sendgrid *);

/* The mailer (nurture_mail_fn): ctx is the struct sendgrid; mails[0..n)
 * at most connections at a time, each answer into results[i]. */
void	sendgrid_send(void *ctx, const struct nurture_mail *mails, size_t n,
	    struct nurture_mail_result *results);

#endif
