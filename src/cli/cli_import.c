/*
 * minicrm import airtable --table leads|sms_audit|retry_queue FILE.csv
 *     [--dry-run] [--report FILE] [--client SLUG] [--timezone ZONE]
 *     [--date-order mdy|dmy] [--chunk N] [--workers N]
 * minicrm import compare --airtable FILE.csv [--table sms_audit] [--csv]
 *     [--client SLUG] [--timezone ZONE] [--date-order mdy|dmy]
 *
 * The hub's week-4 cutover (docs/airtable-cutover.md). `import airtable`
 * reads an Airtable CSV export, checks every row as our API checks the
 * same data (airtable.h), COPYs the rows that pass into a staging table
 * and moves them into ours with one INSERT … SELECT … ON CONFLICT DO
 * NOTHING per chunk (db_import.h; --workers connections apply chunks at
 * once while this thread reads on), each chunk its own transaction: an
 * import run again adds nothing, and one stopped half way (kill -9, a lost
 * connection) is completed by running it again. A refused row is reported
 * (row, line, record id, column, reason) on stderr or as CSV in --report
 * FILE, and the rest are imported. --dry-run does all of it in one
 * transaction that is rolled back: the same report and counts, nothing
 * written. On a terminal, a progress bar on stderr.
 *
 * `import compare` counts an SMS_Audit export's rows per day and event type
 * beside our events of the same days and types: the parallel run's daily
 * check.
 *
 * Exit status: 0 every row imported or already there (compare: every count
 * equal); 3 some rows refused (compare: some count differs); 4 the file
 * cannot be used (no such file, not an export of that table: a required
 * column is missing); 5 stopped by SIGINT or SIGTERM (the chunks done are
 * committed: run it again); 1 the database failed; 2 usage.
 *
 * It connects as the application's role (MINICRM_APP_DATABASE_URL).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "airtable.h"
#include "cli.h"
#include "cli_import.h"
#include "csv.h"
#include "db_import.h"
#include "db_workers.h"
#include "hash.h"

#define USAGE_AIRTABLE \
	"usage: minicrm import airtable --table leads|sms_audit|retry_queue " \
	"FILE.csv [--dry-run]\n" \
	"         [--report FILE] [--client SLUG] [--timezone ZONE] " \
	"[--date-order mdy|dmy] [--chunk N]\n" \
	"         [--workers N]\n" \
	"       minicrm import compare --airtable FILE.csv [--table sms_audit] " \
	"[--csv]\n" \
	"         [--client SLUG] [--timezone ZONE] [--date-order mdy|dmy]\n" \
	"exit: 0 done (compare: equal); 3 rows refused (compare: counts " \
	"differ); 4 file unusable;\n" \
	"      5 stopped by a signal (run again to complete); 1 database; " \
	"2 usage\n"

static int
import_usage(void)
{
	fputs(USAGE_AIRTABLE, stderr);
	return 2;
}

/* TZ for the dates without an offset; refuses a zone the system does
 * not have (glibc would silently take it as UTC). */
static int
set_timezone(const char *tz)
{
	char		 path[512];
	struct stat	 st;

	if (strcmp(tz, "UTC") != 0) {
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
		if (tz[0] == '/' || strstr(tz, "..") != NULL ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "minicrm: %s is not a time zone (such "
			    "as UTC or America/New_York)\n", tz);
			return -1;
		}
	}
	setenv("TZ", tz, 1);
	tzset();
	return 0;
}

