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

int
health_activity(struct db *db, struct health_report *out)
{
	struct db_health h;
	int		 rc;

	if ((rc = health_query(db, &h)) != DB_OK)
		return rc;
	if (h.uncompacted_rows > UNCOMPACTED_MAX &&
	    db_health_compact(db, NULL) == DB_OK &&
	    (rc = health_query(db, &h)) != DB_OK)
		return rc;

	memset(out, 0, sizeof(*out));
	out->events_last_hour = h.events_last_hour;
	out->events_last_24h = h.events_last_24h;
	out->retry_queue_size = h.retry_queue_size;
	out->has_oldest_retry_age = h.has_oldest_retry_age;
	out->oldest_retry_age_seconds = h.oldest_retry_age_seconds;
	out->has_last_event = h.has_last_event;
	memcpy(out->last_event_at, h.last_event_at,
	    sizeof(out->last_event_at));
	out->business_hours = in_business_hours(h.isodow, h.hour);
	if (h.events_last_hour == 0 && out->business_hours)
		snprintf(out->reasons[out->nreasons++],
		    sizeof(out->reasons[0]), "no events in the last hour "
		    "during business hours: workflows inactive or portal "
		    "unreachable");
	if (h.retry_queue_size > HEALTH_RETRY_QUEUE_ALERT)
		snprintf(out->reasons[out->nreasons++],
		    sizeof(out->reasons[0]), "retry queue holds %lld events "
		    "(alert above %d)", h.retry_queue_size,
		    HEALTH_RETRY_QUEUE_ALERT);
	out->status = out->nreasons > 0 ? HEALTH_DEGRADED : HEALTH_HEALTHY;
	return DB_OK;
}

const char *
health_status_name(enum health_status s)
{
	return s == HEALTH_DEGRADED ? "degraded" : "healthy";
}

int
health_ready(struct db *db)
{
	return db_health_ping(db);
}

json_object *
health_report_json(const struct health_report *h)
{
	json_object	*obj = json_object_new_object();
	json_object	*reasons = json_object_new_array();
	size_t		 i;

	for (i = 0; i < h->nreasons; i++)
		json_object_array_add(reasons,
		    json_object_new_string(h->reasons[i]));
	json_object_object_add(obj, "status",
	    json_object_new_string(health_status_name(h->status)));
	json_object_object_add(obj, "events_last_hour",
	    json_object_new_int64(h->events_last_hour));
	json_object_object_add(obj, "events_last_24h",
	    json_object_new_int64(h->events_last_24h));
	json_object_object_add(obj, "retry_queue_size",
	    json_object_new_int64(h->retry_queue_size));
	json_object_object_add(obj, "oldest_retry_age_seconds",
	    h->has_oldest_retry_age ?
	    json_object_new_int64(h->oldest_retry_age_seconds) : NULL);
	json_object_object_add(obj, "last_event_at", h->has_last_event ?
	    json_object_new_string(h->last_event_at) : NULL);
	json_object_object_add(obj, "business_hours",
	    json_object_new_boolean(h->business_hours));
	json_object_object_add(obj, "reasons", reasons);
	return obj;
}
