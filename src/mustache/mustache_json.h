/*
 * mustache_json.h - render mustache templates against json-c values.
 *
 * The json-c backend for the core in mustache.h: objects are maps, arrays
 * are lists, strings/numbers/booleans interpolate (numbers as JSON writes
 * them: 85, 1.21), null interpolates as nothing.  Truthiness follows
 * JavaScript, as the spec's `!!data` does: false, null, 0 and "" are false;
 * an empty array renders its section zero times; an empty object is true.
 * The backend never modifies or allocates json-c objects, so one json_object
 * may be rendered from several threads at once.
 */
#ifndef MINICRM_MUSTACHE_JSON_H
#define MINICRM_MUSTACHE_JSON_H

#include <json-c/json.h>

#include "mustache.h"

/* The json-c backend; pass NULL as its closure (the render functions below
 * use a private closure that memoizes key hashes). */
extern const mustache_backend mustache_json_backend;

/* The mustache_value for a json-c object (json null, i.e. NULL, included).
 * Borrowed: the json_object stays owned by the caller. */
mustache_value mustache_json_value(const json_object *o);

/*
 * Render compiled template `t` against `data` (borrowed, may be NULL for
 * json null).  Same contract as mustache_render: 0 and the whole page in
 * `out` (caller frees with buf_free), or a negative code, *err
 * filled and out emptied and failed.
 */
MUSTACHE_MUST_CHECK
int mustache_render_json(const mustache_template *t, const json_object *data,
			 const mustache_partials *partials, unsigned flags,
			 const mustache_limits *limits, struct buf *out,
			 mustache_error *err);

/* Render cached template `name` (partials from the cache) against `data`.
 * Same contract as mustache_cache_render. */
MUSTACHE_MUST_CHECK
int mustache_cache_render_json(mustache_cache *c, const char *name,
			       const json_object *data, unsigned flags,
			       struct buf *out, mustache_error *err);

/* Render caller-owned template `t` with partials from the cache. */
MUSTACHE_MUST_CHECK
int mustache_cache_render_template_json(mustache_cache *c,
					const mustache_template *t,
					const json_object *data, unsigned flags,
					struct buf *out, mustache_error *err);

#endif /* MINICRM_MUSTACHE_JSON_H */
