/*
 * mustache_cache.c - compiled templates by name for the life of the process,
 * loaded from DIR/NAME.mustache on first use, dropped by
 * mustache_cache_clear() (the reload after an edit, e.g. on SIGHUP).
 *
 * Locking: `lock` (rwlock) is held for reading by every render through the
 * cache and for writing by clear/add/free, so a template is never freed
 * while a render uses it.  `mu` guards the hash table itself, since renders
 * holding the read lock still load partials on demand.
 */
#include "hash.h"
#include "mustache.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct entry {
	char *name;		/* NULL: empty slot */
	mustache_template *t;
	uint32_t hash;
};

struct mustache_cache {
	char *dir;
	mustache_limits lim;
	pthread_rwlock_t lock;
	pthread_mutex_t mu;
	struct entry *tab;
	size_t cap, n;
};

#define NAME_MAX_LEN 200

/* Names that may become file paths: [A-Za-z0-9_.-] in '/'-separated
 * components, none empty and none starting with '.'. */
static bool
valid_name(const char *s)
{
	size_t n = 0;
	bool start = true;

	for (; *s; s++, n++) {
		char ch = *s;

		if (n >= NAME_MAX_LEN)
			return false;
		if (ch == '/') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (start && ch == '.')
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
		start = false;
	}
	return n > 0 && !start;
}

static struct entry *
slot(const mustache_cache *c, const char *name, uint32_t h)
{
	size_t i;

	if (!c->cap)
		return NULL;
	for (i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct entry *e = &c->tab[i];

		if (!e->name || (e->hash == h && strcmp(e->name, name) == 0))
			return e;
	}
}

/* Insert or replace; takes ownership of t on success (the replaced template
 * is freed: callers hold the write lock or are loading a missing name).
 * Called with mu held. */
static int
table_put(mustache_cache *c, const char *name, mustache_template *t)
{
	uint32_t h = hash_fnv1a(name);
	struct entry *e;

	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16, i;
		struct entry *old = c->tab, *nt = calloc(cap, sizeof *nt);

		if (!nt)
			return MUSTACHE_ERR_NOMEM;
		size_t oldcap = c->cap;

		c->tab = nt;
		c->cap = cap;
		for (i = 0; i < oldcap; i++)
			if (old[i].name)
				*slot(c, old[i].name, old[i].hash) = old[i];
		free(old);
	}
	e = slot(c, name, h);
	if (e->name) {
		mustache_template_free(e->t);
		e->t = t;
		return 0;
	}
	if (!(e->name = strdup(name)))
		return MUSTACHE_ERR_NOMEM;
	e->t = t;
	e->hash = h;
	c->n++;
	return 0;
}

mustache_cache *
mustache_cache_new(const char *dir, const mustache_limits *limits)
{
	mustache_cache *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	if (dir && !(c->dir = strdup(dir))) {
		free(c);
		return NULL;
	}
	if (limits)
		c->lim = *limits;
	else
		mustache_limits_default(&c->lim);
	if (pthread_rwlock_init(&c->lock, NULL) != 0) {
		free(c->dir);
		free(c);
		return NULL;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		pthread_rwlock_destroy(&c->lock);
		free(c->dir);
		free(c);
		return NULL;
	}
	return c;
}

static void
drop_all(mustache_cache *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++) {
		free(c->tab[i].name);
		mustache_template_free(c->tab[i].t);
	}
	free(c->tab);
	c->tab = NULL;
	c->cap = c->n = 0;
}

void
mustache_cache_free(mustache_cache *c)
{
	if (!c)
		return;
	drop_all(c);
	pthread_mutex_destroy(&c->mu);
	pthread_rwlock_destroy(&c->lock);
	free(c->dir);
	free(c);
}

void
mustache_cache_clear(mustache_cache *c)
{
	if (!c)
		return;
	pthread_rwlock_wrlock(&c->lock);
	pthread_mutex_lock(&c->mu);
	drop_all(c);
	pthread_mutex_unlock(&c->mu);
	pthread_rwlock_unlock(&c->lock);
}

int
mustache_cache_add(mustache_cache *c, const char *name, const char *src,
		   size_t len, mustache_error *err)
{
	mustache_template *t;
	int rc;

	if (!c || !name) {
		if (err) {
			memset(err, 0, sizeof *err);
			err->code = MUSTACHE_ERR_INVALID;
			snprintf(err->message, sizeof err->message, "invalid argument");
		}
		return MUSTACHE_ERR_INVALID;
	}
	if ((rc = mustache_compile(name, src, len, &c->lim, &t, err)) != 0)
		return rc;
	pthread_rwlock_wrlock(&c->lock);
	pthread_mutex_lock(&c->mu);
	rc = table_put(c, name, t);
	pthread_mutex_unlock(&c->mu);
	pthread_rwlock_unlock(&c->lock);
	if (rc) {
		mustache_template_free(t);
		if (err) {
			memset(err, 0, sizeof *err);
			err->code = rc;
			snprintf(err->message, sizeof err->message, "%s: out of memory",
				 name);
		}
	}
	return rc;
}

