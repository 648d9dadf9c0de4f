/*
 * mustache_json.c - the json-c backend of the mustache engine.
 *
 * json-c represents a JSON null as a NULL pointer, but the core reads NULL
 * as "no such name"; a present null is therefore handed to the core as the
 * address of json_null, a value that is falsey and interpolates as "".
 * Numbers are formatted here into the core's scratch buffer, never through
 * json_object_get_string(), which would allocate inside the object and is
 * not safe to call from two threads at once.
 */
#include "mustache_json.h"

#include <inttypes.h>
#include <json-c/linkhash.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char json_null;

static inline const json_object *
J(mustache_value v)
{
	return v == (mustache_value)&json_null ? NULL : (const json_object *)v;
}

mustache_value
mustache_json_value(const json_object *o)
{
	return o ? (mustache_value)o : (mustache_value)&json_null;
}

/*
 * Per-render memo of json-c key hashes.  Name parts live at fixed addresses
 * in a compiled template, so the address identifies the key: a page that
 * looks up "subject" in 100 rows hashes it once.  Lives on the stack of the
 * render functions below (one per render, so no sharing between threads);
 * with a NULL closure every lookup hashes as json-c normally does.
 */
#define KEY_SLOTS 256

struct key_memo {
	struct {
		const char *key;
		lh_hash_fn *fn;
		unsigned long hash;
	} slot[KEY_SLOTS];
};

static mustache_value
jmember(void *closure, mustache_value v, const char *key)
{
	const json_object *o = J(v);
	struct key_memo *memo = closure;
	struct lh_table *t;
	struct lh_entry *e;
	json_object *r;

	if (!o)
		return NULL;
	if (!memo) {
		if (!json_object_object_get_ex(o, key, &r))
			return NULL;
		return mustache_json_value(r);
	}
	if (!(t = json_object_get_object(o)))	/* NULL unless an object */
		return NULL;
	{
		size_t i = ((uintptr_t)key >> 2) % KEY_SLOTS;

		if (memo->slot[i].key != key || memo->slot[i].fn != t->hash_fn) {
			memo->slot[i].key = key;
			memo->slot[i].fn = t->hash_fn;
			memo->slot[i].hash = lh_get_hash(t, key);
		}
		e = lh_table_lookup_entry_w_hash(t, key, memo->slot[i].hash);
	}
	return e ? mustache_json_value(lh_entry_v(e)) : NULL;
}

static long
jlist_len(void *closure, mustache_value v)
{
	const json_object *o = J(v);

	(void)closure;
	if (!o || json_object_get_type(o) != json_type_array)
		return -1;
	return (long)json_object_array_length(o);
}

static mustache_value
jlist_item(void *closure, mustache_value v, size_t i)
{
	(void)closure;
	return mustache_json_value(json_object_array_get_idx(J(v), i));
}

static bool
jtruthy(void *closure, mustache_value v)
{
	const json_object *o = J(v);
	double d;

	(void)closure;
	if (!o)
		return false;
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return json_object_get_boolean(o);
	case json_type_int:
		return json_object_get_int64(o) != 0 ||
		       json_object_get_uint64(o) != 0;
	case json_type_double:
		d = json_object_get_double(o);
		return d != 0 && !isnan(d);
	case json_type_string:
		return json_object_get_string_len(o) > 0;
	case json_type_array:
		return json_object_array_length(o) > 0;
	default:
		return true;
	}
}

/* Decimal digits of u, right-aligned ending at end; returns the start. */
static char *
utoa(uint64_t u, char *end)
{
	do {
		*--end = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return end;
}

static const char *
jtext(void *closure, mustache_value v, char *scratch, size_t *len)
{
	const json_object *o = J(v);
	char *p;
	int64_t i;
	double d;
	int n;

	(void)closure;
	if (!o) {
		*len = 0;
		return "";
	}
	switch (json_object_get_type(o)) {
	case json_type_string:
		*len = (size_t)json_object_get_string_len(o);
		return json_object_get_string((json_object *)o);
	case json_type_boolean:
		if (json_object_get_boolean(o)) {
			*len = 4;
			return "true";
		}
		*len = 5;
		return "false";
	case json_type_int:
		i = json_object_get_int64(o);
		if (i == INT64_MAX) {	/* may be a larger unsigned value */
			p = utoa(json_object_get_uint64(o), scratch + MUSTACHE_SCRATCH);
		} else if (i < 0) {
			p = utoa(i == INT64_MIN ? (uint64_t)INT64_MAX + 1 : (uint64_t)-i,
				 scratch + MUSTACHE_SCRATCH);
			*--p = '-';
		} else {
			p = utoa((uint64_t)i, scratch + MUSTACHE_SCRATCH);
		}
		*len = (size_t)(scratch + MUSTACHE_SCRATCH - p);
		return p;
	case json_type_double:
		/* shortest of %.15g/%.17g that reads back exactly: 1.21, not
		 * 1.2099999999999999 */
		d = json_object_get_double(o);
		n = snprintf(scratch, MUSTACHE_SCRATCH, "%.15g", d);
		if (n > 0 && strtod(scratch, NULL) != d)
			n = snprintf(scratch, MUSTACHE_SCRATCH, "%.17g", d);
		*len = n > 0 ? (size_t)n : 0;
		return scratch;
	default:	/* object, array: nothing to print */
		return NULL;
	}
}

const mustache_backend mustache_json_backend = {
	.member = jmember,
	.list_len = jlist_len,
	.list_item = jlist_item,
	.truthy = jtruthy,
	.text = jtext,
};

int
mustache_render_json(const mustache_template *t, const json_object *data,
		     const mustache_partials *partials, unsigned flags,
		     const mustache_limits *limits, struct buf *out,
		     mustache_error *err)
{
	struct key_memo memo;

	memset(&memo, 0, sizeof memo);
	return mustache_render(t, &mustache_json_backend, &memo,
			       mustache_json_value(data), partials, flags, limits,
			       out, err);
}

int
mustache_cache_render_json(mustache_cache *c, const char *name,
			   const json_object *data, unsigned flags,
			   struct buf *out, mustache_error *err)
{
	struct key_memo memo;

	memset(&memo, 0, sizeof memo);
	return mustache_cache_render(c, name, &mustache_json_backend, &memo,
				     mustache_json_value(data), flags, out, err);
}

int
mustache_cache_render_template_json(mustache_cache *c, const mustache_template *t,
				    const json_object *data, unsigned flags,
				    struct buf *out, mustache_error *err)
{
	struct key_memo memo;

	memset(&memo, 0, sizeof memo);
	return mustache_cache_render_template(c, t, &mustache_json_backend, &memo,
					      mustache_json_value(data), flags,
					      out, err);
}
