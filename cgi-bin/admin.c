/*
 * admin.fcgi: the admin portal. Pages are rendered with the mustache engine
 * from templates/ (compiled once, cached for the life of the process;
 * SIGHUP — `make reload` — drops the cache so edited templates are read
 * again).
 *
 * This file holds the login, the logout, the dashboard and the checks every
 * other route goes through (portal.h); the pages themselves live in
 * src/portal/portal_*.c, each exporting a route table:
 *
 *   GET  /login    the login form (its CSRF token bound to a login cookie)
 *   POST /login    check the password, start a session, 303 to /
 *   POST /logout   end the session, 303 to /login
 *   GET  /         the dashboard: health figures and red flags, events
 *                  per day as an SVG chart, the SOP's weekly table
 *   anonymous      303 to /login (GET) or 403 (POST)
 *   any POST       403 without the session's CSRF token
 *   viewers        403 on every route that changes something
 *
 * See docs/admin-access.md.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "dashboard.h"
#include "db.h"
#include "fcgi_server.h"
#include "log.h"
#include "mustache.h"
#include "mustache_json.h"
#include "portal.h"
#include "session_http.h"

/* The login cookie the form's CSRF token is bound to, made if missing. */
static void
login_token(struct visit *v, char token[AUTH_TOKEN_LEN + 1])
{
	char hash[AUTH_HASH_HEX_LEN + 1];

	if (session_cookie_get(v->req->cookie, login_cookie_name(v->https),
	    token, AUTH_TOKEN_LEN + 1) == 0)
		return;
	if (auth_token_generate(token, hash) != 0) {
		token[0] = '\0';
		return;
	}
	portal_set_cookie(v, login_cookie_name(v->https), token, 3600);
}

static void
login_form(struct visit *v, int status, const char *email, const char *error)
{
	char		 token[AUTH_TOKEN_LEN + 1], csrf[AUTH_CSRF_LEN + 1];
	json_object	*data = json_object_new_object();

	login_token(v, token);
	if (auth_csrf_token(token, csrf) != 0)
		csrf[0] = '\0';
	json_object_object_add(data, "csrf", json_object_new_string(csrf));
	json_object_object_add(data, "email",
	    json_object_new_string(email ? email : ""));
	if (error != NULL)
		json_object_object_add(data, "error",
		    json_object_new_string(error));
	portal_send_page(v, status, "login", data);
	json_object_put(data);
}

/* POST /login: 303 to / on success; 200 form again, 403 CSRF, 429. */
static void
login_post(struct visit *v)
{
	char		 login[AUTH_TOKEN_LEN + 1], token[AUTH_TOKEN_LEN + 1];
	char		 line[96];
	struct form	 f;
	const char	*email, *password;
	long		 retry = 0;
	int		 rc;

	if (portal_read_form(v, &f) == -1)
		goto out;
	if (session_cookie_get(v->req->cookie, login_cookie_name(v->https),
	    login, sizeof(login)) == -1 ||
	    !auth_csrf_verify(login, form_get(&f, "csrf"))) {
		portal_send_error(v, 403, "The login form expired. Open the login "
		    "page again.");
		goto out;
	}
	email = form_get(&f, "email");
	password = form_get(&f, "password");
	if (email == NULL || password == NULL || *email == '\0') {
		login_form(v, 200, email, "Enter your e-mail and password.");
		goto out;
	}
	rc = auth_login(&v->w->db, email, password, v->req->remote_addr,
	    token, &v->who, &retry);
	switch (rc) {
	case AUTH_LOGIN_OK:
		log_info("login: %s from %s", v->who.email,
		    v->req->remote_addr);
		portal_set_cookie(v, session_cookie_name(v->https), token,
		    AUTH_SESSION_MAX);
		portal_set_cookie(v, login_cookie_name(v->https), "", 0);
		/* Expired sessions are inert, but their rows would pile up. */
		(void)auth_session_purge(&v->w->db);
		portal_redirect(v, "/");
		break;
	case AUTH_LOGIN_BAD:
		login_form(v, 200, email, "Wrong e-mail or password.");
		break;
	case AUTH_LOGIN_THROTTLED:
		snprintf(line, sizeof(line), "Retry-After: %ld\r\n", retry);
		portal_add_header(v, line);
		snprintf(line, sizeof(line), "Too many failed logins. Try "
		    "again in %ld minutes.", (retry + 59) / 60);
		login_form(v, 429, email, line);
		break;
	default:
		portal_send_error(v, rc == DB_UNAVAILABLE ? 503 : 500,
		    "The portal cannot reach its database. Try again soon.");
	}
out:
	form_free(&f);
}

