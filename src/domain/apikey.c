/* apikey: generate, hash and verify API keys (see apikey.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "db_apikey.h"
#include "log.h"
#include "validate.h"

_Static_assert(APIKEY_HASH_LEN == DB_APIKEY_HASH_LEN,
    "the store keeps the hash apikey_hash makes");

int
apikey_generate(char key[APIKEY_LEN + 1], char prefix[APIKEY_PREFIX_LEN + 1],
    unsigned char hash[APIKEY_HASH_LEN])
{
	unsigned char	 id[APIKEY_PREFIX_LEN / 2], secret[32];
	char		 secret64[64];

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(id, sizeof(id));
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2hex(prefix, APIKEY_PREFIX_LEN + 1, id, sizeof(id));
	sodium_bin2base64(secret64, sizeof(secret64), secret, sizeof(secret),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	/* "mcrm_" prefix "_" secret: 5 + 12 + 1 + 43 = APIKEY_LEN */
	memcpy(key, "mcrm_", 5);
	memcpy(key + 5, prefix, APIKEY_PREFIX_LEN);
	key[5 + APIKEY_PREFIX_LEN] = '_';
	memcpy(key + 6 + APIKEY_PREFIX_LEN, secret64, 43);
	key[APIKEY_LEN] = '\0';
	sodium_memzero(secret, sizeof(secret));
	apikey_hash(key, hash);
	return 0;
}

bool
apikey_name_valid(const char *name)
{
	size_t		 len, i;
	bool		 blank = true;

	if (name == NULL || (len = strlen(name)) == 0 || !utf8_valid(name, len) ||
	    utf8_length(name, len) > APIKEY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c != ' ')
			blank = false;
	}
	return !blank;
}

int
apikey_create(struct db *db, const char *name, const char *client,
    const char *created_by, bool is_test, char key[APIKEY_LEN + 1],
    char prefix[APIKEY_PREFIX_LEN + 1], char id[37])
{
	char		 hex[2 * APIKEY_HASH_LEN + 1], cid[37];
	unsigned char	 hash[APIKEY_HASH_LEN];
	int		 rc;

	if (!apikey_name_valid(name))
		return APIKEY_BAD_NAME;
	if (client != NULL && *client != '\0' &&
	    (rc = db_client_by_slug(db, client, cid)) != 1)
		return rc == 0 ? APIKEY_NO_CLIENT : rc;
	if (apikey_generate(key, prefix, hash) == -1)
		return APIKEY_ESYS;
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	rc = db_apikey_insert(db, name, prefix, hex,
	    client != NULL && *client != '\0' ? cid : NULL, created_by,
	    is_test, id);
	if (rc != DB_OK) {
		sodium_memzero(key, APIKEY_LEN + 1);
		return rc;
	}
	return APIKEY_CREATED;
}

int
apikey_prefix(const char *key, char prefix[APIKEY_PREFIX_LEN + 1])
{
	size_t	 i;

	if (key == NULL || strlen(key) != APIKEY_LEN ||
	    strncmp(key, "mcrm_", 5) != 0 || key[5 + APIKEY_PREFIX_LEN] != '_')
		return -1;
	for (i = 0; i < APIKEY_PREFIX_LEN; i++) {
		char c = key[5 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		prefix[i] = c;
	}
	for (i = 6 + APIKEY_PREFIX_LEN; i < APIKEY_LEN; i++) {
		char c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;	/* not base64url */
	}
	prefix[APIKEY_PREFIX_LEN] = '\0';
	return 0;
}

void
apikey_hash(const char *key, unsigned char hash[APIKEY_HASH_LEN])
{
	crypto_hash_sha256(hash, (const unsigned char *)key, strlen(key));
}

static bool
apikey_cached(struct apikey_cache *cache, const unsigned char *hash,
    struct apikey_identity *who)
{
	time_t	 now = time(NULL);
	unsigned i;

	for (i = 0; i < APIKEY_CACHE_SLOTS; i++) {
		if (cache->slot[i].expires <= now)
			continue;
		if (sodium_memcmp(cache->slot[i].hash, hash,
		    APIKEY_HASH_LEN) == 0) {
			*who = cache->slot[i].who;
			return true;
		}
	}
	return false;
}

static void
apikey_remember(struct apikey_cache *cache, const unsigned char *hash,
    const struct apikey_identity *who)
{
	unsigned i = cache->next++ % APIKEY_CACHE_SLOTS;

	if (cache->ttl <= 0)
		return;
	memcpy(cache->slot[i].hash, hash, APIKEY_HASH_LEN);
	cache->slot[i].who = *who;
	cache->slot[i].expires = time(NULL) + cache->ttl;
}

int
apikey_authenticate(struct db *db, struct apikey_cache *cache,
    const char *presented, struct apikey_identity *who)
{
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		 prefix[APIKEY_PREFIX_LEN + 1];
	struct db_apikey stored;
	int		 rc, result = APIKEY_INVALID;

	if (presented == NULL || *presented == '\0')
		return APIKEY_MISSING;
	if (apikey_prefix(presented, prefix) == -1)
		return APIKEY_INVALID;
	apikey_hash(presented, hash);
	if (apikey_cached(cache, hash, who))
		return APIKEY_OK;

	if ((rc = db_apikey_by_prefix(db, prefix, &stored)) < 0)
		return rc;
	if (rc == 1 && stored.hash_ok &&
	    sodium_memcmp(stored.hash, hash, APIKEY_HASH_LEN) == 0 &&
	    !stored.revoked) {
		snprintf(who->key_id, sizeof(who->key_id), "%s", stored.id);
		snprintf(who->client_id, sizeof(who->client_id), "%s",
		    stored.client_id);
		who->is_test = stored.is_test;
		result = APIKEY_OK;
	}
	if (result != APIKEY_OK && rc == 1 &&
	    db_apikey_refused(db, stored.id) != DB_OK)
		/* A key we made, refused: a caller still using a revoked key
		 * shows on the keys page and in the alerts (0009). */
		log_warn("could not record the refusal of key %s: %s", prefix,
		    db->error);
	if (result != APIKEY_OK)
		return result;

	apikey_remember(cache, hash, who);
	if (db_apikey_touch(db, who->key_id) != DB_OK)
		log_warn("could not record the use of key %s: %s",
		    prefix, db->error);
	return APIKEY_OK;
}