static int
parse_options(int argc, char **argv, bool compare, struct import_options *o)
{
	int	 a;

	memset(o, 0, sizeof(*o));
	o->table = compare ? AIRTABLE_SMS_AUDIT : -1;
	o->tz = "UTC";
	o->chunk = 50000;
	o->workers = 2;
	for (a = 2; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ?
		    argv[a + 1] : NULL;

		if (strcmp(arg, "--dry-run") == 0 && !compare) {
			o->dry_run = true;
			continue;
		}
		if (strcmp(arg, "--csv") == 0 && compare) {
			o->csv = true;
			continue;
		}
		if (val == NULL || strncmp(arg, "--", 2) != 0) {
			if (compare || o->file != NULL || arg[0] == '-')
				return -1;
			o->file = arg;
			continue;
		} else if (strcmp(arg, "--table") == 0) {
			if ((o->table = airtable_table_parse(val)) == -1 ||
			    (compare && o->table != AIRTABLE_SMS_AUDIT))
				return -1;
		} else if (strcmp(arg, "--airtable") == 0 && compare)
			o->file = val;
		else if (strcmp(arg, "--report") == 0 && !compare)
			o->report = val;
		else if (strcmp(arg, "--client") == 0)
			o->client = val;
		else if (strcmp(arg, "--timezone") == 0)
			o->tz = val;
		else if (strcmp(arg, "--date-order") == 0) {
			if (strcmp(val, "mdy") == 0)
				o->order = AIRTABLE_MDY;
			else if (strcmp(val, "dmy") == 0)
				o->order = AIRTABLE_DMY;
			else
				return -1;
		} else if ((strcmp(arg, "--chunk") == 0 ||
		    strcmp(arg, "--workers") == 0) && !compare) {
			char	*end;
			long	 n, max = arg[2] == 'c' ? 10000000 :
			    DB_WORKERS_MAX;

			errno = 0;
			n = strtol(val, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > max)
				return -1;
			*(arg[2] == 'c' ? &o->chunk : &o->workers) = n;
		} else
			return -1;
		a++;
	}
	return o->file != NULL && o->table != -1 ? 0 : -1;
}

int
import_open_export(const struct import_options *o, struct db *catdb, FILE **f,
    struct airtable_csv *csv, struct airtable_mapper *m)
{
	char	 why[256];
	int	 rc;

	if ((*f = fopen(o->file, "rb")) == NULL) {
		fprintf(stderr, "minicrm: %s: %s\n", o->file, strerror(errno));
		return 4;
	}
	airtable_csv_open(csv, *f);
	if ((rc = airtable_csv_next(csv)) != 1) {
		fprintf(stderr, "minicrm: %s: %s\n", o->file, rc == 0 ?
		    "the file is empty (no header row)" : strerror(errno));
		return 4;
	}
	if (airtable_mapper_init(m, (enum airtable_table)o->table, csv, catdb,
	    why, sizeof(why)) == -1) {
		fprintf(stderr, "minicrm: %s: not an Airtable %s export: %s\n",
		    o->file, airtable_table_name((enum airtable_table)o->table),
		    why);
		return 4;
	}
	m->order = o->order;
	m->utc = strcmp(o->tz, "UTC") == 0;
	m->client = o->client;
	if (m->ignored[0] != '\0')
		fprintf(stderr, "minicrm: %s: not imported (no field of ours): "
		    "%s\n", o->file, m->ignored);
	return 0;
}

/* ---- import airtable ---- */

/* A chunk of mapped rows, as COPY text, on its way to an applier. */
struct chunk {
	struct buf	 data;
	long		 rows;
	bool		 names;		/* a lead by name: resolve in the db */
};

struct run;

/* One applier: its connection, the chunk the reader fills for it and the
 * one handed over. */
struct lane {
	struct run	*r;
	struct db	 own, *db;	/* lane 0: the run's; others: own */
	struct chunk	*filling;	/* the reader's */
	struct chunk	*pending;	/* handed over, not yet taken */
	pthread_t	 thread;
	bool		 started;
};

/*
 * One run. The reader (this thread) maps rows into chunks, one chunk
 * filling per lane; each lane's applier (a thread with its own connection,
 * --workers of them) COPYs, applies and commits its chunks while the
 * reader goes on. A row goes to the lane of its lead (the record, for
 * leads and the queue): two appliers never lock the same lead at once —
 * shared row locks of two transactions on one row cost a MultiXact each.
 * lock guards the lanes' hand-over, the counts, the error and the report
 * (both sides refuse rows).
 */
