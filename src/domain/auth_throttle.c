/*
 * auth_throttle: the slowing down of password guessing — the decision
 * from the failures within the window, and the bookkeeping of attempts
 * around a login (see auth.h, docs/admin-access.md). Nothing here
 * allocates.
 */
#include <string.h>

#include "auth_internal.h"
#include "log.h"

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

/*
 * The count and the record are one short transaction under the address's
 * and the account's advisory locks (db_auth_attempt_record): that is what
 * gives a burst of parallel guesses exactly AUTH_THROTTLE_ADDRESS password
 * checks. Nothing to free.
 */
int
auth_attempt_begin(struct db *db, const char *email, const char *address,
    char id[DB_AUTH_ATTEMPT_SIZE], long *retry_after)
{
	struct db_auth_attempt	 a;
	int			 rc;

	if ((rc = db_auth_attempt_record(db, address, email,
	    AUTH_THROTTLE_WINDOW, &a)) != DB_OK)
		return rc;
	memcpy(id, a.id, DB_AUTH_ATTEMPT_SIZE);
	*retry_after = auth_throttle_wait(a.address_failures,
	    a.address_oldest_age, a.account_failures, a.account_oldest_age);
	return DB_OK;
}

void
auth_attempt_refused(struct db *db, const char *id)
{
	if (db_auth_attempt_forget(db, id) != DB_OK)
		log_warn("could not forget a refused login: %s", db->error);
}

void
auth_attempt_succeeded(struct db *db, const char *email, const char *address)
{
	if (db_auth_failures_clear(db, email, address) != DB_OK)
		log_warn("could not clear failed logins: %s", db->error);
}
