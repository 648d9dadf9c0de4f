/*
 * minicrm replay [--limit N] [--id ID] [--dry-run]: log the retry queue's
 * due rows through the API's own ingest (replay.h), now, once. The worker
 * runs the same replay on its schedule; this is the command for cron, a
 * systemd timer, n8n, or an operator after an outage.
 *
 *   --limit N   look at no more than N due rows (oldest first)
 *   --id ID     replay that row now, due or not (pending, dead or refused;
 *               done and discarded rows are never replayed)
 *   --dry-run   report what would happen and change nothing: every batch
 *               is replayed inside a transaction that is rolled back
 *
 * On a terminal a progress line ("replayed 120/200 …") is updated in place
 * on stderr; a summary line is always printed on stdout. SIGINT or
 * SIGTERM stops after the row in hand; what was done so far is committed.
 *
 * Exit status: 0 every row taken was logged or found already logged (or
 * none was due); 3 some rows failed again or went dead (their errors are
 * on the admin page); 4 --id names no row that can be replayed; 1 the
 * database failed (the batch in hand was rolled back, its rows stay due);
 * 2 usage.
 *
 * It connects as the application's role (MINICRM_APP_DATABASE_URL), not
 * the owner: the replay needs to read the queue, update a row's progress
 * columns, append to the error history and call log_activity_batch, all
 * of which minicrm_app (the instance's <prefix>_app: the migrations'
 * grants are renamed per instance, cli_migrate.c) may do (0001, 0004) —
 * and nothing more is needed, so nothing more is used.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "validate.h"

static int
replay_usage(void)
{
	fprintf(stderr, "usage: minicrm replay [--limit N] [--id ID] "
	    "[--dry-run]\n");
	return 2;
}

/* The progress line on a terminal, at most ten times a second. */
struct progress {
	struct timespec	last;
	bool		shown;
};

static void
show_progress(void *ctx, long done, long total)
{
	struct progress	*p = ctx;
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && p->shown && (now.tv_sec - p->last.tv_sec) * 1000 +
	    (now.tv_nsec - p->last.tv_nsec) / 1000000 < 100)
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\rreplayed %ld/%ld …", done, total);
	fflush(stderr);
}

int
cli_replay(int argc, char **argv)
{
	struct replay_options	 opts;
	struct replay_result	 r;
	struct progress		 progress;
	struct db		 db;
	long			 n;
	int			 i, rc;

	memset(&opts, 0, sizeof(opts));
	memset(&progress, 0, sizeof(progress));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 100000000, &opts.limit) ==
			    -1)
				return replay_usage();
		} else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 0x7fffffffffffffffL, &n) ==
			    -1)
				return replay_usage();
			opts.id = argv[i];
		} else if (strcmp(argv[i], "--dry-run") == 0)
			opts.dry_run = true;
		else
			return replay_usage();
	}

	opts.stop = cli_stop_on_signals();
	if (isatty(STDERR_FILENO)) {
		opts.progress = show_progress;
		opts.progress_ctx = &progress;
	}

	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	rc = replay_run(&db, &opts, &r);
	db_close(&db);
	if (progress.shown)
		fprintf(stderr, "\n");
	if (rc != DB_OK)
		fprintf(stderr, "minicrm: replay stopped: %s (the rows in hand "
		    "were rolled back and stay due)\n", db_status_text(rc));
	printf("replay%s: taken %ld, logged %ld, duplicates %ld, failed %ld, "
	    "dead %ld%s%s\n", opts.dry_run ? " (dry run)" : "", r.taken,
	    r.logged, r.duplicates, r.failed, r.dead,
	    opts.dry_run ? "; nothing was changed" : "",
	    *opts.stop ? "; stopped early" : "");
	if (rc != DB_OK)
		return 1;
	if (opts.id != NULL && r.taken == 0) {
		fprintf(stderr, "minicrm: retry-queue row %s does not exist or "
		    "is done or discarded\n", opts.id);
		return 4;
	}
	return r.failed + r.dead > 0 ? 3 : 0;
}
