/* db_auth: the store of users, sessions and login attempts (see db_auth.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_auth.h"
#include "validate.h"

/* Copy a cell into a caller's buffer (cut to its size). */
static void
cell_copy(char *dst, size_t size, const PGresult *res, int row, int col)
{
	snprintf(dst, size, "%s", PQgetvalue(res, row, col));
}

/* A non-negative count or age out of a cell (0 if odd). */
static long
cell_long(const PGresult *res, int row, int col)
{
	long	 v;

	if (parse_long(PQgetvalue(res, row, col), 0, 1L << 40, &v) != 0)
		return 0;
	return v;
}

/*
 * Run a user change that answers one row (the user exists) holding the
 * sessions it ended, or none; *sessions_ended (may be NULL) gets it.
 */
static int
exec_user_change(struct db *db, enum stmt st, const char *const *params,
    long *sessions_ended)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1 ? DB_OK : DB_AUTH_NONE;
	if (rc == DB_OK && sessions_ended != NULL)
		*sessions_ended = cell_long(res, 0, 0);
	PQclear(res);
	return rc;
}

int
db_auth_user_by_email(struct db *db, const char *email,
    struct db_auth_user *out)
{
	const char	*params[1] = { email };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_ADMIN_USER_BY_EMAIL, params, &res)) !=
	    DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_AUTH_NONE;
	}
	cell_copy(out->id, sizeof(out->id), res, 0, DB_AUTH_USER_ID);
	cell_copy(out->password_hash, sizeof(out->password_hash), res, 0,
	    DB_AUTH_USER_HASH);
	cell_copy(out->role, sizeof(out->role), res, 0, DB_AUTH_USER_ROLE);
	out->disabled = strcmp(PQgetvalue(res, 0, DB_AUTH_USER_DISABLED),
	    "t") == 0;
	cell_copy(out->email, sizeof(out->email), res, 0, DB_AUTH_USER_EMAIL);
	PQclear(res);
	return DB_OK;
}

int
db_auth_user_insert(struct db *db, const char *email,
    const char *password_hash, const char *role, char id[DB_AUTH_ID_SIZE])
{
	const char	*params[3] = { email, password_hash, role };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_ADMIN_USER_INSERT, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1 ? DB_OK : DB_ERROR;
	if (rc == DB_OK)
		cell_copy(id, DB_AUTH_ID_SIZE, res, 0, 0);
	else
		snprintf(db->error, sizeof(db->error), "no id for a new user");
	PQclear(res);
	return rc;
}

int
db_auth_user_rehash(struct db *db, const char *id, const char *password_hash)
{
	const char	*params[2] = { id, password_hash };

	return db_run(db, STMT_ADMIN_USER_REHASH, params);
}

int
db_auth_user_disable(struct db *db, const char *email, long *sessions_ended)
{
	const char	*params[1] = { email };

	return exec_user_change(db, STMT_ADMIN_USER_DISABLE, params,
	    sessions_ended);
}

int
db_auth_user_enable(struct db *db, const char *email)
{
	const char	*params[1] = { email };

	/* Its row is the user's id: it ends no session. */
	return exec_user_change(db, STMT_ADMIN_USER_ENABLE, params, NULL);
}

int
db_auth_user_password(struct db *db, const char *email,
    const char *password_hash, const char *keep_hash_hex,
    long *sessions_ended)
{
	const char	*params[3] = { email, password_hash, keep_hash_hex };

	return exec_user_change(db, STMT_ADMIN_USER_PASSWORD, params,
	    sessions_ended);
}

int
db_auth_user_list(struct db *db, struct db_auth_user_row **rows, size_t *n)
{
	struct db_auth_user_row	*r;
	PGresult		*res;
	int			 rc, i, count;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_ADMIN_USER_LIST, NULL, &res)) != DB_OK)
		return rc;
	if ((count = PQntuples(res)) == 0) {
		PQclear(res);
		return DB_OK;
	}
	if ((r = calloc((size_t)count, sizeof(*r))) == NULL) {
		PQclear(res);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	for (i = 0; i < count; i++) {
		cell_copy(r[i].id, sizeof(r[i].id), res, i, DB_AUTH_LIST_ID);
		cell_copy(r[i].email, sizeof(r[i].email), res, i,
		    DB_AUTH_LIST_EMAIL);
		cell_copy(r[i].role, sizeof(r[i].role), res, i,
		    DB_AUTH_LIST_ROLE);
		cell_copy(r[i].created, sizeof(r[i].created), res, i,
		    DB_AUTH_LIST_CREATED);
		cell_copy(r[i].state, sizeof(r[i].state), res, i,
		    DB_AUTH_LIST_STATE);
	}
	PQclear(res);
	*rows = r;
	*n = (size_t)count;
	return DB_OK;
}

