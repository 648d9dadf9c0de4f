/*
 * db_auth: the store of the admin portal's access — users, sessions and
 * login attempts (the statements of sql_auth.def). It runs them and copies
 * their rows into structs the caller owns; the rules (hashing, throttling,
 * who may log in) are the domain's, in src/domain/auth_*.c.
 *
 * Convention: DB_OK (0) done, DB_AUTH_NONE when the row asked for does not
 * exist, or a negative db_status (db->error says why). Hashes travel as
 * hex. Only db_auth_user_list allocates (its rows, freed with free()).
 */
#ifndef MINICRM_DB_AUTH_H
#define MINICRM_DB_AUTH_H

#include <stddef.h>

#include "db.h"

#define DB_AUTH_NONE		1	/* no such user or live session */

#define DB_AUTH_ID_SIZE		37	/* a uuid as text, and its NUL */
#define DB_AUTH_EMAIL_SIZE	255	/* admin_users.email: <= 254 bytes */
#define DB_AUTH_PWHASH_SIZE	128	/* crypto_pwhash_STRBYTES */
#define DB_AUTH_ROLE_SIZE	16	/* "admin" or "viewer" */
#define DB_AUTH_ATTEMPT_SIZE	24	/* login_attempts.id as text */

/* ADMIN_USER_BY_EMAIL's columns. */
enum db_auth_user_col {
	DB_AUTH_USER_ID, DB_AUTH_USER_HASH, DB_AUTH_USER_ROLE,
	DB_AUTH_USER_DISABLED, DB_AUTH_USER_EMAIL
};

/* A user as a login sees them. password_hash is a secret: wipe it. */
struct db_auth_user {
	char	 id[DB_AUTH_ID_SIZE];
	char	 password_hash[DB_AUTH_PWHASH_SIZE];
	char	 role[DB_AUTH_ROLE_SIZE];
	bool	 disabled;
	char	 email[DB_AUTH_EMAIL_SIZE];	/* as stored (its case) */
};

/* ADMIN_USER_LIST's columns. */
enum db_auth_list_col {
	DB_AUTH_LIST_ID, DB_AUTH_LIST_EMAIL, DB_AUTH_LIST_ROLE,
	DB_AUTH_LIST_CREATED, DB_AUTH_LIST_STATE
};

/* A user as `minicrm user list` shows them. */
struct db_auth_user_row {
	char	 id[DB_AUTH_ID_SIZE];
	char	 email[DB_AUTH_EMAIL_SIZE];
	char	 role[DB_AUTH_ROLE_SIZE];
	char	 created[24];		/* YYYY-MM-DD HH24:MI, UTC */
	char	 state[16];		/* "active" or "disabled" */
};

/* ADMIN_SESSION_LOOKUP's columns. */
enum db_auth_session_col {
	DB_AUTH_SESSION_USER_ID, DB_AUTH_SESSION_EMAIL, DB_AUTH_SESSION_ROLE
};

/* The user of a live session. */
struct db_auth_session {
	char	 user_id[DB_AUTH_ID_SIZE];
	char	 email[DB_AUTH_EMAIL_SIZE];
	char	 role[DB_AUTH_ROLE_SIZE];
};

/* LOGIN_ATTEMPT's columns. */
enum db_auth_attempt_col {
	DB_AUTH_ATTEMPT_ID, DB_AUTH_ATTEMPT_ADDRESS_FAILURES,
	DB_AUTH_ATTEMPT_ACCOUNT_FAILURES, DB_AUTH_ATTEMPT_ADDRESS_OLDEST,
	DB_AUTH_ATTEMPT_ACCOUNT_OLDEST
};

/*
 * A recorded attempt and the earlier failures within the window: counts,
 * and the age in seconds of the oldest of each (0 when there is none or
 * a cell does not read as a number).
 */
struct db_auth_attempt {
	char	 id[DB_AUTH_ATTEMPT_SIZE];
	long	 address_failures;
	long	 address_oldest_age;
	long	 account_failures;
	long	 account_oldest_age;
};

