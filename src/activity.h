/*
 * activity: logging lead activity — the business rules of the ingest API,
 * independent of HTTP, so the API and the retry-queue replay share them.
 *
 * A body is one event object or an array of up to ACTIVITY_MAX_BATCH. Each
 * event is checked (event.c), resolved against the catalog (client, event
 * type) and the valid ones are stored in one statement, one transaction
 * (log_activity_batch in sql/). A rejected event writes nothing.
 */
#ifndef MINICRM_ACTIVITY_H
#define MINICRM_ACTIVITY_H

#include <stddef.h>
#include <json-c/json.h>

#include "apikey.h"
#include "catalog.h"
#include "db.h"

#define ACTIVITY_MAX_BODY	(1024 * 1024)
#define ACTIVITY_MAX_BATCH	1000
#define ACTIVITY_MAX_DEPTH	32

/*
 * Log the events in body[0..len). Returns the response object (the caller
 * frees it with json_object_put) and sets *status to the HTTP status that
 * goes with it: 201 stored, 200 duplicate, 207 batch partly rejected,
 * 400 invalid, 413 too many events, 503 database unavailable, 500 other.
 * A 2xx is returned only after the commit.
 */
json_object	*activity_ingest(struct db *, struct catalog *,
		    const struct apikey_identity *, const char *body,
		    size_t len, int *status);

#endif
