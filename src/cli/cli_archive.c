/*
 * minicrm archive --before DATE [--output DIR] [--batch N]: the rows of
 * the logs older than DATE (YYYY-MM-DD, midnight UTC, not in the future)
 * moved out of the database into DIR (default: the current folder):
 * lead_activity_log's events (by created_at), email_events, workflow_errors,
 * finished workflow_executions, alert_history, and the retry queue's done
 * and discarded rows with their attempts (db_archive.h). Each
 * table's rows go to <table>-before-<DATE>-<run time>.csv.gz, CSV with a
 * header line, gzip-compressed, beside <file>.sha256 (sha256sum -c reads
 * it).
 *
 * Nothing is deleted before every file is written, fsynced and renamed
 * into place, and only the rows the files hold are ever deleted: the ids
 * are marked in the snapshot the files are written from, then deleted in
 * batches of N (default 5000) by id, each batch its own short transaction,
 * so ingest never waits. Stopped half way (a signal, a crash), the files
 * hold every row deleted and more; a run again archives what is left.
 *
 * minicrm archive import FILE: a file back into its table (named by the
 * file's name), after its checksum and its columns are checked, in one
 * transaction; rows already there are skipped, so importing twice adds
 * nothing.
 *
 * Exit status: 0 done; 1 failed (the database, a file); 2 usage or a bad
 * DATE, N or output folder; 3 (archive) stopped by a signal, the files
 * complete, part of the rows deleted; 4 (import) the file is damaged (its
 * checksum), has no checksum, or is no archive of a known table;
 * 5 (archive) another archive is running (one at a time: a lock in the
 * database, let go when its connection ends).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "cli.h"
#include "cli_child.h"
#include "db_archive.h"
#include "validate.h"

#define BATCH_DEFAULT	5000
#define BATCH_MAX	100000

static int
archive_usage(void)
{
	fprintf(stderr, "usage: minicrm archive --before YYYY-MM-DD "
	    "[--output DIR] [--batch N]\n"
	    "       minicrm archive import FILE\n");
	return 2;
}

/* DATE as a cut-off "YYYY-MM-DDT00:00:00Z" into out: a real calendar date
 * not after today (UTC). -1 with why on stderr. */
static int
parse_cutoff(const char *date, char *out, size_t outsz)
{
	struct tm	 tm, back;
	time_t		 t;
	int		 y, m, d, end = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(date) != 10 || sscanf(date, "%4d-%2d-%2d%n", &y, &m, &d,
	    &end) != 3 || end != 10 || date[4] != '-' || date[7] != '-' ||
	    y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) {
		fprintf(stderr, "minicrm: --before %s: not a date "
		    "(YYYY-MM-DD)\n", date);
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	gmtime_r(&t, &back);
	if (back.tm_mday != d || back.tm_mon != m - 1) {
		fprintf(stderr, "minicrm: --before %s: no such day\n", date);
		return -1;
	}
	if (t > time(NULL)) {
		fprintf(stderr, "minicrm: --before %s: the cut-off is in the "
		    "future\n", date);
		return -1;
	}
	snprintf(out, outsz, "%sT00:00:00Z", date);
	return 0;
}

struct writer {
	gzFile			 gz;
	const char		*table;
	long long		 lines, marked;
	struct timespec		 shown;
	bool			 progress;
};

static void
progress_line(struct timespec *shown, const char *fmt, const char *table,
    long long done, long long total)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - shown->tv_sec) * 1000 +
	    (now.tv_nsec - shown->tv_nsec) / 1000000 < 100)
		return;
	*shown = now;
	fprintf(stderr, fmt, table, done, total);
	fflush(stderr);
}

static int
write_chunk(void *ctx, const char *data, size_t len)
{
	struct writer	*w = ctx;
	const char	*p;

	if (gzwrite(w->gz, data, (unsigned)len) != (int)len)
		return -1;
	for (p = data; (p = memchr(p, '\n', len - (size_t)(p - data))) != NULL;
	    p++)
		w->lines++;
	if (w->progress)
		progress_line(&w->shown, "\r\033[Kwriting %s: %lld of %lld "
		    "rows …", w->table, w->lines > 0 ? w->lines - 1 : 0,
		    w->marked);
	return 0;
}

