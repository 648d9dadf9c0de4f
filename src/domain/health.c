/* health: activity figures and red flags (see health.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "health.h"
#include "log.h"
#include "validate.h"

/* Past this many count rows waiting to be folded, they are folded before
 * answering (normally the worker keeps up; this keeps the answer fast even
 * without one). */
#define UNCOMPACTED_MAX		500

static long long
num(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? 0 :
	    strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

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

static int
health_query(struct db *db, PGresult **res)
{
	const char	*tz = config_get("MINICRM_TIMEZONE");
	const char	*params[1] = { tz ? tz : "UTC" };
	int		 rc;

	rc = db_exec(db, STMT_HEALTH, params, res);
	if (rc == DB_BAD_INPUT) {
		log_warn("MINICRM_TIMEZONE %s: %s; using UTC", params[0],
		    db->error);
		params[0] = "UTC";
		rc = db_exec(db, STMT_HEALTH, params, res);
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
	PGresult	*res, *compact;
	json_object	*obj, *reasons;
	long long	 last_hour, queue;
	bool		 business;
	char		 why[96];
	int		 rc;

	if ((rc = health_query(db, &res)) != DB_OK)
		return unavailable(status);
	if (num(res, 5) > UNCOMPACTED_MAX &&
	    db_exec(db, STMT_COUNTS_COMPACT, NULL, &compact) == DB_OK) {
		PQclear(compact);
		PQclear(res);
		if ((rc = health_query(db, &res)) != DB_OK)
			return unavailable(status);
	}

	last_hour = num(res, 0);
	queue = num(res, 2);
	business = in_business_hours((int)num(res, 6), (int)num(res, 7));
	reasons = json_object_new_array();
	if (last_hour == 0 && business)
		json_object_array_add(reasons, json_object_new_string(
		    "no events in the last hour during business hours: "
		    "workflows inactive or portal unreachable"));
	if (queue > HEALTH_RETRY_QUEUE_ALERT) {
		snprintf(why, sizeof(why), "retry queue holds %lld events "
		    "(alert above %d)", queue, HEALTH_RETRY_QUEUE_ALERT);
		json_object_array_add(reasons, json_object_new_string(why));
	}

	obj = json_object_new_object();
	json_object_object_add(obj, "status", json_object_new_string(
	    json_object_array_length(reasons) ? "degraded" : "healthy"));
	json_object_object_add(obj, "events_last_hour",
	    json_object_new_int64(last_hour));
	json_object_object_add(obj, "events_last_24h",
	    json_object_new_int64(num(res, 1)));
	json_object_object_add(obj, "retry_queue_size",
	    json_object_new_int64(queue));
	json_object_object_add(obj, "oldest_retry_age_seconds",
	    PQgetisnull(res, 0, 3) ? NULL : json_object_new_int64(num(res, 3)));
	json_object_object_add(obj, "last_event_at", PQgetisnull(res, 0, 4) ?
	    NULL : json_object_new_string(PQgetvalue(res, 0, 4)));
	json_object_object_add(obj, "business_hours",
	    json_object_new_boolean(business));
	json_object_object_add(obj, "reasons", reasons);
	PQclear(res);
	*status = 200;
	return obj;
}

json_object *
health_ready(struct db *db, int *status)
{
	PGresult	*res;
	json_object	*obj;

	if (db_exec(db, STMT_PING, NULL, &res) != DB_OK)
		return unavailable(status);
	PQclear(res);
	obj = json_object_new_object();
	json_object_object_add(obj, "status", json_object_new_string("ok"));
	json_object_object_add(obj, "database", json_object_new_string("ok"));
	*status = 200;
	return obj;
}