/* --- users --- */

/*
 * The user whose e-mail is email in any case, into *out. Returns DB_OK,
 * DB_AUTH_NONE (*out untouched) or a db_status.
 */
int	db_auth_user_by_email(struct db *, const char *email,
	    struct db_auth_user *out) __attribute__((warn_unused_result));

/*
 * Add a user (password_hash an argon2id string, role "admin"/"viewer");
 * writes the new id. Returns DB_OK, DB_CONFLICT (the e-mail is taken) or
 * another db_status.
 */
int	db_auth_user_insert(struct db *, const char *email,
	    const char *password_hash, const char *role,
	    char id[DB_AUTH_ID_SIZE]) __attribute__((warn_unused_result));

/* Replace the hash of user id (an upgrade at login). A db_status. */
int	db_auth_user_rehash(struct db *, const char *id,
	    const char *password_hash) __attribute__((warn_unused_result));

/*
 * Disable the user of email (keeping the first disabled_at) and end all
 * their sessions, in one statement; *sessions_ended is how many. Returns
 * DB_OK, DB_AUTH_NONE or a db_status.
 */
int	db_auth_user_disable(struct db *, const char *email,
	    long *sessions_ended) __attribute__((warn_unused_result));

/* Let the user of email log in again. DB_OK, DB_AUTH_NONE or a db_status. */
int	db_auth_user_enable(struct db *, const char *email)
	    __attribute__((warn_unused_result));

/*
 * Give the user of email a new password hash and end their sessions but
 * the one whose token hash is keep_hash_hex (NULL: all of them), in one
 * statement; *sessions_ended is how many. DB_OK, DB_AUTH_NONE or a
 * db_status.
 */
int	db_auth_user_password(struct db *, const char *email,
	    const char *password_hash, const char *keep_hash_hex,
	    long *sessions_ended) __attribute__((warn_unused_result));

/*
 * Every user, by e-mail. On DB_OK *rows holds *n of them (NULL when there
 * are none) and the caller free()s it; otherwise *rows is NULL.
 */
int	db_auth_user_list(struct db *, struct db_auth_user_row **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* --- sessions --- */

/*
 * A session of user_id, found by token_hash_hex, ending at the latest in
 * max_seconds. A db_status.
 */
int	db_auth_session_insert(struct db *, const char *token_hash_hex,
	    const char *user_id, int max_seconds)
	    __attribute__((warn_unused_result));

/*
 * The user of the live session whose token hash is token_hash_hex (not
 * expired, used within idle_seconds, user not disabled), into *out; notes
 * its use at most once a minute. DB_OK, DB_AUTH_NONE or a db_status.
 */
int	db_auth_session_lookup(struct db *, const char *token_hash_hex,
	    int idle_seconds, struct db_auth_session *out)
	    __attribute__((warn_unused_result));

/* End the session of a token hash (none is fine). A db_status. */
int	db_auth_session_delete(struct db *, const char *token_hash_hex);

/*
 * Delete the sessions past their end or unused for idle_seconds. Returns
 * how many, or a negative db_status.
 */
int	db_auth_session_purge(struct db *, int idle_seconds);

/* --- login attempts --- */

/*
 * Record an attempt from address on the account email and read the
 * earlier ones within window_seconds, in one short transaction that first
 * takes the address's and the account's advisory locks
 * (LOGIN_ATTEMPT_LOCK, then LOGIN_ATTEMPT): concurrent attempts each see
 * every one committed before them. Fills *out. Returns a db_status; on an
 * error no transaction is left open.
 */
int	db_auth_attempt_record(struct db *, const char *address,
	    const char *email, int window_seconds, struct db_auth_attempt *out)
	    __attribute__((warn_unused_result));

/* Forget one attempt by its id (refused unchecked). A db_status. */
int	db_auth_attempt_forget(struct db *, const char *id);

/* Forget the failures of account email from address. A db_status. */
int	db_auth_failures_clear(struct db *, const char *email,
	    const char *address);

#endif
