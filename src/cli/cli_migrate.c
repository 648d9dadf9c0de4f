/*
 * minicrm migrate: numbered SQL files in sql/ (NNNN_name.up.sql, each with
 * its NNNN_name.down.sql), applied in order, each in its own transaction,
 * recorded in schema_migrations with the SHA-256 of the file. A file that
 * changed after it was applied is refused: write a new migration instead.
 * Runs as the schema owner (DATABASE_URL).
 *
 * The files grant to minicrm_app and minicrm_n8n; each instance's roles
 * are <prefix>_app and <prefix>_n8n (MINICRM_ROLE_PREFIX, else the
 * database's name), so a file's text is run with the roles renamed
 * (db_migrate_roles) while its checksum stays that of the file as written.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "db_migrate.h"
#include "validate.h"

#define MIGRATIONS_MAX	1000

struct migration {
	long	 version;
	char	 name[128];		/* "0001_core" */
	char	 checksum[65];		/* of the up file */
	bool	 applied;
	char	 applied_sum[65];	/* recorded when applied */
	char	 applied_at[32];
};

struct plan {
	char			 dir[PATH_MAX];
	char			 prefix[64];	/* the roles' (plan_prefix) */
	struct migration	 m[MIGRATIONS_MAX];
	size_t			 n;
};

/* Read a whole file into b; -1 if it cannot be read. */
static int
read_file(const char *path, struct buf *b)
{
	FILE	*f;
	char	 chunk[8192];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	return buf_failed(b) ? -1 : 0;
}

static int
by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static int
file_checksum(const char *dir, const char *name, const char *suffix,
    char out[65], struct buf *content)
{
	char		 path[PATH_MAX + 160];
	unsigned char	 digest[32];

	snprintf(path, sizeof(path), "%s/%s.%s.sql", dir, name, suffix);
	buf_reset(content);
	if (read_file(path, content) == -1) {
		fprintf(stderr, "minicrm: cannot read %s\n", path);
		return -1;
	}
	crypto_hash_sha256(digest, (const unsigned char *)buf_str(content),
	    content->len);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
	return 0;
}

/* The migrations in the sql folder, in version order. */
static int
plan_scan(struct plan *p)
{
	DIR		*d;
	struct dirent	*e;
	struct buf	 content = BUF_INIT;
	char		 num[8];
	size_t		 len;
	int		 rc = 0;

	config_tree_dir("sql", p->dir, sizeof(p->dir));
	if (config_get("MINICRM_SQL_DIR") != NULL)
		snprintf(p->dir, sizeof(p->dir), "%s",
		    config_get("MINICRM_SQL_DIR"));
	if ((d = opendir(p->dir)) == NULL) {
		fprintf(stderr, "minicrm: cannot open %s\n", p->dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL && p->n < MIGRATIONS_MAX) {
		struct migration *m = &p->m[p->n];

		len = strlen(e->d_name);
		if (len < 12 || len - 7 >= sizeof(m->name) ||
		    strcmp(e->d_name + len - 7, ".up.sql") != 0 ||
		    e->d_name[4] != '_')
			continue;
		memcpy(num, e->d_name, 4);
		num[4] = '\0';
		if (parse_long(num, 1, 9999, &m->version) == -1)
			continue;
		memcpy(m->name, e->d_name, len - 7);
		m->name[len - 7] = '\0';
		if (file_checksum(p->dir, m->name, "up", m->checksum,
		    &content) == -1)
			rc = -1;
		p->n++;
	}
	closedir(d);
	buf_free(&content);
	qsort(p->m, p->n, sizeof(p->m[0]), by_version);
	return rc;
}

/* Mark what schema_migrations says is applied; refuse changed files. */
static int
plan_load_applied(struct db *db, struct plan *p)
{
	struct db_migration *rows;
	size_t		 n, i, k;
	int		 rc = 0;

	if (db_migrate_table(db) != DB_OK ||
	    db_migrate_list(db, &rows, &n) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < p->n && p->m[k].version != rows[i].version; k++)
			;
		if (k == p->n) {
			fprintf(stderr, "minicrm: migration %s is applied but "
			    "its file is missing from %s\n", rows[i].name,
			    p->dir);
			rc = -1;
			continue;
		}
		p->m[k].applied = true;
		snprintf(p->m[k].applied_sum, 65, "%s", rows[i].checksum);
		snprintf(p->m[k].applied_at, 32, "%s", rows[i].applied_at);
		if (strcmp(p->m[k].applied_sum, p->m[k].checksum) != 0) {
			fprintf(stderr, "minicrm: %s/%s.up.sql was changed "
			    "after it was applied (applied %.12s, file now "
			    "%.12s); write a new migration instead\n",
			    p->dir, p->m[k].name, p->m[k].applied_sum,
			    p->m[k].checksum);
			rc = -1;
		}
	}
	free(rows);
	return rc;
}

