/* nurture_render: a nurture e-mail's subject and body (see nurture_render.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "mustache.h"
#include "mustache_json.h"
#include "nurture_render.h"

/*
 * The json-c backend, except that a value which interpolates as nothing
 * (null, "") is no value: the core then fails in strict mode, naming it,
 * where it would have written an empty string. Sections read truthiness,
 * not text, so {{^company}}…{{/company}} still works as a fallback.
 */
static const char *
text_or_nothing(void *closure, mustache_value v, char *scratch, size_t *len)
{
	const char	*s;

	s = mustache_json_backend.text(closure, v, scratch, len);
	return s != NULL && *len > 0 ? s : NULL;
}

/* The rest is the json-c backend's, forwarded (its table is not a
 * constant expression, so it cannot be copied into a static one). */
static mustache_value
member(void *closure, mustache_value v, const char *key)
{
	return mustache_json_backend.member(closure, v, key);
}

static long
list_len(void *closure, mustache_value v)
{
	return mustache_json_backend.list_len(closure, v);
}

static mustache_value
list_item(void *closure, mustache_value v, size_t i)
{
	return mustache_json_backend.list_item(closure, v, i);
}

static bool
truthy(void *closure, mustache_value v)
{
	return mustache_json_backend.truthy(closure, v);
}

static const mustache_backend strict_backend = {
	member, list_len, list_item, truthy, text_or_nothing
};

static void
put_string(json_object *view, const char *key, const char *value)
{
	json_object_object_add(view, key, value != NULL ?
	    json_object_new_string(value) : NULL);
}

json_object *
nurture_render_view(const struct nurture_render_input *in)
{
	json_object	*view, *meta = NULL;

	if ((view = json_object_new_object()) == NULL)
		return NULL;
	if (in->metadata_json != NULL &&
	    (meta = json_tokener_parse(in->metadata_json)) != NULL &&
	    json_object_is_type(meta, json_type_object)) {
		json_object_object_foreach(meta, key, value)
			json_object_object_add(view, key,
			    json_object_get(value));
	}
	json_object_put(meta);
	/* The columns after the metadata: a column wins. */
	put_string(view, "first_name", in->first_name);
	put_string(view, "last_name", in->last_name);
	put_string(view, "name", in->name);
	put_string(view, "email", in->email);
	put_string(view, "phone", in->phone);
	put_string(view, "external_id", in->external_id);
	put_string(view, "campaign_name", in->campaign_name);
	json_object_object_add(view, "step_number",
	    json_object_new_int64(in->step_number));
	return view;
}

/*
 * The name an UNRESOLVED message is about: the engine writes "…: unresolved
 * name 'x'" or "…: name 'x' is a list or a map, not a value". Into out.
 */
static void
missing_name(const char *message, char *out, size_t outsz)
{
	const char	*a, *b;

	snprintf(out, outsz, "?");
	if ((a = strstr(message, "name '")) == NULL)
		return;
	a += 6;
	if ((b = strchr(a, '\'')) == NULL)
		return;
	snprintf(out, outsz, "%.*s", (int)(b - a), a);
}

/* Render one template (what: "subject" or "body") against view into
 * *text (malloc'd). Fills out's status and reason on failure. */
static int
render_one(const char *what, const char *src, json_object *view,
    char **text, struct nurture_render_result *out)
{
	mustache_template	*t = NULL;
	mustache_error		 err;
	struct buf		 b = BUF_INIT;
	char			 name[200];
	int			 rc;

	*text = NULL;
	if (src == NULL)
		src = "";
	if ((rc = mustache_compile(what, src, strlen(src), NULL, &t,
	    &err)) == 0)
		rc = mustache_render(t, &strict_backend, NULL,
		    mustache_json_value(view), NULL, MUSTACHE_STRICT, NULL, &b,
		    &err);
	mustache_template_free(t);
	if (rc == 0 && (*text = strdup(buf_str(&b))) == NULL)
		rc = MUSTACHE_ERR_NOMEM;
	buf_free(&b);
	if (rc == 0)
		return 0;
	snprintf(out->where, sizeof(out->where), "%s", what);
	out->line = err.line;
	out->column = err.column;
	if (rc == MUSTACHE_ERR_UNRESOLVED) {
		missing_name(err.message, name, sizeof(name));
		snprintf(out->missing, sizeof(out->missing), "%s", name);
		out->status = NURTURE_RENDER_MISSING;
		snprintf(out->reason, sizeof(out->reason),
		    "personalization: no value for {{%s}}", name);
	} else if (rc == MUSTACHE_ERR_NOMEM) {
		out->status = NURTURE_RENDER_NOMEM;
		snprintf(out->reason, sizeof(out->reason),
		    "personalization: out of memory");
	} else {
		out->status = NURTURE_RENDER_BAD_TEMPLATE;
		snprintf(out->reason, sizeof(out->reason),
		    "personalization: the step's %s template is broken: %.300s",
		    what, err.message);
	}
	return -1;
}

/*
 * The subject is a header, not HTML: decode the five entities the engine
 * writes, and make line breaks spaces (a header is one line). In place.
 */
static void
subject_plain(char *s)
{
	static const struct { const char *entity; char c; } entities[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&#39;", '\'' },
	};
	char	*r = s, *w = s;
	size_t	 i, n;

	while (*r != '\0') {
		if (*r == '&') {
			for (i = 0; i < sizeof(entities) / sizeof(entities[0]);
			    i++) {
				n = strlen(entities[i].entity);
				if (strncmp(r, entities[i].entity, n) == 0)
					break;
			}
			if (i < sizeof(entities) / sizeof(entities[0])) {
				*w++ = entities[i].c;
				r += n;
				continue;
			}
		}
		*w++ = *r == '\r' || *r == '\n' ? ' ' : *r;
		r++;
	}
	*w = '\0';
}

enum nurture_render_status
nurture_render(const struct nurture_render_input *in,
    struct nurture_render_result *out)
{
	json_object	*view;

	memset(out, 0, sizeof(*out));
	if ((view = nurture_render_view(in)) == NULL) {
		out->status = NURTURE_RENDER_NOMEM;
		snprintf(out->reason, sizeof(out->reason),
		    "personalization: out of memory");
		return out->status;
	}
	if (render_one("subject", in->subject_template, view, &out->subject,
	    out) == 0 &&
	    render_one("body", in->body_template, view, &out->body, out) == 0) {
		subject_plain(out->subject);
		out->status = NURTURE_RENDER_OK;
	} else {
		free(out->subject);
		free(out->body);
		out->subject = out->body = NULL;
	}
	json_object_put(view);
	return out->status;
}

void
nurture_render_free(struct nurture_render_result *out)
{
	if (out == NULL)
		return;
	free(out->subject);
	free(out->body);
	out->subject = out->body = NULL;
}
