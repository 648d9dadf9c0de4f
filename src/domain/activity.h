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

#include <stdbool.h>
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

/* The plain store: one statement on the struct db passed as arg, again
 * after a deadlock (at most three times). */
int		 activity_store_direct(void *db, const char *rows, size_t nrows,
		    long long *ids, int *dups);

/* What became of one event of the body. */
enum activity_fate {
	ACTIVITY_STORED,	/* committed now */
	ACTIVITY_DUPLICATE,	/* committed before (its idempotency key) */
	ACTIVITY_REFUSED	/* invalid: nothing of it written */
};

struct activity_event {
	enum activity_fate	 fate;
	long long		 id;	 /* stored or duplicate: its log row */
	json_object		*errors; /* refused: [{"field", "message"}] */
};

/* What became of the body as a whole. */
enum activity_verdict {
	ACTIVITY_DONE,		/* each event has its fate in events[] */
	ACTIVITY_BAD_BODY,	/* not an event or a batch: message says why */
	ACTIVITY_TOO_MANY,	/* over ACTIVITY_MAX_BATCH events: none read */
	ACTIVITY_DB_FAILED,	/* nothing stored: the db_status is db_rc */
	ACTIVITY_NO_MEMORY
};

/*
 * An ingest's outcome, typed: the API turns it into a status and a body
 * (cgi-bin/api.c), the replay into a row's progress. Filled by
 * activity_ingest; the caller frees it with activity_result_free.
 */
struct activity_result {
	enum activity_verdict	 verdict;
	int			 db_rc;		/* ACTIVITY_DB_FAILED */
	char			 message[160];	/* BAD_BODY, TOO_MANY */
	bool			 batch;		/* the body was an array */
	size_t			 n;		/* events[] (DONE) */
	struct activity_event	*events;
	size_t			 stored, duplicates, refused;
};

/*
 * Log the events in body[0..len) and describe what became of them in
 * *out. Stored events are committed before it returns. Returns
 * out->verdict.
 */
enum activity_verdict activity_ingest(struct db *, struct catalog *,
		    const struct activity_store *,
		    const struct apikey_identity *, const char *body,
		    size_t len, struct activity_result *out);

/* The first stored or duplicate event's id, or 0. */
long long	 activity_result_first_id(const struct activity_result *);

/* Free what activity_ingest put in r (the struct itself is the caller's). */
void		 activity_result_free(struct activity_result *r);

#endif
