/* retry_intake: check and queue a failed event (see retry_intake.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "event.h"
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

/* The envelope's fields: every one but payload an optional string. */
static const struct {
	const char	*name;
	size_t		 max_chars;
	bool		 one_line;
} fields[ENV__MAX] = {
	[ENV_PAYLOAD] =		{ "payload", ACTIVITY_MAX_BODY, false },
	[ENV_WORKFLOW] =	{ "workflow", 255, true },
	[ENV_EXECUTION_ID] =	{ "execution_id", 255, true },
	[ENV_LEAD_ID] =		{ "lead_id", 255, true },
	[ENV_EVENT_TYPE] =	{ "event_type", 64, true },
	[ENV_ERROR] =		{ "error", RETRY_MAX_ERROR, false },
	[ENV_STATE] =		{ "state", 16, true },
};

/* What is wrong with string s[0..len) as field f, or NULL. */
static const char *
text_problem(enum envelope_field f, const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return "must not contain NUL characters";
	if (!utf8_valid(s, len))
		return "is not valid UTF-8";
	if (utf8_length(s, len) > fields[f].max_chars)
		return f == ENV_PAYLOAD ? "is larger than 1 MiB" :
		    f == ENV_ERROR ? "is longer than 16384 characters" :
		    f == ENV_EVENT_TYPE ? "is longer than 64 characters" :
		    "is longer than 255 characters";
	for (i = 0; fields[f].one_line && i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "must not contain control characters";
	return NULL;
}

/*
 * Check the envelope jb (an object; body is its text): fills text[]
 * (pointing into the root, into the payload's serialization, or to *raw,
 * all freed by the caller) or appends errors.
 */
static void
check_envelope(const struct json_body *jb, const char *body,
    const char *text[ENV__MAX], char **raw, json_object *errors)
{
	const struct json_body_part *part;
	const char	*problem;
	bool		 payload_named = false;
	size_t		 p = 0;
	int		 f;

	json_object_object_foreach(jb->root, key, val) {
		part = &jb->part[p++];
		for (f = 0; f < ENV__MAX; f++)
			if (strcmp(key, fields[f].name) == 0)
				break;
		if (f == ENV__MAX) {
			event_error(errors, key, "is not a field of the retry "
			    "queue (the event goes in payload)");
			continue;
		}
		if (f == ENV_PAYLOAD)
			payload_named = val != NULL;
		if (val == NULL)	/* JSON null: as if absent */
			continue;
		/*
		 * A payload that json-c would alter (a repeated key, a lone
		 * surrogate, a number beyond 64 bits) is kept as its text, so
		 * that the replay refuses it for what it is instead of
		 * storing what json-c made of it. A string cannot be: its
		 * text is not storable, as any other field's.
		 */
		if (part->problem != NULL && (f != ENV_PAYLOAD ||
		    json_object_is_type(val, json_type_string))) {
			event_error(errors, key, part->problem);
			continue;
		}
		if (part->problem != NULL) {
			if ((*raw = strndup(body + part->start,
			    part->end - part->start)) == NULL)
				event_error(errors, key, "out of memory");
			text[f] = *raw;
			continue;
		}
		if (f == ENV_PAYLOAD && !json_object_is_type(val,
		    json_type_string)) {
			/* Any other value is kept as its compact JSON. */
			text[f] = json_object_to_json_string_ext(val,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			continue;
		}
		if (!json_object_is_type(val, json_type_string)) {
			event_error(errors, key, "must be a string");
			continue;
		}
		text[f] = json_object_get_string(val);
		if ((problem = text_problem(f, text[f],
		    (size_t)json_object_get_string_len(val))) == NULL &&
		    f == ENV_PAYLOAD && text[f][0] == '\0')
			problem = "must not be empty";
		if (problem == NULL && f == ENV_STATE &&
		    strcmp(text[f], "pending") != 0 &&
		    strcmp(text[f], "refused") != 0)
			problem = "must be \"pending\" (replay it) or "
			    "\"refused\" (keep it for a person to review)";
		if (problem != NULL) {
			event_error(errors, key, problem);
			text[f] = NULL;
		}
	}
	if (!payload_named)
		event_error(errors, "payload", "is required (the event that "
		    "could not be logged)");
}

static json_object *
answer(long long id, bool duplicate, int *status)
{
	json_object *obj = json_object_new_object();

	*status = duplicate ? 200 : 201;
	json_object_object_add(obj, "status",
	    json_object_new_string(duplicate ? "duplicate" : "queued"));
	json_object_object_add(obj, "id", json_object_new_int64(id));
	json_object_object_add(obj, "duplicate",
	    json_object_new_boolean(duplicate));
	return obj;
}

json_object *
retry_intake(struct db *db, const struct apikey_identity *who,
    const char *body, size_t len, int *status)
{
	struct json_body jb;
	json_object	*root, *errors, *out;
	const char	*text[ENV__MAX] = { NULL };
	char		*raw = NULL;
	const char	*params[9];
	char		 why[160];
	PGresult	*res;
	int		 rc, f;

	/* The payload sits one level below the envelope. */
	if (json_body_parse(&jb, body, len, ACTIVITY_MAX_DEPTH + 1, why,
	    sizeof(why)) != 0) {
		*status = 400;
		return event_error_body(why, NULL);
	}
	root = jb.root;
	if (!json_object_is_type(root, json_type_object)) {
		*status = 400;
		json_body_free(&jb);
		return event_error_body("the body must be an object: {\"payload\": "
		    "the event, \"workflow\", \"execution_id\", \"lead_id\", "
		    "\"event_type\", \"error\", \"state\"}", NULL);
	}
	errors = json_object_new_array();
	check_envelope(&jb, body, text, &raw, errors);
	if (json_object_array_length(errors) > 0) {
		*status = 400;
		free(raw);
		json_body_free(&jb);
		return event_error_body("invalid retry-queue entry", errors);
	}
	json_object_put(errors);
	for (f = 0; f <= ENV_ERROR; f++)
		params[f] = text[f];
	params[6] = who->client_id[0] ? who->client_id : NULL;
	params[7] = who->key_id[0] ? who->key_id : NULL;
	params[8] = text[ENV_STATE];
	rc = db_exec(db, STMT_RETRY_INSERT, params, &res);
	free(raw);
	json_body_free(&jb);
	if (rc != DB_OK) {
		log_warn("retry-queue insert: %s: %s", db_status_text(rc),
		    db->error);
		*status = rc == DB_UNAVAILABLE ? 503 : rc == DB_BAD_INPUT ?
		    400 : 500;
		return event_error_body(rc == DB_UNAVAILABLE ? "database unavailable; "
		    "retry later" : rc == DB_BAD_INPUT ? "the database refused "
		    "a value of the entry" : "internal error", NULL);
	}
	out = answer(strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    PQgetvalue(res, 0, 1)[0] == 't', status);
	PQclear(res);
	return out;
}
