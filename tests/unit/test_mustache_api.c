/*
 * test_mustache_api.c - the core's contracts, without JSON: a tiny backend
 * over C structs (the core knows nothing of json-c), output buffer reuse
 * (compile once, render many without reallocating), no half page after an
 * error (the struct buf emptied and failed), the buffer's own limit, argument checks, free(NULL)-style frees, the deepest render in a
 * 256 KiB thread stack, and hostile templates
 * generated here (very deep nesting, huge names, random bytes) that must
 * give an error or output, never a crash.  Exit 0 = pass.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mustache.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} \
} while (0)

/* A value of the toy backend: a string, a map of fields, or a list. */
struct val {
	enum { V_STR, V_MAP, V_LIST } kind;
	const char *str;
	const char *const *keys;	/* V_MAP */
	const struct val *items;	/* V_MAP values / V_LIST items */
	size_t n;
};

static mustache_value
toy_member(void *cl, mustache_value v, const char *key)
{
	const struct val *x = v;
	size_t i;

	(void)cl;
	if (x->kind != V_MAP)
		return NULL;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->keys[i], key) == 0)
			return &x->items[i];
	return NULL;
}

static long
toy_list_len(void *cl, mustache_value v)
{
	const struct val *x = v;

	(void)cl;
	return x->kind == V_LIST ? (long)x->n : -1;
}

static mustache_value
toy_list_item(void *cl, mustache_value v, size_t i)
{
	(void)cl;
	return &((const struct val *)v)->items[i];
}

static bool
toy_truthy(void *cl, mustache_value v)
{
	const struct val *x = v;

	(*(int *)cl)++;	/* the closure reaches the callbacks */
	return x->kind != V_STR || x->str[0] != '\0';
}

static const char *
toy_text(void *cl, mustache_value v, char *scratch, size_t *len)
{
	const struct val *x = v;

	(void)cl;
	(void)scratch;
	if (x->kind != V_STR)
		return NULL;
	*len = strlen(x->str);
	return x->str;
}

static const mustache_backend toy = {
	toy_member, toy_list_len, toy_list_item, toy_truthy, toy_text
};

static void
test_toy_backend(void)
{
	static const struct val names[] = {
		{ V_STR, "Ann", NULL, NULL, 0 }, { V_STR, "Bob <b>", NULL, NULL, 0 },
	};
	static const char *const rkeys[] = { "title", "people", "empty" };
	static const struct val rvals[] = {
		{ V_STR, "Team", NULL, NULL, 0 },
		{ V_LIST, NULL, NULL, names, 2 },
		{ V_STR, "", NULL, NULL, 0 },
	};
	static const struct val root = { V_MAP, NULL, rkeys, rvals, 3 };
	const char *src = "{{title}}:{{#people}} {{.}}{{/people}}{{^empty}}!{{/empty}}";
	mustache_template *t;
	mustache_error err;
	struct buf out = BUF_INIT;
	char *first;
	size_t cap;
	int calls = 0, rc, i;

	rc = mustache_compile("toy", src, strlen(src), NULL, &t, &err);
	CHECK(rc == 0, "compile: %s", err.message);
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
	CHECK(rc == 0 && strcmp(out.data, "Team: Ann Bob &lt;b&gt;!") == 0,
	      "toy render: %s", rc ? err.message : out.data);
	CHECK(calls > 0, "closure not passed");

	/* render many: the buffer is reused, never reallocated */
	first = out.data;
	cap = out.cap;
	for (i = 0; i < 10000 && rc == 0; i++)
		rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
	CHECK(rc == 0 && out.data == first && out.cap == cap,
	      "buffer reallocated while rendering the same page");

	/* an error leaves no half page, and the buffer stays usable */
	{
		mustache_template *t2;
		const char *s2 = "{{title}} then {{missing}}";

		rc = mustache_compile("strict", s2, strlen(s2), NULL, &t2, &err);
		CHECK(rc == 0, "compile strict");
		rc = mustache_render(t2, &toy, &calls, &root, NULL, MUSTACHE_STRICT, NULL,
				     &out, &err);
		CHECK(rc == MUSTACHE_ERR_UNRESOLVED && out.len == 0 && out.data[0] == '\0' &&
		      buf_failed(&out) &&
		      strcmp(err.message, "strict:1:16: unresolved name 'missing'") == 0 &&
		      err.line == 1 && err.column == 16 &&
		      strcmp(err.template_name, "strict") == 0,
		      "strict: rc=%d len=%zu %s", rc, out.len, err.message);
		rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
		CHECK(rc == 0 && strcmp(out.data, "Team: Ann Bob &lt;b&gt;!") == 0 &&
		      !buf_failed(&out), "render after error");
		mustache_template_free(t2);
	}
	mustache_template_free(t);
	buf_free(&out);
}

