/* retry_intake: check and queue a failed event (see retry_intake.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "db_retry.h"
#include "event.h"
#include "fields.h"
#include "json_body.h"
#include "log.h"
#include "retry_intake.h"
#include "validate.h"

enum envelope_field {
	ENV_PAYLOAD,
	ENV_WORKFLOW,
	ENV_EXECUTION_ID,
	ENV_LEAD_ID,
	ENV_EVENT_TYPE,
	ENV_ERROR,
	ENV_STATE,
	ENV__MAX
};

/* One line of text: no control characters (tabs and newlines included). */
static const char *
valid_one_line(const char *s, size_t len, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "must not contain control characters";
	return NULL;
}

static const char *
valid_state(const char *s, size_t len, void *ctx)
{
	(void)len; (void)ctx;
	if (strcmp(s, "pending") != 0 && strcmp(s, "refused") != 0)
		return "must be \"pending\" (replay it) or \"refused\" (keep "
		    "it for a person to review)";
	return NULL;
}

#define TOO_LONG_255	"is longer than 255 characters"

/* The envelope's fields: the payload (any JSON) and optional strings. */
static const struct field fields[ENV__MAX] = {
	[ENV_PAYLOAD] =		{ "payload", FIELD_JSON, "is required (the event "
	    "that could not be logged)", ACTIVITY_MAX_BODY,
	    "is larger than 1 MiB", false, NULL },
	[ENV_WORKFLOW] =	{ "workflow", FIELD_STRING, NULL, 255,
	    TOO_LONG_255, true, valid_one_line },
	[ENV_EXECUTION_ID] =	{ "execution_id", FIELD_STRING, NULL, 255,
	    TOO_LONG_255, true, valid_one_line },
	[ENV_LEAD_ID] =		{ "lead_id", FIELD_STRING, NULL, 255,
	    TOO_LONG_255, true, valid_one_line },
	[ENV_EVENT_TYPE] =	{ "event_type", FIELD_STRING, NULL, 64,
	    "is longer than 64 characters", true, valid_one_line },
	[ENV_ERROR] =		{ "error", FIELD_STRING, NULL, RETRY_MAX_ERROR,
	    "is longer than 16384 characters", true, NULL },
	[ENV_STATE] =		{ "state", FIELD_STRING, NULL, 16,
	    "is longer than 16 characters", true, valid_state },
};

static const struct field_table envelope = {
	fields, ENV__MAX,
	"is not a field of the retry queue (the event goes in payload)"
};

/* What accept keeps: each field's text, and the body it may come from. */
struct envelope_text {
	const char		*text[ENV__MAX];
	const struct json_body	*jb;
	const char		*body;
	char			*raw;	/* a payload kept as sent; caller frees */
};

/*
 * Keep a field that passed the table's checks. A payload that json-c
 * would alter (a repeated key, a lone surrogate, a number beyond 64 bits)
 * is kept as its text, so that the replay refuses it for what it is
 * instead of storing what json-c made of it; any other non-string payload
 * as its compact JSON.
 */
static const char *
accept(void *ctx, size_t f, size_t member, json_object *val, const char *s,
    size_t len, char *msg, size_t msgsz)
{
	struct envelope_text		*et = ctx;
	const struct json_body_part	*part = &et->jb->part[member];

	(void)len; (void)msg; (void)msgsz;
	if (part->problem != NULL) {
		if ((et->raw = strndup(et->body + part->start,
		    part->end - part->start)) == NULL)
			return "out of memory";
		et->text[f] = et->raw;
	} else if (s == NULL)
		et->text[f] = json_object_to_json_string_ext(val,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	else
		et->text[f] = s;
	return NULL;
}

/* Refused, for why (NULL: the errors say it), with errors (or NULL). */
static enum retry_verdict
refused(struct retry_intake_result *out, const char *why, json_object *errors)
{
	out->verdict = RETRY_REFUSED;
	snprintf(out->message, sizeof(out->message), "%s", why);
	out->errors = errors;
	return RETRY_REFUSED;
}

void
retry_intake_result_free(struct retry_intake_result *r)
{
	if (r == NULL)
		return;
	json_object_put(r->errors);
	r->errors = NULL;
}

enum retry_verdict
retry_intake(struct db *db, const struct apikey_identity *who,
    const char *body, size_t len, struct retry_intake_result *out)
{
	struct json_body jb;
	json_object	*root, *errors;
	struct envelope_text	 et;
	struct db_retry_entry	 entry;
	char		 why[160];
	bool		 duplicate;
	int		 rc;

	memset(out, 0, sizeof(*out));
	/* The payload sits one level below the envelope. */
	if (json_body_parse(&jb, body, len, ACTIVITY_MAX_DEPTH + 1, why,
	    sizeof(why)) != 0)
		return refused(out, why, NULL);
	root = jb.root;
	if (!json_object_is_type(root, json_type_object)) {
		json_body_free(&jb);
		return refused(out, "the body must be an object: "
		    "{\"payload\": the event, \"workflow\", \"execution_id\", "
		    "\"lead_id\", \"event_type\", \"error\", \"state\"}", NULL);
	}
	errors = json_object_new_array();
	memset(&et, 0, sizeof(et));
	et.jb = &jb;
	et.body = body;
	(void)fields_check(&envelope, root, jb.part, accept, &et, errors);
	if (json_object_array_length(errors) > 0) {
		free(et.raw);
		json_body_free(&jb);
		return refused(out, "invalid retry-queue entry", errors);
	}
	json_object_put(errors);
	entry = (struct db_retry_entry){ et.text[ENV_PAYLOAD],
	    et.text[ENV_WORKFLOW], et.text[ENV_EXECUTION_ID],
	    et.text[ENV_LEAD_ID], et.text[ENV_EVENT_TYPE], et.text[ENV_ERROR],
	    who->client_id[0] ? who->client_id : NULL,
	    who->key_id[0] ? who->key_id : NULL, et.text[ENV_STATE] };
	rc = db_retry_insert(db, &entry, &out->id, &duplicate);
	free(et.raw);
	json_body_free(&jb);
	if (rc != DB_OK) {
		log_warn("retry-queue insert: %s: %s", db_status_text(rc),
		    db->error);
		out->db_rc = rc;
		return out->verdict = RETRY_DB_FAILED;
	}
	out->verdict = duplicate ? RETRY_DUPLICATE : RETRY_QUEUED;
	return out->verdict;
}
