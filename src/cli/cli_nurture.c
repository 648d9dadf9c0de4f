/*
 * minicrm nurture enroll --campaign ID (--lead ID ... | --leads-file FILE |
 *     --all-active-leads) [--start ISO]
 * minicrm nurture schedule
 * minicrm nurture analytics [--date YYYY-MM-DD]
 *
 * enroll: leads into a nurture campaign (nurture_intake.h), the first step
 * due --start (default now) plus its delay; the leads by id (--lead, which
 * may repeat), from a file of one lead id a line (blank lines and lines
 * starting with # skipped; every line is checked before anything is
 * written), or every active lead of the campaign's client (leads.is_active,
 * not opted out, with an e-mail). Leads go in in chunks of 10,000, each
 * its own statement and its own "Lead Nurture - Enrollment" run: a failure
 * midway keeps the chunks before it, and running the command again is
 * safe (a lead already in the campaign is left as it is). Prints the
 * counts; on a terminal, progress on stderr.
 *
 * schedule: one run of the scheduler now (as `minicrm job run
 * nurture-scheduler`, but without the job's lock: two at once split the
 * due enrolments). analytics: the daily rollup of yesterday and today, or
 * of --date.
 *
 * Exit status: 0 done; 3 (schedule) time up, stopped or the scheduler is
 * paused; 4 (enroll) the campaign is archived or has no steps; 5 (enroll)
 * no such campaign; 1 the database failed; 2 usage or bad input (a line
 * of the file that is no lead id, a bad --start or --date).
 *
 * It connects as the application's role (MINICRM_APP_DATABASE_URL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db_nurture.h"
#include "db_nurture_schedule.h"
#include "lead_filters.h"
#include "nurture.h"
#include "nurture_analytics.h"
#include "nurture_intake.h"
#include "nurture_schedule.h"
#include "validate.h"

static int
nurture_usage(void)
{
	fprintf(stderr, "usage: minicrm nurture enroll --campaign ID (--lead ID "
	    "... | --leads-file FILE | --all-active-leads) [--start ISO]\n"
	    "       minicrm nurture schedule\n"
	    "       minicrm nurture analytics [--date YYYY-MM-DD]\n"
	    "exit: 0 done; 3 schedule partial or paused; 4 campaign archived "
	    "or without steps; 5 no such campaign; 1 database; 2 usage or bad "
	    "input\n");
	return 2;
}

/* The ids being gathered: a growing array of uuid strings. */
struct idlist {
	char	(*ids)[37];
	size_t	  n, cap;
};

static int
idlist_add(struct idlist *l, const char *id)
{
	void	*p;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		if ((p = realloc(l->ids, l->cap * sizeof(*l->ids))) == NULL) {
			fprintf(stderr, "minicrm: out of memory\n");
			return -1;
		}
		l->ids = p;
	}
	snprintf(l->ids[l->n++], 37, "%s", id);
	return 0;
}

/* Read FILE's ids into l, checking every line first. 0, or 2 (a bad
 * line, named) or 1 (unreadable). */
