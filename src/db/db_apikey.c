/* db_apikey: API keys and clients, as rows (see db_apikey.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_apikey.h"
#include "db_store.h"

int
db_apikey_by_prefix(struct db *db, const char *prefix, struct db_apikey *out)
{
	const char	*params[1] = { prefix };
	PGresult	*res;
	unsigned char	*stored;
	size_t		 len;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_APIKEY_BY_PREFIX, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	snprintf(out->id, sizeof(out->id), "%s",
	    PQgetvalue(res, 0, APIKEY_BP_ID));
	snprintf(out->client_id, sizeof(out->client_id), "%s",
	    PQgetvalue(res, 0, APIKEY_BP_CLIENT));
	out->revoked = strcmp(PQgetvalue(res, 0, APIKEY_BP_REVOKED), "f") != 0;
	out->is_test = strcmp(PQgetvalue(res, 0, APIKEY_BP_TEST), "t") == 0;
	if (PQgetlength(res, 0, APIKEY_BP_HASH) > 0) {
		stored = PQunescapeBytea((const unsigned char *)PQgetvalue(res,
		    0, APIKEY_BP_HASH), &len);
		if (stored != NULL && len == DB_APIKEY_HASH_LEN) {
			memcpy(out->hash, stored, DB_APIKEY_HASH_LEN);
			out->hash_ok = true;
		}
		PQfreemem(stored);
	}
	PQclear(res);
	return 1;
}

int
db_apikey_refused(struct db *db, const char *id)
{
	const char	*params[1] = { id };

	return db_run(db, STMT_APIKEY_REFUSED, params);
}

int
db_apikey_touch(struct db *db, const char *id)
{
	const char	*params[1] = { id };

	return db_run(db, STMT_APIKEY_TOUCH, params);
}

/* Run an INSERT ... RETURNING id with params and copy the id (a uuid)
 * into id. Returns a db_status. */
static int
insert_returning_id(struct db *db, enum stmt st, const char *const *params,
    char id[37])
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, st, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		snprintf(db->error, sizeof(db->error), "no id came back");
		return DB_ERROR;
	}
	snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

int
db_apikey_insert(struct db *db, const char *name, const char *prefix,
    const char *hash_hex, const char *client_id, const char *created_by,
    bool is_test, char id[37])
{
	const char	*params[6] = { name, prefix, hash_hex, client_id,
			    created_by, is_test ? "t" : "f" };

	return insert_returning_id(db, STMT_KEYS_INSERT, params, id);
}

int
db_apikey_list(struct db *db, struct db_apikey_row **rows, size_t *n)
{
#define F(member, col) DB_FIELD(DB_FIELD_TEXT, struct db_apikey_row, member, col)
	static const struct db_field fields[] = {
		F(id, APIKEY_LIST_ID), F(name, APIKEY_LIST_NAME),
		F(prefix, APIKEY_LIST_PREFIX), F(client, APIKEY_LIST_CLIENT),
		F(created, APIKEY_LIST_CREATED),
		F(last_used, APIKEY_LIST_LAST_USED),
		F(state, APIKEY_LIST_STATE),
		DB_FIELD(DB_FIELD_BOOL, struct db_apikey_row, is_test,
		    APIKEY_LIST_TEST),
	};
#undef F
	void	*out;
	int	 rc;

	rc = db_store_rows(db, STMT_APIKEY_LIST, NULL, sizeof(**rows), fields,
	    sizeof(fields) / sizeof(fields[0]), &out, n);
	*rows = out;
	return rc;
}

int
db_apikey_revoke(struct db *db, const char *which, size_t *revoked)
{
	const char	*params[1] = { which };
	PGresult	*res;
	int		 rc;

	*revoked = 0;
	if ((rc = db_exec(db, STMT_APIKEY_REVOKE, params, &res)) != DB_OK)
		return rc;
	*revoked = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

/* Column col of row row copied into the pool, or NULL for SQL NULL (the
 * pool has room for it either way: db_store_alloc). */
static const char *
db_apikey_text_or_null(char **pool, const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col)) {
		(*pool)++;
		return NULL;
	}
	return db_store_text(pool, res, row, col);
}

/* The keys of a KEYS_LIST (full) or KEYS_BY_ID result, copied out; res is
 * cleared. NULL when memory ran out. */
