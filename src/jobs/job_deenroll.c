/*
 * job deenroll: the de-enrollment run (deenroll.h) every DEENROLL_INTERVAL
 * seconds (15 minutes), over every client with campaigns, recorded as
 * triggered by "worker"; then each client's health judged by the SOP's
 * thresholds, each threshold past alerted once (and "resolved" once when
 * it no longer is) through alert_condition, under the key
 * "deenroll:<client>:<check>", which alert.c sends to
 * DE_ENROLLMENT_ALERT_WEBHOOK (or ALERT_WEBHOOK_URL without it).
 *
 * job deenroll-cleanup: the SOP's monthly cleanup, run daily (the worker
 * runs nothing less often than weekly): runs older than
 * DE_ENROLLMENT_RUNS_KEEP_DAYS (90), lead logs older than
 * DE_ENROLLMENT_LOGS_KEEP_DAYS (30).
 */
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "db_deenroll.h"
#include "deenroll.h"
#include "job.h"

/* One alert condition of a client: a threshold of the SOP. */
struct condition {
	const char	*name;		/* the key's last part */
	unsigned	 check;		/* enum deenroll_check, or 0: stuck */
	long		 stuck_over;	/* for the stuck-lead conditions */
	const char	*what;		/* for the "resolved" line */
};

static const struct condition conditions[] = {
	{ "success_rate", DEENROLL_CHECK_SUCCESS_RATE, 0,
	    "success rate back to at least 95%" },
	{ "failed_runs", DEENROLL_CHECK_FAILED_RUNS, 0,
	    "no more than 5 failed runs in the last 24h" },
	{ "since_success", DEENROLL_CHECK_SINCE_SUCCESS, 0,
	    "a successful run within the last 2 hours" },
	{ "duration", DEENROLL_CHECK_DURATION, 0,
	    "runs back under 4 minutes on average" },
	{ "stuck_50", 0, DEENROLL_STUCK_NOTICE, "50 stuck leads or fewer" },
	{ "stuck_100", 0, DEENROLL_STUCK_WARNING,
	    "100 stuck leads or fewer" },
	{ "stuck_500", 0, DEENROLL_STUCK_ERROR, "500 stuck leads or fewer" },
};

/* Raise or clear the conditions of one client. Returns the messages
 * queued, or a db_status. */
static int
alert_client(struct db *db, const struct deenroll_health_row *r)
{
	struct deenroll_problem	 p[DEENROLL_PROBLEMS_MAX];
	const struct condition	*c;
	char			 key[128], raise[320], clear[256];
	const char		*line;
	size_t			 n, i, k;
	bool			 active;
	int			 rc, queued = 0;

	n = deenroll_health_problems(r, p);
	for (i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++) {
		c = &conditions[i];
		active = c->check != 0 ? (r->checks & c->check) != 0 :
		    r->stuck_leads > c->stuck_over;
		line = NULL;
		for (k = 0; k < n; k++)
			if (p[k].check == (c->check != 0 ? c->check :
			    (unsigned)DEENROLL_CHECK_STUCK))
				line = p[k].text;
		snprintf(key, sizeof(key), "deenroll:%s:%s", r->client_id,
		    c->name);
		if (c->check == 0)
			snprintf(raise, sizeof(raise), "%s Client %s has %ld "
			    "stuck leads (over %ld): de-enrollment is behind; "
			    "run minicrm deenroll --client-id=%s",
			    c->stuck_over >= DEENROLL_STUCK_ERROR ? "❌" :
			    "⚠️", r->client_slug, r->stuck_leads,
			    c->stuck_over, r->client_id);
		else
			snprintf(raise, sizeof(raise), "%s (de-enrollment)",
			    line != NULL ? line : c->name);
		snprintf(clear, sizeof(clear), "✅ Resolved: client %s has %s "
		    "(de-enrollment).", r->client_slug, c->what);
		if ((rc = alert_condition(db, key, active, raise, clear)) < 0)
			return rc;
		queued += rc;
	}
	return queued;
}

enum job_outcome
job_deenroll(struct job_run *run)
{
	struct deenroll_options	 opts;
	struct deenroll_report	 rep;
	struct deenroll_health	 h;
	size_t			 i;
	int			 rc, sent = 0, failed = 0;

	memset(&opts, 0, sizeof(opts));
	opts.triggered_by = "worker";
	opts.workers = deenroll_workers();
	opts.stop = run->stop;
	if ((rc = deenroll_run(run->db, &opts, &rep)) != DB_OK) {
		deenroll_report_free(&rep);
		snprintf(run->summary, sizeof(run->summary), "the clients "
		    "could not be read: %s (%s)", db_status_text(rc),
		    run->db->error);
		return JOB_FAILED;
	}
	rc = deenroll_health_read(run->db, NULL, &h);
	for (i = 0; rc >= 0 && i < h.nrows; i++)
		rc = alert_client(run->db, &h.rows[i]);
	if (rc >= 0)
		rc = alert_flush(run->db, &sent, &failed);
	snprintf(run->summary, sizeof(run->summary), "%zu clients, %ld leads "
	    "de-enrolled, %zu failed, %zu partial; health %s; alerts sent %d, "
	    "waiting %d%s%s", rep.nclients, rep.de_enrolled, rep.failed,
	    rep.partial, deenroll_level_name(h.level), sent, failed,
	    rc < 0 ? "; alerts not checked: " : "",
	    rc < 0 ? db_status_text(rc) : "");
	deenroll_health_free(&h);
	deenroll_report_free(&rep);
	return rc < 0 ? JOB_FAILED : JOB_DONE;
}

enum job_outcome
job_deenroll_cleanup(struct job_run *run)
{
	long	 runs = config_get_long("DE_ENROLLMENT_RUNS_KEEP_DAYS", 90, 1,
		    36500);
	long	 logs = config_get_long("DE_ENROLLMENT_LOGS_KEEP_DAYS", 30, 1,
		    36500);
	long	 removed;
	int	 rc;

	if ((rc = db_deenroll_cleanup(run->db, runs, logs, &removed)) !=
	    DB_OK) {
		snprintf(run->summary, sizeof(run->summary), "%s (%s)",
		    db_status_text(rc), run->db->error);
		return JOB_FAILED;
	}
	snprintf(run->summary, sizeof(run->summary), "removed %ld rows (runs "
	    "older than %ld days, lead logs older than %ld)", removed, runs,
	    logs);
	return JOB_DONE;
}
