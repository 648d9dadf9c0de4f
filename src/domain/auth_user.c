/*
 * auth_user: the portal's users — e-mail addresses as admin_users takes
 * them, adding a user, disabling and enabling one, a new password (see
 * auth.h). Nothing here allocates; password hashes are wiped after use.
 */
#include <string.h>

#include <sodium.h>

#include "auth_internal.h"
#include "validate.h"

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

/* A store's answer about one user as an auth_user_result. */
static int
user_result(int rc)
{
	return rc == DB_AUTH_NONE ? AUTH_USER_UNKNOWN : rc;
}

int
auth_user_create(struct db *db, const char *email, const char *password,
    enum auth_role role, char id[37])
{
	char	 hash[AUTH_PWHASH_LEN];
	int	 rc;

	if (!auth_email_valid(email))
		return AUTH_USER_BAD_EMAIL;
	if ((rc = auth_password_hash(password, hash)) == -1)
		return AUTH_USER_BAD_PASSWORD;
	if (rc != 0)
		return rc;
	rc = db_auth_user_insert(db, email, hash, auth_role_name(role), id);
	sodium_memzero(hash, sizeof(hash));
	return rc == DB_CONFLICT ? AUTH_USER_TAKEN : rc;
}

int
auth_user_set_disabled(struct db *db, const char *email, bool disabled,
    long *sessions_ended)
{
	if (sessions_ended != NULL)
		*sessions_ended = 0;
	/* Enabling ends no session. */
	if (!disabled)
		return user_result(db_auth_user_enable(db, email));
	return user_result(db_auth_user_disable(db, email, sessions_ended));
}

int
auth_user_set_password(struct db *db, const char *email, const char *password,
    const char *keep_token, long *sessions_ended)
{
	char		 hash[AUTH_PWHASH_LEN], keep[AUTH_HASH_HEX_LEN + 1];
	const char	*keep_hex;
	int		 rc;

	if (sessions_ended != NULL)
		*sessions_ended = 0;
	if ((rc = auth_password_hash(password, hash)) == -1)
		return AUTH_USER_BAD_PASSWORD;
	if (rc != 0)
		return rc;
	keep_hex = keep_token != NULL && auth_token_hash(keep_token, keep) ==
	    0 ? keep : NULL;
	rc = db_auth_user_password(db, email, hash, keep_hex, sessions_ended);
	sodium_memzero(hash, sizeof(hash));
	return user_result(rc);
}
