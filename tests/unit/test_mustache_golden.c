/*
 * test_mustache_golden.c - golden tests for the engine's error messages
 * (template name, line, column), its hard limits, strict mode and a few
 * output rules, from the table in tests/mustache/golden.json.
 *
 * Each case gives a template, data, partials, flags and limits, and either
 * the exact "error" message or the exact "expected" output.  Run from the
 * repository root.  With MUSTACHE_GOLDEN_UPDATE=1 it prints the table with
 * the engine's current answers instead (review before committing them).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mustache.h"
#include "mustache_json.h"

#define GOLDEN "tests/mustache/golden.json"

/* Limits a case may set, by name. */
static const struct {
	const char *key;
	size_t offset;
	int is_size;	/* size_t, else unsigned / unsigned long */
} limit_fields[] = {
	{ "max_template_size", offsetof(mustache_limits, max_template_size), 1 },
	{ "max_name_len", offsetof(mustache_limits, max_name_len), 1 },
	{ "max_depth", offsetof(mustache_limits, max_depth), 0 },
	{ "max_partial_depth", offsetof(mustache_limits, max_partial_depth), 0 },
	{ "max_output", offsetof(mustache_limits, max_output), 1 },
	{ "max_steps", offsetof(mustache_limits, max_steps), 2 },
};

static int
set_limits(json_object *jl, mustache_limits *l)
{
	mustache_limits_default(l);
	if (!jl)
		return 0;
	json_object_object_foreach(jl, key, val) {
		size_t i;
		int64_t v = json_object_get_int64(val);

		for (i = 0; i < sizeof limit_fields / sizeof limit_fields[0]; i++)
			if (strcmp(limit_fields[i].key, key) == 0)
				break;
		if (i == sizeof limit_fields / sizeof limit_fields[0] || v < 0) {
			fprintf(stderr, "golden: unknown limit %s\n", key);
			return -1;
		}
		if (limit_fields[i].is_size == 1)
			*(size_t *)((char *)l + limit_fields[i].offset) = (size_t)v;
		else if (limit_fields[i].is_size == 2)
			*(unsigned long *)((char *)l + limit_fields[i].offset) =
				(unsigned long)v;
		else
			*(unsigned *)((char *)l + limit_fields[i].offset) = (unsigned)v;
	}
	return 0;
}

static bool
flag(json_object *c, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(c, key, &v) && json_object_get_boolean(v);
}

/* Run one case; *msg and *text get the error message or the output
 * (static storage / out buffer).  Returns the engine's status. */
static int
run_case(json_object *c, struct buf *out, mustache_error *err)
{
	json_object *jt, *jn, *jd = NULL, *jp = NULL, *jl = NULL;
	mustache_limits lim;
	mustache_cache *cache;
	mustache_template *t = NULL;
	unsigned flags = 0;
	int rc = 0;

	json_object_object_get_ex(c, "template", &jt);
	json_object_object_get_ex(c, "template_name", &jn);
	json_object_object_get_ex(c, "data", &jd);
	json_object_object_get_ex(c, "partials", &jp);
	json_object_object_get_ex(c, "limits", &jl);
	if (flag(c, "strict"))
		flags |= MUSTACHE_STRICT;
	if (flag(c, "missing_partial_empty"))
		flags |= MUSTACHE_MISSING_PARTIAL_EMPTY;
	memset(err, 0, sizeof *err);
	out->len = 0;
	if (set_limits(jl, &lim) != 0)
		return MUSTACHE_ERR_INVALID;
	if (!(cache = mustache_cache_new(NULL, &lim)))
		return MUSTACHE_ERR_NOMEM;
	if (jp) {
		json_object_object_foreach(jp, pname, pval) {
			rc = mustache_cache_add(cache, pname, json_object_get_string(pval),
						(size_t)json_object_get_string_len(pval), err);
			if (rc)
				break;
		}
	}
	if (rc == 0)
		rc = mustache_compile(json_object_get_string(jn), json_object_get_string(jt),
				      (size_t)json_object_get_string_len(jt), &lim, &t, err);
	if (rc == 0)
		rc = mustache_cache_render_template_json(cache, t, jd, flags, out, err);
	mustache_template_free(t);
	mustache_cache_free(cache);
	return rc;
}

int
main(void)
{
	json_object *doc = json_object_from_file(GOLDEN), *cases;
	bool update = getenv("MUSTACHE_GOLDEN_UPDATE") != NULL;
	struct buf out = BUF_INIT;
	int passed = 0, failed = 0;
	size_t i, n;

	if (!doc || !json_object_object_get_ex(doc, "cases", &cases)) {
		fprintf(stderr, "FAIL cannot read %s (run from the repository root)\n",
			GOLDEN);
		return 1;
	}
	n = json_object_array_length(cases);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(cases, i), *je, *jx, *jname;
		mustache_error err;
		int rc = run_case(c, &out, &err);
		const char *got = rc ? err.message : out.data ? out.data : "";
		const char *want = NULL;
		bool ok;

		json_object_object_get_ex(c, "name", &jname);
		if (update) {
			json_object_object_del(c, "error");
			json_object_object_del(c, "expected");
			json_object_object_add(c, rc ? "error" : "expected",
					       json_object_new_string(got));
			continue;
		}
		if (json_object_object_get_ex(c, "error", &je) && je)
			want = json_object_get_string(je);
		if (json_object_object_get_ex(c, "expected", &jx) && jx) {
			want = json_object_get_string(jx);
			ok = rc == 0 && strcmp(got, want) == 0;
		} else {
			ok = rc != 0 && want && strcmp(got, want) == 0;
		}
		/* an error must never leave output behind */
		if (rc != 0 && out.len != 0)
			ok = false;
		if (ok) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n  want %s: %s\n  got  %s: %s\n",
				json_object_get_string(jname), rc ? "error" : "output",
				want ? want : "(none)", rc ? "error" : "output", got);
		}
	}
	if (update)
		printf("%s\n", json_object_to_json_string_ext(doc,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("mustache-golden: %d passed, %d failed\n", passed, failed);
	buf_free(&out);
	json_object_put(doc);
	return failed ? 1 : 0;
}