static int
read_leads_file(const char *path, struct idlist *l)
{
	FILE	*f;
	char	 line[512], *s, *e;
	long	 lineno = 0;

	if ((f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == '\n' ||
		    e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (!lead_uuid_valid(s)) {
			fprintf(stderr, "minicrm: %s line %ld is not a lead id "
			    "(a uuid): nothing was enrolled\n", path, lineno);
			if (f != stdin)
				fclose(f);
			return 2;
		}
		if (idlist_add(l, s) != 0) {
			if (f != stdin)
				fclose(f);
			return 1;
		}
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/* Every active lead of the client into l. 0, or 1. */
static int
read_client_leads(struct db *db, const char *client_id, struct idlist *l)
{
	struct db_nurture_lead_id	*rows;
	char				 after[37] = "";
	size_t				 i, n;
	int				 rc;

	do {
		if ((rc = db_nurture_client_leads(db, client_id,
		    after[0] != '\0' ? after : NULL, 10000, &rows, &n)) !=
		    DB_OK) {
			fprintf(stderr, "minicrm: %s (%s)\n",
			    db_status_text(rc), db->error);
			return 1;
		}
		for (i = 0; i < n; i++)
			if (idlist_add(l, rows[i].id) != 0) {
				free(rows);
				return 1;
			}
		if (n > 0)
			snprintf(after, sizeof(after), "%s", rows[n - 1].id);
		free(rows);
	} while (n == 10000);
	return 0;
}

/* Enrol l's ids chunk by chunk. The exit status. */
static int
enroll_chunks(struct db *db, const char *campaign, const char *start,
    const struct idlist *l)
{
	struct nurture_enroll_request	 req;
	struct nurture_intake_result	 r;
	long				 enrolled = 0, already = 0, refused = 0;
	size_t				 done = 0, k, i;
	int				 tty = isatty(STDERR_FILENO);

	memset(&req, 0, sizeof(req));
	snprintf(req.campaign_id, sizeof(req.campaign_id), "%s", campaign);
	if (start != NULL)
		snprintf(req.start_at, sizeof(req.start_at), "%s", start);
	if ((req.ids = calloc(NURTURE_ENROLL_MAX, sizeof(*req.ids))) == NULL)
		return 1;
	while (done < l->n) {
		k = l->n - done < NURTURE_ENROLL_MAX ? l->n - done :
		    NURTURE_ENROLL_MAX;
		for (i = 0; i < k; i++)
			req.ids[i] = l->ids[done + i];
		req.n = k;
		nurture_intake_enroll(db, &req, NULL, "cli", &r);
		if (r.status != NURTURE_INTAKE_OK)
			break;
		done += k;
		enrolled += r.enrolled;
		already += r.already;
		refused += r.refused;
		if (tty) {
			fprintf(stderr, "\r\033[K%zu of %zu leads: %ld enrolled "
			    "…", done, l->n, enrolled);
			fflush(stderr);
		}
	}
	if (tty && done > 0)
		fprintf(stderr, "\r\033[K");
	free(req.ids);
	printf("nurture enroll: %ld enrolled, %ld already in the campaign, %ld "
	    "refused (of %zu ids)\n", enrolled, already, refused, done);
	switch (done == l->n ? NURTURE_INTAKE_OK : r.status) {
	case NURTURE_INTAKE_OK:
		return 0;
	case NURTURE_INTAKE_NO_CAMPAIGN:
		fprintf(stderr, "minicrm: there is no campaign %s\n", campaign);
		return 5;
	case NURTURE_INTAKE_CLOSED:
		fprintf(stderr, "minicrm: %s\n", r.error);
		return 4;
	case NURTURE_INTAKE_BAD_INPUT:
		fprintf(stderr, "minicrm: %s\n", r.error);
		return 2;
	default:
		fprintf(stderr, "minicrm: stopped after %zu of %zu ids: %s\n",
		    done, l->n, r.error);
		return 1;
	}
}

static int
enroll(int argc, char **argv)
{
	struct db_nurture_campaign_state	 state;
	struct idlist				 l = { NULL, 0, 0 };
	const char				*campaign = NULL, *file = NULL;
	const char				*start = NULL;
	bool					 all = false;
	int64_t					 usec;
	int					 a, rc, sources;
	struct db				 db;

	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--campaign") == 0 && a + 1 < argc)
			campaign = argv[++a];
		else if (strcmp(argv[a], "--lead") == 0 && a + 1 < argc) {
			if (!lead_uuid_valid(argv[++a])) {
				fprintf(stderr, "minicrm: --lead %s is not a "
				    "lead id (a uuid)\n", argv[a]);
				free(l.ids);
				return 2;
			}
			if (idlist_add(&l, argv[a]) != 0)
				return 1;
		} else if (strcmp(argv[a], "--leads-file") == 0 && a + 1 < argc)
			file = argv[++a];
		else if (strcmp(argv[a], "--all-active-leads") == 0)
			all = true;
		else if (strcmp(argv[a], "--start") == 0 && a + 1 < argc)
			start = argv[++a];
		else {
			free(l.ids);
			return nurture_usage();
		}
	}
	sources = (l.n > 0) + (file != NULL) + all;
	if (campaign == NULL || sources != 1) {
		free(l.ids);
		return nurture_usage();
	}
	if (!lead_uuid_valid(campaign) || (start != NULL &&
	    rfc3339_parse(start, &usec) == -1)) {
		fprintf(stderr, "minicrm: %s\n", !lead_uuid_valid(campaign) ?
		    "--campaign must be a campaign's id (a uuid)" :
		    "--start must be an RFC 3339 date-time such as "
		    "2025-11-07T10:15:30Z");
		free(l.ids);
		return 2;
	}
	if (file != NULL && (rc = read_leads_file(file, &l)) != 0) {
		free(l.ids);
		return rc;
	}
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") ==
	    -1) {
		free(l.ids);
		return 1;
	}
	rc = 0;
	if (all) {
		if ((rc = db_nurture_campaign_state(&db, campaign, &state)) <
		    0) {
			fprintf(stderr, "minicrm: %s (%s)\n",
			    db_status_text(rc), db.error);
			rc = 1;
		} else if (rc == 0) {
			fprintf(stderr, "minicrm: there is no campaign %s\n",
			    campaign);
			rc = 5;
		} else
			rc = read_client_leads(&db, state.organization_id, &l);
	}
	if (rc == 0 && l.n == 0) {
		printf("nurture enroll: no lead to enrol\n");
	} else if (rc == 0)
		rc = enroll_chunks(&db, campaign, start, &l);
	db_close(&db);
	free(l.ids);
	return rc;
}

/* The progress line on a terminal, at most ten times a second. */
static void
show_progress(void *ctx, const struct nurture_schedule_report *r)
{
	struct timespec	*last = ctx, now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - last->tv_sec) * 1000 +
	    (now.tv_nsec - last->tv_nsec) / 1000000 < 100)
		return;
	*last = now;
	fprintf(stderr, "\r\033[K%ld of %ld due enrolments taken, %ld sends "
	    "queued …", r->taken, r->due, r->queued);
	fflush(stderr);
}

