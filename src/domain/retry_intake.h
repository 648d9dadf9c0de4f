/*
 * retry_intake: the retry queue's HTTP way in (POST /api/internal/retry-queue).
 *
 * A workflow whose event could not be logged hands it over in an envelope:
 *
 *   {"payload": <the event as it was sent: any JSON value>,
 *    "workflow": "...", "execution_id": "...", "lead_id": "...",
 *    "event_type": "...", "error": "what went wrong",
 *    "state": "pending" | "refused"}
 *
 * Only payload is required. It is kept as received, valid event or not:
 * a JSON string is stored as its text (so a body that was not even JSON
 * can be queued), any other value as its compact JSON — or as the text
 * received when json-c would alter it (a repeated key, a lone surrogate,
 * a number beyond 64 bits), so the replay refuses it for what it is.
 * A repeated name in the envelope itself refuses the body. The other fields
 * default to the payload's source, execution_id, lead_id and event_type
 * (the table's trigger fills them). The same workflow, execution and
 * payload queued again is the same row (n8n retries its error branch
 * too). "state": "refused" keeps an event the API refused (a 400) for a
 * person to review: the replay does not take it by itself (sql 0008).
 * The other way in, a plain INSERT as minicrm_n8n (the instance's
 * <prefix>_n8n, docs/operations.md), is in docs/retry-queue.md.
 */
#ifndef MINICRM_RETRY_INTAKE_H
#define MINICRM_RETRY_INTAKE_H

#include <stddef.h>
#include <json-c/json.h>

#include "apikey.h"
#include "db.h"

/* Longest error text kept (characters); longer ones are refused. */
#define RETRY_MAX_ERROR		16384

/* What became of an envelope. */
enum retry_verdict {
	RETRY_QUEUED,		/* a new row: id */
	RETRY_DUPLICATE,	/* queued before: the same row's id */
	RETRY_REFUSED,		/* nothing written: message, and errors */
	RETRY_DB_FAILED		/* nothing written: the db_status in db_rc */
};

/*
 * An intake's outcome, typed: cgi-bin/api.c turns it into a status and a
 * body. Filled by retry_intake; the caller frees it with
 * retry_intake_result_free.
 */
struct retry_intake_result {
	enum retry_verdict	 verdict;
	long long		 id;		/* QUEUED, DUPLICATE */
	int			 db_rc;		/* DB_FAILED */
	char			 message[160];	/* REFUSED: why */
	/* REFUSED: [{"field", "message"}], every bad field of the
	 * envelope; NULL when the body as a whole was refused (not JSON,
	 * not an object: message says which). */
	json_object		*errors;
};

/*
 * Queue the envelope in body[0..len) (body[len] == '\0') and say what
 * became of it in *out (the caller's struct; free what it holds with
 * retry_intake_result_free, whatever the verdict). Returns out->verdict.
 * The row carries the key's client and id, so its replay logs with the
 * rights of the key that queued it.
 */
enum retry_verdict retry_intake(struct db *, const struct apikey_identity *,
		    const char *body, size_t len,
		    struct retry_intake_result *out);

/* Free what retry_intake put in r (not r itself); NULL is fine. */
void		 retry_intake_result_free(struct retry_intake_result *r);

#endif
