/*
 * test_mustache_cache.c - the template cache: templates and partials from a
 * directory (with subdirectories), names that must never become paths,
 * errors naming the file, reload with mustache_cache_clear() (what
 * admin.fcgi does on SIGHUP), and renders running in threads while the
 * cache is cleared under them.  Exit 0 = pass.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mustache.h"
#include "mustache_json.h"

static int failures;
static char dir[64];

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

/* Write atomically (temporary file, then rename), as a deploy would: a
 * render loading the file meanwhile sees the old or the new version. */
static void
write_file(const char *name, const char *text)
{
	char path[256], tmp[300];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "FAIL cannot write %s\n", path);
		exit(1);
	}
}

static void
remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct worker {
	mustache_cache *cache;
	json_object *data;
	int bad;
};

static void *
render_loop(void *arg)
{
	struct worker *w = arg;
	struct buf out = BUF_INIT;
	mustache_error err;
	int i;

	for (i = 0; i < 3000; i++) {
		if (mustache_cache_render_json(w->cache, "page", w->data, 0, &out, &err) != 0 ||
		    (strcmp(out.data, "<h1>Hi &amp; bye</h1>\n[1][2]\n") != 0 &&
		     strcmp(out.data, "<h1>Hi &amp; bye</h1>\n(1)(2)\n") != 0)) {
			if (w->bad++ == 0)
				fprintf(stderr, "bad render: %s\n", out.len ? out.data : err.message);
		}
	}
	buf_free(&out);
	return NULL;
}

