/*
 * fuzz_mustache.c - libFuzzer harness over compile-and-render.
 *
 * Input: byte 0 picks flags (strict, missing partials empty); the rest is
 * split on NUL bytes into: the template, partials "a", "b" and "c", and JSON
 * data (default data of every JSON type when absent or invalid).  Limits
 * are kept small so that hostile recursion ends quickly; the engine must
 * answer with output or an error, never crash, leak or overrun.
 * Build and run: make fuzz-mustache [FUZZ_SECONDS=600].
 */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mustache.h"
#include "mustache_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_data[] =
	"{\"a\":\"b\",\"n\":0,\"x\":1.5,\"t\":true,\"f\":false,\"z\":null,"
	"\"s\":\"<&'\\\">\",\"list\":[1,\"two\",{\"a\":\"c\",\"list\":[]},[3]],"
	"\"o\":{\"a\":{\"b\":\"a\"},\"list\":[{\"s\":\"x\"}]},\"p\":\"a\",\"q\":\"b\"}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[5] = { "", "", "", "", NULL };
	size_t plen[5] = { 0, 0, 0, 0, 0 };
	static const char *const names[3] = { "a", "b", "c" };
	mustache_limits lim;
	mustache_cache *cache;
	mustache_template *t = NULL;
	mustache_error err;
	struct buf out = BUF_INIT;
	json_object *jd = NULL;
	unsigned flags = 0;
	size_t i, k = 0, start;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		flags |= MUSTACHE_STRICT;
	if (data[0] & 2)
		flags |= MUSTACHE_MISSING_PARTIAL_EMPTY;
	start = 1;
	for (i = 1; i <= size && k < 5; i++) {
		if (i == size || data[i] == '\0') {
			part[k] = (const char *)data + start;
			plen[k] = i - start;
			k++;
			start = i + 1;
		}
	}

	mustache_limits_default(&lim);
	lim.max_output = 1 << 20;
	lim.max_steps = 200000;
	lim.max_depth = (data[0] & 4) ? 8 : 100;

	if (part[4] && plen[4]) {
		struct json_tokener *tok = json_tokener_new_ex(16);

		if (tok) {
			jd = json_tokener_parse_ex(tok, part[4], (int)plen[4]);
			if (json_tokener_get_error(tok) != json_tokener_success) {
				json_object_put(jd);
				jd = NULL;
			}
			json_tokener_free(tok);
		}
	}
	if (!jd)
		jd = json_tokener_parse(default_data);

	cache = mustache_cache_new(NULL, &lim);
	if (!cache) {
		json_object_put(jd);
		return 0;
	}
	for (i = 0; i < 3; i++)
		if (k > i + 1 && plen[i + 1])
			(void)!mustache_cache_add(cache, names[i], part[i + 1], plen[i + 1], &err);

	if (mustache_compile("fuzz", part[0], plen[0], &lim, &t, &err) == 0) {
		int rc = mustache_cache_render_template_json(cache, t, jd, flags, &out, &err);

		/* the contract: output xor error (the buffer then failed, so
		 * it cannot be sent as a page), and a NUL-terminated page */
		if (rc == 0 && (out.len > lim.max_output || buf_failed(&out) ||
				(out.data && out.data[out.len])))
			abort();
		if (rc != 0 && (out.len != 0 || !buf_failed(&out) ||
				err.message[0] == '\0'))
			abort();
		/* rendering twice gives the same page */
		if (rc == 0) {
			struct buf again = BUF_INIT;
			size_t len = out.len;

			if (mustache_cache_render_template_json(cache, t, jd, flags, &again, &err) != 0 ||
			    again.len != len || (len && memcmp(again.data, out.data, len) != 0))
				abort();
			buf_free(&again);
		}
	} else if (err.message[0] == '\0' || err.code >= 0) {
		abort();
	}
	mustache_template_free(t);
	buf_free(&out);
	mustache_cache_free(cache);
	json_object_put(jd);
	return 0;
}
