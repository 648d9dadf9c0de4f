/*
 * minicrm restore DIR: a backup that `minicrm backup` made, into the
 * instance's database (DATABASE_URL, the schema owner), which must be
 * empty: made by createdb, owned by the schema owner, holding nothing but
 * extensions' objects.
 *
 * In order, each step refusing before anything is written: the manifest
 * matches SHA256SUMS, the dump matches its SHA-256 (a damaged dump is
 * refused whole), the database is empty, and the cluster has every role
 * the dump's GRANTs name (an instance with the same role names: see
 * docs/backup.md). Then pg_restore in one transaction (--single-transaction
 * --exit-on-error: all of it or nothing), objects owned by the role
 * connected (--no-owner), the dump's GRANTs kept; the extensions the
 * database already has and extensions' comments are left out (only a
 * superuser may create or comment on some). Then ANALYZE, and every
 * table's row count against the manifest.
 *
 * Exit status: 0 restored and the counts match; 1 failed (the database,
 * pg_restore; nothing was restored); 2 usage; 3 the backup is incomplete
 * or damaged; 4 the database is not empty or the cluster lacks a role;
 * 5 restored, but a table's row count differs from the manifest.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_child.h"
#include "cli_manifest.h"
#include "config.h"
#include "db_backup.h"

static int
restore_usage(void)
{
	fprintf(stderr, "usage: minicrm restore DIR\n");
	return 2;
}

/* The dump matches the manifest's sum: 0, else 3 with why. */
static int
check_dump(const char *dir, const struct manifest *m, char *dump,
    size_t dumpsz)
{
	char		 have[65];
	long long	 bytes;

	snprintf(dump, dumpsz, "%s/%s", dir, MANIFEST_DUMP);
	if (cli_file_sha256(dump, have, &bytes) == -1) {
		fprintf(stderr, "minicrm: cannot read %s: not a complete "
		    "backup; nothing was restored\n", dump);
		return 3;
	}
	if (strcmp(have, m->dump_sha256) != 0) {
		fprintf(stderr, "minicrm: %s does not match its checksum "
		    "(%lld bytes, sha256 %.12s…, the manifest says %lld bytes, "
		    "%.12s…): the dump is damaged; nothing was restored\n",
		    dump, bytes, have, m->dump_bytes, m->dump_sha256);
		return 3;
	}
	return 0;
}

