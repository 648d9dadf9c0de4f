/*
 * auth: who may use the admin portal — passwords, sessions, CSRF tokens
 * and the slowing down of password guessing. docs/admin-access.md says
 * why each choice was made.
 *
 * Passwords are argon2id strings (crypto_pwhash_str, INTERACTIVE limits).
 * A session is a 256-bit random token held by the browser's cookie; the
 * database keeps only its SHA-256. A session's CSRF token is an HMAC of
 * the cookie token, so it is never stored and a stolen database copy
 * yields neither. Secrets are compared in constant time.
 *
 * One concern per file: auth_role.c (roles), auth_password.c (argon2id,
 * the decoy hash, the concurrency limit), auth_token.c and auth_csrf.c,
 * auth_throttle.c (the decision and the attempts' bookkeeping),
 * auth_login.c, auth_session.c, auth_user.c (e-mail addresses and users).
 * What they share is auth_internal.h; the SQL and the reading of its
 * results is the store's, src/db/db_auth.c.
 *
 * Convention: 0 (or a positive AUTH_* answer) is success or a domain
 * answer, negative values are db_status codes (db.h) or AUTH_ESYS.
 * Nothing here allocates memory the caller must free.
 */
#ifndef MINICRM_AUTH_H
#define MINICRM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

#define AUTH_TOKEN_LEN		43	/* base64url of 32 bytes, no '=' */
#define AUTH_CSRF_LEN		43	/* base64url of an HMAC-SHA-256 */
#define AUTH_HASH_HEX_LEN	64	/* SHA-256 as hex */
#define AUTH_PWHASH_LEN		128	/* crypto_pwhash_STRBYTES */
#define AUTH_EMAIL_MAX		254
#define AUTH_PASSWORD_MIN	12	/* bytes */
#define AUTH_PASSWORD_MAX	1024	/* bytes: bounds the hashing work */

/* Session lifetime: idle limit and absolute limit, in seconds. */
#define AUTH_SESSION_IDLE	(2 * 60 * 60)
#define AUTH_SESSION_MAX	(12 * 60 * 60)

/* Login throttling: failures within the window that stop further tries. */
#define AUTH_THROTTLE_WINDOW	(15 * 60)
#define AUTH_THROTTLE_ADDRESS	5	/* from one address */
#define AUTH_THROTTLE_ACCOUNT	10	/* for one account, from anywhere */

#define AUTH_ESYS	(-100)	/* libsodium failed (init, out of memory) */

enum auth_role {
	AUTH_ROLE_VIEWER = 0,	/* reads everything, changes nothing */
	AUTH_ROLE_ADMIN = 1
};

/* What a valid session says about the person using it. */
struct auth_user {
	char		 id[37];		/* admin_users.id */
	char		 email[AUTH_EMAIL_MAX + 1];
	enum auth_role	 role;
};

enum auth_login_result {
	AUTH_LOGIN_OK = 0,
	AUTH_LOGIN_BAD = 1,		/* unknown, disabled or wrong password */
	AUTH_LOGIN_THROTTLED = 2	/* too many failures: retry later */
	/* negative: db_status or AUTH_ESYS */
};

/* --- pure parts (no database) --- */

/* "admin" / "viewer" -> role; -1 if neither. */
int	auth_role_parse(const char *, enum auth_role *);
const char *auth_role_name(enum auth_role);

/* Is the role allowed to change data (POST anything but login/logout)? */
bool	auth_role_can_write(enum auth_role);

/*
 * Hash a password (NUL-terminated, AUTH_PASSWORD_MIN..MAX bytes) into an
 * argon2id string. Returns 0, -1 for a password of the wrong length, or
 * AUTH_ESYS (libsodium could not initialise or allocate its memory).
 */
int	auth_password_hash(const char *password, char out[AUTH_PWHASH_LEN])
	    __attribute__((warn_unused_result));

/*
 * Check a password against a stored argon2id string. True only on a
 * match; a malformed hash or an over-long password is false. Takes as
 * long as a real check when the hash is NULL (an unknown user), so the
 * time does not tell whether an account exists.
 */
bool	auth_password_verify(const char *stored_hash, const char *password);

/* Does a matching stored hash use weaker limits than today's? */
bool	auth_password_needs_rehash(const char *stored_hash);

/*
 * Write a new random password of `len` base64url characters (len >= 16,
 * out has len + 1 bytes). Returns 0 or AUTH_ESYS.
 */
int	auth_password_generate(char *out, size_t len);

/* Is s a plausible e-mail address as admin_users accepts it? */
bool	auth_email_valid(const char *s);

/*
 * A new session token (base64url, NUL-terminated) and the hex SHA-256 of
 * it, which is what the database stores. Returns 0 or AUTH_ESYS.
 */
