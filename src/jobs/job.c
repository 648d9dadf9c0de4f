/* job: the job table and one run of a job under its lock (see job.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "db_job.h"
#include "db_metrics.h"
#include "job.h"
#include "log.h"

#define INTERVAL_MAX	(7L * 24 * 3600)

/* Short intervals (down to 1 s) are allowed: the tests use them. */
const struct job jobs[] = {
	{ "replay", "REPLAY_INTERVAL", 15 * 60, job_replay,
	    "replay the due rows of the retry queue" },
	{ "alerts", "ALERT_INTERVAL", 60, job_alerts,
	    "alert on dead events and a retry queue above 20; "
	    "deliver waiting alerts" },
	{ "health", "HEALTH_INTERVAL", 60 * 60, job_health,
	    "the SOP's hourly check: no events in business hours" },
	{ "compact", "COMPACT_INTERVAL", 60, job_compact,
	    "fold the per-minute activity counts" },
	{ "prune", "PRUNE_INTERVAL", 60 * 60, job_prune,
	    "remove retry-queue rows replayed more than "
	    "RETRY_DONE_KEEP_DAYS ago" },
	{ "deenroll", "DEENROLL_INTERVAL", 15 * 60, job_deenroll,
	    "de-enroll the leads that finished their campaign; alert on "
	    "the SOP's thresholds" },
	{ "deenroll-cleanup", "DEENROLL_CLEANUP_INTERVAL", 24 * 60 * 60,
	    job_deenroll_cleanup, "remove de-enrollment runs older than 90 "
	    "days and lead logs older than 30" },
	{ "nurture-sender", "NURTURE_SENDER_INTERVAL", 60, job_nurture_send,
	    "send the due nurture e-mails through SendGrid (at most "
	    "N8N_MAX_EMAILS_PER_MINUTE a minute)" },
	{ "nurture-scheduler", "NURTURE_SCHEDULER_INTERVAL", 60,
	    job_nurture_scheduler, "queue the next e-mail of every due "
	    "nurture enrolment" },
	{ "nurture-analytics", "NURTURE_ANALYTICS_INTERVAL", 60 * 60,
	    job_nurture_analytics, "roll yesterday's and today's nurture "
	    "e-mails up into campaign_analytics" },
	{ "nurture-alerts", "NURTURE_ALERTS_INTERVAL", 5 * 60,
	    job_nurture_alerts, "alert on the nurture runbook's detection "
	    "queries" },
};
const size_t jobs_count = sizeof(jobs) / sizeof(jobs[0]);

const struct job *
job_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < jobs_count; i++)
		if (strcmp(jobs[i].name, name) == 0)
			return &jobs[i];
	return NULL;
}

long
job_interval(const struct job *job)
{
	return config_get_long(job->interval_key, job->default_interval, 0,
	    INTERVAL_MAX);
}

/* If the connection was lost meanwhile, the server let the lock go with
 * it; there is nothing left to release. */
static void
job_unlock(struct db *db, const char *name)
{
	db_rollback(db);
	(void)db_job_unlock(db, name);
}

/*
 * The run's counts in job_stats (GET /metrics) and its line in the log:
 * the text format keeps the line it always had; logfmt and JSON add the
 * job, outcome, duration and what it did as fields. A database that is
 * down loses the count (the line says the run failed anyway).
 */
static void
job_done(const struct job *job, struct db *db, const char *outcome,
    double seconds, const char *summary)
{
	struct log_field f[] = {
		LOG_STR("job", job->name),
		LOG_STR("outcome", outcome),
		LOG_MS("duration_ms", seconds * 1e3),
		LOG_STR("summary", summary),
	};
	size_t		 n = sizeof(f) / sizeof(f[0]);

	if (db_metrics_job_record(db, job->name, outcome, seconds) != DB_OK)
		log_debug("job %s: its run is not counted: %s", job->name,
		    db->error);
	db_rollback(db);
	if (strcmp(outcome, "done") == 0)
		log_event(LOG_INFO, f, n, "job %s: %s (%.2f s)", job->name,
		    summary, seconds);
	else if (strcmp(outcome, "skipped") == 0)
		log_event(LOG_INFO, f, n, "job %s: skipped: %s", job->name,
		    summary);
	else
		log_event(LOG_ERROR, f, n, "job %s: failed: %s (%.2f s)",
		    job->name, summary, seconds);
}

enum job_outcome
job_run(const struct job *job, struct db *db, volatile sig_atomic_t *stop)
{
	struct job_run		 run = { db, stop, "" };
	double			 t0;
	enum job_outcome	 out;
	int			 rc;

	t0 = clock_mono();
	if ((rc = db_job_lock(db, job->name)) < 0) {
		log_error("job %s: failed: cannot take its lock: %s (%s)",
		    job->name, db_status_text(rc), db->error);
		return JOB_FAILED;
	}
	if (rc == 0) {
		job_done(job, db, "skipped", clock_mono() - t0,
		    "another run holds its lock");
		return JOB_SKIPPED;
	}
	out = job->run(&run);
	job_unlock(db, job->name);
	job_done(job, db, out == JOB_DONE ? "done" : "failed",
	    clock_mono() - t0, run.summary);
	return out;
}