/* POST /logout: 303 to /login (the CSRF token was checked already). */
static void
logout_post(struct visit *v)
{
	(void)auth_session_destroy(&v->w->db, v->token);
	log_info("logout: %s", v->who.email);
	portal_set_cookie(v, session_cookie_name(v->https), "", 0);
	portal_redirect(v, "/login");
}

/* GET /: the dashboard; 503 without a database. */
static void
dashboard_page(struct visit *v)
{
	json_object	*data, *dash;
	int		 status;

	if ((dash = dashboard_data(&v->w->db, &status)) == NULL) {
		portal_send_error(v, status, status == 503 ? "The portal cannot reach "
		    "its database. Try again soon." : "The dashboard could not "
		    "be loaded.");
		return;
	}
	data = portal_page_data(v);
	json_object_object_foreach(dash, key, val)
		json_object_object_add(data, key, json_object_get(val));
	json_object_put(dash);
	portal_send_page(v, 200, "dashboard", data);
	json_object_put(data);
}

/* Any page that does not exist (yet): 404 in the portal's layout. */
static void
not_found_page(struct visit *v)
{
	json_object *data = portal_page_data(v);

	portal_send_page(v, 404, "notfound", data);
	json_object_put(data);
}

/* The portal's own routes; the page modules' tables follow them. */
static const struct portal_route core_routes[] = {
	{ "GET", "/", PORTAL_ANYONE, dashboard_page },
	{ "POST", "/logout", PORTAL_ANYONE, logout_post },
	{ NULL, NULL, PORTAL_ANYONE, NULL }
};

static const struct portal_route *const route_tables[] = {
	core_routes,
	portal_leads_routes,
	portal_lead_actions_routes,
	portal_keys_routes,
	portal_retry_routes,
};

/* The methods a path takes, as a bit set, for the Allow header. */
enum { ALLOW_GET = 1, ALLOW_POST = 2 };

/* "Allow: ...\r\n" for a set of methods: a GET route takes HEAD too. */
static const char *
allow_header(int allowed)
{
	switch (allowed) {
	case ALLOW_GET:
		return "Allow: GET, HEAD\r\n";
	case ALLOW_POST:
		return "Allow: POST\r\n";
	default:
		return "Allow: GET, HEAD, POST\r\n";
	}
}

/*
 * Find the route for the request; HEAD is answered by the GET route
 * (http_send leaves the body out). Returns it, or NULL with *allowed
 * holding the methods the path takes for others (405 when not 0, 404
 * when 0).
 */
static const struct portal_route *
find_route(struct visit *v, int *allowed)
{
	const char	*method = v->req->head ? "GET" : v->req->method;
	size_t		 i;

	*allowed = 0;
	for (i = 0; i < sizeof(route_tables) / sizeof(route_tables[0]); i++) {
		const struct portal_route *r;

		for (r = route_tables[i]; r->method != NULL; r++) {
			if (!portal_route_match(r->pattern, v->req->path, v))
				continue;
			if (strcmp(r->method, method) == 0)
				return r;
			*allowed |= strcmp(r->method, "GET") == 0 ? ALLOW_GET :
			    ALLOW_POST;
		}
	}
	return NULL;
}

