/* db_retry: the retry queue, as rows (see db_retry.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_retry.h"
#include "db_store.h"

/* Run s, which changes rows and returns nothing the caller needs. */
static int
db_retry_run(struct db *db, enum stmt s, const char *const *params)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, s, params, &res)) == DB_OK)
		PQclear(res);
	return rc;
}

/* Memory ran out copying res out: clear it, say so. Returns DB_ERROR. */
static int
db_retry_nomem(struct db *db, PGresult *res)
{
	PQclear(res);
	snprintf(db->error, sizeof(db->error), "out of memory");
	return DB_ERROR;
}

static enum db_retry_state
db_retry_state_of(const char *s)
{
	static const struct {
		const char		*name;
		enum db_retry_state	 state;
	} states[] = {
		{ "pending", DB_RETRY_STATE_PENDING },
		{ "refused", DB_RETRY_STATE_REFUSED },
		{ "dead", DB_RETRY_STATE_DEAD },
		{ "done", DB_RETRY_STATE_DONE },
		{ "discarded", DB_RETRY_STATE_DISCARDED },
	};
	size_t	 i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i].name) == 0)
			return states[i].state;
	return DB_RETRY_STATE_NONE;
}

/* The rows of a REPLAY_TAKE or REPLAY_TAKE_ID result, copied out; res is
 * cleared. */
static int
db_retry_taken(struct db *db, PGresult *res, struct db_retry_row **rows,
    size_t *n)
{
	static const int text[] = { RETRY_TAKE_ID, RETRY_TAKE_PAYLOAD,
	    RETRY_TAKE_CLIENT, RETRY_TAKE_KEY };
	struct db_retry_row *out;
	char		*pool;
	int		 i;

	if ((out = db_store_alloc(res, sizeof(*out), text, 4, &pool)) ==
	    NULL)
		return db_retry_nomem(db, res);
	for (i = 0; i < PQntuples(res); i++) {
		out[i].id = db_store_text(&pool, res, i, RETRY_TAKE_ID);
		out[i].payload = db_store_text(&pool, res, i,
		    RETRY_TAKE_PAYLOAD);
		out[i].payload_len = (size_t)PQgetlength(res, i,
		    RETRY_TAKE_PAYLOAD);
		out[i].client_id = db_store_text(&pool, res, i,
		    RETRY_TAKE_CLIENT);
		out[i].key_id = db_store_text(&pool, res, i, RETRY_TAKE_KEY);
		out[i].attempts = db_store_int(res, i, RETRY_TAKE_ATTEMPTS);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_retry_take(struct db *db, const char *after, long limit,
    struct db_retry_row **rows, size_t *n)
{
	const char	*params[2];
	char		 batch[24];
	PGresult	*res;
	int		 rc;

	*rows = NULL;
	*n = 0;
	snprintf(batch, sizeof(batch), "%ld", limit);
	params[0] = after;
	params[1] = batch;
	if ((rc = db_exec(db, STMT_REPLAY_TAKE, params, &res)) != DB_OK)
		return rc;
	return db_retry_taken(db, res, rows, n);
}

int
db_retry_take_id(struct db *db, const char *id, struct db_retry_row **rows,
    size_t *n)
{
	const char	*params[1] = { id };
	PGresult	*res;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_REPLAY_TAKE_ID, params, &res)) != DB_OK)
		return rc;
	return db_retry_taken(db, res, rows, n);
}

int
db_retry_savepoint(struct db *db)
{
	return db_exec_script(db, "SAVEPOINT replay_row");
}

int
db_retry_savepoint_release(struct db *db)
{
	return db_exec_script(db, "RELEASE SAVEPOINT replay_row");
}

int
db_retry_savepoint_rollback(struct db *db)
{
	return db_exec_script(db, "ROLLBACK TO SAVEPOINT replay_row");
}

int
db_retry_done(struct db *db, const char *id, long long log_id)
{
	const char	*params[2];
	char		 log[24];

	snprintf(log, sizeof(log), "%lld", log_id);
	params[0] = id;
	params[1] = log;
	return db_retry_run(db, STMT_REPLAY_DONE, params);
}

int
db_retry_fail(struct db *db, const char *id, const char *error,
    const struct db_retry_backoff *b, enum db_retry_state *state)
{
	const char	*params[5];
	char		 max[24], base[24], cap[24];
	PGresult	*res;
	int		 rc;

	*state = DB_RETRY_STATE_NONE;
	snprintf(max, sizeof(max), "%ld", b->max_attempts);
	snprintf(base, sizeof(base), "%ld", b->base_seconds);
	snprintf(cap, sizeof(cap), "%ld", b->cap_seconds);
	params[0] = id;
	params[1] = error;
	params[2] = max;
	params[3] = base;
	params[4] = cap;
	if ((rc = db_exec(db, STMT_REPLAY_FAIL, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) == 1)
		*state = db_retry_state_of(PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

int
db_retry_count_due(struct db *db, long long *n)
{
	PGresult	*res;
	int		 rc;

	*n = 0;
	if ((rc = db_exec(db, STMT_REPLAY_COUNT_DUE, NULL, &res)) != DB_OK)
		return rc;
	*n = db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}
