/*
 * test_apikey.c - the pure parts of API keys: the documented shape of a
 * generated key ("mcrm_<12 hex>_<43 base64url>"), uniqueness, extracting
 * the prefix from a presented key, and the stored SHA-256. (Checking a key
 * against the database is the HTTP tests' job.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "check.h"

#define NKEYS	1000

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
is_base64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Is key shaped as apikey.h documents? Says why not on stderr. */
static int
well_shaped(const char *key)
{
	size_t i;

	if (strlen(key) != APIKEY_LEN || strncmp(key, "mcrm_", 5) != 0 ||
	    key[5 + APIKEY_PREFIX_LEN] != '_')
		goto bad;
	for (i = 5; i < 5 + APIKEY_PREFIX_LEN; i++)
		if (!is_hex(key[i]))
			goto bad;
	for (i = 6 + APIKEY_PREFIX_LEN; i < APIKEY_LEN; i++)
		if (!is_base64url(key[i]))
			goto bad;
	return 1;
bad:
	fprintf(stderr, "badly shaped key: \"%s\"\n", key);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* How many adjacent equal entries in a sorted array of n strings. */
static int
duplicates(char *v, size_t n, size_t width)
{
	size_t	 i;
	int	 dups = 0;

	qsort(v, n, width, cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(v + (i - 1) * width, v + i * width) == 0)
			dups++;
	return dups;
}

static void
test_generate(void)
{
	static char	 keys[NKEYS][APIKEY_LEN + 1];
	static char	 prefixes[NKEYS][APIKEY_PREFIX_LEN + 1];
	static char	 secrets[NKEYS][APIKEY_LEN + 1];
	static char	 hashes[NKEYS][2 * APIKEY_HASH_LEN + 1];
	unsigned char	 hash[APIKEY_HASH_LEN], again[APIKEY_HASH_LEN];
	char		 prefix[APIKEY_PREFIX_LEN + 1];
	char		 extracted[APIKEY_PREFIX_LEN + 1];
	int		 i, j, fails = 0, shape = 0, pfx = 0, hsh = 0, ext = 0;

	for (i = 0; i < NKEYS; i++) {
		memset(keys[i], 'Z', sizeof(keys[i]));
		memset(prefix, 'Z', sizeof(prefix));
		if (apikey_generate(keys[i], prefix, hash) != 0) {
			fails++;
			continue;
		}
		if (keys[i][APIKEY_LEN] != '\0' || !well_shaped(keys[i]))
			shape++;
		/* The prefix written out is the one in the key. */
		if (prefix[APIKEY_PREFIX_LEN] != '\0' ||
		    strncmp(prefix, keys[i] + 5, APIKEY_PREFIX_LEN) != 0)
			pfx++;
		/* The hash written out is the one apikey_hash computes. */
		apikey_hash(keys[i], again);
		if (memcmp(hash, again, APIKEY_HASH_LEN) != 0)
			hsh++;
		/* apikey_prefix reads its own keys back. */
		if (apikey_prefix(keys[i], extracted) != 0 ||
		    strcmp(extracted, prefix) != 0)
			ext++;
		memcpy(prefixes[i], prefix, sizeof(prefix));
		snprintf(secrets[i], sizeof(secrets[i]), "%s",
		    keys[i] + 6 + APIKEY_PREFIX_LEN);
		for (j = 0; j < APIKEY_HASH_LEN; j++)
			snprintf(hashes[i] + 2 * j, 3, "%02x", hash[j]);
	}
	CHECK_I64("apikey_generate failures", fails, 0);
	CHECK_I64("badly shaped keys", shape, 0);
	CHECK_I64("prefixes not matching their key", pfx, 0);
	CHECK_I64("hashes not matching apikey_hash", hsh, 0);
	CHECK_I64("keys apikey_prefix refused or misread", ext, 0);

	/* 1000 keys: all different, and so are their parts. */
	CHECK_I64("duplicate keys", duplicates(&keys[0][0], NKEYS,
	    sizeof(keys[0])), 0);
	CHECK_I64("duplicate prefixes", duplicates(&prefixes[0][0], NKEYS,
	    sizeof(prefixes[0])), 0);
	CHECK_I64("duplicate secrets", duplicates(&secrets[0][0], NKEYS,
	    sizeof(secrets[0])), 0);
	CHECK_I64("duplicate hashes", duplicates(&hashes[0][0], NKEYS,
	    sizeof(hashes[0])), 0);
}

/* apikey_prefix must refuse key. */
static void
prefix_bad(int line, const char *key)
{
	char	 prefix[APIKEY_PREFIX_LEN + 1];
	char	 what[320], shown[4 * APIKEY_LEN + 8];
	size_t	 i, n = 0;

	/* Show control and non-ASCII bytes as \xNN. */
	for (i = 0; key != NULL && key[i] != '\0' && n + 5 < sizeof(shown);
	    i++) {
		unsigned char c = (unsigned char)key[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(shown + n, 5, "\\x%02x", c);
		else
			shown[n++] = (char)c;
	}
	shown[n] = '\0';
	snprintf(what, sizeof(what), "apikey_prefix(\"%s\") refused",
	    key ? shown : "(null)");
	check_i64(__FILE__, line, what, apikey_prefix(key, prefix), -1);
}
#define PREFIX_BAD(key)	prefix_bad(__LINE__, (key))

/* good with byte i replaced by c. */
static const char *
with_byte(const char *good, size_t i, char c)
{
	static char	 s[APIKEY_LEN + 1];

	snprintf(s, sizeof(s), "%s", good);
	s[i] = c;
	return s;
}

static void
test_prefix(void)
{
	const char	*good = "mcrm_0123456789ab_"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
	char		 prefix[APIKEY_PREFIX_LEN + 1], longer[APIKEY_LEN + 2];

	CHECK_I64("length of the sample key", strlen(good), APIKEY_LEN);
	memset(prefix, 'Z', sizeof(prefix));
	CHECK_I64("apikey_prefix(good)", apikey_prefix(good, prefix), 0);
	CHECK_STR("prefix of good", prefix, "0123456789ab");

	PREFIX_BAD(NULL);
	PREFIX_BAD("");
	PREFIX_BAD("mcrm_");
	PREFIX_BAD("mcrm_0123456789ab_");
	PREFIX_BAD("mcrm_0123456789ab");
	/* One character short, one too many. */
	snprintf(longer, sizeof(longer), "%s", good);
	longer[APIKEY_LEN - 1] = '\0';
	PREFIX_BAD(longer);
	snprintf(longer, sizeof(longer), "%sA", good);
	PREFIX_BAD(longer);
	/* The scheme, the separators, the hex prefix. */
	PREFIX_BAD(with_byte(good, 0, 'M'));
	PREFIX_BAD(with_byte(good, 3, 'x'));
	PREFIX_BAD(with_byte(good, 4, '-'));
	PREFIX_BAD(with_byte(good, 17, '-'));
	PREFIX_BAD(with_byte(good, 17, 'A'));
	PREFIX_BAD(with_byte(good, 5, 'A'));	/* upper-case hex */
	PREFIX_BAD(with_byte(good, 10, 'g'));
	PREFIX_BAD(with_byte(good, 16, '_'));
	PREFIX_BAD(with_byte(good, 16, ' '));
	PREFIX_BAD("Bearer mcrm_0123456789ab_"	/* 61 bytes */
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789");
	/* The secret must be base64url too. */
	PREFIX_BAD(with_byte(good, 20, '+'));
	PREFIX_BAD(with_byte(good, 20, '/'));
	PREFIX_BAD(with_byte(good, APIKEY_LEN - 1, '='));
	PREFIX_BAD(with_byte(good, 30, ' '));
	PREFIX_BAD(with_byte(good, 30, '\n'));
	PREFIX_BAD(with_byte(good, 30, '!'));
	PREFIX_BAD(with_byte(good, 30, '\xc3'));
}

static void
test_hash(void)
{
	/* SHA-256("abc"), FIPS 180-2: the database stores this digest. */
	static const unsigned char abc[APIKEY_HASH_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	const char	*k1 = "mcrm_0123456789ab_"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
	const char	*k2 = "mcrm_0123456789ab_"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdf";
	unsigned char	 h1[APIKEY_HASH_LEN], h1b[APIKEY_HASH_LEN];
	unsigned char	 h2[APIKEY_HASH_LEN], h[APIKEY_HASH_LEN];

	apikey_hash("abc", h);
	CHECK(memcmp(h, abc, sizeof(abc)) == 0);

	apikey_hash(k1, h1);
	apikey_hash(k1, h1b);
	apikey_hash(k2, h2);
	CHECK(memcmp(h1, h1b, APIKEY_HASH_LEN) == 0);
	CHECK(memcmp(h1, h2, APIKEY_HASH_LEN) != 0);	/* last char differs */
	apikey_hash("mcrm_1123456789ab_"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", h2);
	CHECK(memcmp(h1, h2, APIKEY_HASH_LEN) != 0);	/* prefix differs */
}

/* A key's name: what the portal's form and the CLI accept. */
static void
test_name(void)
{
	char	 longest[4 * APIKEY_NAME_MAX + 2];
	size_t	 i;

	CHECK(apikey_name_valid("n8n booking workflow"));
	CHECK(apikey_name_valid("x"));
	CHECK(apikey_name_valid("<script>alert(1)</script>"));	/* escaped on output */
	CHECK(!apikey_name_valid(NULL));
	CHECK(!apikey_name_valid(""));
	CHECK(!apikey_name_valid("   "));
	CHECK(!apikey_name_valid("tab\there"));
	CHECK(!apikey_name_valid("line\nbreak"));
	CHECK(!apikey_name_valid("del\x7f"));
	CHECK(!apikey_name_valid("bad \xff utf-8"));
	/* 100 characters, counted as characters, not bytes. */
	for (i = 0; i < APIKEY_NAME_MAX; i++)
		memcpy(longest + 2 * i, "\xc3\xa9", 2);	/* é */
	longest[2 * APIKEY_NAME_MAX] = '\0';
	CHECK(apikey_name_valid(longest));
	memcpy(longest + 2 * APIKEY_NAME_MAX, "e", 2);
	CHECK(!apikey_name_valid(longest));
}

int
main(void)
{
	/* apikey_hash first: it must not depend on a generate call before. */
	test_hash();
	test_prefix();
	test_generate();
	test_name();
	return check_done("test_apikey");
}
