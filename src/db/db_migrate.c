/* db_migrate: schema_migrations (see db_migrate.h). */
#include <stdio.h>
#include <stdlib.h>
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
