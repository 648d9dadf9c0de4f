/* auth_login: the whole login, throttled, checked, then a session (auth.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth_internal.h"
#include "log.h"

/*
 * The user of email into *u, all zeros if there is none or the address is
 * not one (then nothing is looked up). Returns 0 or a db_status.
 */
static int
user_find(struct db *db, const char *email, struct db_auth_user *u)
{
	int	 rc;

	memset(u, 0, sizeof(*u));
	if (!auth_email_valid(email))
		return 0;
	rc = db_auth_user_by_email(db, email, u);
	return rc == DB_AUTH_NONE ? 0 : rc;
}

/* After a success: upgrade a hash with weaker limits than today's. */
static void
rehash(struct db *db, const char *id, const char *stored_hash,
    const char *password)
{
	char	 hash[AUTH_PWHASH_LEN];

	if (auth_password_needs_rehash(stored_hash) &&
	    auth_password_hash(password, hash) == 0 &&
	    db_auth_user_rehash(db, id, hash) != DB_OK)
		log_warn("could not upgrade a password hash: %s", db->error);
	sodium_memzero(hash, sizeof(hash));
}

/*
 * Every answer takes the time of a password check once the attempt is
 * recorded (an unknown user is checked against the decoy), so neither
 * the time nor the answer tells whether an account exists. Nothing to
 * free; the stored hash is wiped before returning.
 */
int
auth_login(struct db *db, const char *email, const char *password,
    const char *address, char token[AUTH_TOKEN_LEN + 1],
    struct auth_user *who, long *retry_after)
{
	struct db_auth_user	 u;
	char			 attempt[DB_AUTH_ATTEMPT_SIZE];
	bool			 found, ok;
	int			 rc;

	*retry_after = 0;
	if (email == NULL)
		email = "";
	if (address == NULL || *address == '\0')
		address = "unknown";
	if ((rc = auth_attempt_begin(db, email, address, attempt,
	    retry_after)) != 0)
		return rc;
	if (*retry_after > 0) {
		/* Refused unchecked: not a failure, so it does not count. */
		auth_attempt_refused(db, attempt);
		return AUTH_LOGIN_THROTTLED;
	}
	if ((rc = user_find(db, email, &u)) != 0)
		return rc;
	if ((found = u.id[0] != '\0')) {
		snprintf(who->id, sizeof(who->id), "%s", u.id);
		who->role = auth_role_of(u.role);
		snprintf(who->email, sizeof(who->email), "%s", u.email);
	}

	/* The same work whether or not the account exists. */
	ok = auth_password_verify(found ? u.password_hash : NULL, password) &&
	    !u.disabled;
	if (ok) {
		/* Its failures from here, this attempt among them, are
		 * forgiven. */
		auth_attempt_succeeded(db, email, address);
		rehash(db, who->id, u.password_hash, password);
	}
	sodium_memzero(&u, sizeof(u));
	if (!ok)
		return AUTH_LOGIN_BAD;	/* the attempt stays, as a failure */
	return auth_session_create(db, who->id, token);
}
