/*
 * event: the activity event of the JSON API, checked at the door.
 *
 * event_check() reads one JSON object against the field table in event.c
 * and either fills a struct event with typed, validated values or appends
 * one {"field", "message"} object per problem to an errors array. Handlers
 * only ever read a struct event that passed. Pure: no database, no globals.
 */
#ifndef MINICRM_EVENT_H
#define MINICRM_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

enum event_field {
	EVF_EVENT_TYPE,
	EVF_LEAD_ID,
	EVF_CLIENT_ID,
	EVF_OCCURRED_AT,
	EVF_SOURCE,
	EVF_EXECUTION_ID,
	EVF_IDEMPOTENCY_KEY,
	EVF_CHANNEL,
	EVF_MESSAGE,
	EVF_METADATA,
	EVF__MAX
};

#define EVENT_MAX_BYTES		(64 * 1024)

struct event {
	/* Strings point into the JSON object checked; NULL if absent. */
	const char	*text[EVF__MAX];
	json_object	*metadata;	/* NULL if absent */
	int64_t		 occurred_usec;	/* valid if text[EVF_OCCURRED_AT] */
};

/* The field's name in the API ("event_type", ...). */
const char	*event_field_name(enum event_field);

/*
 * Check obj. Returns true and fills *ev if it is a valid event; otherwise
 * appends to errors (a json array owned by the caller) and returns false.
 * now_usec bounds occurred_at (at most a day in the future).
 */
bool		 event_check(json_object *obj, int64_t now_usec,
		    struct event *ev, json_object *errors);

/*
 * The API's error answer: {"error": message, "errors": errors}, errors
 * defaulting to [{"field": "body", "message": message}]. Takes ownership
 * of errors; the caller owns the result.
 */
json_object	*event_error_body(const char *message, json_object *errors);

/* Append {"field": field, "message": message} to errors. */
void		 event_error(json_object *errors, const char *field,
		    const char *message);

/*
 * The key that makes a retried event a duplicate: the caller's
 * idempotency_key, else one derived from source, execution_id, event type
 * and lead (so n8n's "Retry On Fail" stores each item once), else none.
 * Writes into out (at least 80 bytes) and returns it, or returns NULL.
 */
const char	*event_idempotency_key(const struct event *, char *out,
		    size_t outsz);

#endif
