/* metrics_report: GET /metrics's access and text (see metrics_report.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "config.h"
#include "db_metrics.h"
#include "health.h"
#include "metrics_report.h"
#include "metrics_text.h"
#include "prom.h"

static bool
is_loopback(const char *addr)
{
	return addr != NULL && (strncmp(addr, "127.", 4) == 0 ||
	    strcmp(addr, "::1") == 0 || strncmp(addr, "::ffff:127.", 11) == 0);
}

enum metrics_access
metrics_report_access(const char *remote_addr, const char *authorization)
{
	unsigned char	 want[crypto_hash_sha256_BYTES];
	unsigned char	 got[crypto_hash_sha256_BYTES];
	const char	*hex = config_get("METRICS_TOKEN_SHA256");
	const char	*token;
	size_t		 n;
	bool		 ok;

	if (authorization == NULL || *authorization == '\0')
		return config_get_long("METRICS_ALLOW_LOOPBACK", 1, 0, 1) &&
		    is_loopback(remote_addr) ? METRICS_ACCESS_OK :
		    METRICS_ACCESS_REMOTE;
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return METRICS_ACCESS_BAD_TOKEN;
	for (token = authorization + 7; *token == ' '; token++)
		continue;
	/* No hash configured, or not one: no token can match. */
	if (hex == NULL || sodium_init() < 0 ||
	    sodium_hex2bin(want, sizeof(want), hex, strlen(hex), NULL, &n,
	    NULL) != 0 || n != sizeof(want))
		return METRICS_ACCESS_BAD_TOKEN;
	crypto_hash_sha256(got, (const unsigned char *)token, strlen(token));
	ok = sodium_memcmp(got, want, sizeof(want)) == 0;
	sodium_memzero(got, sizeof(got));
	return ok ? METRICS_ACCESS_OK : METRICS_ACCESS_BAD_TOKEN;
}

static void
write_retry(struct buf *out, const struct db_metrics *m)
{
	const char	*lab[2] = { "state", NULL };
	int		 i;

	prom_family(out, "minicrm_retry_queue_rows", "gauge",
	    "Rows of the retry queue, by state.");
	for (i = 0; i < m->nretry; i++) {
		lab[1] = m->retry[i].state;
		prom_sample(out, "minicrm_retry_queue_rows",
		    (double)m->retry[i].rows, 1, lab);
	}
	prom_family(out, "minicrm_retry_queue_oldest_age_seconds", "gauge",
	    "Age of the oldest row of the retry queue, by state (0 when "
	    "there is none).");
	for (i = 0; i < m->nretry; i++) {
		lab[1] = m->retry[i].state;
		prom_sample(out, "minicrm_retry_queue_oldest_age_seconds",
		    m->retry[i].oldest_age, 1, lab);
	}
}

/* One gauge or counter family with a sample per job. */
static void
write_job_family(struct buf *out, const struct db_metrics *m,
    const char *name, const char *type, const char *help, size_t offset,
    bool is_double)
{
	const char	*lab[2] = { "job", NULL };
	int		 i;

	prom_family(out, name, type, help);
	for (i = 0; i < m->njobs; i++) {
		const char *field = (const char *)&m->jobs[i] + offset;

		lab[1] = m->jobs[i].job;
		prom_sample(out, name, is_double ? *(const double *)field :
		    (double)*(const long long *)field, 1, lab);
	}
}

static void
write_jobs(struct buf *out, const struct db_metrics *m)
{
	const char	*lab[2] = { "job", NULL };
	int		 i;

	write_job_family(out, m, "minicrm_job_runs_total", "counter",
	    "Runs of the job that took its lock (done or failed), by the "
	    "worker or minicrm job run.", offsetof(struct db_metrics_job,
	    runs), false);
	write_job_family(out, m, "minicrm_job_failures_total", "counter",
	    "Runs of the job that failed.", offsetof(struct db_metrics_job,
	    failures), false);
	write_job_family(out, m, "minicrm_job_skipped_total", "counter",
	    "Runs skipped: another run held the job's lock.",
	    offsetof(struct db_metrics_job, skipped), false);
	prom_family(out, "minicrm_job_duration_seconds", "summary",
	    "Time the job's runs took.");
	for (i = 0; i < m->njobs; i++) {
		lab[1] = m->jobs[i].job;
		prom_sample(out, "minicrm_job_duration_seconds_sum",
		    m->jobs[i].duration_sum, 1, lab);
		prom_sample(out, "minicrm_job_duration_seconds_count",
		    (double)m->jobs[i].runs, 1, lab);
	}
	write_job_family(out, m, "minicrm_job_last_duration_seconds",
	    "gauge", "Time the job's last run took.",
	    offsetof(struct db_metrics_job, last_duration), true);
	write_job_family(out, m, "minicrm_job_last_run_timestamp_seconds",
	    "gauge", "When the job's last run ended (0: never).",
	    offsetof(struct db_metrics_job, last_run), true);
	write_job_family(out, m, "minicrm_job_last_success_timestamp_seconds",
	    "gauge", "When the job's last successful run ended (0: never).",
	    offsetof(struct db_metrics_job, last_success), true);
	write_job_family(out, m, "minicrm_job_last_failure_timestamp_seconds",
	    "gauge", "When the job's last failed run ended (0: never).",
	    offsetof(struct db_metrics_job, last_failure), true);
}

