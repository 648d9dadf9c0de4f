/* auth: passwords, sessions, CSRF tokens, login throttling (see auth.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "log.h"
#include "validate.h"

#define PW_OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

/*
 * Each argon2id computation holds PW_MEMLIMIT (64 MiB) while it runs; with
 * 32 worker threads a burst of logins could ask for 2 GiB. At most this
 * many run at once in a process; the others wait their turn.
 */
#define PW_CONCURRENT	4

static pthread_mutex_t	pw_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	pw_cond = PTHREAD_COND_INITIALIZER;
static int		pw_running;

static const char	csrf_context[] = "minicrm admin csrf v1";

static void
pw_enter(void)
{
	pthread_mutex_lock(&pw_lock);
	while (pw_running >= PW_CONCURRENT)
		pthread_cond_wait(&pw_cond, &pw_lock);
	pw_running++;
	pthread_mutex_unlock(&pw_lock);
}

static void
pw_leave(void)
{
	pthread_mutex_lock(&pw_lock);
	pw_running--;
	pthread_cond_signal(&pw_cond);
	pthread_mutex_unlock(&pw_lock);
}

int
auth_role_parse(const char *s, enum auth_role *role)
{
	if (s != NULL && strcmp(s, "admin") == 0)
		*role = AUTH_ROLE_ADMIN;
	else if (s != NULL && strcmp(s, "viewer") == 0)
		*role = AUTH_ROLE_VIEWER;
	else
		return -1;
	return 0;
}

const char *
auth_role_name(enum auth_role role)
{
	return role == AUTH_ROLE_ADMIN ? "admin" : "viewer";
}

bool
auth_role_can_write(enum auth_role role)
{
	return role == AUTH_ROLE_ADMIN;
}

int
auth_password_hash(const char *password, char out[AUTH_PWHASH_LEN])
{
	size_t	 len = strnlen(password, AUTH_PASSWORD_MAX + 1);
	int	 rc;

	if (len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX)
		return -1;
	if (sodium_init() < 0)
		return AUTH_ESYS;
	pw_enter();
	rc = crypto_pwhash_str_alg(out, password, len, PW_OPSLIMIT,
	    PW_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
	pw_leave();
	return rc == 0 ? 0 : AUTH_ESYS;
}

/* A hash of a random password, to spend a real check's time on. */
static char		decoy_hash[AUTH_PWHASH_LEN];
static bool		decoy_ok;
static pthread_once_t	decoy_once = PTHREAD_ONCE_INIT;

static void
decoy_init(void)
{
	char	 pw[33];

	if (auth_password_generate(pw, 32) == 0 &&
	    auth_password_hash(pw, decoy_hash) == 0)
		decoy_ok = true;
	sodium_memzero(pw, sizeof(pw));
}

bool
auth_password_verify(const char *stored_hash, const char *password)
{
	size_t	 len;
	int	 rc;

	if (password == NULL || sodium_init() < 0)
		return false;
	len = strnlen(password, AUTH_PASSWORD_MAX + 1);
	if (stored_hash == NULL) {
		pthread_once(&decoy_once, decoy_init);
		if (decoy_ok) {
			pw_enter();
			/* Its answer does not matter, only its time. */
			if (crypto_pwhash_str_verify(decoy_hash, password,
			    len > AUTH_PASSWORD_MAX ? 0 : len) == 0)
				log_warn("a random password matched");
			pw_leave();
		}
		return false;
	}
	if (len > AUTH_PASSWORD_MAX ||
	    strnlen(stored_hash, AUTH_PWHASH_LEN) >= AUTH_PWHASH_LEN ||
	    strncmp(stored_hash, "$argon2id$", 10) != 0)
		return false;
	pw_enter();
	rc = crypto_pwhash_str_verify(stored_hash, password, len);
	pw_leave();
	return rc == 0;
}

bool
auth_password_needs_rehash(const char *stored_hash)
{
	return crypto_pwhash_str_needs_rehash(stored_hash, PW_OPSLIMIT,
	    PW_MEMLIMIT) != 0;
}

int
auth_password_generate(char *out, size_t len)
{
	unsigned char	 raw[96];
	char		 b64[sizeof(raw) * 4 / 3 + 4];

	/* 16 base64url characters are 96 bits. */
	if (len < 16 || len > sizeof(raw) * 4 / 3 || sodium_init() < 0)
		return AUTH_ESYS;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	memcpy(out, b64, len);
	out[len] = '\0';
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	return 0;
}

bool
auth_email_valid(const char *s)
{
	size_t		 len, i, at = 0, ats = 0;

	if (s == NULL)
		return false;
	len = strnlen(s, AUTH_EMAIL_MAX + 1);
	if (len < 3 || len > AUTH_EMAIL_MAX || !utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return false;	/* spaces and control characters */
		if (c == '@') {
			at = i;
			ats++;
		}
	}
	return ats == 1 && at > 0 && at + 1 < len;
}

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

static bool
token_shaped(const char *token)
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

	if (!token_shaped(token))
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)token, AUTH_TOKEN_LEN);
	sodium_bin2hex(hash_hex, AUTH_HASH_HEX_LEN + 1, h, sizeof(h));
	return 0;
}

