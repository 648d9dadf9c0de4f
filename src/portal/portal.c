/* portal: the admin portal's shared page machinery (see portal.h). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "mustache_json.h"
#include "portal.h"
#include "validate.h"

static mustache_cache *templates;

static const char *const template_names[PORTAL_TEMPLATE__MAX] = {
	[PORTAL_TEMPLATE_ACTIVITY] = "activity",
	[PORTAL_TEMPLATE_CAMPAIGN] = "campaign",
	[PORTAL_TEMPLATE_CAMPAIGNS] = "campaigns",
	[PORTAL_TEMPLATE_DASHBOARD] = "dashboard",
	[PORTAL_TEMPLATE_DEENROLL] = "deenroll",
	[PORTAL_TEMPLATE_DEENROLL_RUN] = "deenroll_run",
	[PORTAL_TEMPLATE_ERROR] = "error",
	[PORTAL_TEMPLATE_ALERTS] = "alerts",
	[PORTAL_TEMPLATE_KEYS] = "keys",
	[PORTAL_TEMPLATE_KEYS_CREATED] = "keys_created",
	[PORTAL_TEMPLATE_KEYS_REVOKE] = "keys_revoke",
	[PORTAL_TEMPLATE_LEAD] = "lead",
	[PORTAL_TEMPLATE_LEADS] = "leads",
	[PORTAL_TEMPLATE_LOGIN] = "login",
	[PORTAL_TEMPLATE_NOTFOUND] = "notfound",
	[PORTAL_TEMPLATE_NURTURE_CAMPAIGN] = "nurture_campaign",
	[PORTAL_TEMPLATE_NURTURE_CAMPAIGN_PREVIEW] = "nurture_campaign_preview",
	[PORTAL_TEMPLATE_NURTURE_CAMPAIGNS] = "nurture_campaigns",
	[PORTAL_TEMPLATE_NURTURE] = "nurture",
	[PORTAL_TEMPLATE_NURTURE_ERRORS] = "nurture_errors",
	[PORTAL_TEMPLATE_NURTURE_SENDS] = "nurture_sends",
	[PORTAL_TEMPLATE_RETRY_DISCARD] = "retry_discard",
	[PORTAL_TEMPLATE_RETRY_QUEUE] = "retry_queue",
	[PORTAL_TEMPLATE_RETRY_ROW] = "retry_row",
	[PORTAL_TEMPLATE_CHART] = "chart",
	[PORTAL_TEMPLATE_LAYOUT] = "layout",
	[PORTAL_TEMPLATE_LEAD_ACTIONS] = "lead_actions",
	[PORTAL_TEMPLATE_LEAD_CAMPAIGN] = "lead_campaign",
	[PORTAL_TEMPLATE_LEAD_NURTURE] = "lead_nurture",
	[PORTAL_TEMPLATE_NURTURE_CHART] = "nurture_chart",
	[PORTAL_TEMPLATE_SESSION] = "session",
};

const char *
portal_template_name(enum portal_template t)
{
	return (unsigned)t < PORTAL_TEMPLATE__MAX ? template_names[t] : NULL;
}

/* Compile every template of the table into the cache; each failure is
 * logged (the engine's message names file, line and column). Returns the
 * number that failed. */
static int
compile_all(void)
{
	const mustache_template	*t;
	mustache_error		 err;
	int			 i, failed = 0;

	for (i = 0; i < PORTAL_TEMPLATE__MAX; i++)
		if (mustache_cache_get(templates, template_names[i], &t,
		    &err) != 0) {
			log_error("template %s: %s", template_names[i],
			    err.message);
			failed++;
		}
	return failed;
}

int
portal_init(const char *template_dir)
{
	if ((templates = mustache_cache_new(template_dir, NULL)) == NULL) {
		log_error("templates: out of memory");
		return -1;
	}
	if (compile_all() > 0) {
		log_error("templates from %s do not compile: not starting",
		    template_dir);
		portal_free();
		return -1;
	}
	log_info("templates from %s", template_dir);
	return 0;
}

void
portal_reload(void)
{
	if (templates == NULL)
		return;
	mustache_cache_clear(templates);
	(void)compile_all();
}

