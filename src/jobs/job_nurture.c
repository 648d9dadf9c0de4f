/*
 * The nurture jobs (docs/worker.md, docs/nurture.md):
 *
 * job nurture-scheduler: the runbook's "Lead Nurture - Message Scheduler"
 * every NURTURE_SCHEDULER_INTERVAL seconds (60): due enrolments into
 * queued sends (nurture_schedule.h).
 *
 * job nurture-analytics: the "Lead Nurture - Analytics Updater" every
 * NURTURE_ANALYTICS_INTERVAL seconds (3600): yesterday's and today's
 * rollup into campaign_analytics (nurture_analytics.h).
 *
 * job nurture-alerts: the runbook's detection queries every
 * NURTURE_ALERTS_INTERVAL seconds (300), each condition alerted once when
 * it starts to hold and once ("resolved") when it clears, through
 * alert_condition under a "nurture:" key (alert.c sends those to
 * NURTURE_ALERT_WEBHOOK when it is set):
 *   nurture:failure_rate        over 10 % of the sends settled in the last
 *                               5 minutes failed (at least 10 settled)
 *   nurture:silent:scheduler    no scheduler run for 15 minutes while
 *   nurture:silent:sender       there is work for it (active enrolments;
 *                               queued sends) and its switch is not
 *                               paused: a fresh install, or one with
 *                               nothing to send, does not alert
 *   nurture:queued_over_hour    sends still queued an hour after they
 *                               were due (the runbook's Issue 1)
 *   nurture:low_engagement:<campaign>  yesterday's open rate under 20 %
 *                               or click rate under 2 %, from 20 sends
 *   nurture:unsubscribe_rate    yesterday's unsubscribes over 1 % of
 *                               yesterday's sends, from 20 sends
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "db_nurture_analytics.h"
#include "job.h"
#include "nurture_analytics.h"
#include "nurture_schedule.h"

#define FAILURE_RATE_MAX	10.0	/* % of the sends settled in 5 min */
#define FAILURE_MIN_SETTLED	10	/* fewer: too few to judge */
#define SILENT_MINUTES		15
#define OPEN_RATE_MIN		20.0	/* % (the KPI table's "alert if") */
#define CLICK_RATE_MIN		2.0
#define UNSUBSCRIBE_RATE_MAX	1.0
#define ENGAGEMENT_MIN_SENT	20	/* fewer sends: rates mean nothing */

enum job_outcome
job_nurture_scheduler(struct job_run *run)
{
	struct nurture_schedule_options	 o;
	struct nurture_schedule_report	 r;

	memset(&o, 0, sizeof(o));
	o.stop = run->stop;
	nurture_schedule_run(run->db, &o, &r);
	snprintf(run->summary, sizeof(run->summary), "%s: %ld due, %ld "
	    "enrolments taken in %ld batches, %ld sends queued, %ld finished, "
	    "%ld completed unsubscribed, %ld invalid e-mail%s%s",
	    nurture_schedule_status_name(r.status), r.due, r.taken, r.batches,
	    r.queued, r.finished, r.unsubscribed, r.invalid_email,
	    r.error[0] != '\0' ? "; " : "", r.error);
	return r.status == NURTURE_SCHEDULE_FAILED ? JOB_FAILED : JOB_DONE;
}

enum job_outcome
job_nurture_analytics(struct job_run *run)
{
	struct nurture_analytics_result	 r;

	nurture_analytics_update(run->db, NULL, &r);
	snprintf(run->summary, sizeof(run->summary), "%ld campaign_analytics "
	    "rows for %s and %s%s%s", r.rows, r.days[0], r.days[1],
	    r.error[0] != '\0' ? "; " : "", r.error);
	return r.status == NURTURE_ANALYTICS_OK ? JOB_DONE : JOB_FAILED;
}

