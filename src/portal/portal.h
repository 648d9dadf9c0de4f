/*
 * portal: what every page of the admin portal (admin.fcgi) shares — the
 * request being served (struct visit), the route and template tables'
 * types, rendering a page or an error page in the portal's layout,
 * redirects, cookies, the query string.
 *
 * admin.c holds the one route table and does the checks every route needs
 * before a handler runs: a session (anonymous GET → 303 /login, anonymous
 * POST → 403), a valid CSRF token on every POST (the form is parsed into
 * v->form first), for routes marked PORTAL_ADMIN an admin role (viewers get
 * 403), and each path argument checked against its type (404 when it
 * cannot name a row). A handler therefore only does its own work.
 */
#ifndef MINICRM_PORTAL_H
#define MINICRM_PORTAL_H

#include <stdbool.h>
#include <json-c/json.h>

#include "auth.h"
#include "db.h"
#include "http.h"
#include "mustache.h"
#include "session_http.h"

/* What each worker thread owns for the life of the process. */
struct portal_worker {
	struct db	db;
	struct buf	out;	/* the page: rendered into, then sent */
};

#define PORTAL_MAX_ARGS		2
#define PORTAL_ARG_MAX		128

/* One request: who is asking, and the headers the answer will carry. */
struct visit {
	struct portal_worker	*w;
	struct http_request	*req;
	bool			 https;
	char			 token[AUTH_TOKEN_LEN + 1];	/* "" if none */
	struct auth_user	 who;
	struct form		 form;	/* a POST's fields (CSRF checked) */
	struct form		 query;	/* the query string's fields */
	/* The path segments a route's '*' matched, in order, decoded. */
	char			 arg[PORTAL_MAX_ARGS][PORTAL_ARG_MAX];
	char			 headers[2048];
};

/* Who may use a route. PORTAL_PUBLIC is not the zero value: a row that
 * forgot its access still needs a session. */
enum portal_access {
	PORTAL_ANYONE,		/* any logged-in user, viewers included */
	PORTAL_ADMIN,		/* changes something: admins only */
	PORTAL_PUBLIC		/* no session needed: the login page only */
};

enum portal_method {
	PORTAL_GET,		/* HEAD too: answered by the GET route */
	PORTAL_POST,
	PORTAL_METHOD__MAX
};

/*
 * What a route's '*' segment must be. The router checks v->arg[i] against
 * the route's args[i] after the role and before the handler, and answers
 * 404 with the type's message when it cannot name a row ("There is no
 * such lead."); a handler reads only checked arguments.
 */
enum portal_arg {
	PORTAL_ARG_NONE,	/* no argument at this position */
	PORTAL_ARG_LEAD_UUID,	/* a lead's uuid (lead_uuid_valid) */
	PORTAL_ARG_KEY_UUID,	/* an API key's uuid, the same form */
	PORTAL_ARG_RETRY_ID,	/* a retry-queue row id, 1 to 18 digits */
	PORTAL_ARG_CAMPAIGN_UUID, /* a campaign's uuid, the same form */
	PORTAL_ARG_RUN_UUID,	/* a de-enrollment run's uuid, the same form */
	PORTAL_ARG_NURTURE_CAMPAIGN_UUID, /* a nurture campaign's uuid */
	PORTAL_ARG_NURTURE_STEP, /* a nurture step's number, 1 to 100 */
	PORTAL_ARG_ENROLLMENT_UUID, /* a nurture enrolment's uuid */
	PORTAL_ARG_SEND_UUID,	/* an email_sends row's uuid, the same form */
	PORTAL_ARG__MAX
};

/*
 * A row of admin.c's route table: method and path pattern, where '*'
 * matches one path segment (no '/'), decoded into v->arg; one arg type
 * for each '*', in order.
 */
struct portal_route {
	enum portal_method	 method;
	const char		*pattern;
	enum portal_access	 access;
	enum portal_arg		 args[PORTAL_MAX_ARGS];
	void			(*handle)(struct visit *);
};

/*
 * The pages' templates, templates/<name>.mustache (portal.c names them).
 * Every one is compiled at start-up; a page is rendered by its enum, so a
 * misspelt name does not compile. The partials follow the pages: they are
 * rendered only through them, and listed so that they are compiled too.
 */
enum portal_template {
	PORTAL_TEMPLATE_ACTIVITY,
	PORTAL_TEMPLATE_CAMPAIGN,
	PORTAL_TEMPLATE_CAMPAIGNS,
	PORTAL_TEMPLATE_DASHBOARD,
	PORTAL_TEMPLATE_DEENROLL,
	PORTAL_TEMPLATE_DEENROLL_RUN,
	PORTAL_TEMPLATE_ERROR,
	PORTAL_TEMPLATE_ALERTS,
	PORTAL_TEMPLATE_KEYS,
	PORTAL_TEMPLATE_KEYS_CREATED,
	PORTAL_TEMPLATE_KEYS_REVOKE,
	PORTAL_TEMPLATE_LEAD,
	PORTAL_TEMPLATE_LEADS,
	PORTAL_TEMPLATE_LOGIN,
	PORTAL_TEMPLATE_NOTFOUND,
	PORTAL_TEMPLATE_NURTURE_CAMPAIGN,
	PORTAL_TEMPLATE_NURTURE_CAMPAIGN_PREVIEW,
	PORTAL_TEMPLATE_NURTURE_CAMPAIGNS,
	PORTAL_TEMPLATE_NURTURE,
	PORTAL_TEMPLATE_NURTURE_ERRORS,
	PORTAL_TEMPLATE_NURTURE_SENDS,
	PORTAL_TEMPLATE_RETRY_DISCARD,
	PORTAL_TEMPLATE_RETRY_QUEUE,
	PORTAL_TEMPLATE_RETRY_ROW,
	/* partials */
	PORTAL_TEMPLATE_CHART,
	PORTAL_TEMPLATE_LAYOUT,
	PORTAL_TEMPLATE_LEAD_ACTIONS,
	PORTAL_TEMPLATE_LEAD_CAMPAIGN,
	PORTAL_TEMPLATE_LEAD_NURTURE,
	PORTAL_TEMPLATE_NURTURE_CHART,
	PORTAL_TEMPLATE_SESSION,
	PORTAL_TEMPLATE__MAX
};