int	auth_token_generate(char token[AUTH_TOKEN_LEN + 1],
	    char hash_hex[AUTH_HASH_HEX_LEN + 1]);

/*
 * The hex SHA-256 of a presented token. Returns 0, or -1 if it is not
 * shaped like one of ours (then nothing is looked up).
 */
int	auth_token_hash(const char *token, char hash_hex[AUTH_HASH_HEX_LEN + 1]);

/*
 * The CSRF token that goes with a cookie token (a session's, or the
 * pre-login cookie of the login form): base64url HMAC-SHA-256 keyed by the
 * cookie token. Returns 0, or -1 if the cookie token is not well shaped.
 */
int	auth_csrf_token(const char *cookie_token, char out[AUTH_CSRF_LEN + 1]);

/*
 * Does the presented CSRF token (from the form; NULL if absent) belong to
 * the cookie token? Compared in constant time; false for NULL or for
 * anything of the wrong length.
 */
bool	auth_csrf_verify(const char *cookie_token, const char *presented);

/*
 * The throttling decision from the failures recorded within the window
 * (counts, and the age in seconds of the oldest failure of each). Returns
 * 0 if a login may be tried, otherwise the seconds to wait (>= 1).
 */
long	auth_throttle_wait(long address_failures, long address_oldest_age,
	    long account_failures, long account_oldest_age);

/* --- with the database --- */

/*
 * The whole login: record the attempt and refuse if throttled
 * (*retry_after set, the password not checked), look the user up, verify
 * the password (with a decoy check for an unknown user; a failure stays
 * recorded), on success clear this account's failures from this address,
 * upgrade an old hash, and create a session. On AUTH_LOGIN_OK token holds the new
 * cookie value and *who the user. address is REMOTE_ADDR.
 */
int	auth_login(struct db *, const char *email, const char *password,
	    const char *address, char token[AUTH_TOKEN_LEN + 1],
	    struct auth_user *who, long *retry_after)
	    __attribute__((warn_unused_result));

/*
 * Create a session for a user id; writes the cookie token. Returns 0, a
 * db_status or AUTH_ESYS.
 */
int	auth_session_create(struct db *, const char *user_id,
	    char token[AUTH_TOKEN_LEN + 1]) __attribute__((warn_unused_result));

/*
 * Look up the session of a cookie token (NULL if no cookie) and note its
 * use (at most once a minute). Returns 0 and fills *who; 1 if there is no
 * such live session (absent, malformed, expired idle or absolutely,
 * logged out, user disabled); or a negative db_status.
 */
int	auth_session_lookup(struct db *, const char *token, struct auth_user *who)
	    __attribute__((warn_unused_result));

/* End the session (logout). A missing or unknown token is fine: 0. */
int	auth_session_destroy(struct db *, const char *token);

/* Delete expired sessions. Returns how many, or a negative db_status. */
int	auth_session_purge(struct db *);

enum auth_user_result {
	AUTH_USER_OK = 0,
	AUTH_USER_TAKEN = 1,		/* the e-mail is already a user's */
	AUTH_USER_BAD_EMAIL = 2,
	AUTH_USER_BAD_PASSWORD = 3,	/* not AUTH_PASSWORD_MIN..MAX bytes */
	AUTH_USER_UNKNOWN = 4		/* no user has that e-mail */
	/* negative: db_status or AUTH_ESYS */
};

/* Add a user; on AUTH_USER_OK writes the new id (37 bytes). */
int	auth_user_create(struct db *, const char *email, const char *password,
	    enum auth_role, char id[37]) __attribute__((warn_unused_result));

/*
 * Disable (disabled true) or enable a user found by e-mail (any case).
 * Disabling also ends every session of theirs at once (the session lookup
 * refuses disabled users anyway) and keeps the first disabled_at; enabling
 * starts no session. *sessions_ended (may be NULL) is how many ended.
 * Returns AUTH_USER_OK, AUTH_USER_UNKNOWN or a db_status.
 */
int	auth_user_set_disabled(struct db *, const char *email, bool disabled,
	    long *sessions_ended) __attribute__((warn_unused_result));

/*
 * Give a user (by e-mail) a new password and end their other sessions:
 * all of them, or all but the one of keep_token (a session cookie token;
 * NULL for none, as from the CLI). *sessions_ended may be NULL. Returns
 * AUTH_USER_OK, AUTH_USER_UNKNOWN, AUTH_USER_BAD_PASSWORD, AUTH_ESYS or a
 * db_status; nothing changes unless AUTH_USER_OK.
 */
int	auth_user_set_password(struct db *, const char *email,
	    const char *password, const char *keep_token, long *sessions_ended)
	    __attribute__((warn_unused_result));

#endif
