/* nurture_events: SendGrid's Event Webhook posts (see nurture_events.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db_nurture_events.h"
#include "fields.h"
#include "json_body.h"
#include "log.h"
#include "nurture.h"
#include "nurture_events.h"
#include "validate.h"

/* How much of a refused event's text its workflow_errors row keeps. */
#define REFUSED_TEXT_MAX	1000
/* The latest timestamp taken: 9999-12-31T23:59:59Z. */
#define TIMESTAMP_MAX		253402300799LL

/* The members checked by type; the rest are kept as sent. */
enum member {
	M_EVENT, M_TIMESTAMP, M_EMAIL, M_SG_EVENT_ID, M_SG_MESSAGE_ID, M_URL,
	M_REASON, M_RESPONSE, M_TYPE, M__MAX
};

static const char *const member_names[M__MAX] = {
	[M_EVENT] = "event", [M_TIMESTAMP] = "timestamp", [M_EMAIL] = "email",
	[M_SG_EVENT_ID] = "sg_event_id", [M_SG_MESSAGE_ID] = "sg_message_id",
	[M_URL] = "url", [M_REASON] = "reason", [M_RESPONSE] = "response",
	[M_TYPE] = "type",
};

/* Refuse event index for field with message: one entry in the answer's
 * errors and one (with the event's text) in what the store records. */
static void
refuse(struct nurture_events_batch *b, size_t index, const char *field,
    const char *message, const char *text, size_t len)
{
	json_object	*e = json_object_new_object();
	json_object	*r = json_object_new_object();

	/* Cut on a character boundary: the text is valid UTF-8. */
	if (len > REFUSED_TEXT_MAX) {
		len = REFUSED_TEXT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	json_object_object_add(e, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(b->errors, e);
	json_object_object_add(r, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(r, "field", json_object_new_string(field));
	json_object_object_add(r, "message", json_object_new_string(message));
	json_object_object_add(r, "event", json_object_new_string_len(text,
	    (int)len));
	json_object_array_add(b->refused, r);
}

/* What jsonb would refuse anywhere in v (a NUL in a string, a number
 * json-c could not hold), or NULL. The nesting is bounded by the parse. */
static const char *
deep_problem(json_object *v)
{
	const char	*why = NULL;
	size_t		 i, n;
	double		 d;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return fields_text_problem(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	case json_type_double:
		d = json_object_get_double(v);
		return isfinite(d) ? NULL : "holds a number out of range";
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n && why == NULL; i++)
			why = deep_problem(json_object_array_get_idx(v, i));
		return why;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if ((why = deep_problem(val)) != NULL)
				return why;
		}
		return NULL;
	}
	default:
		return NULL;
	}
}

/* Is s an event name as SendGrid sends them (and email_events keeps)? */
static bool
event_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > 40)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

/* Check one member; its problem, or NULL. */
static const char *
member_problem(enum member m, json_object *v)
{
	const char	*s;
	size_t		 len;
	int64_t		 ts;

	if (m == M_TIMESTAMP) {
		if (v == NULL)
			return "is required";
		if (!json_object_is_type(v, json_type_int))
			return "must be whole seconds since 1970 (a number)";
		ts = json_object_get_int64(v);
		return ts < 0 || ts > TIMESTAMP_MAX ?
		    "must be whole seconds between 1970 and 9999" : NULL;
	}
	if (v == NULL)
		return m == M_EVENT ? "is required" : m == M_EMAIL ?
		    "is required" : NULL;
	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (m == M_EVENT && !event_name_ok(s, len))
		return "must be an event name (a-z and _, at most 40)";
	if (m == M_EMAIL && len == 0)
		return "must not be empty";
	if (m == M_SG_EVENT_ID && (len == 0 || utf8_length(s, len) > 200))
		return "must be 1 to 200 characters";
	return NULL;
}

/* Check event i (obj, its text body[part->start..part->end)); true if it
 * may be stored. */