static struct db_apikey_info *
db_apikey_infos(PGresult *res, bool full)
{
	static const int text[] = { KEYS_COL_ID, KEYS_COL_NAME,
	    KEYS_COL_PREFIX, KEYS_COL_CLIENT, KEYS_COL_CREATED,
	    KEYS_COL_LAST_USED, KEYS_COL_REVOKED_AT, KEYS_COL_CREATED_BY,
	    KEYS_COL_REVOKED_BY, KEYS_COL_LAST_REFUSED };
	struct db_apikey_info *out;
	char		*pool;
	int		 i;

	if ((out = db_store_alloc(res, sizeof(*out), text, full ? 10 : 7,
	    &pool)) == NULL) {
		PQclear(res);
		return NULL;
	}
	memset(out, 0, sizeof(*out) * (size_t)PQntuples(res));
	for (i = 0; i < PQntuples(res); i++) {
		struct db_apikey_info *k = &out[i];

		k->id = db_store_text(&pool, res, i, KEYS_COL_ID);
		k->name = db_store_text(&pool, res, i, KEYS_COL_NAME);
		k->prefix = db_store_text(&pool, res, i, KEYS_COL_PREFIX);
		k->client = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_CLIENT);
		k->created = db_store_text(&pool, res, i, KEYS_COL_CREATED);
		k->last_used = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_LAST_USED);
		k->revoked_at = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_REVOKED_AT);
		k->is_test = strcmp(PQgetvalue(res, i, KEYS_COL_TEST), "t") == 0;
		if (!full)
			continue;
		k->created_by = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_CREATED_BY);
		k->revoked_by = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_REVOKED_BY);
		k->refused_count = db_store_int(res, i,
		    KEYS_COL_REFUSED_COUNT);
		k->last_refused = db_apikey_text_or_null(&pool, res, i,
		    KEYS_COL_LAST_REFUSED);
	}
	PQclear(res);
	return out;
}

int
db_apikey_list_full(struct db *db, struct db_apikey_info **rows, size_t *n)
{
	PGresult	*res;
	size_t		 count;
	int		 rc;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_KEYS_LIST, NULL, &res)) != DB_OK)
		return rc;
	count = (size_t)PQntuples(res);
	if ((*rows = db_apikey_infos(res, true)) == NULL)
		return DB_ERROR;
	*n = count;
	return DB_OK;
}

int
db_apikey_by_id(struct db *db, const char *id, struct db_apikey_info **key)
{
	const char	*params[1] = { id };
	PGresult	*res;
	int		 rc;

	*key = NULL;
	if ((rc = db_exec(db, STMT_KEYS_BY_ID, params, &res)) != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	if ((*key = db_apikey_infos(res, false)) == NULL)
		return DB_ERROR;
	return 1;
}

int
db_apikey_revoke_by_id(struct db *db, const char *id, const char *by,
    char *name, size_t namesz, char *prefix, size_t prefixsz)
{
	const char	*params[2] = { id, by };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_KEYS_REVOKE_BY_ID, params, &res)) != DB_OK)
		return rc;
	if ((rc = PQntuples(res) == 1) == 1) {
		snprintf(name, namesz, "%s", PQgetvalue(res, 0,
		    KEYS_REVOKED_NAME));
		snprintf(prefix, prefixsz, "%s", PQgetvalue(res, 0,
		    KEYS_REVOKED_PREFIX));
	}
	PQclear(res);
	return rc;
}

int
db_apikey_refused_recently(struct db *db, struct db_apikey_refusal **rows,
    size_t *n)
{
	static const int text[] = { KEYS_REFUSED_NAME, KEYS_REFUSED_PREFIX,
	    KEYS_REFUSED_LAST };
	struct db_apikey_refusal *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_KEYS_REFUSED_RECENTLY, NULL, &res)) !=
	    DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 3, &pool)) ==
	    NULL) {
		PQclear(res);
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		out[i].name = db_store_text(&pool, res, i, KEYS_REFUSED_NAME);
		out[i].prefix = db_store_text(&pool, res, i,
		    KEYS_REFUSED_PREFIX);
		out[i].revoked = PQgetvalue(res, i, KEYS_REFUSED_REVOKED)[0] ==
		    't';
		out[i].refused_count = db_store_int(res, i,
		    KEYS_REFUSED_COUNT);
		out[i].last_refused = db_store_text(&pool, res, i,
		    KEYS_REFUSED_LAST);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_client_by_slug(struct db *db, const char *slug, char id[37])
{
	const char	*params[1] = { slug };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_CLIENT_BY_SLUG, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1;
	if (rc == 1)
		snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

int
db_client_list(struct db *db, struct db_client_row **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_client_row, id, CLIENT_ID),
		DB_FIELD(DB_FIELD_TEXT, struct db_client_row, slug, CLIENT_SLUG),
	};
	void	*out;
	int	 rc;

	rc = db_store_rows(db, STMT_CLIENTS_ALL, NULL, sizeof(**rows), fields,
	    2, &out, n);
	*rows = out;
	return rc;
}

int
db_client_create(struct db *db, const char *slug, const char *name,
    char id[37])
{
	const char	*params[2] = { slug, name };

	return insert_returning_id(db, STMT_CLIENT_INSERT, params, id);
}
