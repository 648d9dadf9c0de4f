/* db_migrate: schema_migrations (see db_migrate.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_migrate.h"
#include "db_store.h"

int
db_migrate_table(struct db *db)
{
	return db_run(db, STMT_MIGRATIONS_TABLE, NULL);
}

int
db_migrate_list(struct db *db, struct db_migration **rows, size_t *n)
{
	static const int text[] = { MIGRATE_NAME, MIGRATE_CHECKSUM,
	    MIGRATE_APPLIED_AT };
	struct db_migration *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_MIGRATIONS_LIST, NULL, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 3, &pool)) ==
	    NULL) {
		PQclear(res);
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		out[i].version = (long)db_store_int(res, i, MIGRATE_VERSION);
		out[i].name = db_store_text(&pool, res, i, MIGRATE_NAME);
		out[i].checksum = db_store_text(&pool, res, i,
		    MIGRATE_CHECKSUM);
		out[i].applied_at = db_store_text(&pool, res, i,
		    MIGRATE_APPLIED_AT);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_migrate_lock(struct db *db)
{
	return db_run(db, STMT_MIGRATE_LOCK, NULL);
}

int
db_migrate_apply(struct db *db, const char *sql)
{
	return db_exec_script(db, sql);
}

int
db_migrate_record(struct db *db, long version, const char *name,
    const char *checksum)
{
	char		 v[24];
	const char	*params[3] = { v, name, checksum };

	snprintf(v, sizeof(v), "%ld", version);
	return db_run(db, STMT_MIGRATION_RECORD, params);
}

int
db_migrate_forget(struct db *db, long version)
{
	char		 v[24];
	const char	*params[1] = { v };

	snprintf(v, sizeof(v), "%ld", version);
	return db_run(db, STMT_MIGRATION_FORGET, params);
}

bool
db_migrate_prefix_ok(const char *prefix)
{
	size_t	 i, n = strlen(prefix);

	if (n == 0 || n > DB_MIGRATE_PREFIX_MAX ||
	    !(islower((unsigned char)prefix[0]) || prefix[0] == '_'))
		return false;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)prefix[i]) &&
		    !isdigit((unsigned char)prefix[i]) && prefix[i] != '_')
			return false;
	return true;
}

/* Can c be part of an unquoted SQL identifier? */
static bool
ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

int
db_migrate_roles(const char *sql, const char *prefix, struct buf *out)
{
	static const char *const suffixes[] = { "_app", "_n8n" };
	const size_t	 plen = strlen(DB_MIGRATE_ROLE_PREFIX);
	const char	*p = sql, *copied = sql;
	size_t		 i, slen;

	while ((p = strstr(p, DB_MIGRATE_ROLE_PREFIX)) != NULL) {
		for (i = 0; i < 2; i++) {
			slen = strlen(suffixes[i]);
			if (strncmp(p + plen, suffixes[i], slen) == 0 &&
			    (p == sql || !ident_char(p[-1])) &&
			    !ident_char(p[plen + slen]))
				break;
		}
		if (i == 2) {
			p += plen;
			continue;
		}
		buf_append(out, copied, (size_t)(p - copied));
		buf_puts(out, prefix);
		buf_puts(out, suffixes[i]);
		p += plen + slen;
		copied = p;
	}
	buf_puts(out, copied);
	return buf_failed(out) ? -1 : 0;
}

int
db_migrate_database(struct db *db, char *out, size_t size)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_CURRENT_DATABASE, NULL, &res)) != DB_OK)
		return rc;
	rc = DB_OK;
	if (PQntuples(res) != 1 ||
	    (size_t)snprintf(out, size, "%s", PQgetvalue(res, 0, 0)) >= size) {
		snprintf(db->error, sizeof(db->error),
		    "the database's name does not fit in %zu bytes", size);
		rc = DB_ERROR;
	}
	PQclear(res);
	return rc;
}