static void
test_arguments(void)
{
	mustache_template *t = (mustache_template *)1;
	mustache_error err;
	struct buf out = BUF_INIT;
	int rc;

	rc = mustache_compile("x", NULL, 3, NULL, &t, &err);
	CHECK(rc == MUSTACHE_ERR_INVALID && t == NULL, "NULL source");
	rc = mustache_compile(NULL, "", 0, NULL, &t, &err);
	CHECK(rc == 0 && t && strcmp(mustache_template_name(t), "template") == 0,
	      "empty template");
	rc = mustache_render(t, NULL, NULL, NULL, NULL, 0, NULL, &out, &err);
	CHECK(rc == MUSTACHE_ERR_INVALID, "NULL backend");
	rc = mustache_render(t, &toy, NULL, NULL, NULL, 0, NULL, &out, &err);
	CHECK(rc == 0 && out.len == 0 && out.data && out.data[0] == '\0',
	      "empty render");
	mustache_template_free(t);
	mustache_template_free(NULL);
	buf_free(&out);
	buf_free(NULL);
	CHECK(strcmp(mustache_strerror(MUSTACHE_ERR_DEPTH), "nesting too deep") == 0,
	      "strerror");
	CHECK(strcmp(mustache_strerror(-999), "unknown error") == 0, "strerror unknown");
	CHECK(strcmp(mustache_strerror(1), "unknown error") == 0, "strerror positive");
}

/* The output is a struct buf (core): its sticky error flag after a failed
 * render, its own limit as a lower max_output, appends after a render. */
static void
test_buf_output(void)
{
	static const char *const keys[] = { "title" };
	static const struct val vals[] = { { V_STR, "0123456789", NULL, NULL, 0 } };
	static const struct val root = { V_MAP, NULL, keys, vals, 1 };
	mustache_template *t;
	mustache_limits lim;
	mustache_error err;
	struct buf out = BUF_INIT;
	int calls = 0, rc;

	rc = mustache_compile("ten", "<{{title}}>", 11, NULL, &t, &err);
	CHECK(rc == 0, "compile: %s", err.message);

	/* a failed buffer is replaced, its error cleared */
	buf_puts(&out, "old");
	out.failed = true;
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
	CHECK(rc == 0 && strcmp(buf_str(&out), "<0123456789>") == 0 &&
	      out.len == 12 && !buf_failed(&out), "render into a failed buffer");
	/* what follows a page is appended to it (render, then add) */
	buf_puts(&out, "\n");
	CHECK(strcmp(buf_str(&out), "<0123456789>\n") == 0, "append after render");

	/* out's own limit lowers max_output, and stays the caller's */
	out.limit = 11;
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
	CHECK(rc == MUSTACHE_ERR_OUTPUT_SIZE && out.len == 0 && buf_failed(&out) &&
	      strcmp(err.message, "ten:1:11: output larger than the limit of 11 bytes") == 0 &&
	      out.limit == 11, "buffer limit: rc=%d %s", rc, err.message);
	out.limit = 12;
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, NULL, &out, &err);
	CHECK(rc == 0 && out.len == 12 && out.limit == 12, "exactly at the buffer limit");
	buf_free(&out);

	/* the engine's limit when it is the lower one; the buffer never
	 * holds more memory than the limit can use */
	mustache_limits_default(&lim);
	lim.max_output = 12;
	out.limit = 1000;
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, &lim, &out, &err);
	CHECK(rc == 0 && out.len == 12 && out.cap == 13 && out.limit == 1000,
	      "max_output below the buffer limit: rc=%d cap=%zu", rc, out.cap);
	lim.max_output = 11;
	rc = mustache_render(t, &toy, &calls, &root, NULL, 0, &lim, &out, &err);
	CHECK(rc == MUSTACHE_ERR_OUTPUT_SIZE && buf_failed(&out) &&
	      strcmp(err.message, "ten:1:11: output larger than the limit of 11 bytes") == 0,
	      "max_output: %s", err.message);
	buf_free(&out);
	mustache_template_free(t);
}

