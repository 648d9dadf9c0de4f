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
	bool	is_test;		/* a test key: its events are marked
					   test and counted nowhere (0018) */
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

#define APIKEY_NAME_MAX		100	/* characters (api_keys.name) */
#define APIKEY_ESYS		(-100)	/* libsodium could not initialise */

/*
 * Is name acceptable for a key: valid UTF-8, 1..APIKEY_NAME_MAX
 * characters, no control characters, not only spaces?
 */
bool	apikey_name_valid(const char *name);

enum apikey_create_result {
	APIKEY_CREATED = 0,
	APIKEY_NO_CLIENT = 1,		/* no client has that slug */
	APIKEY_BAD_NAME = 2		/* see apikey_name_valid */
	/* negative: db_status or APIKEY_ESYS */
};

/*
 * Make and store a new key called name, bound to the client whose slug is
 * client (NULL or "" for a key that may log for any client), made by the
 * portal user created_by (admin_users.id; NULL from the CLI), a test key
 * if is_test (its events are stored marked test and never counted). On
 * APIKEY_CREATED it writes the whole key — the only copy there will ever
 * be: show it once, then wipe it (sodium_memzero) — its prefix and the
 * new row's id. Nothing is stored on any other answer.
 */
int	apikey_create(struct db *, const char *name, const char *client,
	    const char *created_by, bool is_test, char key[APIKEY_LEN + 1],
	    char prefix[APIKEY_PREFIX_LEN + 1], char id[37])
	    __attribute__((warn_unused_result));

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
