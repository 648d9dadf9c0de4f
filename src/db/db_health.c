/* db_health: the activity-health figures (see db_health.h). */
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_health.h"
#include "db_store.h"

int
db_health_read(struct db *db, const char *tz, struct db_health *out)
{
	const char	*params[1] = { tz };
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_HEALTH, params, &res)) != DB_OK)
		return rc;
	out->events_last_hour = db_store_int(res, 0, HEALTH_EVENTS_LAST_HOUR);
	out->events_last_24h = db_store_int(res, 0, HEALTH_EVENTS_LAST_24H);
	out->retry_queue_size = db_store_int(res, 0, HEALTH_RETRY_QUEUE_SIZE);
	out->has_oldest_retry_age = PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, HEALTH_OLDEST_RETRY_AGE);
	out->oldest_retry_age_seconds = db_store_int(res, 0,
	    HEALTH_OLDEST_RETRY_AGE);
	out->has_last_event = PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, HEALTH_LAST_EVENT_AT);
	if (out->has_last_event)
		snprintf(out->last_event_at, sizeof(out->last_event_at), "%s",
		    PQgetvalue(res, 0, HEALTH_LAST_EVENT_AT));
	out->uncompacted_rows = db_store_int(res, 0, HEALTH_UNCOMPACTED_ROWS);
	out->isodow = (int)db_store_int(res, 0, HEALTH_ISODOW);
	out->hour = (int)db_store_int(res, 0, HEALTH_HOUR);
	PQclear(res);
	return DB_OK;
}

int
db_health_compact(struct db *db, long long *folded)
{
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_COUNTS_COMPACT, NULL, &res)) != DB_OK)
		return rc;
	if (folded != NULL)
		*folded = db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

int
db_health_ping(struct db *db)
{
	return db_run(db, STMT_PING, NULL);
}