struct run {
	const struct import_options	*o;
	struct db		 db, catdb;
	struct airtable_mapper	 m;
	struct airtable_csv	 csv;
	FILE			*f, *report;
	struct buf		 line;
	long			 rows, refused, last_refused, applied;
	long			 file_size;
	struct db_import_counts	 counts;
	struct timeval		 start, shown;
	bool			 tty;
	volatile sig_atomic_t	*stop;

	pthread_mutex_t		 lock;
	pthread_cond_t		 changed;
	struct lane		 lanes[DB_WORKERS_MAX];
	long			 nlanes;
	struct buf		 row;		/* one row's COPY line */
	bool			 reading_done;	/* no more chunks will come */
	int			 rc;		/* the first failure, or DB_OK */
	char			 error[256];
	long			 stopped_at;	/* rows read when it stopped */
};

static void
progress(struct run *r, bool done)
{
	struct timeval	 now;
	double		 secs, frac;
	long		 refused;
	int		 i, bar;

	if (!r->tty)
		return;
	gettimeofday(&now, NULL);
	if (!done && (now.tv_sec - r->shown.tv_sec) * 1000 +
	    (now.tv_usec - r->shown.tv_usec) / 1000 < 100)
		return;
	r->shown = now;
	secs = (double)(now.tv_sec - r->start.tv_sec) +
	    (double)(now.tv_usec - r->start.tv_usec) / 1e6;
	frac = r->file_size > 0 ? (double)r->csv.bytes /
	    (double)r->file_size : 0;
	bar = (int)(frac * 30);
	fprintf(stderr, "\r\033[K[");
	for (i = 0; i < 30; i++)
		fputc(i < bar ? '#' : '.', stderr);
	pthread_mutex_lock(&r->lock);
	refused = r->refused;
	pthread_mutex_unlock(&r->lock);
	fprintf(stderr, "] %3d%% %ld rows, %ld refused, %.0f rows/s",
	    (int)(frac * 100), r->rows, refused,
	    secs > 0 ? (double)r->rows / secs : 0.0);
	if (done)
		fputc('\n', stderr);
	fflush(stderr);
}

/* A refused row, to --report or stderr; the caller holds the lock. */
static void
report_locked(struct run *r, const struct airtable_refusal *x)
{
	if (x->row != r->last_refused) {
		r->refused++;
		r->last_refused = x->row;
	}
	if (r->report != NULL) {
		buf_reset(&r->line);
		buf_printf(&r->line, "%ld,", x->row);
		if (x->line > 0)
			buf_printf(&r->line, "%ld", x->line);
		csv_cell(&r->line, x->record_id, false);
		csv_cell(&r->line, x->column, false);
		csv_cell(&r->line, x->reason, false);
		csv_end_row(&r->line);
		fwrite(r->line.data, 1, r->line.len, r->report);
		return;
	}
	if (r->tty)
		fprintf(stderr, "\r\033[K");
	if (x->line > 0)
		fprintf(stderr, "row %ld (line %ld%s%s): %s: %s\n", x->row,
		    x->line, x->record_id[0] ? ", " : "", x->record_id,
		    x->column, x->reason);
	else
		fprintf(stderr, "row %ld (%s): %s: %s\n", x->row, x->record_id,
		    x->column, x->reason);
}

static void
report_refusal(void *ctx, const struct airtable_refusal *x)
{
	struct run	*r = ctx;

	pthread_mutex_lock(&r->lock);
	report_locked(r, x);
	pthread_mutex_unlock(&r->lock);
}

