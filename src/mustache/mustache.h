/*
 * mustache.h - the mustache template engine: compile once, render many.
 *
 * The core knows nothing of JSON.  A template is compiled once into an
 * immutable mustache_template, then rendered any number of times (from any
 * number of threads at once) against data that the core reads only through
 * a small mustache_backend of callbacks with a closure.  mustache_json.h is
 * the json-c backend; mustache_cache (below) keeps compiled templates and
 * partials loaded from a directory for the life of the process.
 *
 * Language: the whole mustache spec (interpolation, sections, inverted
 * sections, comments, set delimiters, partials, standalone lines) plus the
 * optional modules template inheritance ({{<parent}} / {{$block}}) and
 * dynamic names ({{>*name}}, {{<*name}}).  Lambdas are not supported.
 *
 * Output goes into a struct buf (core/buf.h), the buffer responses are sent
 * from: a page is rendered straight into the buffer that is sent.
 *
 * Errors: every function that can fail returns 0 or a negative
 * MUSTACHE_ERR_* code and fills a mustache_error whose message reads
 * "NAME:LINE:COLUMN: text" (line and column 1-based, column in bytes).
 * See docs/mustache.md.
 */
#ifndef MINICRM_MUSTACHE_H
#define MINICRM_MUSTACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#if defined(__GNUC__) || defined(__clang__)
#define MUSTACHE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define MUSTACHE_MUST_CHECK
#endif

/* Result codes: 0 is success, every error is negative. */
enum mustache_status {
	MUSTACHE_OK = 0,
	MUSTACHE_ERR_NOMEM = -1,		/* out of memory */
	MUSTACHE_ERR_SYNTAX = -2,		/* unclosed tag, empty or bad name */
	MUSTACHE_ERR_UNCLOSED_SECTION = -3,	/* {{#a}} without {{/a}} */
	MUSTACHE_ERR_MISMATCHED_CLOSE = -4,	/* {{/b}} closing {{#a}}, or stray */
	MUSTACHE_ERR_BAD_DELIMITER = -5,	/* {{=...=}} malformed */
	MUSTACHE_ERR_PARTIAL_NOT_FOUND = -6,	/* {{>name}} names no template */
	MUSTACHE_ERR_UNRESOLVED = -7,		/* strict mode: name resolves to nothing */
	MUSTACHE_ERR_DEPTH = -8,		/* nesting depth limit */
	MUSTACHE_ERR_PARTIAL_DEPTH = -9,	/* partial/parent recursion limit */
	MUSTACHE_ERR_OUTPUT_SIZE = -10,		/* output size limit */
	MUSTACHE_ERR_TEMPLATE_SIZE = -11,	/* template source size limit */
	MUSTACHE_ERR_STEPS = -12,		/* render work limit */
	MUSTACHE_ERR_IO = -13,			/* a template file could not be read */
	MUSTACHE_ERR_INVALID = -14,		/* bad argument */
	MUSTACHE_ERR_NAME_LENGTH = -15,		/* tag name longer than the limit */
	MUSTACHE_ERR__MIN = -16
};

/* Short, static description of a status code; never NULL, never freed. */
const char *mustache_strerror(int code);

/*
 * Where and why something failed.  Plain storage owned by the caller (put it
 * on the stack); nothing in it needs freeing.  `message` is the complete
 * human text, e.g. "page.mustache:3:7: unclosed section 'rows'".
 * line/column are 0 when the error has no position (out of memory, I/O).
 */
typedef struct mustache_error {
	int code;
	unsigned line;
	unsigned column;
	char template_name[128];
	char message[512];
} mustache_error;

/*
 * Hard limits.  Every one of them, when hit, is a clean error naming the
 * limit; no limit can be switched off.  Get the defaults with
 * mustache_limits_default() and change fields; values above the hard caps
 * noted below are clamped.
 */
