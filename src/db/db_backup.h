/*
 * db_backup: what `minicrm backup` and `minicrm restore` read from the
 * database (sql_backup.def), and a connection URL turned into libpq's
 * environment variables for pg_dump and pg_restore, so a password never
 * appears on a command line.
 */
#ifndef MINICRM_DB_BACKUP_H
#define MINICRM_DB_BACKUP_H

#include <stddef.h>

#include "db.h"

struct db_backup_facts {
	long	 schema_version;	/* highest applied migration */
	char	 server_version[64];
	char	 database[128];
	char	 time[32];		/* now, UTC, ISO 8601 */
	char	 user[128];		/* the role connected */
};

struct db_table_count {
	const char	*table;
	long long	 rows;
};

/* The facts of the database db is connected to. A db_status. */
int	db_backup_facts(struct db *, struct db_backup_facts *)
	    __attribute__((warn_unused_result));

/*
 * Inside a transaction at REPEATABLE READ (the caller's): export its
 * snapshot for pg_dump --snapshot into out (NUL-terminated). A db_status.
 */
int	db_backup_snapshot(struct db *, char *out, size_t outsz)
	    __attribute__((warn_unused_result));

/*
 * Every table of the database (extensions' aside) and its row count, by
 * name: *rows (*n of them) is one allocation the caller free()s.
 */
int	db_backup_table_counts(struct db *, struct db_table_count **rows,
	    size_t *n) __attribute__((warn_unused_result));

/*
 * The roles the database's GRANTs name, other than the one connected:
 * *names (*n of them) is one allocation the caller free()s, each
 * element a const char * into it.
 */
int	db_backup_grantees(struct db *, const char ***names, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * How many objects of its own the database holds (tables, views,
 * sequences, functions; extensions' aside), and the first names, comma
 * separated, into first. A db_status.
 */
int	db_restore_objects(struct db *, long *count, char *first,
	    size_t firstsz) __attribute__((warn_unused_result));

/* Of roles (n of them), the ones the cluster lacks, comma separated, into
 * missing ("" when none is). A db_status. */
int	db_restore_missing_roles(struct db *, const char *const *roles,
	    size_t n, char *missing, size_t missingsz)
	    __attribute__((warn_unused_result));

/* The name of the database connected to, into out. A db_status. */
int	db_restore_database(struct db *, char *out, size_t outsz)
	    __attribute__((warn_unused_result));

/* ANALYZE every table of the public schema the role owns. A db_status. */
int	db_restore_analyze(struct db *) __attribute__((warn_unused_result));

/* The extensions installed, as db_backup_grantees hands names back. */
int	db_restore_extensions(struct db *, const char ***names, size_t *n)
	    __attribute__((warn_unused_result));

/*
 * The connection URL (or key=value string) as libpq's environment: a
 * NULL-terminated array of "PGHOST=…"-style strings, one for each setting
 * it holds. Returns NULL if it does not parse (why in error) or memory ran
 * out; otherwise free it with db_conninfo_env_free.
 */
char	**db_conninfo_env(const char *conninfo, char *error, size_t errorsz);
void	 db_conninfo_env_free(char **);

#endif
