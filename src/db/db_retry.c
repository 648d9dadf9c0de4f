/* db_retry: the retry queue, as rows (see db_retry.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_retry.h"
#include "db_store.h"

/* Memory ran out copying res out: clear it, say so. Returns DB_ERROR. */
static int
db_retry_nomem(struct db *db, PGresult *res)
{
	PQclear(res);
	snprintf(db->error, sizeof(db->error), "out of memory");
	return DB_ERROR;
}

static bool
db_retry_true(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
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
		out[i].is_test = PQgetvalue(res, i, RETRY_TAKE_TEST)[0] == 't';
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
	return db_run(db, STMT_REPLAY_DONE, params);
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

int
db_retry_counts(struct db *db, struct db_retry_counts *out)
{
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_RETRY_COUNTS, NULL, &res)) != DB_OK)
		return rc;
	out->pending = db_store_int(res, 0, RETRY_COUNTS_PENDING);
	out->due = db_store_int(res, 0, RETRY_COUNTS_DUE);
	out->dead = db_store_int(res, 0, RETRY_COUNTS_DEAD);
	out->done = db_store_int(res, 0, RETRY_COUNTS_DONE);
	out->discarded = db_store_int(res, 0, RETRY_COUNTS_DISCARDED);
	out->refused = db_store_int(res, 0, RETRY_COUNTS_REFUSED);
	PQclear(res);
	return DB_OK;
}

/* Run s (RETRY_LIST or RETRY_EXPORT: the same parameters) for q. */
static int
db_retry_query(struct db *db, enum stmt s, const struct db_retry_query *q,
    PGresult **res)
{
	const char	*params[5];
	char		 limit[24];

	snprintf(limit, sizeof(limit), "%ld", q->limit);
	params[0] = q->state;
	params[1] = q->workflow;
	params[2] = q->older_hours;
	params[3] = q->before;
	params[4] = limit;
	return db_exec(db, s, params, res);
}

