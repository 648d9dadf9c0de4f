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

#include <json-c/json.h>

#include "db.h"

#define HEALTH_RETRY_QUEUE_ALERT	20

/*
 * The figures as a JSON object (caller frees), with *status 200, or 503
 * and an error object when the database cannot be reached.
 */
json_object	*health_activity(struct db *, int *status);

/* {"status":"ok","database":"ok"} or 503; for /health and /readyz. */
json_object	*health_ready(struct db *, int *status);

#endif