/* Who is asking: 0 with v->who filled, 1 for nobody, or a db_status. */
static int
find_session(struct visit *v)
{
	if (session_cookie_get(v->req->cookie, session_cookie_name(v->https),
	    v->token, sizeof(v->token)) != 0) {
		v->token[0] = '\0';
		return 1;
	}
	return auth_session_lookup(&v->w->db, v->token, &v->who);
}

/* The checks every route needs, then its handler. */
static void
dispatch(struct visit *v)
{
	const struct portal_route	*route;
	bool				 post;
	int				 rc, allowed;

	post = strcmp(v->req->method, "POST") == 0;
	if ((rc = find_session(v)) < 0) {
		portal_send_db_error(v, rc);
		return;
	}
	if (rc != 0) {
		memset(&v->who, 0, sizeof(v->who));
		if (v->token[0] != '\0')
			portal_set_cookie(v, session_cookie_name(v->https), "",
			    0);
		if (post)
			portal_send_error(v, 403, "Your session has ended. "
			    "Log in again.");
		else
			portal_redirect(v, "/login");
		return;
	}
	if (form_parse(&v->query, v->req->query, strlen(v->req->query)) !=
	    FORM_OK) {
		portal_send_error(v, 400, "The address holds a malformed "
		    "query string.");
		return;
	}
	if ((route = find_route(v, &allowed)) == NULL) {
		if (allowed != 0) {
			portal_add_header(v, allow_header(allowed));
			portal_send_error(v, 405, "This page does not take "
			    "that method.");
		} else if (post)
			portal_send_error(v, 404, "There is nothing to send a "
			    "form to here.");
		else
			not_found_page(v);
		return;
	}
	if (post) {
		if (portal_read_form(v, &v->form) == -1)
			return;
		if (!auth_csrf_verify(v->token, form_get(&v->form, "csrf"))) {
			portal_send_error(v, 403, "The form expired. Reload the "
			    "page and try again.");
			return;
		}
	}
	if (route->access == PORTAL_ADMIN &&
	    !auth_role_can_write(v->who.role)) {
		portal_send_error(v, 403, "Your account can read the portal "
		    "but not change anything. Ask an admin.");
		return;
	}
	route->handle(v);
}

static void
admin_handle(void *ctx, struct http_request *req)
{
	struct visit v;

	memset(&v, 0, sizeof(v));
	v.w = ctx;
	v.req = req;
	v.https = session_https(req->https);

	if (strcmp(req->path, "/login") == 0) {
		if (strcmp(req->method, "POST") == 0)
			login_post(&v);
		else if (strcmp(req->method, "GET") == 0 || req->head)
			login_form(&v, 200, NULL, NULL);
		else {
			portal_add_header(&v, allow_header(ALLOW_GET |
			    ALLOW_POST));
			portal_send_error(&v, 405, "This page does not take "
			    "that method.");
		}
	} else
		dispatch(&v);
	form_free(&v.form);
	form_free(&v.query);
}

/* Once: the template cache every worker shares. */
static int
admin_init(void)
{
	char		 dir[PATH_MAX];
	const char	*configured = config_get("MINICRM_TEMPLATES");

	if (configured == NULL)
		configured = config_tree_dir("templates", dir, sizeof(dir));
	return portal_init(configured);
}

static void *
admin_worker_new(void)
{
	struct portal_worker *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (db_open_app(&w->db) == -1) {
		free(w);
		return NULL;
	}
	return w;
}

static void
admin_worker_free(void *ctx)
{
	struct portal_worker *w = ctx;

	db_close(&w->db);
	buf_free(&w->out);
	free(w);
}

int
main(int argc, char **argv)
{
	static const struct fcgi_app app = {
		"admin.fcgi", admin_init, admin_worker_new, admin_worker_free,
		admin_handle, portal_reload
	};

	return fcgi_server_main(&app, argc, argv);
}