int
auth_csrf_token(const char *cookie_token, char out[AUTH_CSRF_LEN + 1])
{
	unsigned char	 mac[crypto_auth_hmacsha256_BYTES];

	if (!token_shaped(cookie_token))
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

/* Seconds until the oldest failure leaves the window (at least 1). */
static long
until_out(long oldest_age)
{
	long	 w = AUTH_THROTTLE_WINDOW - (oldest_age < 0 ? 0 : oldest_age);

	return w < 1 ? 1 : w;
}

long
auth_throttle_wait(long address_failures, long address_oldest_age,
    long account_failures, long account_oldest_age)
{
	long	 wait = 0, w;

	if (address_failures >= AUTH_THROTTLE_ADDRESS)
		wait = until_out(address_oldest_age);
	if (account_failures >= AUTH_THROTTLE_ACCOUNT &&
	    (w = until_out(account_oldest_age)) > wait)
		wait = w;
	return wait;
}

/* --- with the database --- */

/* Parse a non-negative count or age out of a result cell (0 if odd). */
static long
cell_long(PGresult *res, int row, int col)
{
	long	 v;

	if (parse_long(PQgetvalue(res, row, col), 0, 1L << 40, &v) != 0)
		return 0;
	return v;
}

/* Run a statement whose result does not matter beyond success. */
static int
exec_only(struct db *db, enum stmt st, const char *const *params)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, st, params, &res)) == DB_OK)
		PQclear(res);
	return rc;
}

/*
 * Record this attempt (as a failure until it succeeds) and decide from the
 * earlier ones whether it may go on. The count and the record are one
 * short transaction under the address's and the account's locks: without
 * them, concurrent attempts under READ COMMITTED each count before any of
 * the others is committed, and a burst of 20 got 5-8 password checks
 * where the limit is 5. Writes the attempt's id and *retry_after.
 */
static int
attempt_begin(struct db *db, const char *email, const char *address,
    char id[24], long *retry_after)
{
	char		 window[24];
	const char	*params[3];
	PGresult	*res;
	int		 rc;

	snprintf(window, sizeof(window), "%d", AUTH_THROTTLE_WINDOW);
	params[0] = address;
	params[1] = email;
	params[2] = window;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = exec_only(db, STMT_LOGIN_ATTEMPT_LOCK, params)) != DB_OK ||
	    (rc = db_exec(db, STMT_LOGIN_ATTEMPT, params, &res)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(db);
		return DB_ERROR;
	}
	snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
	*retry_after = auth_throttle_wait(cell_long(res, 0, 1),
	    cell_long(res, 0, 3), cell_long(res, 0, 2), cell_long(res, 0, 4));
	PQclear(res);
	return db_commit(db);
}

int
auth_login(struct db *db, const char *email, const char *password,
    const char *address, char token[AUTH_TOKEN_LEN + 1],
    struct auth_user *who, long *retry_after)
{
	const char	*params[2];
	PGresult	*res;
	char		 hash[AUTH_PWHASH_LEN], attempt[24];
	bool		 found, disabled = false, ok;
	int		 rc;

