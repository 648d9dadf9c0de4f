/*
 * job health: the SOP's hourly check, run inside minicrm instead of by an
 * n8n workflow polling activity-health: the same figures (health.c, with
 * its business days, hours and time zone), and an alert when no event was
 * logged in the last hour inside business hours, once until it clears.
 *
 * job compact: folds the per-minute count shards of past minutes
 * (activity_counts_compact()), which keeps the health figures fast.
 */
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "db_health.h"
#include "health.h"
#include "job.h"

enum job_outcome
job_health(struct job_run *run)
{
	struct health_report h;
	char		 raise[512], clear[256];
	const char	*last;
	long long	 last_hour;
	bool		 quiet;
	int		 rc, sent, failed;

	if (health_activity(run->db, &h) != DB_OK) {
		snprintf(run->summary, sizeof(run->summary),
		    "database unavailable (%s)", run->db->error);
		return JOB_FAILED;
	}
	last_hour = h.events_last_hour;
	last = h.has_last_event ? h.last_event_at : "never";
	quiet = last_hour == 0 && h.business_hours;

	snprintf(raise, sizeof(raise), "⚠️ No activity events logged in the "
	    "last hour, inside business hours (last event: %s).\nn8n "
	    "workflows inactive or the portal unreachable: check the "
	    "workflows' recent executions, the \"Write to Activity Log\" "
	    "node's credential, and /health.", last);
	if (last_hour > 0)
		snprintf(clear, sizeof(clear), "✅ Activity events are logged "
		    "again: %lld in the last hour.", last_hour);
	else
		snprintf(clear, sizeof(clear), "✅ No-events alert closed: "
		    "business hours are over (still no event in the last "
		    "hour).");
	rc = alert_condition(run->db, "no_events_business_hours", quiet,
	    raise, clear);
	if (rc >= 0)
		rc = alert_flush(run->db, &sent, &failed);
	if (rc < 0) {
		snprintf(run->summary, sizeof(run->summary), "%s (%s)",
		    db_status_text(rc), run->db->error);
		return JOB_FAILED;
	}
	snprintf(run->summary, sizeof(run->summary), "%s: %lld events in the "
	    "last hour, %lld in the retry queue, %s business hours%s; alerts "
	    "sent %d, waiting %d", health_status_name(h.status), last_hour,
	    h.retry_queue_size, h.business_hours ? "inside" : "outside",
	    quiet ? " (no events)" : "", sent, failed);
	return JOB_DONE;
}

enum job_outcome
job_compact(struct job_run *run)
{
	long long	 folded;
	int		 rc;

	if ((rc = db_health_compact(run->db, &folded)) != DB_OK) {
		snprintf(run->summary, sizeof(run->summary), "%s (%s)",
		    db_status_text(rc), run->db->error);
		return JOB_FAILED;
	}
	snprintf(run->summary, sizeof(run->summary), "folded %lld count rows",
	    folded);
	return JOB_DONE;
}
