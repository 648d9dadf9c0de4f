/*
 * admin.fcgi: the admin portal. Pages are rendered with the mustache engine
 * from templates/ (compiled once, cached for the life of the process;
 * SIGHUP — `make reload` — drops the cache so edited templates are read
 * again).
 *
 *   GET  /login    the login form (its CSRF token bound to a login cookie)
 *   POST /login    check the password, start a session, 303 to /
 *   POST /logout   end the session, 303 to /login
 *   GET  /         the dashboard: health figures and red flags, events
 *                  per day as an SVG chart, the SOP's weekly table
 *   GET  other     404 in the portal's layout (the other pages come next)
 *   anonymous      303 to /login (GET) or 403 (POST)
 *
 * Every POST carries a CSRF token that is checked; see docs/admin-access.md.
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
#include "session_http.h"

static mustache_cache *templates;

/* What each worker thread owns for the life of the process. */
struct admin_worker {
	struct db	db;
	mustache_buf	out;
};

/* One request: who is asking, and the headers the answer will carry. */
struct visit {
	struct admin_worker	*w;
	struct http_request	*req;
	bool			 https;
	char			 token[AUTH_TOKEN_LEN + 1];	/* "" if none */
	struct auth_user	 who;
	char			 headers[1024];
};

static const char page_headers[] =
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'\r\n";

static void
add_header(struct visit *v, const char *line)
{
	size_t used = strlen(v->headers);

	snprintf(v->headers + used, sizeof(v->headers) - used, "%s", line);
}

/* Render template name against data and send it; a failure is a whole
 * 500 page, never half a page. Frees nothing: data is the caller's. */
static void
send_page(struct visit *v, int status, const char *name, json_object *data)
{
	mustache_error	 err;
	struct buf	 page = BUF_INIT;

	add_header(v, page_headers);
	if (mustache_cache_render_json(templates, name, data, 0, &v->w->out,
	    &err) != 0) {
		/* The message names the template, line and column. */
		log_error("rendering %s: %s", name, err.message);
		buf_puts(&page, "<!doctype html><title>500</title>"
		    "<h1>500 Internal Server Error</h1>"
		    "<p>The page could not be rendered.</p>\n");
		status = 500;
	} else
		buf_append(&page, v->w->out.data, v->w->out.len);
	http_send(v->req, status, "text/html; charset=utf-8", v->headers,
	    &page);
	buf_free(&page);
}

/* A readable error page in the portal's layout. */
static void
send_error(struct visit *v, int status, const char *message)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "status", json_object_new_int(status));
	json_object_object_add(data, "reason",
	    json_object_new_string(http_status_text(status)));
	json_object_object_add(data, "message",
	    json_object_new_string(message));
	if (status == 503)
		add_header(v, "Retry-After: 5\r\n");
	send_page(v, status, "error", data);
	json_object_put(data);
}

static void
redirect(struct visit *v, const char *location)
{
	char line[128];

	snprintf(line, sizeof(line), "Location: %s\r\n", location);
	add_header(v, line);
	http_send(v->req, 303, "text/plain; charset=utf-8", v->headers, NULL);
}

static void
set_cookie(struct visit *v, const char *name, const char *value, long age)
{
	char line[SESSION_SETCOOKIE_MAX];

	if (session_set_cookie(line, sizeof(line), name, value, age,
	    v->https) == 0)
		add_header(v, line);
}

/*
 * Read a form body into f. Returns 0, or sends the error page and returns
 * -1 (f is then empty; form_free it all the same).
 */
static int
read_form(struct visit *v, struct form *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if (!session_is_form(v->req->content_type)) {
		send_error(v, 415, "Send the form as "
		    "application/x-www-form-urlencoded.");
		return -1;
	}
	if ((rc = http_read_body(v->req, FORM_MAX_BYTES)) != 0 &&
	    rc != 411) {
		send_error(v, rc, "The form could not be read.");
		return -1;
	}
	if (form_parse(f, buf_str(&v->req->body), v->req->body.len) !=
	    FORM_OK) {
		send_error(v, 400, "The form could not be read.");
		return -1;
	}
	return 0;
}

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
	set_cookie(v, login_cookie_name(v->https), token, 3600);
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
	send_page(v, status, "login", data);
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

	if (read_form(v, &f) == -1)
		goto out;
	if (session_cookie_get(v->req->cookie, login_cookie_name(v->https),
	    login, sizeof(login)) == -1 ||
	    !auth_csrf_verify(login, form_get(&f, "csrf"))) {
		send_error(v, 403, "The login form expired. Open the login "
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
		set_cookie(v, session_cookie_name(v->https), token,
		    AUTH_SESSION_MAX);
		set_cookie(v, login_cookie_name(v->https), "", 0);
		/* Expired sessions are inert, but their rows would pile up. */
		(void)auth_session_purge(&v->w->db);
		redirect(v, "/");
		break;
	case AUTH_LOGIN_BAD:
		login_form(v, 200, email, "Wrong e-mail or password.");
		break;
	case AUTH_LOGIN_THROTTLED:
		snprintf(line, sizeof(line), "Retry-After: %ld\r\n", retry);
		add_header(v, line);
		snprintf(line, sizeof(line), "Too many failed logins. Try "
		    "again in %ld minutes.", (retry + 59) / 60);
		login_form(v, 429, email, line);
		break;
	default:
		send_error(v, rc == DB_UNAVAILABLE ? 503 : 500,
		    "The portal cannot reach its database. Try again soon.");
	}
out:
	form_free(&f);
}

