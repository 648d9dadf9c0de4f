/*
 * portal: what every page of the admin portal (admin.fcgi) shares — the
 * request being served (struct visit), rendering a page or an error page
 * in the portal's layout, redirects, cookies, the query string, and the
 * route tables each page module exports.
 *
 * admin.c does the checks every route needs before a handler runs: a
 * session (anonymous GET → 303 /login, anonymous POST → 403), a valid CSRF
 * token on every POST (the form is parsed into v->form first), and for
 * routes marked PORTAL_ADMIN an admin role (viewers get 403). A handler
 * therefore only does its own work.
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

enum portal_access {
	PORTAL_ANYONE,		/* any logged-in user, viewers included */
	PORTAL_ADMIN		/* changes something: admins only */
};

/*
 * A route: method and path pattern, where '*' matches one path segment
 * (no '/'), copied into v->arg. A module exports a table ending in an
 * entry whose method is NULL.
 */
struct portal_route {
	const char		*method;
	const char		*pattern;
	enum portal_access	 access;
	void			(*handle)(struct visit *);
};

/* The route tables of the page modules (admin.c walks them in order). */
extern const struct portal_route portal_leads_routes[];
extern const struct portal_route portal_lead_actions_routes[];
extern const struct portal_route portal_keys_routes[];
extern const struct portal_route portal_retry_routes[];

/*
 * Does path match pattern? On a match the '*' segments are decoded
 * (%XX) into v->arg; a segment longer than PORTAL_ARG_MAX - 1 bytes or
 * holding a NUL does not match.
 */
bool		 portal_route_match(const char *pattern, const char *path,
		    struct visit *v);

/* Once per process: the template cache (dir: templates/). */
int		 portal_init(const char *template_dir);
/* SIGHUP: edited templates are read again on their next use. */
void		 portal_reload(void);

/* Append a CRLF-terminated header line to the answer's headers. */
void		 portal_add_header(struct visit *, const char *line);

/*
 * Render template `name` against data and send it; a failure is a whole
 * 500 page, never half a page. data stays the caller's.
 */
void		 portal_send_page(struct visit *, int status, const char *name,
		    json_object *data);

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

/* A query-string field, or NULL if absent. Valid for the request. */
const char	*portal_query(struct visit *, const char *name);

/*
 * Read the POST body as a form into f. Returns 0, or sends an error page
 * (415, 411, 413, 400) and returns -1; f is empty then (form_free it all
 * the same). admin.c calls it for every POST; handlers read v->form.
 */
int		 portal_read_form(struct visit *, struct form *f);

#endif