void
portal_free(void)
{
	mustache_cache_free(templates);
	templates = NULL;
}

/* Decode one path segment [s, end) into out; -1 if it cannot be. */
static int
decode_segment(const char *s, const char *end, char out[PORTAL_ARG_MAX])
{
	size_t n = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi, lo;

			if (end - s < 3 || (hi = hex_digit_value(s[1])) < 0 ||
			    (lo = hex_digit_value(s[2])) < 0)
				return -1;
			c = hi * 16 + lo;
			s += 2;
		}
		if (c == '\0' || n + 1 >= PORTAL_ARG_MAX)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

bool
portal_route_match(const char *pattern, const char *path, struct visit *v)
{
	int nargs = 0;

	while (*pattern != '\0') {
		if (*pattern == '*') {
			const char *end = strchr(path, '/');

			if (end == NULL)
				end = path + strlen(path);
			if (nargs == PORTAL_MAX_ARGS ||
			    decode_segment(path, end, v->arg[nargs]) == -1)
				return false;
			nargs++;
			path = end;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *path == '\0';
}

void
portal_add_header(struct visit *v, const char *line)
{
	size_t used = strlen(v->headers);

	snprintf(v->headers + used, sizeof(v->headers) - used, "%s", line);
}

void
portal_send_page(struct visit *v, int status, enum portal_template tpl,
    json_object *data)
{
	mustache_error	 err;

	if (mustache_cache_render_json(templates, template_names[tpl], data, 0,
	    &v->w->out, &err) != 0) {
		/* The message names the template, line and column. */
		log_error("rendering %s: %s", template_names[tpl], err.message);
		buf_reset(&v->w->out);
		buf_puts(&v->w->out, "<!doctype html><title>500</title>"
		    "<h1>500 Internal Server Error</h1>"
		    "<p>The page could not be rendered.</p>\n");
		status = 500;
	}
	/* The worker's buffer itself: rendered into, sent, reused. */
	http_send_page(v->req, status, v->headers, &v->w->out);
}

void
portal_send_error(struct visit *v, int status, const char *message)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "status", json_object_new_int(status));
	json_object_object_add(data, "reason",
	    json_object_new_string(http_status_text(status)));
	json_object_object_add(data, "message",
	    json_object_new_string(message));
	if (v->who.email[0] != '\0') {
		json_object *page = portal_page_data(v);

		json_object_object_add(data, "user",
		    json_object_get(json_object_object_get(page, "user")));
		json_object_object_add(data, "csrf",
		    json_object_get(json_object_object_get(page, "csrf")));
		json_object_put(page);
	}
	if (status == 503)
		portal_add_header(v, "Retry-After: 5\r\n");
	portal_send_page(v, status, PORTAL_TEMPLATE_ERROR, data);
	json_object_put(data);
}

void
portal_send_db_error(struct visit *v, int rc)
{
	if (rc == DB_UNAVAILABLE)
		portal_send_error(v, 503, "The portal cannot reach its "
		    "database. Try again soon.");
	else
		portal_send_error(v, 500, "The database could not answer. "
		    "The error is in the portal's log.");
}

void
portal_redirect(struct visit *v, const char *location)
{
	char line[PORTAL_ARG_MAX * 4];

	snprintf(line, sizeof(line), "Location: %s\r\n", location);
	portal_add_header(v, line);
	http_send(v->req, 303, "text/plain; charset=utf-8", v->headers, NULL);
}

void
portal_set_cookie(struct visit *v, const char *name, const char *value,
    long max_age)
{
	char line[SESSION_SETCOOKIE_MAX];

	if (session_set_cookie(line, sizeof(line), name, value, max_age,
	    v->https) == 0)
		portal_add_header(v, line);
}