static int
schedule(int argc, char **argv)
{
	struct nurture_schedule_options	 o;
	struct nurture_schedule_report	 r;
	struct timespec			 last = { 0, 0 };
	struct db			 db;

	(void)argv;
	if (argc != 2)
		return nurture_usage();
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	memset(&o, 0, sizeof(o));
	o.stop = cli_stop_on_signals();
	if (isatty(STDERR_FILENO)) {
		o.progress = show_progress;
		o.progress_ctx = &last;
	}
	nurture_schedule_run(&db, &o, &r);
	db_close(&db);
	if (o.progress != NULL)
		fprintf(stderr, "\r\033[K");
	printf("nurture schedule: %s, %ld due, %ld enrolments taken in %ld "
	    "batches, %ld sends queued, %ld finished, %ld unsubscribed, %ld "
	    "invalid e-mail, %ld ms\n", nurture_schedule_status_name(r.status),
	    r.due, r.taken, r.batches, r.queued, r.finished, r.unsubscribed,
	    r.invalid_email, r.duration_ms);
	switch (r.status) {
	case NURTURE_SCHEDULE_DONE:
		return 0;
	case NURTURE_SCHEDULE_PARTIAL:
	case NURTURE_SCHEDULE_PAUSED:
		return 3;
	default:
		fprintf(stderr, "minicrm: %s\n", r.error);
		return 1;
	}
}

static int
analytics(int argc, char **argv)
{
	struct nurture_analytics_result	 r;
	const char			*date = NULL;
	struct db			 db;

	if (argc == 4 && strcmp(argv[2], "--date") == 0)
		date = argv[3];
	else if (argc != 2)
		return nurture_usage();
	if (date != NULL && !nurture_analytics_date_valid(date)) {
		fprintf(stderr, "minicrm: --date must be a day written "
		    "YYYY-MM-DD\n");
		return 2;
	}
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	nurture_analytics_update(&db, date, &r);
	db_close(&db);
	if (r.status != NURTURE_ANALYTICS_OK) {
		fprintf(stderr, "minicrm: %s\n", r.error);
		return r.status == NURTURE_ANALYTICS_BAD_DATE ? 2 : 1;
	}
	printf("nurture analytics: %ld campaign_analytics rows for %s%s%s\n",
	    r.rows, r.days[0], r.days[1][0] != '\0' ? " and " : "",
	    r.days[1]);
	return 0;
}

int
cli_nurture(int argc, char **argv)
{
	if (argc < 2)
		return nurture_usage();
	if (strcmp(argv[1], "enroll") == 0)
		return enroll(argc, argv);
	if (strcmp(argv[1], "schedule") == 0)
		return schedule(argc, argv);
	if (strcmp(argv[1], "analytics") == 0)
		return analytics(argc, argv);
	return nurture_usage();
}
