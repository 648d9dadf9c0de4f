/*
 * db_apikey: the store of the API keys (api_keys) and of the clients they
 * may be bound to: the lookup on every ingest, the touch of last_used_at,
 * the CLI's list, create and revoke, the portal's keys page (list, one
 * key, revoke by id), the alerts job's refused keys, and `minicrm client`.
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
	APIKEY_BP_ID, APIKEY_BP_HASH, APIKEY_BP_CLIENT, APIKEY_BP_REVOKED,
	APIKEY_BP_TEST
};

/* The key a prefix names, as stored. */
struct db_apikey {
	char		 id[37];		/* uuid */
	char		 client_id[37];		/* "" if bound to none */
	unsigned char	 hash[DB_APIKEY_HASH_LEN];
	bool		 hash_ok;	/* false: stored hash not 32 bytes */
	bool		 revoked;
	bool		 is_test;	/* a test key: its events are test (0018) */
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
 * (NULL: any client), created_by (admin_users.id, or NULL) and whether it
 * is a test key. Writes the new row's id into id. Returns a db_status.
 */
int	db_apikey_insert(struct db *, const char *name, const char *prefix,
	    const char *hash_hex, const char *client_id,
	    const char *created_by, bool is_test, char id[37])
	    __attribute__((warn_unused_result));

/* The columns of STMT_APIKEY_LIST. */
enum db_apikey_list_col {
	APIKEY_LIST_ID, APIKEY_LIST_NAME, APIKEY_LIST_PREFIX,
	APIKEY_LIST_CLIENT, APIKEY_LIST_CREATED, APIKEY_LIST_LAST_USED,
	APIKEY_LIST_STATE, APIKEY_LIST_TEST
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
	bool		 is_test;	/* a test key (0018) */
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

/* The columns of STMT_KEYS_LIST and STMT_KEYS_BY_ID (which has NULL for
 * who made and revoked it and its refusals). */
enum db_keys_col {
	KEYS_COL_ID, KEYS_COL_NAME, KEYS_COL_PREFIX, KEYS_COL_CLIENT,
	KEYS_COL_CREATED, KEYS_COL_LAST_USED, KEYS_COL_REVOKED_AT,
	KEYS_COL_CREATED_BY, KEYS_COL_REVOKED_BY, KEYS_COL_REFUSED_COUNT,
	KEYS_COL_LAST_REFUSED, KEYS_COL_TEST
};

/* A key as the portal's keys page shows it. Times are text already
 * (YYYY-MM-DD HH24:MI UTC); NULL where the database has none. */
struct db_apikey_info {
	const char	*id;
	const char	*name;
	const char	*prefix;
	const char	*client;	/* slug; NULL: any client */
	const char	*created;
	const char	*last_used;	/* NULL: never used */
	const char	*revoked_at;	/* NULL: live */
	/* db_apikey_list_full only (NULL or 0 from db_apikey_by_id): */
	const char	*created_by;	/* admin's e-mail; NULL: the CLI */
	const char	*revoked_by;	/* same */
	long long	 refused_count;	/* refusals since 0009 */
	const char	*last_refused;	/* NULL: never refused */
	bool		 is_test;	/* a test key (0018) */
};

/*
 * Every key, live ones first, newest first, then the revoked ones, with
 * who made and revoked it and its refusals. *rows (n of them) is one
 * allocation, strings included, that the caller releases with free()
 * (also for n == 0). Returns a db_status; on an error *rows is NULL.
 */
int	db_apikey_list_full(struct db *, struct db_apikey_info **rows,
	    size_t *n) __attribute__((warn_unused_result));

/*
 * The key whose id is id (a uuid) into *key, one allocation the caller
 * free()s. Returns 1 found, 0 no such key, or a negative db_status; *key
 * is NULL unless 1.
 */
int	db_apikey_by_id(struct db *, const char *id, struct db_apikey_info **key)
	    __attribute__((warn_unused_result));

/* The columns of STMT_KEYS_REVOKE_BY_ID. */
enum db_keys_revoked_col { KEYS_REVOKED_NAME, KEYS_REVOKED_PREFIX };

/*
 * Revoke the live key whose id is id (a uuid), by (admin_users.id). On 1
 * its name and prefix are written into the caller's name and prefix (cut
 * to namesz and prefixsz). Returns 1 revoked, 0 no such live key
 * (unknown, or revoked already), or a negative db_status.
 */
int	db_apikey_revoke_by_id(struct db *, const char *id, const char *by,
	    char *name, size_t namesz, char *prefix, size_t prefixsz)
	    __attribute__((warn_unused_result));

/* The columns of STMT_KEYS_REFUSED_RECENTLY. */
enum db_keys_refused_col {
	KEYS_REFUSED_NAME, KEYS_REFUSED_PREFIX, KEYS_REFUSED_REVOKED,
	KEYS_REFUSED_COUNT, KEYS_REFUSED_LAST
};

/* A known key refused in the last hour. */
struct db_apikey_refusal {
	const char	*name;
	const char	*prefix;
	bool		 revoked;	/* else: live, with a wrong secret */
	long long	 refused_count;
	const char	*last_refused;	/* YYYY-MM-DD HH24:MI:SS UTC */
};

/*
 * The (at most five) keys refused in the last hour, most recent first.
 * *rows as db_apikey_list_full's (free() it). Returns a db_status.
 */
int	db_apikey_refused_recently(struct db *,
	    struct db_apikey_refusal **rows, size_t *n)
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