int
db_auth_session_insert(struct db *db, const char *token_hash_hex,
    const char *user_id, int max_seconds)
{
	char		 max[24];
	const char	*params[3] = { token_hash_hex, user_id, max };

	snprintf(max, sizeof(max), "%d", max_seconds);
	return db_run(db, STMT_ADMIN_SESSION_INSERT, params);
}

int
db_auth_session_lookup(struct db *db, const char *token_hash_hex,
    int idle_seconds, struct db_auth_session *out)
{
	char		 idle[24];
	const char	*params[2] = { token_hash_hex, idle };
	PGresult	*res;
	int		 rc;

	snprintf(idle, sizeof(idle), "%d", idle_seconds);
	if ((rc = db_exec(db, STMT_ADMIN_SESSION_LOOKUP, params, &res)) !=
	    DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_AUTH_NONE;
	}
	cell_copy(out->user_id, sizeof(out->user_id), res, 0,
	    DB_AUTH_SESSION_USER_ID);
	cell_copy(out->email, sizeof(out->email), res, 0,
	    DB_AUTH_SESSION_EMAIL);
	cell_copy(out->role, sizeof(out->role), res, 0, DB_AUTH_SESSION_ROLE);
	PQclear(res);
	return DB_OK;
}

int
db_auth_session_delete(struct db *db, const char *token_hash_hex)
{
	const char	*params[1] = { token_hash_hex };

	return db_run(db, STMT_ADMIN_SESSION_DELETE, params);
}

int
db_auth_session_purge(struct db *db, int idle_seconds)
{
	char		 idle[24];
	const char	*params[1] = { idle };
	PGresult	*res;
	long		 n;
	int		 rc;

	snprintf(idle, sizeof(idle), "%d", idle_seconds);
	if ((rc = db_exec(db, STMT_ADMIN_SESSION_PURGE, params, &res)) != DB_OK)
		return rc;
	if (parse_long(PQcmdTuples(res), 0, 1L << 30, &n) != 0)
		n = 0;
	PQclear(res);
	return (int)n;
}

/*
 * Without the locks, concurrent attempts under READ COMMITTED each count
 * before any of the others is committed, and a burst of 20 got 5-8
 * password checks where the limit is 5 (sql_auth.def says why the lock is
 * a statement of its own).
 */
int
db_auth_attempt_record(struct db *db, const char *address, const char *email,
    int window_seconds, struct db_auth_attempt *out)
{
	char		 window[24];
	const char	*params[3] = { address, email, window };
	PGresult	*res;
	int		 rc;

	snprintf(window, sizeof(window), "%d", window_seconds);
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = db_run(db, STMT_LOGIN_ATTEMPT_LOCK, params)) != DB_OK ||
	    (rc = db_exec(db, STMT_LOGIN_ATTEMPT, params, &res)) != DB_OK) {
		db_rollback(db);
		return rc;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		db_rollback(db);
		return DB_ERROR;
	}
	cell_copy(out->id, sizeof(out->id), res, 0, DB_AUTH_ATTEMPT_ID);
	out->address_failures = cell_long(res, 0,
	    DB_AUTH_ATTEMPT_ADDRESS_FAILURES);
	out->address_oldest_age = cell_long(res, 0,
	    DB_AUTH_ATTEMPT_ADDRESS_OLDEST);
	out->account_failures = cell_long(res, 0,
	    DB_AUTH_ATTEMPT_ACCOUNT_FAILURES);
	out->account_oldest_age = cell_long(res, 0,
	    DB_AUTH_ATTEMPT_ACCOUNT_OLDEST);
	PQclear(res);
	return db_commit(db);
}

int
db_auth_attempt_forget(struct db *db, const char *id)
{
	const char	*params[1] = { id };

	return db_run(db, STMT_LOGIN_ATTEMPT_FORGET, params);
}

int
db_auth_failures_clear(struct db *db, const char *email, const char *address)
{
	const char	*params[2] = { email, address };

	return db_run(db, STMT_LOGIN_FAILURES_CLEAR, params);
}
