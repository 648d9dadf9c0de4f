/* event: the field table and validators of an activity event (event.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "event.h"
#include "fields.h"
#include "lead_filters.h"
#include "validate.h"

/* What the validators and the accept function share while one event is
 * checked. */
struct check {
	int64_t		 now;	/* bounds occurred_at */
	struct event	*ev;	/* filled as fields pass */
};

/* Identifiers and names: one line of printable text. Besides the ASCII
 * controls this refuses C1 controls (U+0080..U+009F, e.g. NEL) and the
 * Unicode line and paragraph separators, which also break a line. */
static const char *
valid_single_line(const char *str, size_t len, void *ctx)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == 0xc2 && i + 1 < len && s[i + 1] <= 0x9f) ||
		    (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)))
			return "must not contain control characters";
	}
	return NULL;
}

/* Free text: lines and tabs are fine, other control characters are not. */
static const char *
valid_text(const char *s, size_t len, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
		    c == 0x7f)
			return "must not contain control characters";
	}
	return NULL;
}

static const char *
valid_type_name(const char *s, size_t len, void *ctx)
{
	size_t i;

	(void)ctx;
	if (s[0] < 'A' || s[0] > 'Z')
		return "must be an upper-case name such as MESSAGE_SENT";
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return "must be an upper-case name such as MESSAGE_SENT";
	return NULL;
}

static const char *
valid_timestamp(const char *s, size_t len, void *ctx)
{
	struct check	*c = ctx;
	int64_t		*usec = &c->ev->occurred_usec;

	(void)len;
	if (rfc3339_parse(s, usec) == -1)
		return "must be an RFC 3339 date-time such as "
		    "2025-11-07T10:15:30Z";
	if (*usec < 0)
		return "must not be before 1970";
	if (*usec > c->now + 86400LL * 1000000)
		return "must not be more than a day in the future";
	return NULL;
}

#define REQUIRED	"is required"

static const struct field fields[EVF__MAX] = {
	[EVF_EVENT_TYPE] =	{ "event_type", FIELD_STRING, REQUIRED, 64, NULL, false, valid_type_name },
	[EVF_LEAD_ID] =		{ "lead_id", FIELD_STRING, REQUIRED, 255, NULL, false, valid_single_line },
	[EVF_CLIENT_ID] =	{ "client_id", FIELD_STRING, NULL, 64, NULL, false, valid_single_line },
	[EVF_OCCURRED_AT] =	{ "occurred_at", FIELD_STRING, NULL, 64, NULL, false, valid_timestamp },
	[EVF_SOURCE] =		{ "source", FIELD_STRING, NULL, 255, NULL, false, valid_single_line },
	[EVF_EXECUTION_ID] =	{ "execution_id", FIELD_STRING, NULL, 255, NULL, false, valid_single_line },
	[EVF_IDEMPOTENCY_KEY] =	{ "idempotency_key", FIELD_STRING, NULL, 255, NULL, false, valid_single_line },
	[EVF_CHANNEL] =		{ "channel", FIELD_STRING, NULL, 64, NULL, false, valid_single_line },
	[EVF_MESSAGE] =		{ "message", FIELD_STRING, NULL, 16384, NULL, false, valid_text },
	[EVF_METADATA] =	{ "metadata", FIELD_OBJECT, NULL, 0, NULL, false, NULL },
};

static const struct field_table event_table = {
	fields, EVF__MAX,
	"is not a field of an event; put extra data in metadata"
};

const char *
event_field_name(enum event_field f)
{
	return fields[f].name;
}

void
event_error(json_object *errors, const char *field, const char *message)
{
	fields_error(errors, field, message);
}

/* Every key and string inside metadata must be storable as jsonb text. */
static const char *
metadata_problem(json_object *v)
{
	const char	*why;
	size_t		 i, n;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return fields_text_problem(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if ((why = metadata_problem(
			    json_object_array_get_idx(v, i))) != NULL)
				return why;
		return NULL;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			if ((why = fields_text_problem(key, strlen(key))) != NULL)
				return why;
			if ((why = metadata_problem(val)) != NULL)
				return why;
		}
		return NULL;
	}
	default:
		return NULL;
	}
}

/* Keep a field that passed the table's checks in the event. */
static const char *
accept(void *ctx, size_t f, size_t member, json_object *val, const char *s,
    size_t len, char *msg, size_t msgsz)
{
	struct check	*c = ctx;
	const char	*why;

	(void)member; (void)len;
	if (f == EVF_METADATA) {
		if ((why = metadata_problem(val)) != NULL) {
			snprintf(msg, msgsz, "holds a string that %s", why);
			return msg;
		}
		c->ev->metadata = val;
		return NULL;
	}
	c->ev->text[f] = s;
	return NULL;
}

/* metadata.name as a whole number in [min, max]: NULL if absent, else
 * whether it is one (*out set). */
