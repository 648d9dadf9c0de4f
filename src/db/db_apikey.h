/*
 * db_apikey: the store of the API keys (api_keys) and of the clients they
 * may be bound to: the lookup on every ingest, the touch of last_used_at,
 * the CLI's list, create and revoke, and `minicrm client`.
 * apikey.c does the hashing and the comparing; this only moves rows.
 */
#ifndef MINICRM_DB_APIKEY_H
#define MINICRM_DB_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

#define DB_APIKEY_HASH_LEN	32	/* SHA-256 (apikey.h's APIKEY_HASH_LEN) */

/* The columns of STMT_APIKEY_BY_PREFIX (sql_core.def). */
enum db_apikey_by_prefix_col {
	APIKEY_BP_ID, APIKEY_BP_HASH, APIKEY_BP_CLIENT, APIKEY_BP_REVOKED
};

/* The key a prefix names, as stored. */
struct db_apikey {
	char		 id[37];		/* uuid */
	char		 client_id[37];		/* "" if bound to none */
	unsigned char	 hash[DB_APIKEY_HASH_LEN];
	bool		 hash_ok;	/* false: stored hash not 32 bytes */
	bool		 revoked;
};

/*
 * The key whose prefix is prefix, into *out (the caller's). Returns 1
 * found, 0 no single key has that prefix, or a negative db_status. One
 * round trip; nothing to free.
 */
int	db_apikey_by_prefix(struct db *, const char *prefix,
	    struct db_apikey *out) __attribute__((warn_unused_result));

/* Count a refusal of key id (revoked, or its prefix with a wrong
 * secret) on it: refused_count, last_refused_at. A db_status. */
int	db_apikey_refused(struct db *, const char *id)
	    __attribute__((warn_unused_result));

/* Record that key id was used (at most once a minute). A db_status. */
int	db_apikey_touch(struct db *, const char *id)
	    __attribute__((warn_unused_result));

/*
 * Store a new key: name, prefix, hash_hex (hex of its SHA-256), client_id
 * (NULL: any client) and created_by (admin_users.id, or NULL). Writes the
 * new row's id into id. Returns a db_status.
 */
int	db_apikey_insert(struct db *, const char *name, const char *prefix,
	    const char *hash_hex, const char *client_id,
	    const char *created_by, char id[37])
	    __attribute__((warn_unused_result));

/* The columns of STMT_APIKEY_LIST. */
enum db_apikey_list_col {
	APIKEY_LIST_ID, APIKEY_LIST_NAME, APIKEY_LIST_PREFIX,
	APIKEY_LIST_CLIENT, APIKEY_LIST_CREATED, APIKEY_LIST_LAST_USED,
	APIKEY_LIST_STATE
};

/* A key as `minicrm apikey list` shows it; times are text already. */
struct db_apikey_row {
	const char	*id;
	const char	*name;
	const char	*prefix;
	const char	*client;	/* slug, or "*" for any */
	const char	*created;	/* YYYY-MM-DD HH24:MI */
	const char	*last_used;	/* same, or "never" */
	const char	*state;		/* "live" or "revoked" */
};

/*
 * Every key, oldest first. *rows (n of them) is one allocation, strings
 * included, that the caller releases with free() (also for n == 0).
 * Returns a db_status; on an error *rows is NULL.
 */
int	db_apikey_list(struct db *, struct db_apikey_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Revoke the live keys whose id, prefix or name is which; *revoked says
 * how many (0: none matched). Returns a db_status.
 */
int	db_apikey_revoke(struct db *, const char *which, size_t *revoked)
	    __attribute__((warn_unused_result));

/* The id of the client whose slug is slug: 1 and id written, 0 none, or a
 * negative db_status. */
int	db_client_by_slug(struct db *, const char *slug, char id[37])
	    __attribute__((warn_unused_result));

/* The columns of STMT_CLIENTS_ALL. */
enum db_client_col { CLIENT_ID, CLIENT_SLUG };

struct db_client_row {
	const char	*id;
	const char	*slug;
};

/* Every client by slug; *rows as db_apikey_list's (free() it). */
int	db_client_list(struct db *, struct db_client_row **rows, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * Create the client slug called name, or find it if it exists; its id
 * into id. Returns a db_status.
 */
int	db_client_create(struct db *, const char *slug, const char *name,
	    char id[37]) __attribute__((warn_unused_result));

#endif