int
main(void)
{
	mustache_cache *c;
	struct buf out = BUF_INIT;
	mustache_error err;
	const mustache_template *t;
	json_object *data = json_tokener_parse(
		"{\"title\":\"Hi & bye\",\"rows\":[1,2],\"kind\":\"row\"}");
	static const char *const bad_names[] = {
		"../page", "/etc/passwd", ".hidden", "a//b", "", "emails/../page",
		"emails/.x", "page ", "pa\\ge", "trailing/",
	};
	size_t i;
	int rc;

	snprintf(dir, sizeof dir, "/tmp/test-mustache-cache-XXXXXX");
	if (!mkdtemp(dir) || !data) {
		fprintf(stderr, "FAIL setup\n");
		return 1;
	}
	{
		char sub[128];

		snprintf(sub, sizeof sub, "%s/emails", dir);
		mkdir(sub, 0700);
	}
	write_file("page.mustache", "<h1>{{title}}</h1>\n{{#rows}}{{>row}}{{/rows}}\n");
	write_file("row.mustache", "[{{.}}]");
	write_file("emails/footer.mustache", "-- \n{{title}}\n");
	write_file("mail.mustache", "Hello\n{{>emails/footer}}");
	write_file("dyn.mustache", "{{#rows}}{{>*kind}}{{/rows}}");
	write_file("broken.mustache", "ok\n  {{#open}}\n");
	write_file("uses_missing.mustache", "a\n  b {{>nope}}\n");
	write_file("uses_broken.mustache", "{{>broken}}");

	c = mustache_cache_new(dir, NULL);
	CHECK(c != NULL, "cache_new");

	rc = mustache_cache_render_json(c, "page", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "<h1>Hi &amp; bye</h1>\n[1][2]\n") == 0,
	      "page: rc=%d %s", rc, rc ? err.message : out.data);

	rc = mustache_cache_render_json(c, "mail", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "Hello\n-- \nHi &amp; bye\n") == 0,
	      "subdirectory partial: rc=%d %s", rc, rc ? err.message : out.data);

	rc = mustache_cache_render_json(c, "dyn", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "[1][2]") == 0,
	      "dynamic partial from a file: rc=%d %s", rc, rc ? err.message : out.data);

	/* errors name the file, line and column */
	rc = mustache_cache_render_json(c, "broken", data, 0, &out, &err);
	CHECK(rc == MUSTACHE_ERR_UNCLOSED_SECTION &&
	      ends_with(err.message, "/broken.mustache:2:3: unclosed section 'open': "
			"no {{/open}} before the end of the template") &&
	      err.line == 2 && err.column == 3 && out.len == 0,
	      "broken: rc=%d %s", rc, err.message);
	rc = mustache_cache_render_json(c, "uses_broken", data, 0, &out, &err);
	CHECK(rc == MUSTACHE_ERR_UNCLOSED_SECTION &&
	      ends_with(err.message, "/broken.mustache:2:3: unclosed section 'open': "
			"no {{/open}} before the end of the template"),
	      "partial that does not compile: rc=%d %s", rc, err.message);
	rc = mustache_cache_render_json(c, "uses_missing", data, 0, &out, &err);
	CHECK(rc == MUSTACHE_ERR_PARTIAL_NOT_FOUND &&
	      ends_with(err.message, "/uses_missing.mustache:2:5: partial 'nope' not found"),
	      "missing partial: rc=%d %s", rc, err.message);
	rc = mustache_cache_render_json(c, "uses_missing", data,
					MUSTACHE_MISSING_PARTIAL_EMPTY, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "a\n  b \n") == 0,
	      "missing partial, lenient: rc=%d %s", rc, rc ? err.message : out.data);
	rc = mustache_cache_render_json(c, "no_such_page", data, 0, &out, &err);
	CHECK(rc == MUSTACHE_ERR_PARTIAL_NOT_FOUND && strstr(err.message, "no_such_page"),
	      "missing page: rc=%d %s", rc, err.message);

	/* names are never paths out of the directory */
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		rc = mustache_cache_get(c, bad_names[i], &t, &err);
		CHECK(rc == MUSTACHE_ERR_PARTIAL_NOT_FOUND, "name '%s' gave rc=%d",
		      bad_names[i], rc);
	}

	/* cached until cleared: the reload after an edit */
	write_file("row.mustache", "({{.}})");
	rc = mustache_cache_render_json(c, "page", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "<h1>Hi &amp; bye</h1>\n[1][2]\n") == 0,
	      "still cached: %s", rc ? err.message : out.data);
	mustache_cache_clear(c);
	rc = mustache_cache_render_json(c, "page", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "<h1>Hi &amp; bye</h1>\n(1)(2)\n") == 0,
	      "reloaded: %s", rc ? err.message : out.data);

	/* templates added from memory, replaced in place */
	rc = mustache_cache_add(c, "greeting", "Hi {{title}}", 12, &err);
	CHECK(rc == 0, "add: %s", err.message);
	rc = mustache_cache_add(c, "greeting", "Bye {{title}}", 13, &err);
	CHECK(rc == 0, "replace: %s", err.message);
	rc = mustache_cache_render_json(c, "greeting", data, 0, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "Bye Hi &amp; bye") == 0, "added: %s",
	      rc ? err.message : out.data);
	rc = mustache_cache_add(c, "bad", "{{/x}}", 6, &err);
	CHECK(rc == MUSTACHE_ERR_MISMATCHED_CLOSE &&
	      strcmp(err.message, "bad:1:1: unexpected close tag {{/x}}: no section is open") == 0,
	      "add broken: %s", err.message);

	/* renders in threads while the templates are reloaded under them */
	{
		pthread_t th[4];
		struct worker w[4];
		int k;

		for (k = 0; k < 4; k++) {
			w[k].cache = c;
			w[k].data = data;
			w[k].bad = 0;
			if (pthread_create(&th[k], NULL, render_loop, &w[k]) != 0) {
				fprintf(stderr, "FAIL pthread_create\n");
				return 1;
			}
		}
		for (k = 0; k < 200; k++) {
			write_file("row.mustache", k % 2 ? "[{{.}}]" : "({{.}})");
			mustache_cache_clear(c);
		}
		for (k = 0; k < 4; k++) {
			pthread_join(th[k], NULL);
			CHECK(w[k].bad == 0, "thread %d: %d bad renders", k, w[k].bad);
		}
	}

	mustache_cache_free(c);

	/* a memory-only cache finds nothing on disk */
	c = mustache_cache_new(NULL, NULL);
	rc = mustache_cache_get(c, "page", &t, &err);
	CHECK(rc == MUSTACHE_ERR_PARTIAL_NOT_FOUND, "memory-only: rc=%d", rc);
	mustache_cache_free(c);
	mustache_cache_free(NULL);
	mustache_cache_clear(NULL);

	buf_free(&out);
	json_object_put(data);
	remove_file("page.mustache");
	remove_file("row.mustache");
	remove_file("emails/footer.mustache");
	remove_file("mail.mustache");
	remove_file("dyn.mustache");
	remove_file("broken.mustache");
	remove_file("uses_missing.mustache");
	remove_file("uses_broken.mustache");
	remove_file("emails");
	{
		char sub[128];

		snprintf(sub, sizeof sub, "%s/emails", dir);
		rmdir(sub);
	}
	rmdir(dir);
	printf("mustache cache: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