static bool
event_check(struct nurture_events_batch *b, size_t i, json_object *obj,
    const struct json_body_part *part, const char *body)
{
	const char	*text = body + part->start, *why;
	size_t		 len = part->end - part->start;
	bool		 ok = true;
	int		 m;

	if (part->problem != NULL) {
		refuse(b, i, "event", part->problem, text, len);
		return false;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		refuse(b, i, "event", "must be an object", text, len);
		return false;
	}
	for (m = 0; m < M__MAX; m++) {
		json_object *v = NULL;

		/* null is as absent, as everywhere in the API */
		if (!json_object_object_get_ex(obj, member_names[m], &v) ||
		    json_object_is_type(v, json_type_null))
			v = NULL;
		if ((why = member_problem((enum member)m, v)) != NULL) {
			refuse(b, i, member_names[m], why, text, len);
			ok = false;
		}
	}
	if (ok && (why = deep_problem(obj)) != NULL) {
		refuse(b, i, "event", why, text, len);
		ok = false;
	}
	return ok;
}

int
nurture_events_parse(const char *body, size_t len,
    struct nurture_events_batch *b, char *why, size_t whysz)
{
	struct json_body	 jb;
	size_t			 i;
	int			 rc = -1;

	memset(b, 0, sizeof(*b));
	b->refused = json_object_new_array();
	b->errors = json_object_new_array();
	if (json_body_parse(&jb, body, len, NURTURE_EVENTS_MAX_DEPTH, why,
	    whysz) != 0)
		goto out;
	if (!json_object_is_type(jb.root, json_type_array)) {
		snprintf(why, whysz, "the body must be a JSON array of "
		    "SendGrid events");
		goto out;
	}
	b->received = (long)jb.nparts;
	buf_putc(&b->accepted, '[');
	for (i = 0; i < jb.nparts; i++) {
		if (!event_check(b, i, json_object_array_get_idx(jb.root, i),
		    &jb.part[i], body)) {
			b->refused_n++;
			continue;
		}
		if (b->accepted_n++ > 0)
			buf_putc(&b->accepted, ',');
		buf_append(&b->accepted, body + jb.part[i].start,
		    jb.part[i].end - jb.part[i].start);
	}
	buf_putc(&b->accepted, ']');
	if (buf_failed(&b->accepted)) {
		snprintf(why, whysz, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_body_free(&jb);
	return rc;
}

void
nurture_events_batch_free(struct nurture_events_batch *b)
{
	if (b == NULL)
		return;
	buf_free(&b->accepted);
	json_object_put(b->refused);
	json_object_put(b->errors);
	b->refused = b->errors = NULL;
}

void
nurture_events_ingest(struct db *db, const char *body, size_t len,
    struct nurture_events_result *out)
{
	struct nurture_events_batch	 b;
	struct db_nurture_events_counts	 c;
	struct nurture_run		 run = { NURTURE_EVENTS, 0 };
	int				 rc, attempt;

	memset(out, 0, sizeof(*out));
	if (nurture_events_parse(body, len, &b, out->message,
	    sizeof(out->message)) != 0) {
		out->verdict = NURTURE_EVENTS_BAD_BODY;
		nurture_events_batch_free(&b);
		return;
	}
	out->received = b.received;
	out->refused = b.refused_n;
	for (attempt = 0; ; attempt++) {
		rc = db_nurture_events_store(db, buf_str(&b.accepted),
		    json_object_to_json_string_ext(b.refused,
		    JSON_C_TO_STRING_PLAIN), &c);
		/* Two posts about the same leads can still meet in a lock
		 * PostgreSQL resolves by aborting one: once more. */
		if (rc != DB_RETRY || attempt > 0)
			break;
	}
	if (rc != DB_OK) {
		out->verdict = NURTURE_EVENTS_DB_FAILED;
		out->db_rc = rc;
		log_warn("sendgrid webhook: %ld events not stored: %s",
		    b.received, db->error);
		if (rc != DB_UNAVAILABLE)
			nurture_run_error(db, &run, db->error, NULL);
		nurture_events_batch_free(&b);
		return;
	}
	out->verdict = NURTURE_EVENTS_STORED;
	out->stored = c.stored;
	out->duplicates = c.duplicates;
	out->unknown_sends = c.unknown_sends;
	out->errors = json_object_get(b.errors);
	nurture_events_batch_free(&b);
}

void
nurture_events_result_free(struct nurture_events_result *r)
{
	if (r == NULL)
		return;
	json_object_put(r->errors);
	r->errors = NULL;
}
