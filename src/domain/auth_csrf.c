/*
 * auth_csrf: a form's CSRF token, an HMAC of the cookie token it goes
 * with, so it is never stored (see auth.h). Nothing here allocates.
 */
#include <string.h>

#include <sodium.h>

#include "auth_internal.h"

static const char	csrf_context[] = "minicrm admin csrf v1";

int
auth_csrf_token(const char *cookie_token, char out[AUTH_CSRF_LEN + 1])
{
	unsigned char	 mac[crypto_auth_hmacsha256_BYTES];

	if (!auth_token_shaped(cookie_token))
		return -1;
	/* HMAC-SHA-256 takes a key of any length; the token's 43 bytes. */
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)cookie_token,
	    AUTH_TOKEN_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)csrf_context,
	    sizeof(csrf_context) - 1);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	sodium_bin2base64(out, AUTH_CSRF_LEN + 1, mac, sizeof(mac),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

bool
auth_csrf_verify(const char *cookie_token, const char *presented)
{
	char	 want[AUTH_CSRF_LEN + 1];
	bool	 ok;

	if (presented == NULL ||
	    strnlen(presented, AUTH_CSRF_LEN + 1) != AUTH_CSRF_LEN ||
	    auth_csrf_token(cookie_token, want) != 0)
		return false;
	ok = sodium_memcmp(want, presented, AUTH_CSRF_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}
