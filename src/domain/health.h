/*
 * health: the activity-health figures and the SOP's red flags.
 *
 * "healthy" unless a red flag of the activity-logging SOP holds: no events
 * in the last hour during business hours (MINICRM_BUSINESS_DAYS, default
 * 1-5 = Monday to Friday; MINICRM_BUSINESS_HOURS, default 9-17; in
 * MINICRM_TIMEZONE, default UTC), or more than 20 events waiting in the
 * retry queue. Then "degraded", with the reasons.
 */
#ifndef MINICRM_HEALTH_H
#define MINICRM_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "db.h"

#define HEALTH_RETRY_QUEUE_ALERT	20
#define HEALTH_MAX_REASONS	2	/* one per red flag */

enum health_status {
	HEALTH_HEALTHY,		/* no red flag */
	HEALTH_DEGRADED		/* reasons[] says which */
};

/* The figures, and the red flags that hold, each in words. */
struct health_report {
	enum health_status	 status;
	long long		 events_last_hour;
	long long		 events_last_24h;
	long long		 retry_queue_size;
	bool			 has_oldest_retry_age;	/* false: none waits */
	long long		 oldest_retry_age_seconds;
	bool			 has_last_event;	/* false: none logged */
	char			 last_event_at[40];	/* ISO 8601 UTC, or "" */
	bool			 business_hours;	/* now, in the SOP's */
	size_t			 nreasons;
	char			 reasons[HEALTH_MAX_REASONS][128];
};

/*
 * Read the figures and judge them into *out (the caller's; nothing to
 * free). Returns a db_status: DB_OK, or the failure of the figures' read,
 * *out then unspecified (the API answers 503 "unavailable" for any).
 */
int	health_activity(struct db *, struct health_report *out)
	    __attribute__((warn_unused_result));

/* "healthy" or "degraded", as the API and the dashboard say it. */
const char	*health_status_name(enum health_status);

/* Does the database answer (for /health and /readyz)? A db_status. */
int	health_ready(struct db *) __attribute__((warn_unused_result));

/*
 * The report as activity-health answers it and the dashboard shows it:
 * status, the figures (null where there is none), business_hours,
 * reasons. The caller frees it with json_object_put.
 */
json_object	*health_report_json(const struct health_report *);

#endif