/* Generated hostile templates: each must compile or fail cleanly. */
static void
test_hostile(void)
{
	static const char *const atoms[] = {
		"{{", "}}", "{{{", "}}}", "{{#a}}", "{{/a}}", "{{^a}}", "{{>a}}",
		"{{<a}}", "{{/a}}", "{{$a}}", "{{=<% %>=}}", "<%a%>", "{{.}}", "\n",
		"  ", "x", "{{!c}}", "{{>*p}}", "{{&a}}", "{{a.b.c}}", "\r\n", "=", "*",
	};
	static const char *const rkeys[] = { "a", "p" };
	static const struct val self[2];
	static const struct val rvals[] = {
		{ V_MAP, NULL, rkeys, self, 0 }, { V_STR, "a", NULL, NULL, 0 },
	};
	static const struct val root = { V_MAP, NULL, rkeys, rvals, 2 };
	mustache_limits lim;
	struct buf out = BUF_INIT;
	mustache_error err;
	char *src;
	size_t n, cap = 1 << 20;
	uint32_t seed = 12345;
	int i, calls = 0, rc;
	mustache_template *t;

	mustache_limits_default(&lim);
	src = malloc(cap);
	if (!src)
		exit(1);

	/* 100,000 nested sections: a clean depth error, not a stack overflow */
	n = 0;
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(src + n, "{{#a}}");
	rc = mustache_compile("deep", src, n, NULL, &t, &err);
	CHECK(rc == MUSTACHE_ERR_DEPTH &&
	      strcmp(err.message, "deep:1:601: sections nested deeper than 100") == 0,
	      "deep: %s", err.message);

	/* a name of 1 MiB - 4 bytes: refused by the name limit */
	memcpy(src, "{{", 2);
	memset(src + 2, 'n', cap - 4);
	memcpy(src + cap - 2, "}}", 2);
	rc = mustache_compile("long", src, cap, NULL, &t, &err);
	CHECK(rc == MUSTACHE_ERR_NAME_LENGTH, "long name: rc=%d %s", rc, err.message);

	/* an unclosed tag at the very end */
	rc = mustache_compile("end", "abc{{", 5, NULL, &t, &err);
	CHECK(rc == MUSTACHE_ERR_SYNTAX &&
	      strcmp(err.message, "end:1:4: unclosed tag: no '}}' after '{{'") == 0,
	      "end: %s", err.message);

	/* random soups of tags */
	for (i = 0; i < 20000; i++) {
		int k, len = (int)(seed % 40) + 1;

		n = 0;
		for (k = 0; k < len; k++) {
			const char *a;

			seed = seed * 1103515245u + 12345u;
			a = atoms[(seed >> 16) % (sizeof atoms / sizeof atoms[0])];
			memcpy(src + n, a, strlen(a));
			n += strlen(a);
		}
		rc = mustache_compile("soup", src, n, &lim, &t, &err);
		if (rc == 0) {
			rc = mustache_render(t, &toy, &calls, &root, NULL,
					     (unsigned)i & 3, &lim, &out, &err);
			CHECK(rc == 0 || (out.len == 0 && err.message[0]),
			      "soup render contract");
			mustache_template_free(t);
		} else {
			CHECK(err.message[0] && err.code == rc, "soup compile error without message");
		}
	}
	free(src);
	buf_free(&out);
}

/* The deepest render the limits allow, in a thread with the 256 KiB stack
 * the FastCGI workers use: it must end with the depth error, not a crash. */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (2u << 20)	/* ASan frames are several times larger */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMALL_STACK (2u << 20)
#endif
#endif
#ifndef SMALL_STACK
#define SMALL_STACK (256u << 10)
#endif

static void *
deep_render(void *arg)
{
	static const char *const keys[] = { "a" };
	static const struct val yes = { V_STR, "y", NULL, NULL, 0 };
	static const struct val root = { V_MAP, NULL, keys, &yes, 1 };
	mustache_cache *c;
	mustache_limits lim;
	mustache_template *t;
	mustache_error err;
	struct buf out = BUF_INIT;
	int calls = 0, *rc = arg;

	mustache_limits_default(&lim);
	lim.max_depth = MUSTACHE_DEPTH_CAP;
	lim.max_partial_depth = MUSTACHE_DEPTH_CAP;
	c = mustache_cache_new(NULL, &lim);
	if (!c || mustache_cache_add(c, "p", "{{#a}}{{>p}}{{/a}}", 18, &err) != 0 ||
	    mustache_compile("top", "{{>p}}", 6, &lim, &t, &err) != 0) {
		*rc = -100;
		return NULL;
	}
	*rc = mustache_cache_render_template(c, t, &toy, &calls, &root, 0, &out, &err);
	if (*rc == MUSTACHE_ERR_DEPTH &&
	    strcmp(err.message, "p:1:7: rendering nested deeper than 256") != 0)
		*rc = -101;
	mustache_template_free(t);
	mustache_cache_free(c);
	buf_free(&out);
	return NULL;
}

static void
test_small_stack(void)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SMALL_STACK);
	if (pthread_create(&th, &attr, deep_render, &rc) != 0) {
		fprintf(stderr, "FAIL pthread_create\n");
		failures++;
		return;
	}
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	CHECK(rc == MUSTACHE_ERR_DEPTH, "deep render in a small stack: rc=%d", rc);
}

int
main(void)
{
	test_small_stack();
	test_toy_backend();
	test_arguments();
	test_buf_output();
	test_hostile();
	printf("mustache api: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