	*retry_after = 0;
	if (email == NULL)
		email = "";
	if (address == NULL || *address == '\0')
		address = "unknown";
	if ((rc = attempt_begin(db, email, address, attempt,
	    retry_after)) != 0)
		return rc;
	if (*retry_after > 0) {
		/* Refused unchecked: not a failure, so it does not count. */
		params[0] = attempt;
		if (exec_only(db, STMT_LOGIN_ATTEMPT_FORGET, params) != 0)
			log_warn("could not forget a refused login: %s",
			    db->error);
		return AUTH_LOGIN_THROTTLED;
	}

	params[0] = email;
	if (auth_email_valid(email)) {
		if ((rc = db_exec(db, STMT_ADMIN_USER_BY_EMAIL, params,
		    &res)) != DB_OK)
			return rc;
	} else
		res = NULL;
	found = res != NULL && PQntuples(res) == 1;
	if (found) {
		snprintf(who->id, sizeof(who->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(hash, sizeof(hash), "%s", PQgetvalue(res, 0, 1));
		who->role = strcmp(PQgetvalue(res, 0, 2), "admin") == 0 ?
		    AUTH_ROLE_ADMIN : AUTH_ROLE_VIEWER;
		disabled = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		snprintf(who->email, sizeof(who->email), "%s",
		    PQgetvalue(res, 0, 4));
	}
	PQclear(res);

	/* The same work whether or not the account exists. */
	ok = auth_password_verify(found ? hash : NULL, password) && !disabled;
	if (!ok)
		return AUTH_LOGIN_BAD;	/* the attempt stays, as a failure */

	/* Its failures from here, this attempt among them, are forgiven. */
	params[0] = email;
	params[1] = address;
	if (exec_only(db, STMT_LOGIN_FAILURES_CLEAR, params) != 0)
		log_warn("could not clear failed logins: %s", db->error);
	if (auth_password_needs_rehash(hash) &&
	    auth_password_hash(password, hash) == 0) {
		params[0] = who->id;
		params[1] = hash;
		if (exec_only(db, STMT_ADMIN_USER_REHASH, params) != 0)
			log_warn("could not upgrade a password hash: %s",
			    db->error);
	}
	sodium_memzero(hash, sizeof(hash));
	return auth_session_create(db, who->id, token);
}

int
auth_session_create(struct db *db, const char *user_id,
    char token[AUTH_TOKEN_LEN + 1])
{
	char		 hex[AUTH_HASH_HEX_LEN + 1], max[24];
	const char	*params[3];
	int		 rc;

	if ((rc = auth_token_generate(token, hex)) != 0)
		return rc;
	snprintf(max, sizeof(max), "%d", AUTH_SESSION_MAX);
	params[0] = hex;
	params[1] = user_id;
	params[2] = max;
	if ((rc = exec_only(db, STMT_ADMIN_SESSION_INSERT, params)) != 0)
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
	return rc;
}

int
auth_session_lookup(struct db *db, const char *token, struct auth_user *who)
{
	char		 hex[AUTH_HASH_HEX_LEN + 1], idle[24];
	const char	*params[2];
	PGresult	*res;
	int		 rc, found;

	if (auth_token_hash(token, hex) != 0)
		return 1;
	snprintf(idle, sizeof(idle), "%d", AUTH_SESSION_IDLE);
	params[0] = hex;
	params[1] = idle;
	if ((rc = db_exec(db, STMT_ADMIN_SESSION_LOOKUP, params, &res)) != 0)
		return rc;
	/*
	 * The row was found by the hash of the token, an index lookup on a
	 * value the client cannot steer towards a stored one (SHA-256), so
	 * no timing of the comparison leaks a stored secret.
	 */
	found = PQntuples(res) == 1;
	if (found) {
		snprintf(who->id, sizeof(who->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(who->email, sizeof(who->email), "%s",
		    PQgetvalue(res, 0, 1));
		who->role = strcmp(PQgetvalue(res, 0, 2), "admin") == 0 ?
		    AUTH_ROLE_ADMIN : AUTH_ROLE_VIEWER;
	}
	PQclear(res);
	return found ? 0 : 1;
}

int
auth_session_destroy(struct db *db, const char *token)
{
	char		 hex[AUTH_HASH_HEX_LEN + 1];
	const char	*params[1] = { hex };

	if (auth_token_hash(token, hex) != 0)
		return 0;
	return exec_only(db, STMT_ADMIN_SESSION_DELETE, params);
}

int
auth_session_purge(struct db *db)
{
	char		 idle[24];
	const char	*params[1] = { idle };
	PGresult	*res;
	int		 rc;

	snprintf(idle, sizeof(idle), "%d", AUTH_SESSION_IDLE);
	if ((rc = db_exec(db, STMT_ADMIN_SESSION_PURGE, params, &res)) != 0)
		return rc;
	{
		long n;

		if (parse_long(PQcmdTuples(res), 0, 1L << 30, &n) != 0)
			n = 0;
		rc = (int)n;
	}
	PQclear(res);
	return rc;
}

int
auth_user_create(struct db *db, const char *email, const char *password,
    enum auth_role role, char id[37])
{
	char		 hash[AUTH_PWHASH_LEN];
	const char	*params[3];
	PGresult	*res;
	int		 rc;

	if (!auth_email_valid(email))
		return AUTH_USER_BAD_EMAIL;
	if ((rc = auth_password_hash(password, hash)) == -1)
		return AUTH_USER_BAD_PASSWORD;
	if (rc != 0)
		return rc;
	params[0] = email;
	params[1] = hash;
	params[2] = auth_role_name(role);
	rc = db_exec(db, STMT_ADMIN_USER_INSERT, params, &res);
	sodium_memzero(hash, sizeof(hash));
	if (rc == DB_CONFLICT)
		return AUTH_USER_TAKEN;
	if (rc != DB_OK)
		return rc;
	snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return AUTH_USER_OK;
}

/* The count in the one row a user change answers; AUTH_USER_UNKNOWN if none. */
static int
user_changed(PGresult *res, long *sessions_ended)
{
	int rc = PQntuples(res) == 1 ? AUTH_USER_OK : AUTH_USER_UNKNOWN;

	if (rc == AUTH_USER_OK && sessions_ended != NULL)
		*sessions_ended = cell_long(res, 0, 0);
	PQclear(res);
	return rc;
}

int
auth_user_set_disabled(struct db *db, const char *email, bool disabled,
    long *sessions_ended)
{
	const char	*params[1] = { email };
	PGresult	*res;
	int		 rc;

	if (sessions_ended != NULL)
		*sessions_ended = 0;
	rc = db_exec(db, disabled ? STMT_ADMIN_USER_DISABLE :
	    STMT_ADMIN_USER_ENABLE, params, &res);
	if (rc != DB_OK)
		return rc;
	/* Enabling ends no session: its row holds no count. */
	return user_changed(res, disabled ? sessions_ended : NULL);
}

int
auth_user_set_password(struct db *db, const char *email, const char *password,
    const char *keep_token, long *sessions_ended)
{
	char		 hash[AUTH_PWHASH_LEN], keep[AUTH_HASH_HEX_LEN + 1];
	const char	*params[3];
	PGresult	*res;
	int		 rc;

	if (sessions_ended != NULL)
		*sessions_ended = 0;
	if ((rc = auth_password_hash(password, hash)) == -1)
		return AUTH_USER_BAD_PASSWORD;
	if (rc != 0)
		return rc;
	params[0] = email;
	params[1] = hash;
	params[2] = keep_token != NULL && auth_token_hash(keep_token, keep) ==
	    0 ? keep : NULL;
	rc = db_exec(db, STMT_ADMIN_USER_PASSWORD, params, &res);
	sodium_memzero(hash, sizeof(hash));
	if (rc != DB_OK)
		return rc;
	return user_changed(res, sessions_ended);
}
