/*
 * cli_render.c - `minicrm render [--partials DIR] [--strict] TEMPLATE DATA.json`
 *
 * Renders one template file against a JSON file and prints the result, so
 * operators can preview templates and tests can drive the engine.  Partials
 * and parents load from DIR/NAME.mustache (default: TEMPLATE's directory).
 * DATA.json may be "-" for standard input.  Nothing is printed unless the
 * whole render succeeded.
 * Exit: 0 rendered, 1 compile/render/data error (message on stderr with
 * template name, line and column), 2 usage.
 */
#include <errno.h>
#include <stdint.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mustache.h"
#include "mustache_json.h"

int cli_render(int argc, char **argv);

static int
render_usage(void)
{
	fprintf(stderr,
		"usage: minicrm render [--partials DIR] [--strict] TEMPLATE DATA.json\n"
		"  --partials DIR  load {{>name}} from DIR/name.mustache "
		"(default: TEMPLATE's directory)\n"
		"  --strict        a name that resolves to nothing is an error\n"
		"  DATA.json       a JSON file, or - for standard input\n");
	return 2;
}

/* Read a whole file ("-": standard input) into a malloc'd, NUL-terminated
 * buffer (caller frees *out).  Returns 0, or -1 with errno set (EFBIG when
 * larger than max). */
static int
read_file(const char *path, size_t max, char **out, size_t *len)
{
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *p;

			if (cap > max) {
				free(buf);
				if (!std)
					fclose(f);
				errno = EFBIG;
				return -1;
			}
			cap = cap ? cap * 2 : 8192;
			if (!(p = realloc(buf, cap + 1))) {
				free(buf);
				if (!std)
					fclose(f);
				errno = ENOMEM;
				return -1;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		if (!std)
			fclose(f);
		errno = EIO;
		return -1;
	}
	if (!std)
		fclose(f);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	if (!buf && !(buf = malloc(1))) {
		errno = ENOMEM;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

#define DATA_MAX (64u << 20)
#define DATA_DEPTH 64

/* Parse the whole of buf as one JSON value into *out (caller puts it; NULL
 * for a JSON null).  Returns 0, or -1 with a message in why. */
static int
parse_json(const char *buf, size_t len, json_object **out, const char **why)
{
	struct json_tokener *tok = json_tokener_new_ex(DATA_DEPTH);
	enum json_tokener_error e;
	size_t end;

	*out = NULL;
	if (!tok) {
		*why = "out of memory";
		return -1;
	}
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare number or literal at the very end of the file ("85", no
	 * newline) may go on for all json-c knows: tell it the input ends. */
	if (e == json_tokener_continue) {
		*out = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(*out);
		*out = NULL;
		*why = e == json_tokener_continue ||
		       e == json_tokener_error_parse_eof ? "unexpected end of JSON"
							 : json_tokener_error_desc(e);
		return -1;
	}
	while (end < len && (buf[end] == ' ' || buf[end] == '\t' ||
			     buf[end] == '\n' || buf[end] == '\r'))
		end++;
	if (end != len) {
		json_object_put(*out);
		*out = NULL;
		*why = "trailing characters after the JSON value";
		return -1;
	}
	return 0;
}

int
cli_render(int argc, char **argv)
{
	const char *partials = NULL, *tpl_path = NULL, *data_path = NULL;
	char *dir = NULL, *src = NULL;
	size_t srclen = 0;
	unsigned flags = 0;
	mustache_limits lim;
	mustache_cache *cache = NULL;
	mustache_template *t = NULL;
	json_object *data = NULL;
	mustache_error err;
	struct buf out = BUF_INIT;
	int i, rc = 1;
	bool opts = true;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = false;
		} else if (opts && strcmp(a, "--strict") == 0) {
			flags |= MUSTACHE_STRICT;
		} else if (opts && strcmp(a, "--partials") == 0) {
			if (++i >= argc)
				return render_usage();
			partials = argv[i];
		} else if (opts && strncmp(a, "--partials=", 11) == 0) {
			partials = a + 11;
		} else if (opts && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			render_usage();
			return 0;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "minicrm render: unknown option %s\n", a);
			return render_usage();
		} else if (!tpl_path) {
			tpl_path = a;
		} else if (!data_path) {
			data_path = a;
		} else {
			return render_usage();
		}
	}
	if (!tpl_path || !data_path || (partials && !*partials))
		return render_usage();

	mustache_limits_default(&lim);
	if (!partials) {
		const char *slash = strrchr(tpl_path, '/');

		dir = slash ? strndup(tpl_path, (size_t)(slash - tpl_path + (slash == tpl_path)))
			    : strdup(".");
		if (!dir) {
			fprintf(stderr, "minicrm render: out of memory\n");
			goto done;
		}
		partials = dir;
	}
	if (read_file(tpl_path, lim.max_template_size, &src, &srclen) != 0) {
		fprintf(stderr, "minicrm render: %s: %s\n", tpl_path,
			errno == EFBIG ? "template larger than the size limit"
				       : strerror(errno));
		goto done;
	}
	{
		char *dbuf = NULL;
		size_t dlen = 0;
		const char *why = NULL;

		if (read_file(data_path, DATA_MAX, &dbuf, &dlen) != 0) {
			fprintf(stderr, "minicrm render: %s: %s\n", data_path,
				errno == EFBIG ? "data file too large" : strerror(errno));
			goto done;
		}
		if (dlen > INT32_MAX || parse_json(dbuf, dlen, &data, &why) != 0) {
			fprintf(stderr, "minicrm render: %s: invalid JSON: %s\n",
				data_path, why ? why : "too large");
			free(dbuf);
			goto done;
		}
		free(dbuf);
	}
	if (!(cache = mustache_cache_new(partials, &lim))) {
		fprintf(stderr, "minicrm render: out of memory\n");
		goto done;
	}
	if (mustache_compile(tpl_path, src, srclen, &lim, &t, &err) != 0 ||
	    mustache_cache_render_template_json(cache, t, data, flags, &out, &err) != 0) {
		fprintf(stderr, "minicrm render: %s\n", err.message);
		goto done;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fprintf(stderr, "minicrm render: writing output: %s\n", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	buf_free(&out);
	mustache_template_free(t);
	mustache_cache_free(cache);
	json_object_put(data);
	free(src);
	free(dir);
	return rc;
}
