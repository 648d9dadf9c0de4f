/* health: activity figures and red flags (see health.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db_health.h"
#include "health.h"
#include "log.h"
#include "validate.h"

/* Past this many count rows waiting to be folded, they are folded before
 * answering (normally the worker keeps up; this keeps the answer fast even
 * without one). */
#define UNCOMPACTED_MAX		500

/* Parse "A-B" into [a, b]; false if it is not one within [min, max]. */
static bool
range_parse(const char *s, long min, long max, long *a, long *b)
{
	char	 first[16];
	const char *dash;

	if (s == NULL || (dash = strchr(s, '-')) == NULL ||
	    (size_t)(dash - s) >= sizeof(first))
		return false;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	return parse_long(first, min, max, a) == 0 &&
	    parse_long(dash + 1, min, max, b) == 0 && *a <= *b;
}

static bool
in_business_hours(int isodow, int hour)
{
	long	 d0 = 1, d1 = 5, h0 = 9, h1 = 17;

	range_parse(config_get("MINICRM_BUSINESS_DAYS"), 1, 7, &d0, &d1);
	range_parse(config_get("MINICRM_BUSINESS_HOURS"), 0, 24, &h0, &h1);
	return isodow >= d0 && isodow <= d1 && hour >= h0 && hour < h1;
}

/* The figures in MINICRM_TIMEZONE, or in UTC if PostgreSQL does not know
 * that zone. */
static int
health_query(struct db *db, struct db_health *h)
{
	const char	*tz = config_get("MINICRM_TIMEZONE");
	int		 rc;

	if (tz == NULL)
		tz = "UTC";
	rc = db_health_read(db, tz, h);
	if (rc == DB_BAD_INPUT) {
		log_warn("MINICRM_TIMEZONE %s: %s; using UTC", tz, db->error);
		rc = db_health_read(db, "UTC", h);
	}
	return rc;
}

static json_object *
unavailable(int *status)
{
	json_object *obj = json_object_new_object();

	*status = 503;
	json_object_object_add(obj, "status",
	    json_object_new_string("unavailable"));
	json_object_object_add(obj, "error",
	    json_object_new_string("database unavailable"));
	return obj;
}

json_object *
health_activity(struct db *db, int *status)
{
	struct db_health h;
	json_object	*obj, *reasons;
	bool		 business;
	char		 why[96];

	if (health_query(db, &h) != DB_OK)
		return unavailable(status);
	if (h.uncompacted_rows > UNCOMPACTED_MAX &&
	    db_health_compact(db, NULL) == DB_OK &&
	    health_query(db, &h) != DB_OK)
		return unavailable(status);

	business = in_business_hours(h.isodow, h.hour);
	reasons = json_object_new_array();
	if (h.events_last_hour == 0 && business)
		json_object_array_add(reasons, json_object_new_string(
		    "no events in the last hour during business hours: "
		    "workflows inactive or portal unreachable"));
	if (h.retry_queue_size > HEALTH_RETRY_QUEUE_ALERT) {
		snprintf(why, sizeof(why), "retry queue holds %lld events "
		    "(alert above %d)", h.retry_queue_size,
		    HEALTH_RETRY_QUEUE_ALERT);
		json_object_array_add(reasons, json_object_new_string(why));
	}

	obj = json_object_new_object();
	json_object_object_add(obj, "status", json_object_new_string(
	    json_object_array_length(reasons) ? "degraded" : "healthy"));
	json_object_object_add(obj, "events_last_hour",
	    json_object_new_int64(h.events_last_hour));
	json_object_object_add(obj, "events_last_24h",
	    json_object_new_int64(h.events_last_24h));
	json_object_object_add(obj, "retry_queue_size",
	    json_object_new_int64(h.retry_queue_size));
	json_object_object_add(obj, "oldest_retry_age_seconds",
	    h.has_oldest_retry_age ?
	    json_object_new_int64(h.oldest_retry_age_seconds) : NULL);
	json_object_object_add(obj, "last_event_at", h.has_last_event ?
	    json_object_new_string(h.last_event_at) : NULL);
	json_object_object_add(obj, "business_hours",
	    json_object_new_boolean(business));
	json_object_object_add(obj, "reasons", reasons);
	*status = 200;
	return obj;
}

json_object *
health_ready(struct db *db, int *status)
{
	json_object	*obj;

	if (db_health_ping(db) != DB_OK)
		return unavailable(status);
	obj = json_object_new_object();
	json_object_object_add(obj, "status", json_object_new_string("ok"));
	json_object_object_add(obj, "database", json_object_new_string("ok"));
	*status = 200;
	return obj;
}