/* The template's file name without ".mustache"; NULL out of range. */
const char	*portal_template_name(enum portal_template);

/*
 * Does path match pattern? On a match the '*' segments are decoded
 * (%XX) into v->arg; a segment longer than PORTAL_ARG_MAX - 1 bytes or
 * holding a NUL does not match.
 */
bool		 portal_route_match(const char *pattern, const char *path,
		    struct visit *v);

/*
 * Once per program, before the request process starts: the template cache
 * over template_dir, with every template of the table compiled. Returns 0,
 * or -1 having logged each template that does not compile (its file, line
 * and column) or is missing; the cache is freed then.
 */
int		 portal_init(const char *template_dir)
		    __attribute__((warn_unused_result));
/*
 * Read every template again (SIGHUP; the request process at its start).
 * One that no longer compiles is logged; its pages answer 500 until it is
 * fixed and reloaded, the others go on.
 */
void		 portal_reload(void);
/* Free the template cache (the tests; a process keeps it to its end). */
void		 portal_free(void);

/* Append a CRLF-terminated header line to the answer's headers. */
void		 portal_add_header(struct visit *, const char *line);

/*
 * Render template tpl against data and send it; a failure is a whole
 * 500 page, never half a page. data stays the caller's.
 */
void		 portal_send_page(struct visit *, int status,
		    enum portal_template tpl, json_object *data);

/* A readable error page in the portal's layout (404, 403, 500, 503...). */
void		 portal_send_error(struct visit *, int status,
		    const char *message);

/* The page for a failed database call (rc a db_status): 503 or 500. */
void		 portal_send_db_error(struct visit *, int rc);

/* 303 See Other to location (a path on this site). */
void		 portal_redirect(struct visit *, const char *location);

/* A Set-Cookie header (see session_set_cookie for max_age). */
void		 portal_set_cookie(struct visit *, const char *name,
		    const char *value, long max_age);

/*
 * The data every page of a logged-in user starts from: user (email,
 * role, can_write), the CSRF token for its forms, the path. The caller
 * frees it with json_object_put.
 */
json_object	*portal_page_data(struct visit *);

/* Copy every key of extra (NULL: none) but skip (NULL: none) into data,
 * referenced: extra stays the caller's. */
void		 portal_data_merge(json_object *data, json_object *extra,
		    const char *skip);

/* A query-string field, or NULL if absent. Valid for the request. */
const char	*portal_query(struct visit *, const char *name);

/*
 * A store's read of one row named by the path (rc a db_status, row the
 * row or NULL for none): true if there is one; else false having answered
 * 503/500 for rc, or 404 with missing.
 */
bool		 portal_found(struct visit *, int rc, const void *row,
		    const char *missing);

/* One of the fixed values a query field may take, and its label (a tab,
 * a menu's item). */
struct portal_choice {
	const char	*name;
	const char	*label;
};

/*
 * The query field name's value if it is one of choices[0..n) (the table's
 * own string), dflt if the field is absent or empty; NULL having answered
 * 400 with message if it is none of them.
 */
const char	*portal_query_choice(struct visit *, const char *name,
		    const struct portal_choice *choices, size_t n,
		    const char *dflt, const char *message);

/*
 * The query field name as an optional page marker (a row's uuid): true
 * with *out the value, or NULL when absent or empty; false having
 * answered 400 with message when it is not a uuid.
 */
bool		 portal_query_marker(struct visit *, const char *name,
		    const char **out, const char *message);

/*
 * Counts by name for portal_tabs_json: n rows of size bytes at rows, each
 * with a const char * name and a long long count at the offsetof()s.
 */
struct portal_counts {
	const void	*rows;
	size_t		 n, size;
	size_t		 name, count;
};

/*
 * A list's tabs, one a choice: [{name, label, url, <count_key>,
 * selected}], url being url_base, the choice's name, then url_tail; the
 * count the row of that name's (0 if none), the sum of all rows for the
 * choice named "all". The caller owns the array (json_object_put).
 */
json_object	*portal_tabs_json(const struct portal_choice *tabs, size_t n,
		    const char *selected, const struct portal_counts *counts,
		    const char *count_key, const char *url_base,
		    const char *url_tail);

/*
 * Read the POST body as a form into f. Returns 0, or sends an error page
 * (415, 411, 413, 400) and returns -1; f is empty then (form_free it all
 * the same). admin.c calls it for every POST; handlers read v->form.
 */
int		 portal_read_form(struct visit *, struct form *f);

#endif
