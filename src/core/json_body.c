/* json_body: strict parsing of request bodies (see json_body.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_body.h"
#include "json_scan.h"
#include "validate.h"

/* Reading the text of a well-formed body again, to name a repeated key. */

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

/* Past the string whose opening quote is at s[i]. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/* Past the value that begins at s[i]. */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	size_t	 depth = 0;

	if (i < len && s[i] == '"')
		return skip_string(s, len, i);
	if (i < len && s[i] != '{' && s[i] != '[') {
		while (i < len && !strchr(",}] \t\r\n", s[i]))
			i++;
		return i;
	}
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return i;
}

/* The JSON string s[start..end) decoded, as a json-c string (the caller
 * puts it), or NULL. */
static json_object *
decode_key(const char *s, size_t start, size_t end)
{
	char		*copy;
	json_object	*key;

	if ((copy = strndup(s + start, end - start)) == NULL)
		return NULL;
	key = json_tokener_parse(copy);
	free(copy);
	if (key != NULL && !json_object_is_type(key, json_type_string)) {
		json_object_put(key);
		key = NULL;
	}
	return key;
}

/*
 * Write into msg the complaint about the first name repeated in the object
 * whose '{' is at s[start] (a well-formed body, which json-c parsed).
 */
static void
name_repeat(const char *s, size_t len, size_t start, char *msg,
    size_t msgsz)
{
	json_object	*seen = json_object_new_object(), *key = NULL;
	const char	*name = NULL;
	size_t		 i = start + 1, ks, cut, full;
	char		 shown[64];

	while (seen != NULL && (i = skip_ws(s, len, i)) < len && s[i] == '"') {
		ks = i;
		i = skip_string(s, len, i);
		if ((key = decode_key(s, ks, i)) == NULL)
			break;
		name = json_object_get_string(key);
		if (json_object_object_get_ex(seen, name, NULL))
			break;
		json_object_object_add(seen, name, NULL);
		json_object_put(key);
		key = NULL;
		i = skip_ws(s, len, i) + 1;	/* the ':' */
		i = skip_ws(s, len, skip_value(s, len, skip_ws(s, len, i)));
		if (i >= len || s[i] != ',')
			break;
		i++;
	}
	if (key == NULL) {
		snprintf(msg, msgsz, "an object names the same key twice");
	} else {
		/* Shown as JSON (quotes, escapes), cut at a character. */
		cut = full = strlen(name);
		if (cut > sizeof(shown) - 1) {
			cut = sizeof(shown) - 1;
			while (cut > 0 && ((unsigned char)name[cut] & 0xc0) ==
			    0x80)
				cut--;
		}
		memcpy(shown, name, cut);
		shown[cut] = '\0';
		json_object_put(key);
		key = json_object_new_string(shown);
		snprintf(msg, msgsz, "the key %s appears more than once in "
		    "one object%s", key ? json_object_to_json_string_ext(key,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) :
		    "", cut < full ? " (name cut)" : "");
		json_object_put(key);
	}
	json_object_put(seen);
}

/*
 * Walk v in document order beside sc's objects from sc->obj[*k]: the first
 * object that json-c holds with fewer members than its text names repeats
 * a name. Returns true and sets *at (its index, or NONE if the two
 * disagree otherwise) when there is one.
 */
static bool
walk(json_object *v, const struct json_scan *sc, size_t *k, size_t *at)
{
	size_t	 i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (*k >= sc->nobjs || sc->obj[*k].members !=
		    (size_t)json_object_object_length(v)) {
			*at = *k < sc->nobjs ? *k : JSON_SCAN_NONE;
			return true;
		}
		(*k)++;
		{
			json_object_object_foreach(v, name, val) {
				(void)name;
				if (walk(val, sc, k, at))
					return true;
			}
		}
		return false;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (walk(json_object_array_get_idx(v, i), sc, k, at))
				return true;
		return false;
	default:
		return false;
	}
}

/*
 * Give part p (child v of the root) the problem of a repeated name in it,
 * a string the part owns (json_scan_free or json_body_free frees it).
 * *k: where p's objects begin in sc->obj, moved on. Returns 0, or -1 when
 * out of memory.
 */
static int
check_repeats(const char *body, size_t len, struct json_scan *sc, size_t p,
    json_object *v, size_t *k)
{
	char	 msg[160];
	size_t	 at;

	while (*k < sc->nobjs && sc->obj[*k].part < p)
		(*k)++;
	if (sc->part[p].problem != NULL || !walk(v, sc, k, &at))
		return 0;
	if (at == JSON_SCAN_NONE)
		snprintf(msg, sizeof(msg), "an object names the same key "
		    "twice");
	else
		name_repeat(body, len, sc->obj[at].start, msg, sizeof(msg));
	return (sc->part[p].problem = strdup(msg)) == NULL ? -1 : 0;
}