static void
write_deenroll_email(struct buf *out, const struct db_metrics *m)
{
	const char	*lab[2] = { "status", NULL };
	int		 i;

	prom_family(out, "minicrm_deenroll_runs_24h", "gauge",
	    "De-enrollment runs started in the last 24 hours, by status.");
	for (i = 0; i < m->ndeenroll; i++) {
		lab[1] = m->deenroll[i].status;
		prom_sample(out, "minicrm_deenroll_runs_24h",
		    (double)m->deenroll[i].runs, 1, lab);
	}
	prom_family(out, "minicrm_deenroll_leads_24h", "gauge",
	    "Leads de-enrolled by the runs of the last 24 hours, by the "
	    "run's status.");
	for (i = 0; i < m->ndeenroll; i++) {
		lab[1] = m->deenroll[i].status;
		prom_sample(out, "minicrm_deenroll_leads_24h",
		    (double)m->deenroll[i].leads, 1, lab);
	}
	prom_family(out, "minicrm_deenroll_last_run_timestamp_seconds",
	    "gauge", "When the last de-enrollment run started (0: never).");
	prom_sample(out, "minicrm_deenroll_last_run_timestamp_seconds",
	    m->deenroll_last_run, 0, NULL);
	prom_family(out, "minicrm_deenroll_last_success_timestamp_seconds",
	    "gauge", "When the last successful de-enrollment run ended "
	    "(0: never).");
	prom_sample(out, "minicrm_deenroll_last_success_timestamp_seconds",
	    m->deenroll_last_success, 0, NULL);
	prom_family(out, "minicrm_email_sends_24h", "gauge",
	    "Nurture e-mails queued in the last 24 hours, by their status "
	    "now.");
	for (i = 0; i < m->nemail; i++) {
		lab[1] = m->email[i].status;
		prom_sample(out, "minicrm_email_sends_24h",
		    (double)m->email[i].sends, 1, lab);
	}
	prom_family(out, "minicrm_email_sends_queued", "gauge",
	    "Nurture e-mails waiting to be sent.");
	prom_sample(out, "minicrm_email_sends_queued",
	    (double)m->email_queued, 0, NULL);
}

/* The activity-logging SOP's figures, as activity-health judges them. */
static void
write_activity(struct buf *out, const struct health_report *h)
{
	prom_family(out, "minicrm_activity_events_last_hour", "gauge",
	    "Events logged in the last hour (the SOP's events_last_hour).");
	prom_sample(out, "minicrm_activity_events_last_hour",
	    (double)h->events_last_hour, 0, NULL);
	prom_family(out, "minicrm_activity_events_last_24h", "gauge",
	    "Events logged in the last 24 hours.");
	prom_sample(out, "minicrm_activity_events_last_24h",
	    (double)h->events_last_24h, 0, NULL);
	prom_family(out, "minicrm_business_open", "gauge",
	    "1 inside the SOP's business hours (MINICRM_BUSINESS_DAYS, "
	    "MINICRM_BUSINESS_HOURS, MINICRM_TIMEZONE).");
	prom_sample(out, "minicrm_business_open", h->business_hours, 0,
	    NULL);
	prom_family(out, "minicrm_activity_healthy", "gauge",
	    "1 if activity-health says healthy: no red flag of the SOP "
	    "holds.");
	prom_sample(out, "minicrm_activity_healthy",
	    h->status == HEALTH_HEALTHY, 0, NULL);
}

int
metrics_report_write(struct db *db, struct buf *out)
{
	struct db_metrics	 m;
	struct health_report	 h;
	bool			 up;

	metrics_text_write(out);
	up = db_metrics_read(db, &m) == DB_OK;
	db_rollback(db);
	up = up && health_activity(db, &h) == DB_OK;
	db_rollback(db);
	prom_family(out, "minicrm_database_up", "gauge",
	    "1 if the figures below could be read from the database.");
	prom_sample(out, "minicrm_database_up", up, 0, NULL);
	if (up) {
		write_activity(out, &h);
		write_retry(out, &m);
		write_jobs(out, &m);
		write_deenroll_email(out, &m);
	}
	return buf_failed(out) ? -1 : 0;
}
