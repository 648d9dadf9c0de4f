/* sendgrid_signature: SendGrid's signed Event Webhook (see the header). */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "sendgrid_signature.h"
#include "validate.h"

/* A key's text at most (base64 DER of a P-256 key is 124 characters;
 * PEM adds its two lines), a DER signature at most (72 bytes for P-256). */
#define KEY_TEXT_MAX	4096
#define KEY_DER_MAX	1024
#define SIG_TEXT_MAX	512
#define SIG_DER_MAX	384

static const char *const messages[SENDGRID_SIG__MAX] = {
	[SENDGRID_SIG_OK] = "signature verified",
	[SENDGRID_SIG_NO_KEY] = "no SendGrid webhook public key is configured "
	    "(SENDGRID_WEBHOOK_PUBLIC_KEY): every post is refused",
	[SENDGRID_SIG_BAD_KEY] = "the configured SENDGRID_WEBHOOK_PUBLIC_KEY "
	    "is not a P-256 public key (base64 DER or PEM): every post is "
	    "refused",
	[SENDGRID_SIG_UNSIGNED] = "unsigned: the X-Twilio-Email-Event-Webhook-"
	    "Signature and X-Twilio-Email-Event-Webhook-Timestamp headers are "
	    "required",
	[SENDGRID_SIG_BAD_TIMESTAMP] = "X-Twilio-Email-Event-Webhook-Timestamp "
	    "is not a time in whole seconds since 1970",
	[SENDGRID_SIG_STALE] = "X-Twilio-Email-Event-Webhook-Timestamp is too "
	    "old (SENDGRID_WEBHOOK_MAX_AGE)",
	[SENDGRID_SIG_FUTURE] = "X-Twilio-Email-Event-Webhook-Timestamp is too "
	    "far in the future (SENDGRID_WEBHOOK_MAX_AGE)",
	[SENDGRID_SIG_MALFORMED] = "X-Twilio-Email-Event-Webhook-Signature is "
	    "not a base64 signature",
	[SENDGRID_SIG_MISMATCH] = "the signature does not match the timestamp "
	    "and body (or another key signed it)",
};

const char *
sendgrid_signature_message(enum sendgrid_sig_status s)
{
	return (unsigned)s < SENDGRID_SIG__MAX ? messages[s] : "unknown";
}

/* Strict base64 (the standard alphabet, padded) of text[0..len) into
 * out; whitespace is skipped. Returns the length, or -1. */
static long
base64_decode(const char *text, size_t len, unsigned char *out,
    size_t outsz)
{
	size_t n;

	if (sodium_base642bin(out, outsz, text, len, " \t\r\n", &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n == 0)
		return -1;
	return (long)n;
}

/*
 * The key's base64 text: PEM's armour removed, and the two characters
 * "\n" dropped (a PEM written on one line of var/minicrm.conf). Returns
 * its length in out, or -1 if it is too long.
 */
static long
key_base64(const char *key, char *out, size_t outsz)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char end[] = "-----END PUBLIC KEY-----";
	const char	*p = key, *stop = key + strlen(key), *b, *e;
	size_t		 n = 0;

	if ((b = strstr(key, begin)) != NULL) {
		p = b + sizeof(begin) - 1;
		if ((e = strstr(p, end)) == NULL)
			return -1;
		stop = e;
	}
	for (; p < stop; p++) {
		if (p[0] == '\\' && p + 1 < stop && (p[1] == 'n' || p[1] == 'r')) {
			p++;
			continue;
		}
		if (isspace((unsigned char)*p))
			continue;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return (long)n;
}

/* The P-256 public key in text, or NULL. EVP_PKEY_free() it. */
static EVP_PKEY *
key_parse(const char *text)
{
	char			 b64[KEY_TEXT_MAX];
	unsigned char		 der[KEY_DER_MAX];
	const unsigned char	*p = der;
	EVP_PKEY		*pkey;
	char			 group[64];
	size_t			 glen = 0;
	long			 n, derlen;

	if ((n = key_base64(text, b64, sizeof(b64))) <= 0)
		return NULL;
	if ((derlen = base64_decode(b64, (size_t)n, der, sizeof(der))) < 0)
		return NULL;
	pkey = d2i_PUBKEY(NULL, &p, derlen);
	if (pkey == NULL || p != der + derlen ||
	    !EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* Whole seconds since 1970 in s into *out: 0, or -1. */
static int
timestamp_parse(const char *s, long *out)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return p - s > 12 ? -1 : parse_long(s, 0, 999999999999L, out);
}

/* Does sig verify timestamp‖body under pkey? OK or MISMATCH. */
static enum sendgrid_sig_status
verify(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
    const char *timestamp, const char *body, size_t len)
{
	EVP_MD_CTX	*ctx;
	int		 rc = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return SENDGRID_SIG_MISMATCH;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, body, len) == 1)
		rc = EVP_DigestVerifyFinal(ctx, sig, siglen);
	EVP_MD_CTX_free(ctx);
	/* A signature that is not DER leaves errors on this thread's queue:
	 * the next request must not find them. */
	ERR_clear_error();
	return rc == 1 ? SENDGRID_SIG_OK : SENDGRID_SIG_MISMATCH;
}

enum sendgrid_sig_status
sendgrid_signature_verify(const char *public_key, const char *signature,
    const char *timestamp, const char *body, size_t len, time_t now,
    long max_age)
{
	EVP_PKEY		*pkey;
	unsigned char		 sig[SIG_DER_MAX];
	long			 ts, siglen;
	size_t			 sigtext;
	enum sendgrid_sig_status st;

	if (public_key == NULL || *public_key == '\0')
		return SENDGRID_SIG_NO_KEY;
	/* The key first: a wrong setting is the operator's to see, whatever
	 * the post holds. */
	if ((pkey = key_parse(public_key)) == NULL) {
		ERR_clear_error();
		return SENDGRID_SIG_BAD_KEY;
	}
	st = SENDGRID_SIG_UNSIGNED;
	if (signature == NULL || *signature == '\0' || timestamp == NULL ||
	    *timestamp == '\0')
		goto out;
	st = SENDGRID_SIG_BAD_TIMESTAMP;
	if (timestamp_parse(timestamp, &ts) == -1)
		goto out;
	st = (long long)now - ts > max_age ? SENDGRID_SIG_STALE :
	    (long long)ts - now > max_age ? SENDGRID_SIG_FUTURE :
	    SENDGRID_SIG_MALFORMED;
	if (st != SENDGRID_SIG_MALFORMED)
		goto out;
	sigtext = strlen(signature);
	if (sigtext > SIG_TEXT_MAX || (siglen = base64_decode(signature,
	    sigtext, sig, sizeof(sig))) < 0)
		goto out;
	st = verify(pkey, sig, (size_t)siglen, timestamp, body, len);
out:
	EVP_PKEY_free(pkey);
	return st;
}