static const char *
metadata_integer(json_object *meta, const char *name, long min, long max,
    long *out, bool *present)
{
	json_object	*v;
	int64_t		 n;

	*present = json_object_object_get_ex(meta, name, &v) && v != NULL;
	if (!*present)
		return NULL;
	if (!json_object_is_type(v, json_type_int))
		return "must be a whole number";
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return min == 0 ? "must be between 0 and 1000" :
		    "must be between 1 and 100000";
	*out = (long)n;
	return NULL;
}

/*
 * The metadata that moves a lead through a campaign (sql/0011): a
 * campaign by id (a uuid) or by name, a step (the message just sent, from
 * 1), a campaign's total_steps (when an enrolment makes it known). An
 * enrolment must name its campaign, a step must say whose it is: refused
 * here, with the field named, rather than stored and silently ignored.
 */
static bool
campaign_fields_check(const struct event *ev, json_object *errors)
{
	json_object	*meta = ev->metadata, *id = NULL, *name = NULL;
	const char	*type = ev->text[EVF_EVENT_TYPE], *why;
	bool		 ok = true, has_step, has_total;
	long		 n;

	if (meta != NULL) {
		json_object_object_get_ex(meta, "campaign_id", &id);
		json_object_object_get_ex(meta, "campaign", &name);
	}
	if (id != NULL && !(json_object_is_type(id, json_type_string) &&
	    lead_uuid_valid(json_object_get_string(id)))) {
		event_error(errors, "metadata.campaign_id",
		    "must be a campaign's id (a uuid)");
		ok = false;
	}
	if (name != NULL && (!json_object_is_type(name, json_type_string) ||
	    json_object_get_string_len(name) < 1 ||
	    utf8_length(json_object_get_string(name),
	    (size_t)json_object_get_string_len(name)) > 200 ||
	    valid_single_line(json_object_get_string(name),
	    (size_t)json_object_get_string_len(name), NULL) != NULL)) {
		event_error(errors, "metadata.campaign",
		    "must be a campaign's name: one line of 1 to 200 characters");
		ok = false;
	}
	has_step = has_total = false;
	if (meta != NULL && (why = metadata_integer(meta, "step", 1, 100000,
	    &n, &has_step)) != NULL) {
		event_error(errors, "metadata.step", why);
		ok = false;
	}
	if (meta != NULL && (why = metadata_integer(meta, "total_steps", 0,
	    1000, &n, &has_total)) != NULL) {
		event_error(errors, "metadata.total_steps", why);
		ok = false;
	}
	if (id == NULL && name == NULL) {
		if (strcmp(type, "CAMPAIGN_ENROLLED") == 0) {
			event_error(errors, "metadata.campaign",
			    "is required for CAMPAIGN_ENROLLED: the campaign's "
			    "name, or its id as metadata.campaign_id");
			ok = false;
		} else if (has_step && strcmp(type, "MESSAGE_SENT") == 0) {
			event_error(errors, "metadata.campaign",
			    "is required with metadata.step: the campaign's "
			    "name, or its id as metadata.campaign_id");
			ok = false;
		}
	}
	return ok;
}

bool
event_check(json_object *obj, int64_t now_usec, struct event *ev,
    json_object *errors)
{
	struct check c = { now_usec, ev };

	memset(ev, 0, sizeof(*ev));
	if (!json_object_is_type(obj, json_type_object)) {
		event_error(errors, "event", "must be a JSON object");
		return false;
	}
	if (!fields_check(&event_table, obj, NULL, accept, &c, errors))
		return false;
	return campaign_fields_check(ev, errors);
}

const char *
event_idempotency_key(const struct event *ev, char *out, size_t outsz)
{
	static const enum event_field parts[] =
	    { EVF_SOURCE, EVF_EXECUTION_ID, EVF_EVENT_TYPE, EVF_LEAD_ID };
	crypto_hash_sha256_state st;
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	char		 hex[2 * 16 + 1];
	size_t		 i;

	if (ev->text[EVF_IDEMPOTENCY_KEY] != NULL)
		return ev->text[EVF_IDEMPOTENCY_KEY];
	if (ev->text[EVF_EXECUTION_ID] == NULL)
		return NULL;
	/* Length-prefixed parts, so ("ab","c") and ("a","bc") differ. */
	crypto_hash_sha256_init(&st);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const char	*p = ev->text[parts[i]] ? ev->text[parts[i]] : "";
		uint32_t	 n = (uint32_t)strlen(p);

		crypto_hash_sha256_update(&st, (const unsigned char *)&n,
		    sizeof(n));
		crypto_hash_sha256_update(&st, (const unsigned char *)p, n);
	}
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(hex, sizeof(hex), digest, 16);
	snprintf(out, outsz, "exec:%s", hex);
	return out;
}

json_object *
event_error_body(const char *message, json_object *errors)
{
	json_object *obj = json_object_new_object();

	if (errors == NULL) {
		errors = json_object_new_array();
		event_error(errors, "body", message);
	}
	json_object_object_add(obj, "error", json_object_new_string(message));
	json_object_object_add(obj, "errors", errors);
	return obj;
}