/* json-c's parse of the whole body, strict (the caller puts the value);
 * NULL with why if it fails. */
static json_object *
parse(const char *body, size_t len, int max_depth, char *why, size_t whysz)
{
	struct json_tokener	*tok;
	json_object		*root;
	enum json_tokener_error	 jerr;
	size_t			 end;

	/* json-c counts a scalar inside the deepest container as a level;
	 * json_scan has counted the containers. */
	if ((tok = json_tokener_new_ex(max_depth + 1)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	/* Parsing the terminating NUL too tells json-c the input ends, so
	 * a bare top-level number or literal is complete. */
	root = json_tokener_parse_ex(tok, body, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	why[0] = '\0';
	if (jerr == json_tokener_error_depth)
		snprintf(why, whysz, "JSON nesting is deeper than %d",
		    max_depth);
	else if (jerr == json_tokener_continue ||
	    jerr == json_tokener_error_parse_eof)
		snprintf(why, whysz, "malformed JSON: the body ends too early");
	else if (jerr != json_tokener_success)
		snprintf(why, whysz, "malformed JSON at byte %zu: %s", end,
		    json_tokener_error_desc(jerr));
	else if (root == NULL)
		snprintf(why, whysz, "the body must be an event object or an "
		    "array of them, not null");
	/* Strict mode refuses anything but white space after the value. */
	if (why[0] != '\0') {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int
json_body_parse(struct json_body *jb, const char *body, size_t len,
    int max_depth, char *why, size_t whysz)
{
	struct json_scan	 sc;
	json_object		*root = NULL;
	size_t			 n = 0, p = 0, k = 0;
	bool			 object;
	int			 rc = -1;

	memset(jb, 0, sizeof(*jb));
	memset(&sc, 0, sizeof(sc));
	if (memchr(body, '\0', len) != NULL) {
		snprintf(why, whysz, "body contains a NUL byte");
		return -1;
	}
	if (!utf8_valid(body, len)) {
		snprintf(why, whysz, "body is not valid UTF-8");
		return -1;
	}
	if (len > (size_t)INT32_MAX - 1) {
		snprintf(why, whysz, "body is too large");
		return -1;
	}
	if (json_scan(&sc, body, len, max_depth, why, whysz) == -1 ||
	    (root = parse(body, len, max_depth, why, whysz)) == NULL)
		goto out;
	object = json_object_is_type(root, json_type_object);
	if (object)
		n = (size_t)json_object_object_length(root);
	else if (json_object_is_type(root, json_type_array))
		n = json_object_array_length(root);
	/* A repeated name in the root itself refuses the whole body. */
	if (object && sc.nobjs > 0 && sc.obj[0].members != n) {
		name_repeat(body, len, sc.obj[0].start, why, whysz);
		goto out;
	}
	if (n != sc.nparts) {
		snprintf(why, whysz, "internal error: the body's %zu parts "
		    "are %zu values", sc.nparts, n);
		goto out;
	}
	k = object ? 1 : 0;	/* sc.obj[0] is the root object */
	if (object) {
		json_object_object_foreach(root, name, val) {
			(void)name;
			if (check_repeats(body, len, &sc, p++, val, &k) == -1)
				goto nomem;
		}
	} else
		for (p = 0; p < n; p++)
			if (check_repeats(body, len, &sc, p,
			    json_object_array_get_idx(root, p), &k) == -1)
				goto nomem;
	jb->root = root;
	jb->nparts = sc.nparts;
	jb->part = sc.part;
	free(sc.obj);
	return 0;
nomem:
	snprintf(why, whysz, "out of memory");
out:
	json_object_put(root);
	json_scan_free(&sc);
	return rc;
}

const char *
json_body_problem(const struct json_body *jb)
{
	size_t	 i;

	for (i = 0; i < jb->nparts; i++)
		if (jb->part[i].problem != NULL)
			return jb->part[i].problem;
	return NULL;
}

void
json_body_free(struct json_body *jb)
{
	size_t	 i;

	if (jb == NULL)
		return;
	for (i = 0; i < jb->nparts; i++)
		free(jb->part[i].problem);
	free(jb->part);
	json_object_put(jb->root);
	memset(jb, 0, sizeof(*jb));
}
