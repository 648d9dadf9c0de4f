/*
 * db_migrate: the store of schema_migrations, what `minicrm migrate`
 * (cli_migrate.c) reads and writes around each migration file.
 */
#ifndef MINICRM_DB_MIGRATE_H
#define MINICRM_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "db.h"

/* The columns of STMT_MIGRATIONS_LIST (sql_core.def). */
enum db_migrate_col {
	MIGRATE_VERSION, MIGRATE_NAME, MIGRATE_CHECKSUM, MIGRATE_APPLIED_AT
};

/* An applied migration, as recorded. */
struct db_migration {
	long		 version;
	const char	*name;		/* "0001_core" */
	const char	*checksum;	/* SHA-256 of the up file, hex */
	const char	*applied_at;	/* YYYY-MM-DD HH24:MI:SS */
};

/* Create schema_migrations if it is not there. Returns a db_status. */
int	db_migrate_table(struct db *) __attribute__((warn_unused_result));

/*
 * The applied migrations by version. *rows (n of them) is one allocation,
 * strings included, that the caller releases with free() (also for
 * n == 0). Returns a db_status; on an error *rows is NULL.
 */
int	db_migrate_list(struct db *, struct db_migration **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* Take the migrations' lock until the transaction ends. A db_status. */
int	db_migrate_lock(struct db *) __attribute__((warn_unused_result));

/* Run a migration file's SQL (statements without parameters), in the
 * caller's transaction. Returns a db_status. */
int	db_migrate_apply(struct db *, const char *sql)
	    __attribute__((warn_unused_result));

/* Record version as applied (name, checksum), or forget it. A db_status. */
int	db_migrate_record(struct db *, long version, const char *name,
	    const char *checksum) __attribute__((warn_unused_result));
int	db_migrate_forget(struct db *, long version)
	    __attribute__((warn_unused_result));

/*
 * Roles belong to one instance: <prefix>_owner, <prefix>_app, <prefix>_n8n,
 * the prefix being MINICRM_ROLE_PREFIX or else the database's name, so the
 * database "minicrm" keeps the names the migrations are written with.
 * Applied files never change (their checksum is over the file as written),
 * so the migrator renames the roles in the text it runs instead: every
 * identifier minicrm_app or minicrm_n8n (a whole word: no letter, digit, _
 * or $ on either side) becomes <prefix>_app or <prefix>_n8n.
 */
#define DB_MIGRATE_ROLE_PREFIX	"minicrm"	/* as the files are written */
#define DB_MIGRATE_PREFIX_MAX	57		/* 63 - strlen("_owner") */

/* Is prefix usable in role names spliced into SQL: [a-z_][a-z0-9_]*, at
 * most DB_MIGRATE_PREFIX_MAX bytes? */
bool	db_migrate_prefix_ok(const char *prefix);

/*
 * Append sql to out with the roles renamed for prefix (which must be
 * db_migrate_prefix_ok). Returns 0, or -1 if out failed (no memory).
 */
int	db_migrate_roles(const char *sql, const char *prefix, struct buf *out)
	    __attribute__((warn_unused_result));

/* The connection's current_database() into out (size bytes, truncated
 * never: DB_ERROR if it does not fit). Returns a db_status. */
int	db_migrate_database(struct db *, char *out, size_t size)
	    __attribute__((warn_unused_result));

#endif
