/*
 * minicrm deenroll [--client-id=ID] [--dry-run]
 * minicrm deenroll --health-check [--client-id=ID]
 * minicrm deenroll --migrate-stuck [--client-id=ID]
 *
 * The de-enrollment SOP's V2 script (deenroll.h): for every client with
 * campaigns (or ID alone), complete the leads that received every message
 * of their campaign, batch after batch (DE_ENROLLMENT_BATCH_SIZE), for at
 * most DE_ENROLLMENT_MAX_RUNTIME ms, each client a de_enrollment_runs row
 * of its own (triggered_by "cli"). One summary line per client on stdout;
 * on a terminal, progress on stderr. SIGINT or SIGTERM stops after the
 * batch in hand (the run is recorded 'partial').
 *
 *   --dry-run        count each client's stuck leads; change nothing
 *   --health-check   the SOP's health lines from de_enrollment_health
 *   --migrate-stuck  the SOP's one-time migration: every stuck lead, no
 *                    time limit, until none is left; a report
 *
 * Exit status (run, dry run, migration): 0 every client done; 3 some run
 * stopped 'partial' (time up, or a signal), or the migration left stuck
 * leads; 4 some client's run failed (its error is on its row and
 * printed); 5 --client-id names no client; 1 the database failed; 2 usage.
 * --health-check: 0 every client fine; 3 a notice or warning line; 4 an
 * error line ("hasn't run successfully", over 500 stuck leads); 5, 1, 2 as
 * above.
 *
 * It connects as the application's role (MINICRM_APP_DATABASE_URL).
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db_deenroll.h"
#include "deenroll.h"

static int
deenroll_usage(void)
{
	fprintf(stderr, "usage: minicrm deenroll [--client-id=ID] "
	    "[--dry-run | --health-check | --migrate-stuck]\n"
	    "exit: 0 done; 3 partial (or warnings); 4 a client failed (or "
	    "errors); 5 no such client; 1 database; 2 usage\n");
	return 2;
}

/* The progress line on a terminal, at most ten times a second. */
static void
show_progress(void *ctx, const struct deenroll_client *c)
{
	struct timespec	*last = ctx, now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!c->finished && (now.tv_sec - last->tv_sec) * 1000 +
	    (now.tv_nsec - last->tv_nsec) / 1000000 < 100)
		return;
	*last = now;
	fprintf(stderr, "\r\033[K%s: %ld de-enrolled in %ld batches …",
	    c->client_slug, c->de_enrolled, c->batches);
	fflush(stderr);
}

static void
print_client(const struct deenroll_client *c, bool dry_run)
{
	if (dry_run && c->status != DEENROLL_FAILED)
		printf("%s (%s): %ld stuck leads would be de-enrolled (dry "
		    "run)\n", c->client_slug, c->client_id, c->evaluated);
	else if (c->status == DEENROLL_FAILED)
		printf("%s (%s): failed after %ld de-enrolled: %s\n",
		    c->client_slug, c->client_id, c->de_enrolled, c->error);
	else
		printf("%s (%s): %s, %ld de-enrolled in %ld batches, %ld ms%s\n",
		    c->client_slug, c->client_id,
		    deenroll_status_name(c->status), c->de_enrolled,
		    c->batches, c->duration_ms,
		    c->status == DEENROLL_PARTIAL ? " (more left: time up or "
		    "stopped)" : "");
}

/* 5 and a message if the client given does not exist, else 0 (or 1). */
static int
check_client(struct db *db, const char *client_id)
{
	int	 rc;

	if (client_id == NULL)
		return 0;
	if ((rc = deenroll_client_exists(db, client_id)) < 0) {
		fprintf(stderr, "minicrm: %s (%s)\n", db_status_text(rc),
		    db->error);
		return 1;
	}
	if (rc == 0) {
		fprintf(stderr, "minicrm: there is no client %s\n", client_id);
		return 5;
	}
	return 0;
}

static int
health_check(struct db *db, const char *client_id)
{
	struct deenroll_health	 h;
	struct deenroll_problem	 p[DEENROLL_PROBLEMS_MAX];
	long			 stuck = 0, runs = 0;
	double			 weighted = 0;
	size_t			 i, k, n;
	int			 rc;

	if ((rc = deenroll_health_read(db, client_id, &h)) != DB_OK) {
		fprintf(stderr, "minicrm: health not read: %s (%s)\n",
		    db_status_text(rc), db->error);
		deenroll_health_free(&h);
		return 1;
	}
	if (h.level == DEENROLL_OK)
		printf("✅ All clients processed successfully in last 24h\n");
	for (i = 0; i < h.nrows; i++) {
		n = deenroll_health_problems(&h.rows[i], p);
		for (k = 0; k < n; k++)
			printf("%s\n", p[k].text);
		stuck += h.rows[i].stuck_leads;
		if (h.rows[i].has_avg_duration) {
			runs += h.rows[i].runs_24h;
			weighted += (double)h.rows[i].avg_duration_ms_24h *
			    (double)h.rows[i].runs_24h;
		}
	}
	printf("Stuck leads: %ld over %zu client%s (expected: under %d per "
	    "client)\n", stuck, h.nrows, h.nrows == 1 ? "" : "s",
	    DEENROLL_STUCK_NOTICE);
	if (runs > 0)
		printf("Average run: %.1f s over %ld runs in the last 24h "
		    "(expected: under %d min)\n", weighted / (double)runs /
		    1000.0, runs, DEENROLL_AVG_DURATION_MAX_MS / 60000);
	else
		printf("Average run: no runs in the last 24h\n");
	rc = h.level == DEENROLL_ERROR ? 4 : h.level == DEENROLL_OK ? 0 : 3;
	deenroll_health_free(&h);
	return rc;
}

