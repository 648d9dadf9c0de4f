/* event: the field table and validators of an activity event (event.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "event.h"
#include "validate.h"

typedef const char *(*validator)(const char *, size_t, int64_t, int64_t *);

/* Identifiers and names: one line of printable text. Besides the ASCII
 * controls this refuses C1 controls (U+0080..U+009F, e.g. NEL) and the
 * Unicode line and paragraph separators, which also break a line. */
static const char *
valid_single_line(const char *str, size_t len, int64_t now, int64_t *usec)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	(void)now; (void)usec;
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
valid_text(const char *s, size_t len, int64_t now, int64_t *usec)
{
	size_t i;

	(void)now; (void)usec;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
		    c == 0x7f)
			return "must not contain control characters";
	}
	return NULL;
}

static const char *
valid_type_name(const char *s, size_t len, int64_t now, int64_t *usec)
{
	size_t i;

	(void)now; (void)usec;
	if (s[0] < 'A' || s[0] > 'Z')
		return "must be an upper-case name such as MESSAGE_SENT";
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return "must be an upper-case name such as MESSAGE_SENT";
	return NULL;
}

static const char *
valid_timestamp(const char *s, size_t len, int64_t now, int64_t *usec)
{
	(void)len;
	if (rfc3339_parse(s, usec) == -1)
		return "must be an RFC 3339 date-time such as "
		    "2025-11-07T10:15:30Z";
	if (*usec < 0)
		return "must not be before 1970";
	if (*usec > now + 86400LL * 1000000)
		return "must not be more than a day in the future";
	return NULL;
}

static const struct {
	const char	*name;
	bool		 object;	/* else a string */
	bool		 required;
	size_t		 max_chars;
	validator	 check;
} fields[EVF__MAX] = {
	[EVF_EVENT_TYPE] =	{ "event_type", false, true, 64, valid_type_name },
	[EVF_LEAD_ID] =		{ "lead_id", false, true, 255, valid_single_line },
	[EVF_CLIENT_ID] =	{ "client_id", false, false, 64, valid_single_line },
	[EVF_OCCURRED_AT] =	{ "occurred_at", false, false, 64, valid_timestamp },
	[EVF_SOURCE] =		{ "source", false, false, 255, valid_single_line },
	[EVF_EXECUTION_ID] =	{ "execution_id", false, false, 255, valid_single_line },
	[EVF_IDEMPOTENCY_KEY] =	{ "idempotency_key", false, false, 255, valid_single_line },
	[EVF_CHANNEL] =		{ "channel", false, false, 64, valid_single_line },
	[EVF_MESSAGE] =		{ "message", false, false, 16384, valid_text },
	[EVF_METADATA] =	{ "metadata", true, false, 0, NULL },
};

const char *
event_field_name(enum event_field f)
{
	return fields[f].name;
}

void
event_error(json_object *errors, const char *field, const char *message)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(errors, e);
}

/* What is wrong with a decoded JSON string, or NULL. */
static const char *
string_problem(const char *s, size_t len)
{
	if (strlen(s) != len)
		return "must not contain NUL characters";
	if (!utf8_valid(s, len))
		return "is not valid UTF-8";
	return NULL;
}

/* Every key and string inside metadata must be storable as jsonb text. */
static const char *
metadata_problem(json_object *v)
{
	const char	*why;
	size_t		 i, n;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return string_problem(json_object_get_string(v),
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
			if ((why = string_problem(key, strlen(key))) != NULL)
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

/* Check one field's value; returns the problem or NULL and fills ev. */
static const char *
field_check(enum event_field f, json_object *v, int64_t now,
    struct event *ev, char *msg, size_t msgsz)
{
	const char	*s, *why;
	size_t		 len;

	if (fields[f].object) {
		if (!json_object_is_type(v, json_type_object))
			return "must be an object";
		if ((why = metadata_problem(v)) != NULL) {
			snprintf(msg, msgsz, "holds a string that %s", why);
			return msg;
		}
		ev->metadata = v;
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if ((why = string_problem(s, len)) != NULL)
		return why;
	if (len == 0)
		return "must not be empty";
	if (utf8_length(s, len) > fields[f].max_chars) {
		snprintf(msg, msgsz, "must be at most %zu characters",
		    fields[f].max_chars);
		return msg;
	}
	if (fields[f].check != NULL &&
	    (why = fields[f].check(s, len, now, &ev->occurred_usec)) != NULL)
		return why;
	ev->text[f] = s;
	return NULL;
}

bool
event_check(json_object *obj, int64_t now_usec, struct event *ev,
    json_object *errors)
{
	size_t		 before = json_object_array_length(errors);
	bool		 reported[EVF__MAX] = { false };
	const char	*why;
	char		 msg[128];
	int		 f;

	memset(ev, 0, sizeof(*ev));
	if (!json_object_is_type(obj, json_type_object)) {
		event_error(errors, "event", "must be a JSON object");
		return false;
	}
	json_object_object_foreach(obj, key, val) {
		for (f = 0; f < EVF__MAX; f++)
			if (strcmp(key, fields[f].name) == 0)
				break;
		if (f == EVF__MAX) {
			event_error(errors, key,
			    "is not a field of an event; put extra data in "
			    "metadata");
			continue;
		}
		if (val == NULL)	/* JSON null: the same as absent */
			continue;
		why = field_check((enum event_field)f, val, now_usec, ev, msg,
		    sizeof(msg));
		if (why != NULL) {
			event_error(errors, key, why);
			reported[f] = true;
		}
	}
	for (f = 0; f < EVF__MAX; f++)
		if (fields[f].required && ev->text[f] == NULL && !reported[f])
			event_error(errors, fields[f].name, "is required");
	return json_object_array_length(errors) == before;
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
