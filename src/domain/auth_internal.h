/*
 * auth_internal: what the auth_*.c files share and callers do not use.
 * The public API is auth.h.
 */
#ifndef MINICRM_AUTH_INTERNAL_H
#define MINICRM_AUTH_INTERNAL_H

#include <stdbool.h>

#include "auth.h"
#include "db_auth.h"

/* The store's buffers are the domain's sizes. */
_Static_assert(sizeof(((struct db_auth_user *)0)->password_hash) ==
    AUTH_PWHASH_LEN, "a stored hash fits the domain's buffer");
_Static_assert(sizeof(((struct auth_user *)0)->id) == DB_AUTH_ID_SIZE,
    "a stored id fits the session's user");
_Static_assert(sizeof(((struct auth_user *)0)->email) ==
    DB_AUTH_EMAIL_SIZE, "a stored e-mail fits the session's user");

/* auth_role.c: the role a stored name means; anything but "admin" is a
 * viewer, the least privilege. */
enum auth_role auth_role_of(const char *name);

/* auth_token.c: is it AUTH_TOKEN_LEN base64url characters (not NULL)? */
bool	auth_token_shaped(const char *token);

/*
 * auth_throttle.c: record a login attempt (a failure until it succeeds)
 * and decide from the earlier ones whether it may go on. Writes the
 * attempt's id and *retry_after (0: go on). Returns 0 or a db_status.
 */
int	auth_attempt_begin(struct db *, const char *email, const char *address,
	    char id[DB_AUTH_ATTEMPT_SIZE], long *retry_after)
	    __attribute__((warn_unused_result));

/* An attempt refused unchecked: forget it, it is no failure (logged if
 * that fails). */
void	auth_attempt_refused(struct db *, const char *id);

/* A success: forget the account's failures from address, this attempt
 * among them (logged if that fails). */
void	auth_attempt_succeeded(struct db *, const char *email,
	    const char *address);

#endif