typedef struct mustache_limits {
	size_t max_template_size;	/* bytes of one template source (default 1 MiB) */
	size_t max_name_len;		/* bytes of one tag name (default 256, cap 1024) */
	unsigned max_depth;		/* nesting of sections/partials/blocks, both in one
					 * template and while rendering (default 100, cap 256) */
	unsigned max_partial_depth;	/* nested partial/parent expansions (default 32) */
	size_t max_output;		/* bytes of rendered output (default 8 MiB) */
	unsigned long max_steps;	/* tags and texts executed by one render
					 * (default 50,000,000): stops runaway recursion */
} mustache_limits;

#define MUSTACHE_DEPTH_CAP 256u
#define MUSTACHE_NAME_CAP 1024u

/* Fill *l with the defaults above. */
void mustache_limits_default(mustache_limits *l);

/* ------------------------------------------------------------------------
 * Compiled templates
 */
typedef struct mustache_template mustache_template;

/*
 * Compile `len` bytes of `src` (need not be NUL-terminated) into *out.
 * `name` (copied) is used in error messages and may be NULL ("template").
 * `limits` may be NULL for the defaults.
 * Returns 0 and sets *out, which the caller frees with
 * mustache_template_free(); or a negative code, *out = NULL and *err filled
 * (err may be NULL).  The source is not retained.
 */
MUSTACHE_MUST_CHECK
int mustache_compile(const char *name, const char *src, size_t len,
		     const mustache_limits *limits, mustache_template **out,
		     mustache_error *err);

/* Free a compiled template; NULL is fine. */
void mustache_template_free(mustache_template *t);

/* The name given at compile time; owned by the template. */
const char *mustache_template_name(const mustache_template *t);

/* ------------------------------------------------------------------------
 * Data backend: how the core reads values it knows nothing about.
 *
 * A mustache_value is an opaque, non-NULL pointer owned by the backend; NULL
 * means "no such value" (a name that resolves to nothing).  Values must stay
 * valid for the whole render.  Callbacks must not fail and must not keep
 * pointers to the scratch buffer.
 */
typedef const void *mustache_value;

#define MUSTACHE_SCRATCH 64

typedef struct mustache_backend {
	/* Member `key` (NUL-terminated) of map `v`; NULL if v is not a map or
	 * has no such key.  A key present with a null value must return a
	 * non-NULL value whose truthy() is false. */
	mustache_value (*member)(void *closure, mustache_value v, const char *key);
	/* Number of items if v is a list, else -1. */
	long (*list_len)(void *closure, mustache_value v);
	/* Item i (0 <= i < list_len) of list v, non-NULL. */
	mustache_value (*list_item)(void *closure, mustache_value v, size_t i);
	/* Whether a section over v renders (JS-like: false, null, 0, "" are
	 * false; lists are handled through list_len). */
	bool (*truthy)(void *closure, mustache_value v);
	/* Text of v for interpolation, *len bytes (not necessarily
	 * NUL-terminated), possibly written into `scratch`
	 * (MUSTACHE_SCRATCH bytes).  NULL when v cannot be interpolated (a
	 * list or a map): the core renders nothing, or fails in strict mode. */
	const char *(*text)(void *closure, mustache_value v, char *scratch, size_t *len);
} mustache_backend;

/* ------------------------------------------------------------------------
 * Partials: where {{>name}} and {{<name}} find templates.
 *
 * get() returns 0 and sets *out to a template that the provider owns and
 * keeps valid until the render returns; MUSTACHE_ERR_PARTIAL_NOT_FOUND if
 * there is no such template (*err need not be filled); or another negative
 * code with *err filled (e.g. the partial does not compile).
 */
typedef struct mustache_partials {
	int (*get)(void *closure, const char *name, const mustache_template **out,
		   mustache_error *err);
	void *closure;
} mustache_partials;

/* Render flags. */
enum {
	/* A name that resolves to nothing (variable, section, inverted
	 * section, dynamic name) is an error naming it. */
	MUSTACHE_STRICT = 1u << 0,
	/* A partial or parent that cannot be found renders as the empty
	 * string, as the spec says, instead of being an error. */
	MUSTACHE_MISSING_PARTIAL_EMPTY = 1u << 1
};