json_object *
portal_page_data(struct visit *v)
{
	char		 csrf[AUTH_CSRF_LEN + 1];
	json_object	*data = json_object_new_object();
	json_object	*user = json_object_new_object();

	if (auth_csrf_token(v->token, csrf) != 0)
		csrf[0] = '\0';
	json_object_object_add(user, "email",
	    json_object_new_string(v->who.email));
	json_object_object_add(user, "role",
	    json_object_new_string(auth_role_name(v->who.role)));
	json_object_object_add(user, "can_write",
	    json_object_new_boolean(auth_role_can_write(v->who.role)));
	json_object_object_add(data, "user", user);
	json_object_object_add(data, "csrf", json_object_new_string(csrf));
	json_object_object_add(data, "path",
	    json_object_new_string(v->req->path));
	return data;
}

void
portal_data_merge(json_object *data, json_object *extra, const char *skip)
{
	if (extra == NULL)
		return;
	json_object_object_foreach(extra, key, val)
		if (skip == NULL || strcmp(key, skip) != 0)
			json_object_object_add(data, key, json_object_get(val));
}

const char *
portal_query(struct visit *v, const char *name)
{
	return form_get(&v->query, name);
}

bool
portal_found(struct visit *v, int rc, const void *row, const char *missing)
{
	if (rc != DB_OK) {
		portal_send_db_error(v, rc);
		return false;
	}
	if (row == NULL) {
		portal_send_error(v, 404, missing);
		return false;
	}
	return true;
}

const char *
portal_query_choice(struct visit *v, const char *name,
    const struct portal_choice *choices, size_t n, const char *dflt,
    const char *message)
{
	const char	*s = portal_query(v, name);
	size_t		 i;

	if (s == NULL || *s == '\0')
		return dflt;
	for (i = 0; i < n; i++)
		if (strcmp(s, choices[i].name) == 0)
			return choices[i].name;
	portal_send_error(v, 400, message);
	return NULL;
}

bool
portal_query_marker(struct visit *v, const char *name, const char **out,
    const char *message)
{
	*out = portal_query(v, name);
	if (*out != NULL && **out == '\0')
		*out = NULL;
	if (*out != NULL && !lead_uuid_valid(*out)) {
		portal_send_error(v, 400, message);
		return false;
	}
	return true;
}

json_object *
portal_tabs_json(const struct portal_choice *tabs, size_t n,
    const char *selected, const struct portal_counts *counts,
    const char *count_key, const char *url_base, const char *url_tail)
{
	json_object	*list = json_object_new_array();
	const char	*rows = counts->rows;
	long long	 all = 0;
	size_t		 i, k;
	char		 url[PORTAL_ARG_MAX * 4];

	for (k = 0; k < counts->n; k++)
		all += *(const long long *)(const void *)(rows + k *
		    counts->size + counts->count);
	for (i = 0; i < n; i++) {
		json_object	*t = json_object_new_object();
		long long	 count = 0;

		for (k = 0; k < counts->n; k++) {
			const char *row = rows + k * counts->size;

			if (strcmp(*(const char *const *)(const void *)(row +
			    counts->name), tabs[i].name) == 0)
				count = *(const long long *)(const void *)(row +
				    counts->count);
		}
		if (strcmp(tabs[i].name, "all") == 0)
			count = all;
		snprintf(url, sizeof(url), "%s%s%s", url_base, tabs[i].name,
		    url_tail);
		json_put_string(t, "name", tabs[i].name);
		json_put_string(t, "label", tabs[i].label);
		json_put_string(t, "url", url);
		json_put_int(t, count_key, count);
		json_object_object_add(t, "selected", json_object_new_boolean(
		    strcmp(selected, tabs[i].name) == 0));
		json_object_array_add(list, t);
	}
	return list;
}

int
portal_read_form(struct visit *v, struct form *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if (!session_is_form(v->req->content_type)) {
		portal_send_error(v, 415, "Send the form as "
		    "application/x-www-form-urlencoded.");
		return -1;
	}
	if ((rc = http_read_body(v->req, FORM_MAX_BYTES)) != 0 &&
	    rc != 411) {
		portal_send_error(v, rc, "The form could not be read.");
		return -1;
	}
	if (form_parse(f, buf_str(&v->req->body), v->req->body.len) !=
	    FORM_OK) {
		portal_send_error(v, 400, "The form could not be read.");
		return -1;
	}
	return 0;
}