/* Totals of a report; the exit status of a run. */
static int
report_status(const struct deenroll_report *r, bool dry_run)
{
	long	 evaluated = 0;
	size_t	 i;

	for (i = 0; i < r->nclients; i++)
		evaluated += r->clients[i].evaluated;
	if (dry_run)
		printf("deenroll (dry run): %zu clients, %ld stuck leads; "
		    "nothing was changed\n", r->nclients, evaluated);
	else
		printf("deenroll: %zu clients, %ld leads de-enrolled, %zu "
		    "failed, %zu partial\n", r->nclients, r->de_enrolled,
		    r->failed, r->partial);
	return r->failed > 0 ? 4 : r->partial > 0 ? 3 : 0;
}

/* The SOP's migrate-stuck-leads: runs with no time limit until no client
 * has a stuck lead (or a round completes none: leads another run holds,
 * or a failing client), then the report and the SOP's step 3.2 figures. */
static int
migrate_stuck(struct db *db, struct deenroll_options *o)
{
	struct deenroll_report			 before, run, after;
	struct db_deenroll_migration_check	 chk;
	long					 total = 0, left = 0;
	size_t					 i, failed = 0;
	int					 rc, round;

	memset(&before, 0, sizeof(before));
	memset(&run, 0, sizeof(run));
	memset(&after, 0, sizeof(after));
	o->dry_run = true;
	if ((rc = deenroll_run(db, o, &before)) != DB_OK)
		goto dbfail;
	o->dry_run = false;
	o->max_runtime_ms = LONG_MAX;
	o->triggered_by = "cli:migrate-stuck";
	printf("migrate-stuck: %zu clients\n", before.nclients);
	for (round = 1; round <= 10; round++) {
		if ((rc = deenroll_run(db, o, &run)) != DB_OK)
			goto dbfail;
		for (i = 0; i < run.nclients; i++)
			print_client(&run.clients[i], false);
		total += run.de_enrolled;
		failed = run.failed;
		o->dry_run = true;
		rc = deenroll_run(db, o, &after);
		o->dry_run = false;
		if (rc != DB_OK)
			goto dbfail;
		for (left = 0, i = 0; i < after.nclients; i++)
			left += after.clients[i].evaluated;
		if (left == 0 || run.de_enrolled == 0 || *o->stop)
			break;
		deenroll_report_free(&run);
		deenroll_report_free(&after);
	}
	printf("\nmigration report\n%-24s %10s %10s\n", "client",
	    "stuck before", "stuck after");
	for (i = 0; i < before.nclients; i++)
		printf("%-24s %10ld %10ld\n", before.clients[i].client_slug,
		    before.clients[i].evaluated,
		    i < after.nclients ? after.clients[i].evaluated : 0L);
	printf("leads de-enrolled: %ld; stuck leads left: %ld; clients "
	    "failed: %zu\n", total, left, failed);
	if (db_deenroll_migration_check(db, &chk) == DB_OK)
		printf("completed today: %lld; leads with a campaign history: "
		    "%lld (average length %s)\n", chk.completed_today,
		    chk.with_history, chk.avg_history);
	deenroll_report_free(&before);
	deenroll_report_free(&run);
	deenroll_report_free(&after);
	return failed > 0 ? 4 : left > 0 ? 3 : 0;
dbfail:
	fprintf(stderr, "minicrm: %s (%s)\n", db_status_text(rc), db->error);
	deenroll_report_free(&before);
	deenroll_report_free(&run);
	deenroll_report_free(&after);
	return 1;
}

int
cli_deenroll(int argc, char **argv)
{
	struct deenroll_options	 opts;
	struct deenroll_report	 rep;
	struct timespec		 last = { 0, 0 };
	struct db		 db;
	bool			 health = false, migrate = false;
	size_t			 i;
	int			 a, rc;

	memset(&opts, 0, sizeof(opts));
	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "--client-id=", 12) == 0)
			opts.client_id = argv[a] + 12;
		else if (strcmp(argv[a], "--client-id") == 0 && a + 1 < argc)
			opts.client_id = argv[++a];
		else if (strcmp(argv[a], "--dry-run") == 0)
			opts.dry_run = true;
		else if (strcmp(argv[a], "--health-check") == 0)
			health = true;
		else if (strcmp(argv[a], "--migrate-stuck") == 0)
			migrate = true;
		else
			return deenroll_usage();
	}
	if ((int)health + (int)migrate + (int)opts.dry_run > 1)
		return deenroll_usage();

	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	if ((rc = check_client(&db, opts.client_id)) != 0) {
		db_close(&db);
		return rc;
	}
	if (health) {
		rc = health_check(&db, opts.client_id);
		db_close(&db);
		return rc;
	}
	opts.stop = cli_stop_on_signals();
	opts.triggered_by = "cli";
	opts.workers = deenroll_workers();
	if (isatty(STDERR_FILENO)) {
		opts.progress = show_progress;
		opts.progress_ctx = &last;
	}
	if (migrate) {
		rc = migrate_stuck(&db, &opts);
		db_close(&db);
		return rc;
	}
	rc = deenroll_run(&db, &opts, &rep);
	if (opts.progress != NULL && rep.nclients > 0)
		fprintf(stderr, "\r\033[K");
	if (rc != DB_OK) {
		fprintf(stderr, "minicrm: the clients could not be read: %s "
		    "(%s)\n", db_status_text(rc), db.error);
		deenroll_report_free(&rep);
		db_close(&db);
		return 1;
	}
	db_close(&db);
	for (i = 0; i < rep.nclients; i++)
		print_client(&rep.clients[i], opts.dry_run);
	rc = report_status(&rep, opts.dry_run);
	deenroll_report_free(&rep);
	return rc;
}