/* The target is empty and has the dump's roles: 0, else 4 (or 1). */
static int
check_target(struct db *db, const struct manifest *m)
{
	const char	**roles;
	char		 first[512], missing[512];
	long		 count;
	size_t		 i;
	int		 rc;

	if (db_restore_objects(db, &count, first, sizeof(first)) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	if (count > 0) {
		fprintf(stderr, "minicrm: the database is not empty (%ld "
		    "objects: %s%s); restore only into an empty database "
		    "(createdb); nothing was restored\n", count, first,
		    count > 5 ? ", …" : "");
		return 4;
	}
	if ((roles = calloc(m->nroles + 1, sizeof(*roles))) == NULL)
		return 1;
	for (i = 0; i < m->nroles; i++)
		roles[i] = m->roles[i];
	rc = db_restore_missing_roles(db, roles, m->nroles, missing,
	    sizeof(missing));
	free(roles);
	if (rc != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	if (*missing != '\0') {
		fprintf(stderr, "minicrm: the dump grants to roles this "
		    "cluster does not have: %s; create them first (make run "
		    "does for an instance of that name); nothing was "
		    "restored\n", missing);
		return 4;
	}
	return 0;
}

/* Is line an entry of pg_restore's list that must be left out? */
static bool
skipped_entry(const char *line, const char **exts, size_t n)
{
	const char	*p;
	size_t		 i, len;

	if (*line == ';')
		return false;
	if (strstr(line, " COMMENT - EXTENSION ") != NULL)
		return true;
	if ((p = strstr(line, " EXTENSION - ")) == NULL)
		return false;
	p += strlen(" EXTENSION - ");
	for (i = 0; i < n; i++) {
		len = strlen(exts[i]);
		if (strncmp(p, exts[i], len) == 0 &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* pg_restore's table of contents, less the skipped entries, into path. */
static int
make_list(struct db *db, const char *url, const char *dump,
    const char *path)
{
	char		 raw[PATH_MAX + 8], line[4096];
	char *const	 argv[] = { "pg_restore", "--list", (char *)dump, NULL };
	const char	**exts = NULL;
	size_t		 n = 0;
	FILE		*in = NULL, *out = NULL;
	int		 rc = -1;

	snprintf(raw, sizeof(raw), "%s.raw", path);
	if (db_restore_extensions(db, &exts, &n) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return -1;
	}
	if (cli_child_run(argv, url, raw, NULL, NULL) != 0) {
		fprintf(stderr, "minicrm: pg_restore cannot read %s\n", dump);
		goto out;
	}
	if ((in = fopen(raw, "r")) == NULL || (out = fopen(path, "w")) == NULL)
		goto out;
	while (fgets(line, sizeof(line), in) != NULL)
		if (!skipped_entry(line, exts, n))
			fputs(line, out);
	rc = ferror(in) || fclose(out) == EOF ? -1 : 0;
	out = NULL;
out:
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	unlink(raw);
	free(exts);
	return rc;
}

static void
restore_tick(void *ctx, double elapsed)
{
	(void)ctx;
	fprintf(stderr, "\r\033[Krestoring: %.0f s …", elapsed);
	fflush(stderr);
}

/* Every table of the manifest has its count: 0, else 5 naming them. */
static int
check_counts(struct db *db, const struct manifest *m)
{
	struct db_table_count	*have = NULL;
	size_t			 n, i, k;
	int			 rc = 0;

	if (db_backup_table_counts(db, &have, &n) != DB_OK) {
		fprintf(stderr, "minicrm: counting the rows: %s\n", db->error);
		return 1;
	}
	for (i = 0; i < m->ntables; i++) {
		for (k = 0; k < n && strcmp(have[k].table,
		    m->tables[i].name) != 0; k++)
			;
		if (k == n || have[k].rows != m->tables[i].rows) {
			fprintf(stderr, "minicrm: table %s has %lld rows, the "
			    "manifest says %lld\n", m->tables[i].name,
			    k == n ? -1LL : have[k].rows, m->tables[i].rows);
			rc = 5;
		}
	}
	free(have);
	return rc;
}

static int
run_restore(struct db *db, const char *url, const char *dump)
{
	char			 list[] = "/tmp/minicrm-restore-XXXXXX";
	char			 listarg[64], dbarg[160], name[128];
	char *const		 argv[] = { "pg_restore", "--no-owner",
	    "--single-transaction", "--exit-on-error", "--no-password",
	    listarg, dbarg, (char *)dump, NULL };
	int			 fd, rc;

	if (db_restore_database(db, name, sizeof(name)) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	if ((fd = mkstemp(list)) == -1) {
		perror("minicrm: a temporary file");
		return 1;
	}
	close(fd);
	snprintf(listarg, sizeof(listarg), "--use-list=%s", list);
	snprintf(dbarg, sizeof(dbarg), "--dbname=%s", name);
	if (make_list(db, url, dump, list) == -1) {
		unlink(list);
		return 1;
	}
	rc = cli_child_run(argv, url, NULL,
	    cli_progress_wanted() ? restore_tick : NULL, NULL);
	if (cli_progress_wanted())
		fprintf(stderr, "\r\033[K");
	unlink(list);
	if (rc != 0) {
		fprintf(stderr, "minicrm: pg_restore failed (exit %d); it ran "
		    "in one transaction: nothing was restored\n", rc);
		return 1;
	}
	return 0;
}

int
cli_restore(int argc, char **argv)
{
	struct manifest	 m;
	struct db	 db;
	char		 dump[PATH_MAX + 32];
	long long	 rows = 0;
	size_t		 i;
	int		 rc;

	if (argc != 2 || argv[1][0] == '-')
		return restore_usage();
	if (manifest_read(argv[1], &m) == -1) {
		fprintf(stderr, "minicrm: nothing was restored\n");
		return 3;
	}
	if ((rc = check_dump(argv[1], &m, dump, sizeof(dump))) != 0) {
		manifest_free(&m);
		return rc;
	}
	if (cli_connect(&db, "DATABASE_URL", NULL) == -1) {
		manifest_free(&m);
		return 1;
	}
	if ((rc = check_target(&db, &m)) == 0 &&
	    (rc = run_restore(&db, config_get("DATABASE_URL"), dump)) == 0) {
		if (db_restore_analyze(&db) != DB_OK)
			fprintf(stderr, "minicrm: warning: ANALYZE failed: %s\n",
			    db.error);
		rc = check_counts(&db, &m);
	}
	if (rc == 0) {
		for (i = 0; i < m.ntables; i++)
			rows += m.tables[i].rows;
		printf("restored %s: database %s (from %s, %s), schema %ld, "
		    "%zu tables, %lld rows, every count as the manifest's\n",
		    argv[1], m.database, m.database, m.time,
		    m.schema_version, m.ntables, rows);
	}
	db_close(&db);
	manifest_free(&m);
	return rc;
}
