/*
 * auth_session: a session per login, found by the SHA-256 of its cookie
 * token (see auth.h). Nothing here allocates.
 */
#include <string.h>

#include <sodium.h>

#include "auth_internal.h"

int
auth_session_create(struct db *db, const char *user_id,
    char token[AUTH_TOKEN_LEN + 1])
{
	char	 hex[AUTH_HASH_HEX_LEN + 1];
	int	 rc;

	if ((rc = auth_token_generate(token, hex)) != 0)
		return rc;
	if ((rc = db_auth_session_insert(db, hex, user_id,
	    AUTH_SESSION_MAX)) != DB_OK)
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
	return rc;
}

int
auth_session_lookup(struct db *db, const char *token, struct auth_user *who)
{
	struct db_auth_session	 s;
	char			 hex[AUTH_HASH_HEX_LEN + 1];
	int			 rc;

	if (auth_token_hash(token, hex) != 0)
		return 1;
	/*
	 * The row is found by the hash of the token, an index lookup on a
	 * value the client cannot steer towards a stored one (SHA-256), so
	 * no timing of the comparison leaks a stored secret.
	 */
	rc = db_auth_session_lookup(db, hex, AUTH_SESSION_IDLE, &s);
	if (rc == DB_AUTH_NONE)
		return 1;
	if (rc != DB_OK)
		return rc;
	memcpy(who->id, s.user_id, sizeof(who->id));
	memcpy(who->email, s.email, sizeof(who->email));
	who->role = auth_role_of(s.role);
	return 0;
}

int
auth_session_destroy(struct db *db, const char *token)
{
	char	 hex[AUTH_HASH_HEX_LEN + 1];

	if (auth_token_hash(token, hex) != 0)
		return 0;
	return db_auth_session_delete(db, hex);
}

int
auth_session_purge(struct db *db)
{
	return db_auth_session_purge(db, AUTH_SESSION_IDLE);
}