static void
report_unresolved(void *ctx, long row, const char *record_id,
    const char *name, long long matches)
{
	struct airtable_refusal	 x;

	memset(&x, 0, sizeof(x));
	x.row = row;
	snprintf(x.record_id, sizeof(x.record_id), "%s", record_id);
	snprintf(x.column, sizeof(x.column), "Lead");
	snprintf(x.reason, sizeof(x.reason), matches == 0 ? "\"%s\" names no "
	    "lead imported from Airtable's leads export (import leads first, "
	    "or export a Lead Record ID column)" : "\"%s\" names %lld leads: "
	    "export a Lead Record ID column to tell them apart", name,
	    matches);
	report_refusal(ctx, &x);
}

/* The first failure stops everyone; the caller holds the lock. */
static void
fail_locked(struct run *r, int rc, const char *why)
{
	if (r->rc == DB_OK) {
		r->rc = rc;
		snprintf(r->error, sizeof(r->error), "%s", why);
	}
	pthread_cond_broadcast(&r->changed);
}

/* COPY a chunk into this connection's staging table and move it into our
 * tables, in a transaction of its own (a dry run's one open transaction
 * instead). A deadlock with the other applier is retried. */
static int
apply_chunk(struct run *r, struct db *db, struct chunk *c)
{
	struct db_import_counts	 n;
	int			 rc = DB_OK, attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		memset(&n, 0, sizeof(n));
		if (!r->o->dry_run && (rc = db_begin(db)) != DB_OK)
			return rc;
		if ((rc = db_import_copy_begin(db,
		    (enum db_import_table)r->o->table)) == DB_OK &&
		    (rc = db_import_copy_put(db, c->data.data, c->data.len)) ==
		    DB_OK && (rc = db_import_copy_end(db)) == DB_OK &&
		    (rc = db_import_apply(db, (enum db_import_table)r->o->table,
		    c->names, &n, report_unresolved, r)) == DB_OK &&
		    (r->o->dry_run || (rc = db_commit(db)) == DB_OK))
			break;
		if (!r->o->dry_run)
			db_rollback(db);
		if (rc != DB_RETRY || r->o->dry_run)
			return rc;
	}
	if (rc != DB_OK)
		return rc;
	pthread_mutex_lock(&r->lock);
	r->counts.added += n.added;
	r->counts.filled += n.filled;
	r->counts.leads_created += n.leads_created;
	r->applied += c->rows;
	pthread_mutex_unlock(&r->lock);
	return DB_OK;
}

static void
free_chunk(struct chunk *c)
{
	if (c != NULL) {
		buf_free(&c->data);
		free(c);
	}
}

/* A lane's applier thread: its chunks until the reader is done, or
 * something failed. */
static void *
applier(void *arg)
{
	struct lane	*l = arg;
	struct run	*r = l->r;
	struct chunk	*c;
	int		 rc;

	if ((rc = db_import_stage(l->db, (enum db_import_table)r->o->table)) !=
	    DB_OK) {
		pthread_mutex_lock(&r->lock);
		fail_locked(r, rc, l->db->error);
		pthread_mutex_unlock(&r->lock);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (l->pending == NULL && !r->reading_done &&
		    r->rc == DB_OK)
			pthread_cond_wait(&r->changed, &r->lock);
		if (l->pending == NULL || r->rc != DB_OK) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		c = l->pending;
		pthread_mutex_unlock(&r->lock);
		rc = apply_chunk(r, l->db, c);
		pthread_mutex_lock(&r->lock);
		l->pending = NULL;
		if (rc != DB_OK)
			fail_locked(r, rc, l->db->error);
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
		free_chunk(c);
		if (rc != DB_OK)
			return NULL;
	}
}

/* Hand the lane's filling chunk to its applier, waiting while it still
 * has the last one. false if something failed meanwhile. */