/* Raise or clear one condition; counts what changed. A db_status. */
static int
condition(struct db *db, const char *key, bool active, const char *raise,
    const char *clear, int *changed, int *holding)
{
	int	 rc;

	if ((rc = alert_condition(db, key, active, raise, clear)) < 0)
		return rc;
	*changed += rc;
	*holding += active;
	return DB_OK;
}

static int
silent(struct db *db, const char *which, const char *workflow, bool ran,
    long idle, bool work, bool paused, const char *work_text,
    int *changed, int *holding)
{
	char	 key[64], raise[600], clear[200];
	bool	 active;

	active = work && !paused && (!ran || idle >= SILENT_MINUTES);
	snprintf(key, sizeof(key), "nurture:silent:%s", which);
	if (ran)
		snprintf(raise, sizeof(raise), "🚨 Nurture: %s has not run "
		    "for %ld minutes (alert at %d) while %s.\nCheck that "
		    "`minicrm worker` is running and its log (job nurture-%s), "
		    "or run it by hand: minicrm job run nurture-%s",
		    workflow, idle, SILENT_MINUTES, work_text, which, which);
	else
		snprintf(raise, sizeof(raise), "🚨 Nurture: %s has never run "
		    "while %s.\nCheck that `minicrm worker` is running "
		    "(NURTURE_%s_INTERVAL not 0), or run it by hand: minicrm "
		    "job run nurture-%s", workflow, work_text,
		    strcmp(which, "scheduler") == 0 ? "SCHEDULER" : "SENDER",
		    which);
	snprintf(clear, sizeof(clear), "✅ Resolved (nurture): %s runs "
	    "again (or has nothing to do, or is paused).", workflow);
	return condition(db, key, active, raise, clear, changed, holding);
}

static int
engagement(struct db *db, int *changed, int *holding)
{
	struct db_nurture_engagement	*rows;
	char				 key[100], raise[600], clear[400];
	double				 open, click;
	bool				 low;
	size_t				 i, n;
	int				 rc;

	if ((rc = db_nurture_alert_engagement(db, &rows, &n)) != DB_OK)
		return rc;
	for (i = 0; i < n && rc == DB_OK; i++) {
		open = rows[i].open_rate[0] ? strtod(rows[i].open_rate,
		    NULL) : 0;
		click = rows[i].click_rate[0] ? strtod(rows[i].click_rate,
		    NULL) : 0;
		low = rows[i].sent >= ENGAGEMENT_MIN_SENT &&
		    (open < OPEN_RATE_MIN || click < CLICK_RATE_MIN);
		snprintf(key, sizeof(key), "nurture:low_engagement:%s",
		    rows[i].campaign_id);
		snprintf(raise, sizeof(raise), "⚠️ Nurture: low engagement "
		    "yesterday on campaign \"%.200s\": open rate %s%% (alert "
		    "under %.0f%%), click rate %s%% (alert under %.0f%%) over "
		    "%lld e-mails.\nReview its subject lines, send times, "
		    "audience and content.", rows[i].campaign_name,
		    rows[i].open_rate, OPEN_RATE_MIN, rows[i].click_rate,
		    CLICK_RATE_MIN, rows[i].sent);
		snprintf(clear, sizeof(clear), "✅ Resolved (nurture): campaign "
		    "\"%.200s\" is no longer below the engagement thresholds "
		    "(yesterday).", rows[i].campaign_name);
		rc = condition(db, key, low, raise, clear, changed, holding);
	}
	free(rows);
	return rc;
}

