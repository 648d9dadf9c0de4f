/*
 * fuzz_json.c - libFuzzer harness over the API's body parser and the event
 * checks: json_body_parse (with its text scan) and then event_check and
 * event_idempotency_key on every child that json_body let through, as
 * activity_ingest does.
 *
 * Input: the body, as is. The contract checked, beyond "no crash, no leak,
 * no overrun": a refused body has a reason and never the parser's
 * "internal error"; a parsed one has one part per child of the root, each
 * span inside the body; a child's text parsed on its own is the same value
 * when no problem was found in it, and is refused too when one was (so the
 * spans and the blame are right); a child said to repeat a key does, and
 * one said to be clean does not, by a second, naive reading of its text;
 * event_check fills every required field of an event it accepts. Build and run: make fuzz-json [FUZZ_SECONDS=600].
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event.h"
#include "json_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	(INT64_C(1762560000) * 1000000)
#define DEPTH	32

/* json_body_parse on its own copy of s[0..len), NUL-terminated. */
static int
parse_copy(struct json_body *jb, const char *s, size_t len, char *why,
    size_t whysz)
{
	char	*copy = malloc(len + 1);
	int	 rc;

	if (copy == NULL)
		abort();
	memcpy(copy, s, len);
	copy[len] = '\0';
	rc = json_body_parse(jb, copy, len, DEPTH, why, whysz);
	free(copy);
	if (rc != 0 && (why[0] == '\0' || strstr(why, "internal error")))
		abort();
	return rc;
}

/* An event's checks, as activity_ingest runs them on a clean child. */
static void
check_event(json_object *obj)
{
	json_object	*errors = json_object_new_array();
	struct event	 ev;
	char		 key[80];
	bool		 ok;

	ok = event_check(obj, NOW, &ev, errors);
	if (ok != (json_object_array_length(errors) == 0))
		abort();
	if (ok && (ev.text[EVF_EVENT_TYPE] == NULL ||
	    ev.text[EVF_LEAD_ID] == NULL))
		abort();
	if (ok)
		(void)event_idempotency_key(&ev, key, sizeof(key));
	json_object_put(errors);
}

/*
 * An oracle for repeated names apart from json_body's own: every object in
 * s[0..len) (well-formed JSON) read member by member, each name decoded by
 * json-c and looked up among the ones before it. True if one repeats.
 */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

static bool
object_repeats(const char *s, size_t len, size_t i)
{
	json_object	*seen = json_object_new_object(), *name;
	size_t		 depth, ks;
	bool		 repeat = false;
	char		*key;

	for (i++; i < len && !repeat;) {
		while (i < len && strchr(" \t\r\n,", s[i]))
			i++;
		if (i >= len || s[i] != '"')
			break;
		ks = i;
		i = skip_string(s, len, i);
		if ((key = strndup(s + ks, i - ks)) == NULL)
			abort();
		name = json_tokener_parse(key);
		free(key);
		if (json_object_object_get_ex(seen, json_object_get_string(name),
		    NULL))
			repeat = true;
		json_object_object_add(seen, json_object_get_string(name), NULL);
		json_object_put(name);
		while (i < len && s[i] != ':')
			i++;
		/* Skip the value: to the ',' or '}' at this object's level. */
		for (i++, depth = 0; i < len; i++) {
			if (s[i] == '"')
				i = skip_string(s, len, i) - 1;
			else if (s[i] == '{' || s[i] == '[')
				depth++;
			else if ((s[i] == '}' || s[i] == ']') && depth-- == 0)
				break;
			else if (s[i] == ',' && depth == 0)
				break;
		}
		if (i < len && s[i] == '}')
			break;
	}
	json_object_put(seen);
	return repeat;
}

static bool
any_repeats(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			i = skip_string(s, len, i) - 1;
		else if (s[i] == '{' && object_repeats(s, len, i))
			return true;
	}
	return false;
}

/* Child v of the root, at body[start..end), with problem (or none). */
static void
check_part(const char *body, const struct json_body_part *p, json_object *v)
{
	struct json_body	 alone;
	char			 why[160];
	int			 rc;

	rc = parse_copy(&alone, body + p->start, p->end - p->start, why,
	    sizeof(why));
	if (p->problem == NULL && v == NULL) {
		/* JSON null: the one value refused as a whole body. */
		if (rc == 0 || strstr(why, "null") == NULL)
			abort();
	} else if (p->problem == NULL) {
		/* A clean child is well-formed and the same on its own. */
		if (rc != 0 || json_body_problem(&alone) != NULL ||
		    !json_object_equal(alone.root, v) ||
		    any_repeats(body + p->start, p->end - p->start))
			abort();
		check_event(v);
	} else if (strstr(p->problem, "more than once") != NULL &&
	    !any_repeats(body + p->start, p->end - p->start)) {
		abort();	/* a repeat where the oracle sees none */
	} else if (rc == 0 && json_body_problem(&alone) == NULL &&
	    json_object_is_type(alone.root, json_type_object) ==
	    json_object_is_type(v, json_type_object))
		abort();	/* blamed on a child that has nothing wrong */
	json_body_free(&alone);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_body	 jb;
	const char		*body;
	char			*copy, why[160];
	size_t			 i, n;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	body = copy;
	if (parse_copy(&jb, body, size, why, sizeof(why)) != 0) {
		json_body_free(&jb);
		free(copy);
		return 0;
	}
	if (jb.root == NULL)
		abort();
	n = json_object_is_type(jb.root, json_type_array) ?
	    json_object_array_length(jb.root) :
	    json_object_is_type(jb.root, json_type_object) ?
	    (size_t)json_object_object_length(jb.root) : 0;
	if (n != jb.nparts)
		abort();
	for (i = 0; i < n; i++)
		if (jb.part[i].start >= jb.part[i].end ||
		    jb.part[i].end > size)
			abort();
	if (json_object_is_type(jb.root, json_type_array)) {
		for (i = 0; i < n; i++)
			check_part(body, &jb.part[i],
			    json_object_array_get_idx(jb.root, i));
	} else if (json_object_is_type(jb.root, json_type_object)) {
		i = 0;
		json_object_object_foreach(jb.root, name, val) {
			(void)name;
			check_part(body, &jb.part[i++], val);
		}
		if (json_body_problem(&jb) == NULL)
			check_event(jb.root);
		/* The root's own names do not repeat: that is refused whole. */
		if (object_repeats(body, size, strspn(body, " \t\r\n")))
			abort();
	}
	json_body_free(&jb);
	free(copy);
	return 0;
}