int
db_retry_list(struct db *db, const struct db_retry_query *q,
    struct db_retry_item **rows, size_t *n)
{
	static const int text[] = { RETRY_LIST_ID, RETRY_LIST_STATE,
	    RETRY_LIST_WORKFLOW, RETRY_LIST_EXECUTION, RETRY_LIST_LEAD,
	    RETRY_LIST_EVENT_TYPE, RETRY_LIST_ATTEMPTS, RETRY_LIST_CREATED,
	    RETRY_LIST_NEXT_ATTEMPT, RETRY_LIST_ERROR };
	struct db_retry_item *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_retry_query(db, STMT_RETRY_LIST, q, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 10, &pool)) ==
	    NULL)
		return db_retry_nomem(db, res);
	for (i = 0; i < PQntuples(res); i++) {
		struct db_retry_item *r = &out[i];

		r->id = db_store_text(&pool, res, i, RETRY_LIST_ID);
		r->state = db_store_text(&pool, res, i, RETRY_LIST_STATE);
		r->workflow = db_store_text(&pool, res, i,
		    RETRY_LIST_WORKFLOW);
		r->execution_id = db_store_text(&pool, res, i,
		    RETRY_LIST_EXECUTION);
		r->lead_id = db_store_text(&pool, res, i, RETRY_LIST_LEAD);
		r->event_type = db_store_text(&pool, res, i,
		    RETRY_LIST_EVENT_TYPE);
		r->attempts = db_store_text(&pool, res, i,
		    RETRY_LIST_ATTEMPTS);
		r->created_at = db_store_text(&pool, res, i,
		    RETRY_LIST_CREATED);
		r->next_attempt_at = db_store_text(&pool, res, i,
		    RETRY_LIST_NEXT_ATTEMPT);
		r->error = db_store_text(&pool, res, i, RETRY_LIST_ERROR);
		r->due = db_retry_true(res, i, RETRY_LIST_DUE);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_retry_export(struct db *db, const struct db_retry_query *q,
    struct db_retry_export_row **rows, size_t *n)
{
	static const int text[RETRY_EXPORT__MAX] = { RETRY_EXPORT_ID,
	    RETRY_EXPORT_STATE, RETRY_EXPORT_CREATED, RETRY_EXPORT_WORKFLOW,
	    RETRY_EXPORT_EXECUTION, RETRY_EXPORT_LEAD,
	    RETRY_EXPORT_EVENT_TYPE, RETRY_EXPORT_ATTEMPTS,
	    RETRY_EXPORT_NEXT_ATTEMPT, RETRY_EXPORT_ERROR,
	    RETRY_EXPORT_PAYLOAD, RETRY_EXPORT_TEST };
	struct db_retry_export_row *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i, c;

	*rows = NULL;
	*n = 0;
	if ((rc = db_retry_query(db, STMT_RETRY_EXPORT, q, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, RETRY_EXPORT__MAX,
	    &pool)) == NULL)
		return db_retry_nomem(db, res);
	for (i = 0; i < PQntuples(res); i++)
		for (c = 0; c < RETRY_EXPORT__MAX; c++)
			out[i].col[c] = db_store_text(&pool, res, i, c);
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_retry_get(struct db *db, const char *id, struct db_retry_detail **row)
{
	static const int text[] = { RETRY_ROW_ID, RETRY_ROW_STATE,
	    RETRY_ROW_PAYLOAD, RETRY_ROW_WORKFLOW, RETRY_ROW_EXECUTION,
	    RETRY_ROW_LEAD, RETRY_ROW_EVENT_TYPE, RETRY_ROW_CLIENT,
	    RETRY_ROW_KEY_NAME, RETRY_ROW_QUEUED_ERROR, RETRY_ROW_ERROR,
	    RETRY_ROW_ATTEMPTS, RETRY_ROW_CREATED, RETRY_ROW_NEXT_ATTEMPT,
	    RETRY_ROW_DONE_AT, RETRY_ROW_LOG_ID, RETRY_ROW_DISCARDED_AT,
	    RETRY_ROW_DISCARDED_BY };
	const char	*params[1] = { id };
	struct db_retry_detail *r;
	PGresult	*res;
	char		*pool;
	int		 rc;

	*row = NULL;
	if ((rc = db_exec(db, STMT_RETRY_ROW, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	if ((r = db_store_alloc(res, sizeof(*r), text,
	    sizeof(text) / sizeof(text[0]), &pool)) == NULL)
		return db_retry_nomem(db, res);
	r->id = db_store_text(&pool, res, 0, RETRY_ROW_ID);
	r->state = db_store_text(&pool, res, 0, RETRY_ROW_STATE);
	r->payload = db_store_text(&pool, res, 0, RETRY_ROW_PAYLOAD);
	r->workflow = db_store_text(&pool, res, 0, RETRY_ROW_WORKFLOW);
	r->execution_id = db_store_text(&pool, res, 0, RETRY_ROW_EXECUTION);
	r->lead_id = db_store_text(&pool, res, 0, RETRY_ROW_LEAD);
	r->event_type = db_store_text(&pool, res, 0, RETRY_ROW_EVENT_TYPE);
	r->client = db_store_text(&pool, res, 0, RETRY_ROW_CLIENT);
	r->key_name = db_store_text(&pool, res, 0, RETRY_ROW_KEY_NAME);
	r->direct_insert = db_retry_true(res, 0, RETRY_ROW_DIRECT);
	r->queued_error = db_store_text(&pool, res, 0, RETRY_ROW_QUEUED_ERROR);
	r->error = db_store_text(&pool, res, 0, RETRY_ROW_ERROR);
	r->attempts = db_store_text(&pool, res, 0, RETRY_ROW_ATTEMPTS);
	r->created_at = db_store_text(&pool, res, 0, RETRY_ROW_CREATED);
	r->next_attempt_at = db_store_text(&pool, res, 0,
	    RETRY_ROW_NEXT_ATTEMPT);
	r->done_at = db_store_text(&pool, res, 0, RETRY_ROW_DONE_AT);
	r->log_id = db_store_text(&pool, res, 0, RETRY_ROW_LOG_ID);
	r->discarded_at = db_store_text(&pool, res, 0, RETRY_ROW_DISCARDED_AT);
	r->discarded_by = db_store_text(&pool, res, 0, RETRY_ROW_DISCARDED_BY);
	r->due = db_retry_true(res, 0, RETRY_ROW_DUE);
	PQclear(res);
	*row = r;
	return 1;
}

int
db_retry_history(struct db *db, const char *id,
    struct db_retry_attempt **rows, size_t *n)
{
	static const int text[] = { RETRY_HISTORY_ATTEMPT, RETRY_HISTORY_AT,
	    RETRY_HISTORY_ERROR };
	const char	*params[1] = { id };
	struct db_retry_attempt *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_RETRY_HISTORY, params, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 3, &pool)) ==
	    NULL)
		return db_retry_nomem(db, res);
	for (i = 0; i < PQntuples(res); i++) {
		out[i].attempt = db_store_text(&pool, res, i,
		    RETRY_HISTORY_ATTEMPT);
		out[i].at = db_store_text(&pool, res, i, RETRY_HISTORY_AT);
		out[i].error = db_store_text(&pool, res, i,
		    RETRY_HISTORY_ERROR);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_retry_discard(struct db *db, const char *id, const char *by)
{
	const char	*params[2] = { id, by };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_RETRY_DISCARD, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

int
db_retry_pending(struct db *db, long long *count, long long *oldest_seconds)
{
	PGresult	*res;
	int		 rc;

	*count = *oldest_seconds = 0;
	if ((rc = db_exec(db, STMT_QUEUE_PENDING, NULL, &res)) != DB_OK)
		return rc;
	*count = db_store_int(res, 0, RETRY_PENDING_COUNT);
	*oldest_seconds = db_store_int(res, 0, RETRY_PENDING_OLDEST);
	PQclear(res);
	return DB_OK;
}

int
db_retry_unalerted_count(struct db *db, long long *count, long long *max_id)
{
	PGresult	*res;
	int		 rc;

	*count = *max_id = 0;
	if ((rc = db_exec(db, STMT_DEAD_UNALERTED_COUNT, NULL, &res)) != DB_OK)
		return rc;
	*count = db_store_int(res, 0, RETRY_UNALERTED_COUNT);
	*max_id = db_store_int(res, 0, RETRY_UNALERTED_MAX_ID);
	PQclear(res);
	return DB_OK;
}

int
db_retry_unalerted(struct db *db, long limit, struct db_retry_dead **rows,
    size_t *n)
{
	static const int text[] = { RETRY_UNALERTED_WORKFLOW,
	    RETRY_UNALERTED_EXECUTION, RETRY_UNALERTED_LEAD,
	    RETRY_UNALERTED_EVENT_TYPE, RETRY_UNALERTED_ERROR };
	const char	*params[1];
	char		 lim[24];
	struct db_retry_dead *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	snprintf(lim, sizeof(lim), "%ld", limit);
	params[0] = lim;
	if ((rc = db_exec(db, STMT_DEAD_UNALERTED, params, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 5, &pool)) ==
	    NULL)
		return db_retry_nomem(db, res);
	for (i = 0; i < PQntuples(res); i++) {
		struct db_retry_dead *r = &out[i];

		r->id = db_store_int(res, i, RETRY_UNALERTED_ID);
		r->workflow = db_store_text(&pool, res, i,
		    RETRY_UNALERTED_WORKFLOW);
		r->execution_id = db_store_text(&pool, res, i,
		    RETRY_UNALERTED_EXECUTION);
		r->lead_id = db_store_text(&pool, res, i,
		    RETRY_UNALERTED_LEAD);
		r->event_type = db_store_text(&pool, res, i,
		    RETRY_UNALERTED_EVENT_TYPE);
		r->error = db_store_text(&pool, res, i, RETRY_UNALERTED_ERROR);
		r->attempts = db_store_int(res, i, RETRY_UNALERTED_ATTEMPTS);
		r->refused = strcmp(PQgetvalue(res, i, RETRY_UNALERTED_STATE),
		    "refused") == 0;
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_retry_alerted(struct db *db, long long from, long long to)
{
	const char	*params[2];
	char		 f[24], t[24];

	snprintf(f, sizeof(f), "%lld", from);
	snprintf(t, sizeof(t), "%lld", to);
	params[0] = f;
	params[1] = t;
	return db_run(db, STMT_DEAD_ALERTED, params);
}

int
db_retry_insert(struct db *db, const struct db_retry_entry *e,
    long long *id, bool *duplicate)
{
	const char	*params[9] = { e->payload, e->workflow, e->execution_id,
			    e->lead_id, e->event_type, e->error, e->client_id,
			    e->api_key_id, e->state };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_RETRY_INSERT, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_ERROR;
	}
	*id = strtoll(PQgetvalue(res, 0, DB_RETRY_INSERT_ID), NULL, 10);
	*duplicate = PQgetvalue(res, 0, DB_RETRY_INSERT_DUPLICATE)[0] == 't';
	PQclear(res);
	return DB_OK;
}