/*
 * The instance's role prefix: MINICRM_ROLE_PREFIX, else the name of the
 * database DATABASE_URL names; refused (with what to do) unless it makes
 * plain SQL role names.
 */
static int
plan_prefix(struct db *db, struct plan *p)
{
	const char	*set = config_get("MINICRM_ROLE_PREFIX");
	char		 name[64];

	if (set != NULL && *set != '\0') {
		if (!db_migrate_prefix_ok(set)) {
			fprintf(stderr, "minicrm: MINICRM_ROLE_PREFIX '%s' is "
			    "not a plain role name prefix (a-z, 0-9, _, not "
			    "starting with a digit, at most %d bytes)\n", set,
			    DB_MIGRATE_PREFIX_MAX);
			return -1;
		}
		snprintf(p->prefix, sizeof(p->prefix), "%s", set);
		return 0;
	}
	if (db_migrate_database(db, name, sizeof(name)) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return -1;
	}
	if (!db_migrate_prefix_ok(name)) {
		fprintf(stderr, "minicrm: the database's name '%s' cannot "
		    "prefix its roles' names (a-z, 0-9, _, not starting with "
		    "a digit, at most %d bytes); set MINICRM_ROLE_PREFIX\n",
		    name, DB_MIGRATE_PREFIX_MAX);
		return -1;
	}
	snprintf(p->prefix, sizeof(p->prefix), "%s", name);
	return 0;
}

/* Apply or roll back one migration in its own transaction. */
static int
step(struct db *db, struct plan *p, struct migration *m, bool up)
{
	struct buf	 sql = BUF_INIT, run = BUF_INIT;
	char		 sum[65];
	int		 rc = -1;

	if (file_checksum(p->dir, m->name, up ? "up" : "down", sum, &sql) ==
	    -1)
		goto out;
	if (db_migrate_roles(buf_str(&sql), p->prefix, &run) == -1) {
		fprintf(stderr, "minicrm: out of memory\n");
		goto out;
	}
	if (db_begin(db) != DB_OK || db_migrate_lock(db) != DB_OK)
		goto fail;
	if (db_migrate_apply(db, buf_str(&run)) != DB_OK)
		goto fail;
	if ((up ? db_migrate_record(db, m->version, m->name, m->checksum) :
	    db_migrate_forget(db, m->version)) != DB_OK)
		goto fail;
	if (db_commit(db) != DB_OK)
		goto fail;
	printf("%s %s\n", up ? "applied" : "rolled back", m->name);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "minicrm: %s %s failed: %s\n",
	    up ? "applying" : "rolling back", m->name, db->error);
	db_rollback(db);
out:
	buf_free(&sql);
	buf_free(&run);
	return rc;
}

static int
migrate_usage(void)
{
	fprintf(stderr, "usage: minicrm migrate up [N] | down [N] | status\n");
	return 2;
}

int
cli_migrate(int argc, char **argv)
{
	static struct plan	 plan;
	struct db		 db;
	long			 count = -1;
	size_t			 i, done = 0;
	int			 rc = 0;
	bool			 up;

	if (argc < 2 || argc > 3)
		return migrate_usage();
	if (argc == 3 && parse_long(argv[2], 1, MIGRATIONS_MAX, &count) == -1)
		return migrate_usage();
	if (strcmp(argv[1], "up") != 0 && strcmp(argv[1], "down") != 0 &&
	    !(strcmp(argv[1], "status") == 0 && argc == 2))
		return migrate_usage();
	up = strcmp(argv[1], "up") == 0;
	if (sodium_init() < 0 || plan_scan(&plan) == -1)
		return 1;
	if (cli_connect(&db, "DATABASE_URL", NULL) == -1)
		return 1;
	if ((strcmp(argv[1], "status") != 0 &&
	    plan_prefix(&db, &plan) == -1) ||
	    plan_load_applied(&db, &plan) == -1) {
		db_close(&db);
		return 1;
	}
	if (strcmp(argv[1], "status") == 0) {
		for (i = 0; i < plan.n; i++)
			printf("%-32s %s%s\n", plan.m[i].name,
			    plan.m[i].applied ? "applied " : "pending",
			    plan.m[i].applied_at);
	} else if (up) {
		for (i = 0; i < plan.n && rc == 0; i++) {
			if (plan.m[i].applied || (count > 0 &&
			    (long)done >= count))
				continue;
			rc = step(&db, &plan, &plan.m[i], true);
			done++;
		}
		if (rc == 0 && done == 0)
			printf("up to date\n");
	} else {
		if (count < 0)
			count = 1;
		for (i = plan.n; i > 0 && rc == 0 && (long)done < count; i--) {
			if (!plan.m[i - 1].applied)
				continue;
			rc = step(&db, &plan, &plan.m[i - 1], false);
			done++;
		}
		if (rc == 0 && done == 0)
			printf("nothing to roll back\n");
	}
	db_close(&db);
	return rc == 0 ? 0 : 1;
}
