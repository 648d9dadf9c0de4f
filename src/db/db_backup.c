/* db_backup: the backup's and the restore's reads (see db_backup.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db_backup.h"
#include "db_store.h"

static void
copy_col(char *out, size_t outsz, const PGresult *res, int col)
{
	snprintf(out, outsz, "%s", PQgetvalue(res, 0, col));
}

int
db_backup_facts(struct db *db, struct db_backup_facts *f)
{
	PGresult	*res;
	int		 rc;

	memset(f, 0, sizeof(*f));
	if ((rc = db_exec(db, STMT_BACKUP_FACTS, NULL, &res)) != DB_OK)
		return rc;
	f->schema_version = (long)db_store_int(res, 0, 0);
	copy_col(f->server_version, sizeof(f->server_version), res, 1);
	copy_col(f->database, sizeof(f->database), res, 2);
	copy_col(f->time, sizeof(f->time), res, 3);
	copy_col(f->user, sizeof(f->user), res, 4);
	PQclear(res);
	return DB_OK;
}

int
db_backup_snapshot(struct db *db, char *out, size_t outsz)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_BACKUP_SNAPSHOT, NULL, &res)) != DB_OK)
		return rc;
	copy_col(out, outsz, res, 0);
	PQclear(res);
	return DB_OK;
}

int
db_restore_database(struct db *db, char *out, size_t outsz)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_RESTORE_DATABASE, NULL, &res)) != DB_OK)
		return rc;
	copy_col(out, outsz, res, 0);
	PQclear(res);
	return DB_OK;
}

int
db_restore_analyze(struct db *db)
{
	return db_run(db, STMT_RESTORE_ANALYZE, NULL);
}

int
db_backup_table_counts(struct db *db, struct db_table_count **rows,
    size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_table_count, table, 0),
		DB_FIELD(DB_FIELD_INT, struct db_table_count, rows, 1),
	};

	return db_store_rows(db, STMT_BACKUP_TABLE_COUNTS, NULL,
	    sizeof(**rows), fields, 2, (void **)rows, n);
}

struct name_row {
	const char	*name;
};

/* One text column of every row into an array of names (see the header). */
static int
names(struct db *db, enum stmt st, const char ***out, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct name_row, name, 0),
	};

	/* struct name_row is one pointer: the rows are the array. */
	return db_store_rows(db, st, NULL, sizeof(struct name_row), fields, 1,
	    (void **)out, n);
}

int
db_backup_grantees(struct db *db, const char ***out, size_t *n)
{
	return names(db, STMT_BACKUP_GRANTEES, out, n);
}

int
db_restore_extensions(struct db *db, const char ***out, size_t *n)
{
	return names(db, STMT_RESTORE_EXTENSIONS, out, n);
}

int
db_restore_objects(struct db *db, long *count, char *first, size_t firstsz)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_RESTORE_OBJECTS, NULL, &res)) != DB_OK)
		return rc;
	*count = (long)db_store_int(res, 0, 0);
	copy_col(first, firstsz, res, 1);
	PQclear(res);
	return DB_OK;
}

int
db_restore_missing_roles(struct db *db, const char *const *roles, size_t n,
    char *missing, size_t missingsz)
{
	struct buf	 array = BUF_INIT;
	const char	*p, *params[1];
	PGresult	*res;
	size_t		 i;
	int		 rc;

	/* A text array literal, each name quoted and escaped. */
	buf_puts(&array, "{");
	for (i = 0; i < n; i++) {
		buf_puts(&array, i > 0 ? ",\"" : "\"");
		for (p = roles[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(&array, "\\", 1);
			buf_append(&array, p, 1);
		}
		buf_puts(&array, "\"");
	}
	buf_puts(&array, "}");
	if (buf_failed(&array)) {
		buf_free(&array);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	params[0] = buf_str(&array);
	rc = db_exec(db, STMT_RESTORE_MISSING_ROLES, params, &res);
	buf_free(&array);
	if (rc != DB_OK)
		return rc;
	copy_col(missing, missingsz, res, 0);
	PQclear(res);
	return DB_OK;
}

char **
db_conninfo_env(const char *conninfo, char *error, size_t errorsz)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, **env;
	size_t			 n = 0, len;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		snprintf(error, errorsz, "the database URL does not parse: %s",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		goto oom;
	n = 0;
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->envvar == NULL)
			continue;
		len = strlen(o->envvar) + strlen(o->val) + 2;
		if ((env[n] = malloc(len)) == NULL)
			goto oom;
		snprintf(env[n++], len, "%s=%s", o->envvar, o->val);
	}
	PQconninfoFree(opts);
	return env;
oom:
	db_conninfo_env_free(env);
	PQconninfoFree(opts);
	snprintf(error, errorsz, "out of memory");
	return NULL;
}

void
db_conninfo_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}
