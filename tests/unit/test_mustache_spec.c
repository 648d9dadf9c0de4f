/*
 * test_mustache_spec.c - run every test of the official mustache spec
 * (the JSON files in tests/mustache-spec/: the core files plus ~inheritance and
 * ~dynamic-names; lambdas are not supported) through the engine.
 * Exit 0 only if all of them pass and at least 184 ran.
 * Run from the repository root.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mustache.h"
#include "mustache_json.h"

#define SPEC_DIR "tests/mustache-spec/"

static const char *const spec_files[] = {
	"comments.json", "delimiters.json", "interpolation.json",
	"inverted.json", "partials.json", "sections.json",
	"~dynamic-names.json", "~inheritance.json",
};

static int passed, failed;

static void
show(const char *label, const char *s, size_t n)
{
	size_t i;

	fprintf(stderr, "    %s: \"", label);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n')
			fputs("\\n", stderr);
		else if (ch == '\r')
			fputs("\\r", stderr);
		else if (ch == '\t')
			fputs("\\t", stderr);
		else if (ch < 0x20)
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fputs("\"\n", stderr);
}

static void
run_test(const char *file, json_object *test, struct buf *out)
{
	json_object *jname, *jtpl, *jdata = NULL, *jexp, *jpartials;
	const char *name, *tpl, *exp;
	mustache_cache *cache;
	mustache_template *t = NULL;
	mustache_error err;
	int rc;

	if (!json_object_object_get_ex(test, "name", &jname) ||
	    !json_object_object_get_ex(test, "template", &jtpl) ||
	    !json_object_object_get_ex(test, "expected", &jexp)) {
		fprintf(stderr, "FAIL %s: malformed test\n", file);
		failed++;
		return;
	}
	json_object_object_get_ex(test, "data", &jdata);
	name = json_object_get_string(jname);
	tpl = json_object_get_string(jtpl);
	exp = json_object_get_string(jexp);

	cache = mustache_cache_new(NULL, NULL);
	if (!cache) {
		fprintf(stderr, "FAIL %s / %s: out of memory\n", file, name);
		failed++;
		return;
	}
	rc = 0;
	if (json_object_object_get_ex(test, "partials", &jpartials)) {
		json_object_object_foreach(jpartials, pname, pval) {
			rc = mustache_cache_add(cache, pname, json_object_get_string(pval),
						(size_t)json_object_get_string_len(pval), &err);
			if (rc)
				break;
		}
	}
	if (rc == 0)
		rc = mustache_compile(name, tpl, (size_t)json_object_get_string_len(jtpl),
				      NULL, &t, &err);
	if (rc == 0)
		rc = mustache_cache_render_template_json(cache, t, jdata,
							 MUSTACHE_MISSING_PARTIAL_EMPTY,
							 out, &err);
	if (rc != 0) {
		fprintf(stderr, "FAIL %s / %s: %s\n", file, name, err.message);
		failed++;
	} else if (out->len != (size_t)json_object_get_string_len(jexp) ||
		   memcmp(out->data, exp, out->len) != 0) {
		fprintf(stderr, "FAIL %s / %s\n", file, name);
		show("template", tpl, strlen(tpl));
		show("expected", exp, (size_t)json_object_get_string_len(jexp));
		show("got     ", out->data, out->len);
		failed++;
	} else {
		passed++;
	}
	mustache_template_free(t);
	mustache_cache_free(cache);
}

int
main(void)
{
	struct buf out = BUF_INIT;
	size_t f;

	for (f = 0; f < sizeof spec_files / sizeof spec_files[0]; f++) {
		char path[256];
		json_object *doc, *tests;
		size_t i, n;

		snprintf(path, sizeof path, SPEC_DIR "%s", spec_files[f]);
		doc = json_object_from_file(path);
		if (!doc || !json_object_object_get_ex(doc, "tests", &tests)) {
			fprintf(stderr, "FAIL cannot read %s (run from the repository root)\n",
				path);
			failed++;
			json_object_put(doc);
			continue;
		}
		n = json_object_array_length(tests);
		for (i = 0; i < n; i++)
			run_test(spec_files[f], json_object_array_get_idx(tests, i), &out);
		json_object_put(doc);
	}
	buf_free(&out);
	if (passed + failed < 184) {
		fprintf(stderr, "FAIL only %d spec tests found, expected 184\n",
			passed + failed);
		failed++;
	}
	printf("mustache-spec: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
