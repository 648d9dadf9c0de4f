/*
 * minicrm backup [--output DIR]: the instance's database (DATABASE_URL,
 * the schema owner) dumped by pg_dump in its custom format into DIR
 * (default ./minicrm-backup-<database>-<YYYYMMDDTHHMMSSZ>, created 0700; an
 * existing DIR must be empty): minicrm.dump, manifest.json (schema
 * version, server version, database, time, every table's row count, the
 * dump's size and SHA-256, the roles its GRANTs name) and SHA256SUMS.
 *
 * pg_dump dumps the snapshot the row counts are read in, so the manifest
 * holds the dump's own counts, which `minicrm restore` checks. It runs as
 * a child with the connection in its environment: the password is never
 * on a command line. The manifest is written last: a folder without one
 * is no backup, and restore refuses it.
 *
 * Exit status: 0 done; 1 failed (the database, pg_dump, the folder);
 * 2 usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "cli.h"
#include "cli_child.h"
#include "cli_manifest.h"
#include "config.h"
#include "db_backup.h"

static int
backup_usage(void)
{
	fprintf(stderr, "usage: minicrm backup [--output DIR]\n");
	return 2;
}

/* Make dir (0700), or accept it if it exists and is empty. */
static int
make_folder(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 entries = 0;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST || (d = opendir(dir)) == NULL) {
		fprintf(stderr, "minicrm: cannot make %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			entries++;
	closedir(d);
	if (entries > 0) {
		fprintf(stderr, "minicrm: %s is not empty; name a new folder "
		    "with --output\n", dir);
		return -1;
	}
	return 0;
}

struct dump_progress {
	const char	*path;
};

static void
dump_tick(void *ctx, double elapsed)
{
	struct dump_progress	*p = ctx;
	struct stat		 st;

	if (stat(p->path, &st) == -1)
		st.st_size = 0;
	fprintf(stderr, "\r\033[Kdumping: %.1f MB in %.0f s …",
	    (double)st.st_size / 1e6, elapsed);
	fflush(stderr);
}

/* The manifest's facts, counts and roles, read in the snapshot. */
static int
read_instance(struct db *db, struct manifest *m, char *snapshot,
    size_t snapsz)
{
	struct db_backup_facts	 f;
	struct db_table_count	*counts = NULL;
	const char		**roles = NULL;
	size_t			 n, i;

	if (db_exec_script(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, "
	    "READ ONLY") != DB_OK ||
	    db_backup_snapshot(db, snapshot, snapsz) != DB_OK ||
	    db_backup_facts(db, &f) != DB_OK ||
	    db_backup_table_counts(db, &counts, &n) != DB_OK)
		return -1;
	m->schema_version = f.schema_version;
	snprintf(m->server_version, sizeof(m->server_version), "%s",
	    f.server_version);
	snprintf(m->database, sizeof(m->database), "%s", f.database);
	snprintf(m->time, sizeof(m->time), "%s", f.time);
	m->ntables = n;
	if ((m->tables = calloc(n + 1, sizeof(*m->tables))) == NULL) {
		free(counts);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(m->tables[i].name, sizeof(m->tables[i].name), "%s",
		    counts[i].table);
		m->tables[i].rows = counts[i].rows;
	}
	free(counts);
	if (db_backup_grantees(db, &roles, &n) != DB_OK)
		return -1;
	m->nroles = n;
	if ((m->roles = calloc(n + 1, sizeof(*m->roles))) == NULL) {
		free(roles);
		return -1;
	}
	for (i = 0; i < n; i++)
		snprintf(m->roles[i], sizeof(m->roles[i]), "%s", roles[i]);
	free(roles);
	return 0;
}

/* "2026-11-27T22:39:50Z" as "20261127T223950Z" into out (a folder name
 * without colons, which some tools and file systems take amiss). */
static const char *
compact_time(const char *iso, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *iso != '\0' && n + 1 < outsz; iso++)
		if (*iso != '-' && *iso != ':')
			out[n++] = *iso;
	out[n] = '\0';
	return out;
}

/* Run pg_dump on the snapshot into dir/minicrm.dump. */
static int
run_pg_dump(const char *url, const char *dir, const char *snapshot)
{
	char			 file[PATH_MAX + 64], snap[160];
	struct dump_progress	 p = { file };
	char *const		 argv[] = { "pg_dump", "--format=custom",
	    "--no-password", file, snap, NULL };
	int			 rc;

	snprintf(file, sizeof(file), "--file=%s/%s", dir, MANIFEST_DUMP);
	p.path = file + strlen("--file=");
	snprintf(snap, sizeof(snap), "--snapshot=%s", snapshot);
	rc = cli_child_run(argv, url, NULL,
	    cli_progress_wanted() ? dump_tick : NULL, &p);
	if (cli_progress_wanted())
		fprintf(stderr, "\r\033[K");
	if (rc != 0) {
		fprintf(stderr, "minicrm: pg_dump failed (exit %d); no backup "
		    "was made\n", rc);
		unlink(p.path);
		return -1;
	}
	return 0;
}

int
cli_backup(int argc, char **argv)
{
	struct manifest	 m;
	struct db	 db;
	char		 dir[PATH_MAX], dump[PATH_MAX + 32], snapshot[128];
	char		 stamp[32];
	const char	*output = NULL, *url;
	long long	 rows = 0;
	size_t		 i;
	int		 rc = 1;

	if (argc == 3 && strcmp(argv[1], "--output") == 0)
		output = argv[2];
	else if (argc != 1)
		return backup_usage();
	if (cli_connect(&db, "DATABASE_URL", NULL) == -1)
		return 1;
	url = config_get("DATABASE_URL");
	memset(&m, 0, sizeof(m));
	umask(077);
	if (read_instance(&db, &m, snapshot, sizeof(snapshot)) == -1) {
		fprintf(stderr, "minicrm: cannot read the instance: %s\n",
		    db.error);
		goto out;
	}
	if (output != NULL)
		snprintf(dir, sizeof(dir), "%s", output);
	else
		snprintf(dir, sizeof(dir), "minicrm-backup-%s-%s",
		    m.database, compact_time(m.time, stamp, sizeof(stamp)));
	if (make_folder(dir) == -1 || run_pg_dump(url, dir, snapshot) == -1)
		goto out;
	db_rollback(&db);	/* the snapshot may go now */
	snprintf(dump, sizeof(dump), "%s/%s", dir, MANIFEST_DUMP);
	if (cli_fsync_path(dump) == -1 ||
	    cli_file_sha256(dump, m.dump_sha256, &m.dump_bytes) == -1) {
		perror(dump);
		goto out;
	}
	if (manifest_write(dir, &m) == -1)
		goto out;
	for (i = 0; i < m.ntables; i++)
		rows += m.tables[i].rows;
	printf("backup %s: database %s, schema %ld, %zu tables, %lld rows, "
	    "dump %lld bytes, sha256 %s\n", dir, m.database, m.schema_version,
	    m.ntables, rows, m.dump_bytes, m.dump_sha256);
	rc = 0;
out:
	db_rollback(&db);
	db_close(&db);
	manifest_free(&m);
	return rc;
}
