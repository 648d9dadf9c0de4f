/*
 * activity: logging lead activity — the business rules of the ingest API,
 * independent of HTTP, so the API and the retry-queue replay share them.
 *
 * A body is one event object or an array of up to ACTIVITY_MAX_BATCH. Each
 * event is checked (event.c), resolved against the catalog (client, event
 * type) and the valid ones are handed to a store (activity_store_direct,
 * or the group committer that coalesces concurrent requests). A rejected
 * event writes nothing; the answer is built only after the commit.
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
 * Where checked events go. store() writes rows (a JSON array of nrows
 * event rows, as log_activity_batch reads them) in one transaction and
 * fills ids[1..nrows] and dups[1..nrows] by row ordinal; it returns a
 * db_status. The caller owns every argument.
 */
struct activity_store {
	int	(*store)(void *arg, const char *rows, size_t nrows,
		    long long *ids, int *dups);
	void	*arg;
};

/* The plain store: one statement on the struct db passed as arg. */
int		 activity_store_direct(void *db, const char *rows, size_t nrows,
		    long long *ids, int *dups);

/*
 * Log the events in body[0..len). Returns the response object (the caller
 * frees it with json_object_put) and sets *status to the HTTP status that
 * goes with it: 201 stored, 200 duplicate, 207 batch partly rejected,
 * 400 invalid, 413 too many events, 503 database unavailable, 500 other.
 * A 2xx is returned only after the commit.
 */
json_object	*activity_ingest(struct db *, struct catalog *,
		    const struct activity_store *,
		    const struct apikey_identity *, const char *body,
		    size_t len, int *status);

#endif
