/*
 * test_sendgrid_signature: SendGrid's signed Event Webhook as it arrives —
 * a P-256 key pair made here with libcrypto, posts signed as SendGrid
 * signs them (timestamp text, then the raw body), and what must not pass:
 * a changed body, timestamp or signature, another key, a stale or future
 * timestamp, no headers, no key, a key that is no P-256 key.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "check.h"
#include "sendgrid_signature.h"

#define NOW	1764000000L	/* the clock every check runs at */

/* base64 of data[0..len) into a new string; free() it. */
static char *
b64(const unsigned char *data, size_t len)
{
	size_t	 n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	char	*s = malloc(n);

	if (s != NULL)
		sodium_bin2base64(s, n, data, len,
		    sodium_base64_VARIANT_ORIGINAL);
	return s;
}

/* A new key pair on curve ("P-256", "P-384"); EVP_PKEY_free() it. */
static EVP_PKEY *
keygen(const char *curve)
{
	return EVP_EC_gen(curve);
}

/* The public key as SendGrid shows it: base64 of the DER
 * SubjectPublicKeyInfo. free() it. */
static char *
public_b64(EVP_PKEY *k)
{
	unsigned char	*der = NULL;
	int		 n = i2d_PUBKEY(k, &der);
	char		*s;

	if (n <= 0)
		return NULL;
	s = b64(der, (size_t)n);
	OPENSSL_free(der);
	return s;
}

/* The same as PEM, lines of 64, joined by sep ("\n", or the two
 * characters "\\n" of a one-line setting). free() it. */
static char *
public_pem(EVP_PKEY *k, const char *sep)
{
	char	*body = public_b64(k), *pem;
	size_t	 len = strlen(body), i, o = 0;

	pem = malloc(len + len / 64 * 2 + 128);
	o += (size_t)sprintf(pem, "-----BEGIN PUBLIC KEY-----%s", sep);
	for (i = 0; i < len; i += 64) {
		size_t n = len - i < 64 ? len - i : 64;

		memcpy(pem + o, body + i, n);
		o += n;
		o += (size_t)sprintf(pem + o, "%s", sep);
	}
	sprintf(pem + o, "-----END PUBLIC KEY-----%s", sep);
	free(body);
	return pem;
}

/* SendGrid's signature of timestamp‖body: base64 of the DER ECDSA
 * signature. free() it. */
static char *
sign(EVP_PKEY *k, const char *timestamp, const char *body, size_t len)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 sig[256];
	size_t		 siglen = sizeof(sig);
	char		*s = NULL;

	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSignUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestSignUpdate(ctx, body, len) == 1 &&
	    EVP_DigestSignFinal(ctx, sig, &siglen) == 1)
		s = b64(sig, siglen);
	EVP_MD_CTX_free(ctx);
	return s;
}

static enum sendgrid_sig_status
verify(const char *key, const char *sig, const char *ts, const char *body,
    size_t len)
{
	return sendgrid_signature_verify(key, sig, ts, body, len, NOW,
	    SENDGRID_SIG_MAX_AGE);
}

