/*
 * apikey: the x-api-key credentials of the JSON API.
 *
 * A key looks like "mcrm_<12 hex prefix>_<43 base64url secret>". Only its
 * SHA-256 is stored; the prefix finds the row, and the hashes are compared
 * in constant time. The keys are 256-bit random secrets, so a fast hash is
 * the right one (a slow password hash buys nothing against a guess space of
 * 2^256). Two keys can be live at once, which is how a key is rotated.
 */
#ifndef MINICRM_APIKEY_H
#define MINICRM_APIKEY_H

#include <stdbool.h>
#include <time.h>

#include "db.h"

#define APIKEY_PREFIX_LEN	12
#define APIKEY_LEN		61	/* without the NUL */
#define APIKEY_HASH_LEN		32
#define APIKEY_CACHE_SLOTS	8

struct apikey_identity {
	char	key_id[37];		/* uuid of the api_keys row */
	char	client_id[37];		/* "" if the key is not bound to one */
};

/* What a thread remembers of keys it verified recently. */
struct apikey_cache {
	struct {
		unsigned char		hash[APIKEY_HASH_LEN];
		struct apikey_identity	who;
		time_t			expires;
	} slot[APIKEY_CACHE_SLOTS];
	unsigned	next;
	long		ttl;		/* seconds; 0 disables the cache */
};

enum apikey_result {
	APIKEY_OK = 0,
	APIKEY_MISSING = 1,
	APIKEY_INVALID = 2
	/* negative values are db_status codes */
};

/*
 * Make a new key: writes the key (NUL-terminated), its prefix and its hash.
 * Returns 0, or -1 if libsodium could not initialise.
 */
int	apikey_generate(char key[APIKEY_LEN + 1],
	    char prefix[APIKEY_PREFIX_LEN + 1],
	    unsigned char hash[APIKEY_HASH_LEN]);

/* Copy the prefix out of a presented key; -1 if it is not shaped like one. */
int	apikey_prefix(const char *key, char prefix[APIKEY_PREFIX_LEN + 1]);

void	apikey_hash(const char *key, unsigned char hash[APIKEY_HASH_LEN]);

/*
 * Check a presented key (NULL or "" if the header was absent). Returns
 * APIKEY_OK and fills *who, APIKEY_MISSING, APIKEY_INVALID (unknown,
 * malformed or revoked), or a negative db_status. A verified key is cached
 * for cache->ttl seconds, so revocation takes effect within that time.
 */
int	apikey_authenticate(struct db *, struct apikey_cache *,
	    const char *presented, struct apikey_identity *who);

#endif
