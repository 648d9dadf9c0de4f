/*
 * sendgrid_signature: SendGrid's signed Event Webhook, checked. SendGrid
 * signs each post with ECDSA over P-256 and SHA-256: the signed bytes are
 * the X-Twilio-Email-Event-Webhook-Timestamp header's text followed by the
 * raw body, exactly as received; the signature (base64 of its DER form)
 * is in X-Twilio-Email-Event-Webhook-Signature. The public key is the one
 * SendGrid shows under Mail Settings → Signed Event Webhook Requests:
 * base64 of the DER SubjectPublicKeyInfo, or the same as PEM.
 *
 * A timestamp further than max_age seconds from now, either way, is
 * refused before any cryptography: a captured post cannot be replayed
 * later than that. Pure: no configuration, no globals (the caller passes
 * the key, the clock and the age), so it is safe from any thread.
 */
#ifndef MINICRM_SENDGRID_SIGNATURE_H
#define MINICRM_SENDGRID_SIGNATURE_H

#include <stddef.h>
#include <time.h>

enum sendgrid_sig_status {
	SENDGRID_SIG_OK,
	SENDGRID_SIG_NO_KEY,		/* no public key configured */
	SENDGRID_SIG_BAD_KEY,		/* configured, but no P-256 public key */
	SENDGRID_SIG_UNSIGNED,		/* a header is missing or empty */
	SENDGRID_SIG_BAD_TIMESTAMP,	/* not whole epoch seconds */
	SENDGRID_SIG_STALE,		/* older than max_age */
	SENDGRID_SIG_FUTURE,		/* more than max_age ahead */
	SENDGRID_SIG_MALFORMED,		/* the signature is not base64 */
	SENDGRID_SIG_MISMATCH,		/* it does not verify */
	SENDGRID_SIG__MAX
};

/* SendGrid's default: how far a timestamp may be from now, in seconds. */
#define SENDGRID_SIG_MAX_AGE	600

/*
 * Check one post: public_key (base64 DER or PEM; NULL or "" for none),
 * signature and timestamp (the headers' values, NULL if absent), the raw
 * body body[0..len), now and max_age in seconds. Allocates nothing that
 * outlives the call.
 */
enum sendgrid_sig_status sendgrid_signature_verify(const char *public_key,
	    const char *signature, const char *timestamp, const char *body,
	    size_t len, time_t now, long max_age)
	    __attribute__((warn_unused_result));

/* What a status means, for the 401's answer (static text). */
const char	*sendgrid_signature_message(enum sendgrid_sig_status);

#endif