static int
nurture_conditions(struct db *db, int *changed, int *holding)
{
	struct db_nurture_alert_figures	 f;
	char				 raise[600], clear[300];
	double				 rate;
	int				 rc;

	if ((rc = db_nurture_alert_figures(db, &f)) != DB_OK)
		return rc;

	rate = f.settled_5min > 0 ? (double)f.failed_5min * 100.0 /
	    (double)f.settled_5min : 0;
	snprintf(raise, sizeof(raise), "🚨 Nurture: %.1f%% of e-mails failed "
	    "in the last 5 minutes (%ld of %ld; alert over %.0f%%).\nCheck "
	    "SendGrid's status, the API key, the rate limits and the send "
	    "queue's failure reasons; pause the sender if SendGrid is down.",
	    rate, f.failed_5min, f.settled_5min, FAILURE_RATE_MAX);
	snprintf(clear, sizeof(clear), "✅ Resolved (nurture): the e-mail "
	    "failure rate is back to %.1f%% over the last 5 minutes.", rate);
	if ((rc = condition(db, "nurture:failure_rate",
	    f.settled_5min >= FAILURE_MIN_SETTLED && rate > FAILURE_RATE_MAX,
	    raise, clear, changed, holding)) != DB_OK)
		return rc;

	snprintf(raise, sizeof(raise), "%ld enrolments are active",
	    f.active_enrolments);
	if ((rc = silent(db, "scheduler", "Lead Nurture - Message Scheduler",
	    f.scheduler_ran, f.scheduler_idle_min, f.active_enrolments > 0,
	    f.scheduler_paused, raise, changed, holding)) != DB_OK)
		return rc;
	snprintf(raise, sizeof(raise), "%ld e-mails are queued", f.queued);
	if ((rc = silent(db, "sender", "Lead Nurture - Email Sender",
	    f.sender_ran, f.sender_idle_min, f.queued > 0, f.sender_paused,
	    raise, changed, holding)) != DB_OK)
		return rc;

	snprintf(raise, sizeof(raise), "⚠️ Nurture: %ld e-mails are still "
	    "queued more than an hour after they were due%s.\nCheck the "
	    "sender (job nurture-sender), the SendGrid key and the rate "
	    "limit; the send queue's failure reasons.", f.queued_over_hour,
	    f.sender_paused ? " (the sender is paused)" : "");
	if ((rc = condition(db, "nurture:queued_over_hour",
	    f.queued_over_hour > 0, raise, "✅ Resolved (nurture): no e-mail "
	    "is queued more than an hour past its time.", changed,
	    holding)) != DB_OK)
		return rc;

	rate = f.sent_yesterday > 0 ? (double)f.unsubscribes_yesterday *
	    100.0 / (double)f.sent_yesterday : 0;
	snprintf(raise, sizeof(raise), "⚠️ Nurture: unsubscribe rate "
	    "%.2f%% yesterday (%ld of %ld e-mails; alert over %.0f%%).\n"
	    "Review recent content, frequency and relevance to the audience.",
	    rate, f.unsubscribes_yesterday, f.sent_yesterday,
	    UNSUBSCRIBE_RATE_MAX);
	snprintf(clear, sizeof(clear), "✅ Resolved (nurture): yesterday's "
	    "unsubscribe rate is %.2f%%.", rate);
	if ((rc = condition(db, "nurture:unsubscribe_rate",
	    f.sent_yesterday >= ENGAGEMENT_MIN_SENT &&
	    rate > UNSUBSCRIBE_RATE_MAX, raise, clear, changed, holding)) !=
	    DB_OK)
		return rc;

	return engagement(db, changed, holding);
}

enum job_outcome
job_nurture_alerts(struct job_run *run)
{
	int	 changed = 0, holding = 0, sent = 0, failed = 0, rc;

	if ((rc = nurture_conditions(run->db, &changed, &holding)) != DB_OK ||
	    (rc = alert_flush(run->db, &sent, &failed)) != DB_OK) {
		snprintf(run->summary, sizeof(run->summary), "%s (%s)",
		    db_status_text(rc), run->db->error);
		return JOB_FAILED;
	}
	snprintf(run->summary, sizeof(run->summary), "%d conditions holding, "
	    "%d changed; alerts sent %d, waiting %d", holding, changed, sent,
	    failed);
	return JOB_DONE;
}