/* Write text into path.partial, fsync, rename to path. */
static int
write_small_file(const char *path, const char *text)
{
	char	 tmp[PATH_MAX + 32];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	if ((f = fopen(tmp, "w")) == NULL || fputs(text, f) == EOF ||
	    fflush(f) == EOF || fsync(fileno(f)) == -1 || fclose(f) == EOF ||
	    rename(tmp, path) == -1) {
		perror(path);
		return -1;
	}
	return 0;
}

/*
 * The marked rows of set into dir/<file> and its .sha256, both fsynced,
 * with the folder. -1 with why on stderr (the partial file removed).
 */
static int
write_set(struct db *db, enum db_archive_set set, const char *dir,
    const char *file, long long marked)
{
	struct writer	 w;
	char		 path[PATH_MAX], tmp[PATH_MAX + 16], sum[65];
	char		 line[PATH_MAX + 80];
	long long	 rows;
	int		 fd, gzfd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	memset(&w, 0, sizeof(w));
	w.table = db_archive_table(set);
	w.marked = marked;
	w.progress = cli_progress_wanted();
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (gzfd = dup(fd)) == -1 || (w.gz = gzdopen(gzfd, "wb6")) == NULL) {
		fprintf(stderr, "minicrm: cannot write %s: %s\n", tmp,
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	rc = db_archive_copy_out(db, set, write_chunk, &w, &rows);
	if (gzclose(w.gz) != Z_OK && rc == DB_OK) {
		snprintf(db->error, sizeof(db->error), "gzip: the file could "
		    "not be finished");
		rc = DB_ERROR;
	}
	if (rc == DB_OK && fsync(fd) == -1) {
		snprintf(db->error, sizeof(db->error), "fsync: %s",
		    strerror(errno));
		rc = DB_ERROR;
	}
	close(fd);
	if (w.progress)
		fprintf(stderr, "\r\033[K");
	if (rc == DB_OK && rows != marked) {
		snprintf(db->error, sizeof(db->error), "%lld rows written, "
		    "%lld marked", rows, marked);
		rc = DB_ERROR;
	}
	if (rc != DB_OK || rename(tmp, path) == -1 ||
	    cli_file_sha256(path, sum, NULL) == -1) {
		fprintf(stderr, "minicrm: archiving %s into %s failed: %s\n",
		    w.table, path, rc != DB_OK ? db->error : strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(line, sizeof(line), "%s  %s\n", sum, file);
	snprintf(tmp, sizeof(tmp), "%s.sha256", path);
	if (write_small_file(tmp, line) == -1 || cli_fsync_path(dir) == -1)
		return -1;
	return 0;
}

struct plan {
	long long	 marked[DB_ARCHIVE__MAX];
	char		 file[DB_ARCHIVE__MAX][128];
};

/* Mark every set and write its file, in one snapshot. */
static int
write_files(struct db *db, const char *cutoff, const char *date,
    const char *dir, struct plan *p)
{
	char		 stamp[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 s;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (db_exec_script(db, "BEGIN ISOLATION LEVEL REPEATABLE READ") !=
	    DB_OK)
		goto fail;
	for (s = 0; s < DB_ARCHIVE__MAX; s++)
		if (db_archive_mark(db, s, cutoff, &p->marked[s]) != DB_OK)
			goto fail;
	for (s = 0; s < DB_ARCHIVE__MAX; s++) {
		if (p->marked[s] == 0)
			continue;
		snprintf(p->file[s], sizeof(p->file[s]),
		    "%s-before-%s-%s.csv.gz", db_archive_table(s), date, stamp);
		if (write_set(db, s, dir, p->file[s], p->marked[s]) == -1) {
			db_rollback(db);
			return -1;
		}
	}
	if (db_exec_script(db, "COMMIT") != DB_OK)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "minicrm: %s\n", db->error);
	db_rollback(db);
	return -1;
}

/* Delete the marked rows of every set, batch by batch. 0, 1 or 3. */
static int
delete_marked(struct db *db, const char *cutoff, long batch,
    const struct plan *p, long long deleted[])
{
	volatile sig_atomic_t	*stop = cli_stop_on_signals();
	struct timespec		 shown = { 0, 0 };
	long long		 taken, gone, done, last;
	bool			 progress = cli_progress_wanted();
	int			 s;

	for (s = 0; s < DB_ARCHIVE__MAX; s++) {
		for (done = last = 0; p->marked[s] > 0; done += taken) {
			if (*stop) {
				if (progress)
					fprintf(stderr, "\r\033[K");
				return 3;
			}
			if (db_archive_delete_batch(db, s, batch, cutoff,
			    &last, &taken, &gone) != DB_OK) {
				fprintf(stderr, "minicrm: deleting from %s: "
				    "%s\n", db_archive_table(s), db->error);
				return 1;
			}
			deleted[s] += gone;
			if (taken == 0)
				break;
			if (progress)
				progress_line(&shown, "\r\033[Kdeleting %s: "
				    "%lld of %lld rows …", db_archive_table(s),
				    done + taken, p->marked[s]);
		}
	}
	if (progress)
		fprintf(stderr, "\r\033[K");
	return 0;
}

static int
archive_run(int argc, char **argv)
{
	struct plan	 p;
	struct db	 db;
	const char	*date = NULL, *dir = ".";
	char		 cutoff[32];
	long long	 deleted[DB_ARCHIVE__MAX] = { 0 };
	long		 batch = BATCH_DEFAULT;
	bool		 locked;
	int		 a, s, rc;

	for (a = 1; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--before") == 0)
			date = argv[a + 1];
		else if (strcmp(argv[a], "--output") == 0)
			dir = argv[a + 1];
		else if (strcmp(argv[a], "--batch") != 0 ||
		    parse_long(argv[a + 1], 1, BATCH_MAX, &batch) == -1) {
			fprintf(stderr, "minicrm: %s %s: unknown option or "
			    "not a batch size (1 to %d)\n", argv[a],
			    argv[a + 1], BATCH_MAX);
			return 2;
		}
	}
	if (a != argc || date == NULL)
		return archive_usage();
	if (parse_cutoff(date, cutoff, sizeof(cutoff)) == -1)
		return 2;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "minicrm: --output %s: %s\n", dir,
		    strerror(errno));
		return 2;
	}
	if (access(dir, W_OK) == -1) {
		fprintf(stderr, "minicrm: --output %s: not a folder I can "
		    "write to\n", dir);
		return 2;
	}
	if (cli_connect(&db, "DATABASE_URL", NULL) == -1)
		return 1;
	if ((rc = db_archive_lock(&db, &locked)) != DB_OK || !locked) {
		fprintf(stderr, "minicrm: %s; nothing was archived\n",
		    rc != DB_OK ? db.error :
		    "another minicrm archive is running");
		db_close(&db);
		return rc != DB_OK ? 1 : 5;
	}
	memset(&p, 0, sizeof(p));
	umask(077);
	if (write_files(&db, cutoff, date, dir, &p) == -1) {
		db_close(&db);
		fprintf(stderr, "minicrm: nothing was deleted\n");
		return 1;
	}
	rc = delete_marked(&db, cutoff, batch, &p, deleted);
	db_close(&db);
	for (s = 0; s < DB_ARCHIVE__MAX; s++)
		if (db_archive_cascades(s))
			printf("%s: %lld rows before %s archived, deleted with "
			    "their retry rows\n", db_archive_table(s),
			    p.marked[s], date);
		else
			printf("%s: %lld rows before %s archived, %lld "
			    "deleted\n", db_archive_table(s), p.marked[s],
			    date, deleted[s]);
	for (s = 0; s < DB_ARCHIVE__MAX; s++)
		if (p.marked[s] > 0)
			printf("  %s/%s\n", dir, p.file[s]);
	if (rc == 3)
		fprintf(stderr, "minicrm: stopped; the files hold every row "
		    "deleted so far; run again to finish\n");
	return rc;
}

/* Which set a file's name says it holds: "<table>-before-…". */
static int
set_of_file(const char *base, enum db_archive_set *set)
{
	size_t	n;
	int	s;

	for (s = 0; s < DB_ARCHIVE__MAX; s++) {
		n = strlen(db_archive_table(s));
		if (strncmp(base, db_archive_table(s), n) == 0 &&
		    strncmp(base + n, "-before-", 8) == 0) {
			*set = s;
			return 0;
		}
	}
	return -1;
}

/* The file matches the sum its .sha256 records for it. 0, else 4. */
static int
check_sum(const char *path, const char *base)
{
	char	 sums[PATH_MAX + 16], want[65], name[256], have[65];
	FILE	*f;
	int	 n;

	snprintf(sums, sizeof(sums), "%s.sha256", path);
	if ((f = fopen(sums, "r")) == NULL) {
		fprintf(stderr, "minicrm: %s: no checksum file (%s); nothing "
		    "was imported\n", path, sums);
		return 4;
	}
	n = fscanf(f, "%64[0-9a-f]  %255s", want, name);
	fclose(f);
	if (n != 2 || strlen(want) != 64 || strcmp(name, base) != 0) {
		fprintf(stderr, "minicrm: %s does not hold a checksum of %s; "
		    "nothing was imported\n", sums, base);
		return 4;
	}
	if (cli_file_sha256(path, have, NULL) == -1) {
		fprintf(stderr, "minicrm: cannot read %s\n", path);
		return 1;
	}
	if (strcmp(want, have) != 0) {
		fprintf(stderr, "minicrm: %s does not match its checksum: the "
		    "file is damaged; nothing was imported\n", path);
		return 4;
	}
	return 0;
}

struct reader {
	gzFile		 gz;
	const char	*table;
	long long	 size;		/* the file's, compressed */
	struct timespec	 shown;
	bool		 progress;
};

static ssize_t
gz_source(void *ctx, char *buf, size_t size)
{
	struct reader	*r = ctx;
	int		 n = gzread(r->gz, buf, (unsigned)size);

	if (r->progress && r->size > 0)
		progress_line(&r->shown, "\r\033[Kimporting into %s: %lld%% "
		    "of %lld bytes …", r->table,
		    (long long)gzoffset(r->gz) * 100 / r->size, r->size);
	return n < 0 ? -1 : n;
}

/* The file's header line names the table's columns. 0, else 4 (or 1). */
static int
check_header(struct db *db, gzFile gz, enum db_archive_set set,
    const char *path)
{
	char	header[4096], columns[4096];

	if (gzgets(gz, header, sizeof(header)) == NULL) {
		fprintf(stderr, "minicrm: %s: no header line (not a gzip CSV "
		    "file?); nothing was imported\n", path);
		return 4;
	}
	header[strcspn(header, "\r\n")] = '\0';
	if (db_archive_columns(db, set, columns, sizeof(columns)) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	if (strcmp(header, columns) != 0) {
		fprintf(stderr, "minicrm: %s: its columns (%s) are not %s's "
		    "(%s); nothing was imported\n", path, header,
		    db_archive_table(set), columns);
		return 4;
	}
	gzrewind(gz);
	return 0;
}

static int
archive_import(int argc, char **argv)
{
	enum db_archive_set	 set;
	struct reader		 r;
	struct stat		 st;
	struct db		 db;
	const char		*path, *base;
	long long		 rows, added;
	gzFile			 gz;
	int			 rc;

	if (argc != 3)
		return archive_usage();
	path = argv[2];
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (set_of_file(base, &set) == -1) {
		fprintf(stderr, "minicrm: %s: not an archive file (its name "
		    "begins with the table's, as lead_activity_log-before-…); "
		    "nothing was imported\n", path);
		return 4;
	}
	if ((rc = check_sum(path, base)) != 0)
		return rc;
	if ((gz = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "minicrm: cannot read %s\n", path);
		return 1;
	}
	if (cli_connect(&db, "DATABASE_URL", NULL) == -1) {
		gzclose(gz);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.gz = gz;
	r.table = db_archive_table(set);
	r.size = stat(path, &st) == 0 ? (long long)st.st_size : 0;
	r.progress = cli_progress_wanted();
	if ((rc = check_header(&db, gz, set, path)) == 0) {
		rc = db_archive_import(&db, set, gz_source, &r, &rows, &added);
		if (r.progress)
			fprintf(stderr, "\r\033[K");
		if (rc != DB_OK) {
			fprintf(stderr, "minicrm: importing %s: %s; nothing "
			    "was imported\n", path, db.error);
			rc = 1;
		} else
			printf("%s: %lld rows in the file, %lld added to %s, "
			    "%lld already there\n", path, rows, added,
			    db_archive_table(set), rows - added);
	}
	gzclose(gz);
	db_close(&db);
	return rc;
}

int
cli_archive(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return archive_import(argc, argv);
	return archive_run(argc, argv);
}