/*
 * Render `t` against the data `root` (read through `be` with `be_closure`)
 * into `out`, replacing its previous contents and clearing its error flag.
 * `partials` may be NULL (then every partial is missing); `limits` may be
 * NULL for the defaults; a limit set on `out` (out->limit) lowers
 * max_output.  Returns 0 with the whole output in out, NUL-terminated; or
 * a negative code with *err filled and out emptied and failed (len 0,
 * buf_failed() true): never a half-rendered page, and a buffer sent anyway
 * becomes a 500.  The caller owns `out`: reuse it across renders (so that
 * steady-state rendering does not allocate; a zeroed struct buf is a valid
 * empty one) and free it with buf_free().  Does not allocate except to grow
 * `out`.  Thread-safe for distinct `out` buffers.
 */
MUSTACHE_MUST_CHECK
int mustache_render(const mustache_template *t, const mustache_backend *be,
		    void *be_closure, mustache_value root,
		    const mustache_partials *partials, unsigned flags,
		    const mustache_limits *limits, struct buf *out,
		    mustache_error *err);

/* ------------------------------------------------------------------------
 * Template cache: compiled templates by name, for the life of the process.
 *
 * Names map to files DIR/NAME.mustache (NAME may contain '/' for
 * subdirectories; a component starting with '.' is never looked up), loaded
 * and compiled on first use and kept until mustache_cache_clear().
 * Templates can also be added from memory with mustache_cache_add().
 *
 * Threads: lookups, loads and renders may run concurrently.  The cache
 * render functions hold a read lock for the whole render; clear() takes the
 * write lock, so it waits for running renders and never frees a template in
 * use.  clear() is not async-signal-safe: a SIGHUP handler only sets a
 * flag, and the request loop calls mustache_cache_clear() (see
 * docs/mustache.md).
 */
typedef struct mustache_cache mustache_cache;

/*
 * New empty cache reading templates from directory `dir` (copied; NULL for
 * a memory-only cache).  `limits` (copied) may be NULL for the defaults.
 * Returns NULL when out of memory.  Free with mustache_cache_free().
 */
mustache_cache *mustache_cache_new(const char *dir, const mustache_limits *limits);

/* Free the cache and every template in it; NULL is fine.  No render may
 * be running. */
void mustache_cache_free(mustache_cache *c);

/*
 * Compile `len` bytes of `src` as template `name` and store it, replacing
 * any template of that name.  Returns 0, or a negative code with *err filled.
 */
MUSTACHE_MUST_CHECK
int mustache_cache_add(mustache_cache *c, const char *name, const char *src,
		       size_t len, mustache_error *err);

/*
 * Find template `name`, loading and compiling DIR/NAME.mustache if needed.
 * Returns 0 and *out (owned by the cache, valid until mustache_cache_clear
 * or mustache_cache_free: do not call those while using it); or
 * MUSTACHE_ERR_PARTIAL_NOT_FOUND, or another negative code, with *err filled.
 */
MUSTACHE_MUST_CHECK
int mustache_cache_get(mustache_cache *c, const char *name,
		       const mustache_template **out, mustache_error *err);

/*
 * Drop every cached template (files are read again on next use): the
 * reload after an edit.  Waits for renders running through this cache.
 */
void mustache_cache_clear(mustache_cache *c);

/*
 * Render template `name` from the cache, partials from the cache.
 * Same contract as mustache_render (limits are the cache's).
 */
MUSTACHE_MUST_CHECK
int mustache_cache_render(mustache_cache *c, const char *name,
			  const mustache_backend *be, void *be_closure,
			  mustache_value root, unsigned flags, struct buf *out,
			  mustache_error *err);

/*
 * Render a template compiled by the caller (still owned by the caller),
 * with partials from the cache.  Same contract as mustache_render.
 */
MUSTACHE_MUST_CHECK
int mustache_cache_render_template(mustache_cache *c, const mustache_template *t,
				   const mustache_backend *be, void *be_closure,
				   mustache_value root, unsigned flags,
				   struct buf *out, mustache_error *err);

#endif /* MINICRM_MUSTACHE_H */