/* POST /logout: 303 to /login; 403 without a valid CSRF token. */
static void
logout_post(struct visit *v)
{
	struct form f;

	if (read_form(v, &f) == 0) {
		if (!auth_csrf_verify(v->token, form_get(&f, "csrf")))
			send_error(v, 403, "The form expired. Reload the page "
			    "and try again.");
		else {
			(void)auth_session_destroy(&v->w->db, v->token);
			log_info("logout: %s", v->who.email);
			set_cookie(v, session_cookie_name(v->https), "", 0);
			redirect(v, "/login");
		}
	}
	form_free(&f);
}

/* The data every page of a logged-in user has: who, and the CSRF token of
 * the logout form. The caller frees it. */
static json_object *
page_data(struct visit *v)
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
	json_object_object_add(data, "user", user);
	json_object_object_add(data, "csrf", json_object_new_string(csrf));
	json_object_object_add(data, "path",
	    json_object_new_string(v->req->path));
	return data;
}

/* GET /: the dashboard; 503 without a database. */
static void
dashboard_page(struct visit *v)
{
	json_object	*data, *dash;
	int		 status;

	if ((dash = dashboard_data(&v->w->db, &status)) == NULL) {
		send_error(v, status, status == 503 ? "The portal cannot reach "
		    "its database. Try again soon." : "The dashboard could not "
		    "be loaded.");
		return;
	}
	data = page_data(v);
	json_object_object_foreach(dash, key, val)
		json_object_object_add(data, key, json_object_get(val));
	json_object_put(dash);
	send_page(v, 200, "dashboard", data);
	json_object_put(data);
}

/* Any page that does not exist (yet): 404 in the portal's layout. */
static void
not_found_page(struct visit *v)
{
	json_object *data = page_data(v);

	send_page(v, 404, "notfound", data);
	json_object_put(data);
}

static void
admin_handle(void *ctx, struct http_request *req)
{
	struct visit	 v;
	bool		 post = strcmp(req->method, "POST") == 0;
	int		 rc;

	memset(&v, 0, sizeof(v));
	v.w = ctx;
	v.req = req;
	v.https = session_https(req->https);

	if (strcmp(req->path, "/login") == 0) {
		if (post)
			login_post(&v);
		else
			login_form(&v, 200, NULL, NULL);
		return;
	}

	/* Everything else needs a session. */
	rc = 1;
	if (session_cookie_get(req->cookie, session_cookie_name(v.https),
	    v.token, sizeof(v.token)) == 0)
		rc = auth_session_lookup(&v.w->db, v.token, &v.who);
	if (rc < 0) {
		send_error(&v, rc == DB_UNAVAILABLE ? 503 : 500,
		    "The portal cannot reach its database. Try again soon.");
		return;
	}
	if (rc != 0) {
		if (v.token[0] != '\0')
			set_cookie(&v, session_cookie_name(v.https), "", 0);
		if (post)
			send_error(&v, 403, "Your session has ended. Log in "
			    "again.");
		else
			redirect(&v, "/login");
		return;
	}

	if (post && strcmp(req->path, "/logout") == 0)
		logout_post(&v);
	else if (post)
		send_error(&v, 404, "There is nothing to send a form to here.");
	else if (strcmp(req->path, "/") == 0)
		dashboard_page(&v);
	else
		not_found_page(&v);
}

/* Once: the template cache every worker shares. */
static int
admin_init(void)
{
	char		 dir[PATH_MAX];
	const char	*configured = config_get("MINICRM_TEMPLATES");

	if (configured == NULL)
		configured = config_tree_dir("templates", dir, sizeof(dir));
	if ((templates = mustache_cache_new(configured, NULL)) == NULL)
		return -1;
	log_info("templates from %s", configured);
	return 0;
}

/* SIGHUP: read the templates again on their next use. */
static void
admin_reload(void)
{
	mustache_cache_clear(templates);
}

static void *
admin_worker_new(void)
{
	struct admin_worker *w;

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
	struct admin_worker *w = ctx;

	db_close(&w->db);
	mustache_buf_free(&w->out);
	free(w);
}

int
main(int argc, char **argv)
{
	static const struct fcgi_app app = {
		"admin.fcgi", admin_init, admin_worker_new, admin_worker_free,
		admin_handle, admin_reload
	};

	return fcgi_server_main(&app, argc, argv);
}