/* Fill *err (if any) for an error without a position; returns code. */
static int
__attribute__((format(printf, 4, 5)))
plain_err(mustache_error *err, int code, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		memset(err, 0, sizeof *err);
		err->code = code;
		if (strlen(name) < sizeof err->template_name)
			memcpy(err->template_name, name, strlen(name) + 1);
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof err->message, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Read and compile DIR/NAME.mustache into *out (caller owns it). */
static int
load_file(mustache_cache *c, const char *name, mustache_template **out,
	  mustache_error *err)
{
	char path[4096];
	struct stat st;
	FILE *f;
	char *buf;
	size_t got;
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.mustache", c->dir, name) >=
	    sizeof path)
		return MUSTACHE_ERR_PARTIAL_NOT_FOUND;
	f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR)
			return plain_err(err, MUSTACHE_ERR_PARTIAL_NOT_FOUND, name,
					 "template '%s' not found (no %s)", name, path);
		return plain_err(err, MUSTACHE_ERR_IO, name, "%s: %s", path,
				 strerror(errno));
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return plain_err(err, MUSTACHE_ERR_IO, name, "%s: %s", path,
				 "not a regular file");
	}
	if ((size_t)st.st_size > c->lim.max_template_size) {
		fclose(f);
		return plain_err(err, MUSTACHE_ERR_TEMPLATE_SIZE, name,
				 "%s: %s", path, "template larger than the size limit");
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return plain_err(err, MUSTACHE_ERR_NOMEM, name, "%s: %s", path,
				 "out of memory");
	}
	got = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		free(buf);
		return plain_err(err, MUSTACHE_ERR_IO, name, "%s: %s", path,
				 "short read");
	}
	rc = mustache_compile(path, buf, got, &c->lim, out, err);
	free(buf);
	return rc;
}

/* Find or load `name`; the template stays valid while the caller holds the
 * read lock (or until clear, for mustache_cache_get). */
static int
lookup_or_load(mustache_cache *c, const char *name, const mustache_template **out,
	       mustache_error *err)
{
	struct entry *e;
	mustache_template *t;
	int rc;

	pthread_mutex_lock(&c->mu);
	e = slot(c, name, hash_fnv1a(name));
	if (e && e->name) {
		*out = e->t;
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	if (!c->dir || !valid_name(name)) {
		pthread_mutex_unlock(&c->mu);
		return plain_err(err, MUSTACHE_ERR_PARTIAL_NOT_FOUND, name,
				 "template '%s' not found%s", name,
				 c->dir ? " (invalid name)" : "");
	}
	rc = load_file(c, name, &t, err);
	if (rc == 0 && (rc = table_put(c, name, t)) != 0) {
		mustache_template_free(t);
		plain_err(err, rc, name, "%s: %s", name, "out of memory");
	}
	if (rc == 0)
		*out = t;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
mustache_cache_get(mustache_cache *c, const char *name,
		   const mustache_template **out, mustache_error *err)
{
	if (!c || !name || !out)
		return plain_err(err, MUSTACHE_ERR_INVALID, "cache", "%s%s",
				 "invalid argument", "");
	return lookup_or_load(c, name, out, err);
}

static int
partial_cb(void *closure, const char *name, const mustache_template **out,
	   mustache_error *err)
{
	return lookup_or_load(closure, name, out, err);
}

int
mustache_cache_render_template(mustache_cache *c, const mustache_template *t,
			       const mustache_backend *be, void *be_closure,
			       mustache_value root, unsigned flags,
			       struct buf *out, mustache_error *err)
{
	mustache_partials p = { partial_cb, c };
	int rc;

	if (!c)
		return plain_err(err, MUSTACHE_ERR_INVALID, "cache", "%s%s",
				 "invalid argument", "");
	pthread_rwlock_rdlock(&c->lock);
	rc = mustache_render(t, be, be_closure, root, &p, flags, &c->lim, out, err);
	pthread_rwlock_unlock(&c->lock);
	return rc;
}

int
mustache_cache_render(mustache_cache *c, const char *name,
		      const mustache_backend *be, void *be_closure,
		      mustache_value root, unsigned flags, struct buf *out,
		      mustache_error *err)
{
	mustache_partials p = { partial_cb, c };
	const mustache_template *t;
	int rc;

	if (!c || !name || !out)
		return plain_err(err, MUSTACHE_ERR_INVALID, "cache", "%s%s",
				 "invalid argument", "");
	pthread_rwlock_rdlock(&c->lock);
	rc = lookup_or_load(c, name, &t, err);
	if (rc == 0)
		rc = mustache_render(t, be, be_closure, root, &p, flags, &c->lim,
				     out, err);
	else {
		buf_reset(out);		/* as a failed render leaves it */
		out->failed = true;
	}
	pthread_rwlock_unlock(&c->lock);
	return rc;
}