static bool
hand_over(struct run *r, struct lane *l)
{
	bool	 ok;

	pthread_mutex_lock(&r->lock);
	while (l->pending != NULL && r->rc == DB_OK)
		pthread_cond_wait(&r->changed, &r->lock);
	if ((ok = r->rc == DB_OK)) {
		l->pending = l->filling;
		l->filling = NULL;
	}
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static void
reader_fail(struct run *r, int rc, const char *why)
{
	pthread_mutex_lock(&r->lock);
	fail_locked(r, rc, why);
	pthread_mutex_unlock(&r->lock);
}

/* The lane of a lead: the same lead always in the same lane. */
static long
lane_of(const struct run *r, const char *key)
{
	return (long)(hash_fnv1a(key) % (uint32_t)r->nlanes);
}

/* Map one row into its lane's chunk; false when the run must stop. */
static bool
read_row(struct run *r)
{
	struct lane	*l;
	int		 rc;

	r->rows++;
	buf_reset(&r->row);
	rc = airtable_map_row(&r->m, &r->csv, r->rows, &r->row,
	    report_refusal, r);
	if (rc == -1) {
		reader_fail(r, r->m.db_rc, r->catdb.error);
		return false;
	}
	if (rc == 0)
		return true;
	l = &r->lanes[lane_of(r, r->m.lane_key)];
	if (l->filling == NULL &&
	    (l->filling = calloc(1, sizeof(*l->filling))) == NULL) {
		reader_fail(r, DB_ERROR, "out of memory");
		return false;
	}
	buf_append(&l->filling->data, r->row.data, r->row.len);
	l->filling->rows++;
	l->filling->names |= r->m.lead_by_name;
	if (buf_failed(&l->filling->data) || buf_failed(&r->row)) {
		reader_fail(r, DB_ERROR, "out of memory");
		return false;
	}
	if (l->filling->rows >= r->o->chunk) {
		if (!hand_over(r, l))
			return false;
		if (*r->stop) {
			r->stopped_at = r->rows;
			return false;
		}
	}
	return true;
}

/* Every row of the export, then what is left in each lane. */
static void
read_all(struct run *r)
{
	char	 why[256];
	long	 i;
	int	 got;

	while ((got = airtable_csv_next(&r->csv)) == 1) {
		if (!read_row(r))
			break;
		progress(r, false);
	}
	if (got == -1) {
		snprintf(why, sizeof(why), "%s: read error at line %ld",
		    r->o->file, r->csv.line);
		reader_fail(r, DB_ERROR, why);
	}
	for (i = 0; i < r->nlanes && got == 0; i++)
		if (r->lanes[i].filling != NULL && !hand_over(r, &r->lanes[i]))
			break;
	pthread_mutex_lock(&r->lock);
	r->reading_done = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

static void
summary(struct run *r)
{
	static const char *const what[] = { "leads", "events",
	    "retry queue rows" };
	long long	 valid = r->rows - r->refused;

	printf("%s: %ld rows read, %lld %s added, %lld already there",
	    airtable_table_name((enum airtable_table)r->o->table), r->rows,
	    r->counts.added, what[r->o->table], valid - r->counts.added -
	    r->counts.filled);
	if (r->o->table == AIRTABLE_LEADS)
		printf(", %lld existing leads completed", r->counts.filled);
	if (r->o->table == AIRTABLE_SMS_AUDIT)
		printf(", %lld new leads", r->counts.leads_created);
	printf(", %ld refused%s\n", r->refused, r->o->dry_run ?
	    " (dry run: nothing was written)" : "");
}

/* Read and apply the whole export: the appliers' threads beside this
 * one, the reader. A db_status (r->error says why). */
static int
run_import(struct run *r)
{
	struct lane	*l;
	long		 i;
	int		 rc;

	r->nlanes = r->o->dry_run ? 1 : r->o->workers;
	if (r->o->dry_run && (rc = db_begin(&r->db)) != DB_OK) {
		snprintf(r->error, sizeof(r->error), "%s", r->db.error);
		return rc;
	}
	for (i = 0; i < r->nlanes; i++) {
		l = &r->lanes[i];
		l->r = r;
		l->db = i == 0 ? &r->db : &l->own;
		if (i > 0 && cli_connect(&l->own, "MINICRM_APP_DATABASE_URL",
		    "DATABASE_URL") == -1) {
			reader_fail(r, DB_UNAVAILABLE, "a worker's connection");
			break;
		}
		if (pthread_create(&l->thread, NULL, applier, l) != 0) {
			reader_fail(r, DB_ERROR, "no thread for a worker");
			break;
		}
		l->started = true;
	}
	if (r->rc == DB_OK)
		read_all(r);
	else {
		pthread_mutex_lock(&r->lock);
		r->reading_done = true;
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
	}
	for (i = 0; i < r->nlanes; i++) {
		l = &r->lanes[i];
		if (l->started)
			pthread_join(l->thread, NULL);
		free_chunk(l->filling);
		free_chunk(l->pending);
		if (i > 0)
			db_close(&l->own);
	}
	if (r->o->dry_run)
		db_rollback(&r->db);
	return r->rc;
}

static int
import_airtable(const struct import_options *o)
{
	struct run	 r;
	struct stat	 st;
	int		 rc, status;

	memset(&r, 0, sizeof(r));
	r.o = o;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.changed, NULL);
	if (cli_connect(&r.db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") ==
	    -1)
		return 1;
	if (cli_connect(&r.catdb, "MINICRM_APP_DATABASE_URL",
	    "DATABASE_URL") == -1) {
		db_close(&r.db);
		return 1;
	}
	if ((status = import_open_export(o, &r.catdb, &r.f, &r.csv, &r.m)) != 0)
		goto out;
	if (o->report != NULL) {
		if ((r.report = fopen(o->report, "w")) == NULL) {
			fprintf(stderr, "minicrm: %s: %s\n", o->report,
			    strerror(errno));
			status = 4;
			goto out;
		}
		fputs("row,line,record_id,column,reason\r\n", r.report);
	}
	r.tty = isatty(STDERR_FILENO);
	r.file_size = fstat(fileno(r.f), &st) == 0 ? (long)st.st_size : 0;
	r.stop = cli_stop_on_signals();
	r.m.now_usec = (int64_t)time(NULL) * 1000000;
	gettimeofday(&r.start, NULL);
	rc = run_import(&r);
	progress(&r, true);
	if (rc != DB_OK) {
		fprintf(stderr, "minicrm: import stopped after %ld rows read: "
		    "%s (%s)%s\n", r.rows, db_status_text(rc), r.error,
		    o->dry_run ? "" : "; the chunks committed stay imported: "
		    "run it again to complete it");
		status = 1;
		goto out;
	}
	summary(&r);
	if (r.stopped_at > 0) {
		fprintf(stderr, "minicrm: stopped after row %ld; run the same "
		    "command again to complete the import\n", r.stopped_at);
		status = 5;
	} else
		status = r.refused > 0 ? 3 : 0;
out:
	if (r.report != NULL && fclose(r.report) != 0 && status == 0) {
		fprintf(stderr, "minicrm: %s: %s\n", o->report,
		    strerror(errno));
		status = 4;
	}
	if (r.f != NULL)
		fclose(r.f);
	airtable_csv_close(&r.csv);
	airtable_mapper_free(&r.m);
	buf_free(&r.line);
	buf_free(&r.row);
	db_close(&r.db);
	db_close(&r.catdb);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.changed);
	return status;
}

int
cli_import(int argc, char **argv)
{
	struct import_options	 o;
	bool		 compare;

	if (argc < 2 || (strcmp(argv[1], "airtable") != 0 &&
	    strcmp(argv[1], "compare") != 0))
		return import_usage();
	compare = strcmp(argv[1], "compare") == 0;
	if (parse_options(argc, argv, compare, &o) == -1)
		return import_usage();
	if (set_timezone(o.tz) == -1)
		return 2;
	return compare ? import_compare(&o) : import_airtable(&o);
}
