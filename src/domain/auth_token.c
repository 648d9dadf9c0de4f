/*
 * auth_token: session tokens — 256 random bits as base64url, of which
 * the database keeps only the SHA-256 (see auth.h). The caller owns the
 * buffers; nothing here allocates.
 */
#include <string.h>

#include <sodium.h>

#include "auth_internal.h"

static bool
is_base64url(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool
auth_token_shaped(const char *token)
{
	return token != NULL &&
	    strnlen(token, AUTH_TOKEN_LEN + 1) == AUTH_TOKEN_LEN &&
	    is_base64url(token, AUTH_TOKEN_LEN);
}

int
auth_token_generate(char token[AUTH_TOKEN_LEN + 1],
    char hash_hex[AUTH_HASH_HEX_LEN + 1])
{
	unsigned char	 raw[32];

	if (sodium_init() < 0)
		return AUTH_ESYS;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, AUTH_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return auth_token_hash(token, hash_hex) == 0 ? 0 : AUTH_ESYS;
}

int
auth_token_hash(const char *token, char hash_hex[AUTH_HASH_HEX_LEN + 1])
{
	unsigned char	 h[crypto_hash_sha256_BYTES];

	if (!auth_token_shaped(token))
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)token, AUTH_TOKEN_LEN);
	sodium_bin2hex(hash_hex, AUTH_HASH_HEX_LEN + 1, h, sizeof(h));
	return 0;
}