int
main(void)
{
	static const char body[] = "[{\"email\":\"a@example.com\","
	    "\"timestamp\":1764000000,\"event\":\"open\","
	    "\"sg_event_id\":\"e1\"}]\r\n";
	static const char binary[] = "[\"a\0b\xff\"]";	/* raw bytes */
	EVP_PKEY	*k = keygen("P-256"), *other = keygen("P-256");
	EVP_PKEY	*p384 = keygen("P-384");
	char		*key = public_b64(k), *pem = public_pem(k, "\n");
	char		*pem1 = public_pem(k, "\\n"), *key384 = public_b64(p384);
	char		*otherkey = public_b64(other);
	size_t		 len = strlen(body);
	char		*sig = sign(k, "1764000000", body, len);
	char		*sig_other = sign(other, "1764000000", body, len);
	char		*sig_old = sign(k, "1763999000", body, len);
	char		*sig_bin = sign(k, "1764000001", binary, sizeof(binary));
	char		 tampered[sizeof(body)], badsig[512];
	int		 s;

	CHECK(k != NULL && other != NULL && p384 != NULL && sig != NULL);

	/* What SendGrid sends verifies: the key as base64 DER or PEM. */
	CHECK_I64("a signed post", verify(key, sig, "1764000000", body, len),
	    SENDGRID_SIG_OK);
	CHECK_I64("the key as PEM", verify(pem, sig, "1764000000", body, len),
	    SENDGRID_SIG_OK);
	CHECK_I64("PEM on one line with \\n", verify(pem1, sig, "1764000000",
	    body, len), SENDGRID_SIG_OK);
	CHECK_I64("raw bytes are signed as they are, NUL and 0xff too",
	    verify(key, sig_bin, "1764000001", binary, sizeof(binary)),
	    SENDGRID_SIG_OK);
	CHECK_I64("...and one byte fewer does not verify", verify(key,
	    sig_bin, "1764000001", binary, sizeof(binary) - 1),
	    SENDGRID_SIG_MISMATCH);

	/* Anything changed fails. */
	memcpy(tampered, body, sizeof(body));
	tampered[30] ^= 1;
	CHECK_I64("a changed body", verify(key, sig, "1764000000", tampered,
	    len), SENDGRID_SIG_MISMATCH);
	CHECK_I64("a body cut short", verify(key, sig, "1764000000", body,
	    len - 2), SENDGRID_SIG_MISMATCH);
	CHECK_I64("a changed timestamp", verify(key, sig, "1764000001", body,
	    len), SENDGRID_SIG_MISMATCH);
	CHECK_I64("signed by another key", verify(key, sig_other,
	    "1764000000", body, len), SENDGRID_SIG_MISMATCH);
	CHECK_I64("checked with another key", verify(otherkey, sig,
	    "1764000000", body, len), SENDGRID_SIG_MISMATCH);
	/* Flip each of a few bytes of the signature's DER: never OK. */
	for (s = 0; s < 8; s++) {
		unsigned char	der[128];
		size_t		n;
		char		*flipped;

		CHECK(sodium_base642bin(der, sizeof(der), sig, strlen(sig),
		    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
		der[(size_t)s * 9 % n] ^= 0x20;
		flipped = b64(der, n);
		CHECK(verify(key, flipped, "1764000000", body, len) !=
		    SENDGRID_SIG_OK);
		free(flipped);
	}

	/* The timestamp's age, both ways, before any cryptography. */
	CHECK_I64("1000 s old", verify(key, sig_old, "1763999000", body, len),
	    SENDGRID_SIG_STALE);
	CHECK_I64("...passes with a larger max age",
	    sendgrid_signature_verify(key, sig_old, "1763999000", body, len,
	    NOW, 1000), SENDGRID_SIG_OK);
	CHECK_I64("700 s ahead", verify(key, sig, "1764000700", body, len),
	    SENDGRID_SIG_FUTURE);
	CHECK_I64("600 s ahead is in", sendgrid_signature_verify(key, sig,
	    "1764000000", body, len, NOW - 600, 600), SENDGRID_SIG_OK);
	CHECK_I64("a timestamp with a fraction", verify(key, sig,
	    "1764000000.5", body, len), SENDGRID_SIG_BAD_TIMESTAMP);
	CHECK_I64("a negative timestamp", verify(key, sig, "-1764000000",
	    body, len), SENDGRID_SIG_BAD_TIMESTAMP);
	CHECK_I64("a timestamp of 40 digits", verify(key, sig,
	    "1764000000000000000000000000000000000000", body, len),
	    SENDGRID_SIG_BAD_TIMESTAMP);

	/* Unsigned, or not a signature. */
	CHECK_I64("no signature header", verify(key, NULL, "1764000000", body,
	    len), SENDGRID_SIG_UNSIGNED);
	CHECK_I64("an empty one", verify(key, "", "1764000000", body, len),
	    SENDGRID_SIG_UNSIGNED);
	CHECK_I64("no timestamp header", verify(key, sig, NULL, body, len),
	    SENDGRID_SIG_UNSIGNED);
	CHECK_I64("a signature that is not base64", verify(key, "not*base64",
	    "1764000000", body, len), SENDGRID_SIG_MALFORMED);
	memset(badsig, 'A', sizeof(badsig) - 1);
	badsig[sizeof(badsig) - 1] = '\0';
	CHECK_I64("a signature far too long", verify(key, badsig,
	    "1764000000", body, len), SENDGRID_SIG_MALFORMED);
	CHECK_I64("base64 that is no DER signature", verify(key, "AAAA",
	    "1764000000", body, len), SENDGRID_SIG_MISMATCH);

	/* The key. */
	CHECK_I64("no key configured", verify(NULL, sig, "1764000000", body,
	    len), SENDGRID_SIG_NO_KEY);
	CHECK_I64("an empty key", verify("", sig, "1764000000", body, len),
	    SENDGRID_SIG_NO_KEY);
	CHECK_I64("a key that is not base64", verify("not a key!", sig,
	    "1764000000", body, len), SENDGRID_SIG_BAD_KEY);
	CHECK_I64("base64 that is no key", verify("AAAAAAAA", sig,
	    "1764000000", body, len), SENDGRID_SIG_BAD_KEY);
	CHECK_I64("a P-384 key", verify(key384, sig, "1764000000", body, len),
	    SENDGRID_SIG_BAD_KEY);
	CHECK_I64("a bad key is reported even for an unsigned post",
	    verify("AAAAAAAA", NULL, NULL, body, len), SENDGRID_SIG_BAD_KEY);

	for (s = 0; s < SENDGRID_SIG__MAX; s++)
		CHECK(strlen(sendgrid_signature_message(
		    (enum sendgrid_sig_status)s)) > 10);

	free(key);
	free(pem);
	free(pem1);
	free(key384);
	free(otherkey);
	free(sig);
	free(sig_other);
	free(sig_old);
	free(sig_bin);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p384);
	return check_done("test_sendgrid_signature");
}
