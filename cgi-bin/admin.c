/*
 * admin.fcgi: the admin portal. Pages are rendered with the mustache engine
 * from templates/ (every one compiled at start-up, cached for the life of
 * the process; SIGHUP — `make reload` — reads them again).
 *
 * This file holds the portal's one route table (enum portal_route_id and
 * routes[]), the checks every route goes through before its handler
 * (portal.h), the login and the logout; the other pages' handlers, the
 * dashboard's included, live in src/portal/portal_*.c.
 *
 *   GET  /login    the login form (its CSRF token bound to a login cookie)
 *   POST /login    check the password, start a session, 303 to /
 *   POST /logout   end the session, 303 to /login
 *   GET  /         the dashboard: health figures and red flags, events
 *                  per day as an SVG chart, the SOP's weekly table
 *   /campaigns, /de-enrollment   campaigns and de-enrollment runs
 *                  (portal_campaign*.c, portal_deenroll*.c)
 *   /nurture       the nurture dashboard, send queue, switches and
 *                  workflow errors (portal_nurture*.c)
 *   /nurture/campaigns, /nurture/enrollments   nurture e-mail campaigns,
 *                  their steps and enrolments (portal_nurture_campaign*.c)
 *   anonymous      303 to /login (GET) or 403 (POST)
 *   any POST       403 without the session's CSRF token
 *   viewers        403 on every route that changes something
 *   a bad '*'      404 with its type's message ("There is no such lead.")
 *
 * See docs/admin-access.md.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "fcgi_server.h"
#include "lead_filters.h"
#include "log.h"
#include "mustache.h"
#include "mustache_json.h"
#include "nurture_campaigns.h"
#include "portal.h"
#include "portal_alerts.h"
#include "portal_campaigns.h"
#include "portal_dashboard.h"
#include "portal_deenroll.h"
#include "portal_keys.h"
#include "portal_leads.h"
#include "portal_nurture_campaigns.h"
#include "portal_nurture.h"
#include "portal_retry.h"
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
	portal_send_page(v, status, PORTAL_TEMPLATE_LOGIN, data);
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

/* Any page that does not exist (yet): 404 in the portal's layout. */
static void
not_found_page(struct visit *v)
{
	json_object *data = portal_page_data(v);

	portal_send_page(v, 404, PORTAL_TEMPLATE_NOTFOUND, data);
	json_object_put(data);
}

/* GET /login (and HEAD): the form, 200. */
static void
login_page(struct visit *v)
{
	login_form(v, 200, NULL, NULL);
}

/*
 * The portal's routes: a page is a row here and in the table below, with
 * its handler in src/portal/portal_<area>.c. For a request the first row
 * whose pattern and method match wins, so fixed paths come before the '*'
 * ones that would also match them.
 */
enum portal_route_id {
	PORTAL_ROUTE_LOGIN,
	PORTAL_ROUTE_LOGIN_POST,
	PORTAL_ROUTE_DASHBOARD,
	PORTAL_ROUTE_LOGOUT,
	PORTAL_ROUTE_LEADS,
	PORTAL_ROUTE_LEAD,
	PORTAL_ROUTE_LEAD_EXPORT,
	PORTAL_ROUTE_ACTIVITY,
	PORTAL_ROUTE_ACTIVITY_EXPORT,
	PORTAL_ROUTE_LEAD_NOTE,
	PORTAL_ROUTE_LEAD_STATUS,
	PORTAL_ROUTE_LEAD_OPT_OUT,
	PORTAL_ROUTE_KEYS,
	PORTAL_ROUTE_KEY_CREATE,
	PORTAL_ROUTE_KEY_REVOKE_PAGE,
	PORTAL_ROUTE_KEY_REVOKE,
	PORTAL_ROUTE_RETRY_QUEUE,
	PORTAL_ROUTE_RETRY_REPLAY,
	PORTAL_ROUTE_RETRY_EXPORT,
	PORTAL_ROUTE_RETRY_ROW,
	PORTAL_ROUTE_RETRY_ROW_REPLAY,
	PORTAL_ROUTE_RETRY_DISCARD_PAGE,
	PORTAL_ROUTE_RETRY_DISCARD,
	PORTAL_ROUTE_LEAD_CAMPAIGN,
	PORTAL_ROUTE_LEAD_CAMPAIGN_REMOVE,
	PORTAL_ROUTE_CAMPAIGNS,
	PORTAL_ROUTE_CAMPAIGNS_EXPORT,
	PORTAL_ROUTE_CAMPAIGNS_RECALCULATE,
	PORTAL_ROUTE_CAMPAIGN,
	PORTAL_ROUTE_CAMPAIGN_LEADS_EXPORT,
	PORTAL_ROUTE_DEENROLL,
	PORTAL_ROUTE_DEENROLL_EXPORT,
	PORTAL_ROUTE_DEENROLL_HEALTH_EXPORT,
	PORTAL_ROUTE_DEENROLL_RUN_NOW,
	PORTAL_ROUTE_DEENROLL_RUN,
	PORTAL_ROUTE_DEENROLL_RUN_EXPORT,
	PORTAL_ROUTE_NURTURE_CAMPAIGNS,
	PORTAL_ROUTE_NURTURE_CAMPAIGNS_EXPORT,
	PORTAL_ROUTE_NURTURE_CAMPAIGNS_CREATE,
	PORTAL_ROUTE_NURTURE_CAMPAIGN,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_ENROLMENTS_EXPORT,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_ANALYTICS_EXPORT,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_PREVIEW,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_PAUSE,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_RESUME,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_ARCHIVE,
	PORTAL_ROUTE_NURTURE_CAMPAIGN_ENROL,
	PORTAL_ROUTE_NURTURE_STEP_ADD,
	PORTAL_ROUTE_NURTURE_STEP_EDIT,
	PORTAL_ROUTE_NURTURE_STEP_DELETE,
	PORTAL_ROUTE_LEAD_NURTURE_ENROL,
	PORTAL_ROUTE_NURTURE_ENROLMENT_CANCEL,
	PORTAL_ROUTE_NURTURE,
	PORTAL_ROUTE_NURTURE_ANALYTICS_EXPORT,
	PORTAL_ROUTE_NURTURE_SENDS,
	PORTAL_ROUTE_NURTURE_SENDS_EXPORT,
	PORTAL_ROUTE_NURTURE_SEND_RELEASE,
	PORTAL_ROUTE_NURTURE_SEND_MARK_SENT,
	PORTAL_ROUTE_NURTURE_SENDER_PAUSE,
	PORTAL_ROUTE_NURTURE_SENDER_RESUME,
	PORTAL_ROUTE_NURTURE_SCHEDULER_PAUSE,
	PORTAL_ROUTE_NURTURE_SCHEDULER_RESUME,
	PORTAL_ROUTE_NURTURE_ERRORS,
	PORTAL_ROUTE_NURTURE_ERRORS_EXPORT,
	PORTAL_ROUTE_NURTURE_ANALYTICS_UPDATE,
	PORTAL_ROUTE_ALERTS,
	PORTAL_ROUTE_ALERTS_EXPORT,
	PORTAL_ROUTE__MAX
};

#define LEAD	{ PORTAL_ARG_LEAD_UUID }
#define KEY	{ PORTAL_ARG_KEY_UUID }
#define ROW	{ PORTAL_ARG_RETRY_ID }
#define CAMPAIGN { PORTAL_ARG_CAMPAIGN_UUID }
#define RUN	{ PORTAL_ARG_RUN_UUID }
#define NCAMPAIGN { PORTAL_ARG_NURTURE_CAMPAIGN_UUID }
#define NSTEP	{ PORTAL_ARG_NURTURE_CAMPAIGN_UUID, PORTAL_ARG_NURTURE_STEP }
#define ENROLMENT { PORTAL_ARG_ENROLLMENT_UUID }
#define SEND	{ PORTAL_ARG_SEND_UUID }
#define NOARGS	{ PORTAL_ARG_NONE }

static const struct portal_route routes[PORTAL_ROUTE__MAX] = {
	[PORTAL_ROUTE_LOGIN] = { PORTAL_GET, "/login", PORTAL_PUBLIC, NOARGS, login_page },
	[PORTAL_ROUTE_LOGIN_POST] = { PORTAL_POST, "/login", PORTAL_PUBLIC, NOARGS, login_post },
	[PORTAL_ROUTE_DASHBOARD] = { PORTAL_GET, "/", PORTAL_ANYONE, NOARGS, dashboard_page },
	[PORTAL_ROUTE_LOGOUT] = { PORTAL_POST, "/logout", PORTAL_ANYONE, NOARGS, logout_post },
	[PORTAL_ROUTE_LEADS] = { PORTAL_GET, "/leads", PORTAL_ANYONE, NOARGS, leads_page },
	[PORTAL_ROUTE_LEAD] = { PORTAL_GET, "/leads/*", PORTAL_ANYONE, LEAD, timeline_page },
	[PORTAL_ROUTE_LEAD_EXPORT] = { PORTAL_GET, "/leads/*/export.csv", PORTAL_ANYONE, LEAD, timeline_export },
	[PORTAL_ROUTE_ACTIVITY] = { PORTAL_GET, "/activity", PORTAL_ANYONE, NOARGS, activity_page },
	[PORTAL_ROUTE_ACTIVITY_EXPORT] = { PORTAL_GET, "/activity/export.csv", PORTAL_ANYONE, NOARGS, activity_export },
	[PORTAL_ROUTE_LEAD_NOTE] = { PORTAL_POST, "/leads/*/note", PORTAL_ADMIN, LEAD, lead_note_post },
	[PORTAL_ROUTE_LEAD_STATUS] = { PORTAL_POST, "/leads/*/status", PORTAL_ADMIN, LEAD, lead_status_post },
	[PORTAL_ROUTE_LEAD_OPT_OUT] = { PORTAL_POST, "/leads/*/opt-out", PORTAL_ADMIN, LEAD, lead_opt_out_post },
	[PORTAL_ROUTE_KEYS] = { PORTAL_GET, "/keys", PORTAL_ANYONE, NOARGS, keys_page },
	[PORTAL_ROUTE_KEY_CREATE] = { PORTAL_POST, "/keys", PORTAL_ADMIN, NOARGS, keys_create },
	[PORTAL_ROUTE_KEY_REVOKE_PAGE] = { PORTAL_GET, "/keys/*/revoke", PORTAL_ANYONE, KEY, keys_revoke_confirm },
	[PORTAL_ROUTE_KEY_REVOKE] = { PORTAL_POST, "/keys/*/revoke", PORTAL_ADMIN, KEY, keys_revoke },
	[PORTAL_ROUTE_RETRY_QUEUE] = { PORTAL_GET, "/retry-queue", PORTAL_ANYONE, NOARGS, retry_list_page },
	[PORTAL_ROUTE_RETRY_REPLAY] = { PORTAL_POST, "/retry-queue/replay", PORTAL_ADMIN, NOARGS, retry_replay_selected },
	[PORTAL_ROUTE_RETRY_EXPORT] = { PORTAL_GET, "/retry-queue/export.csv", PORTAL_ANYONE, NOARGS, retry_export },
	[PORTAL_ROUTE_RETRY_ROW] = { PORTAL_GET, "/retry-queue/*", PORTAL_ANYONE, ROW, retry_row_page },
	[PORTAL_ROUTE_RETRY_ROW_REPLAY] = { PORTAL_POST, "/retry-queue/*/replay", PORTAL_ADMIN, ROW, retry_row_replay },
	[PORTAL_ROUTE_RETRY_DISCARD_PAGE] = { PORTAL_GET, "/retry-queue/*/discard", PORTAL_ANYONE, ROW, retry_discard_page },
	[PORTAL_ROUTE_RETRY_DISCARD] = { PORTAL_POST, "/retry-queue/*/discard", PORTAL_ADMIN, ROW, retry_discard_post },
	[PORTAL_ROUTE_LEAD_CAMPAIGN] = { PORTAL_POST, "/leads/*/campaign", PORTAL_ADMIN, LEAD, lead_campaign_post },
	[PORTAL_ROUTE_LEAD_CAMPAIGN_REMOVE] = { PORTAL_POST, "/leads/*/campaign/remove", PORTAL_ADMIN, LEAD, lead_campaign_remove_post },
	[PORTAL_ROUTE_CAMPAIGNS] = { PORTAL_GET, "/campaigns", PORTAL_ANYONE, NOARGS, campaigns_page },
	[PORTAL_ROUTE_CAMPAIGNS_EXPORT] = { PORTAL_GET, "/campaigns/export.csv", PORTAL_ANYONE, NOARGS, campaigns_export },
	[PORTAL_ROUTE_CAMPAIGNS_RECALCULATE] = { PORTAL_POST, "/campaigns/recalculate", PORTAL_ADMIN, NOARGS, campaigns_recalculate_post },
	[PORTAL_ROUTE_CAMPAIGN] = { PORTAL_GET, "/campaigns/*", PORTAL_ANYONE, CAMPAIGN, campaign_page },
	[PORTAL_ROUTE_CAMPAIGN_LEADS_EXPORT] = { PORTAL_GET, "/campaigns/*/leads.csv", PORTAL_ANYONE, CAMPAIGN, campaign_leads_export },
	[PORTAL_ROUTE_DEENROLL] = { PORTAL_GET, "/de-enrollment", PORTAL_ANYONE, NOARGS, deenroll_page },
	[PORTAL_ROUTE_DEENROLL_EXPORT] = { PORTAL_GET, "/de-enrollment/export.csv", PORTAL_ANYONE, NOARGS, deenroll_export },
	[PORTAL_ROUTE_DEENROLL_HEALTH_EXPORT] = { PORTAL_GET, "/de-enrollment/health.csv", PORTAL_ANYONE, NOARGS, deenroll_health_export },
	[PORTAL_ROUTE_DEENROLL_RUN_NOW] = { PORTAL_POST, "/de-enrollment/run", PORTAL_ADMIN, NOARGS, deenroll_run_now },
	[PORTAL_ROUTE_DEENROLL_RUN] = { PORTAL_GET, "/de-enrollment/runs/*", PORTAL_ANYONE, RUN, deenroll_run_page },
	[PORTAL_ROUTE_DEENROLL_RUN_EXPORT] = { PORTAL_GET, "/de-enrollment/runs/*/export.csv", PORTAL_ANYONE, RUN, deenroll_run_export },
	[PORTAL_ROUTE_NURTURE_CAMPAIGNS] = { PORTAL_GET, "/nurture/campaigns", PORTAL_ANYONE, NOARGS, nurture_campaigns_page },
	[PORTAL_ROUTE_NURTURE_CAMPAIGNS_EXPORT] = { PORTAL_GET, "/nurture/campaigns/export.csv", PORTAL_ANYONE, NOARGS, nurture_campaigns_export },
	[PORTAL_ROUTE_NURTURE_CAMPAIGNS_CREATE] = { PORTAL_POST, "/nurture/campaigns", PORTAL_ADMIN, NOARGS, nurture_campaigns_create },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN] = { PORTAL_GET, "/nurture/campaigns/*", PORTAL_ANYONE, NCAMPAIGN, nurture_campaign_page },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_ENROLMENTS_EXPORT] = { PORTAL_GET, "/nurture/campaigns/*/enrollments.csv", PORTAL_ANYONE, NCAMPAIGN, nurture_campaign_enrolments_export },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_ANALYTICS_EXPORT] = { PORTAL_GET, "/nurture/campaigns/*/analytics.csv", PORTAL_ANYONE, NCAMPAIGN, nurture_campaign_analytics_export },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_PREVIEW] = { PORTAL_GET, "/nurture/campaigns/*/preview", PORTAL_ANYONE, NCAMPAIGN, nurture_step_preview },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_PAUSE] = { PORTAL_POST, "/nurture/campaigns/*/pause", PORTAL_ADMIN, NCAMPAIGN, nurture_campaign_pause },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_RESUME] = { PORTAL_POST, "/nurture/campaigns/*/resume", PORTAL_ADMIN, NCAMPAIGN, nurture_campaign_resume },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_ARCHIVE] = { PORTAL_POST, "/nurture/campaigns/*/archive", PORTAL_ADMIN, NCAMPAIGN, nurture_campaign_archive },
	[PORTAL_ROUTE_NURTURE_CAMPAIGN_ENROL] = { PORTAL_POST, "/nurture/campaigns/*/enroll", PORTAL_ADMIN, NCAMPAIGN, nurture_campaign_enrol },
	[PORTAL_ROUTE_NURTURE_STEP_ADD] = { PORTAL_POST, "/nurture/campaigns/*/steps", PORTAL_ADMIN, NCAMPAIGN, nurture_step_add },
	[PORTAL_ROUTE_NURTURE_STEP_EDIT] = { PORTAL_POST, "/nurture/campaigns/*/steps/*", PORTAL_ADMIN, NSTEP, nurture_step_edit },
	[PORTAL_ROUTE_NURTURE_STEP_DELETE] = { PORTAL_POST, "/nurture/campaigns/*/steps/*/delete", PORTAL_ADMIN, NSTEP, nurture_step_delete },
	[PORTAL_ROUTE_LEAD_NURTURE_ENROL] = { PORTAL_POST, "/leads/*/nurture", PORTAL_ADMIN, LEAD, lead_nurture_enrol },
	[PORTAL_ROUTE_NURTURE_ENROLMENT_CANCEL] = { PORTAL_POST, "/nurture/enrollments/*/cancel", PORTAL_ADMIN, ENROLMENT, nurture_enrolment_cancel },
	[PORTAL_ROUTE_NURTURE] = { PORTAL_GET, "/nurture", PORTAL_ANYONE, NOARGS, nurture_page },
	[PORTAL_ROUTE_NURTURE_ANALYTICS_EXPORT] = { PORTAL_GET, "/nurture/analytics.csv", PORTAL_ANYONE, NOARGS, nurture_analytics_export },
	[PORTAL_ROUTE_NURTURE_SENDS] = { PORTAL_GET, "/nurture/sends", PORTAL_ANYONE, NOARGS, nurture_sends_page },
	[PORTAL_ROUTE_NURTURE_SENDS_EXPORT] = { PORTAL_GET, "/nurture/sends/export.csv", PORTAL_ANYONE, NOARGS, nurture_sends_export },
	[PORTAL_ROUTE_NURTURE_SEND_RELEASE] = { PORTAL_POST, "/nurture/sends/*/release", PORTAL_ADMIN, SEND, nurture_send_release },
	[PORTAL_ROUTE_NURTURE_SEND_MARK_SENT] = { PORTAL_POST, "/nurture/sends/*/mark-sent", PORTAL_ADMIN, SEND, nurture_send_mark_sent },
	[PORTAL_ROUTE_NURTURE_SENDER_PAUSE] = { PORTAL_POST, "/nurture/sender/pause", PORTAL_ADMIN, NOARGS, nurture_sender_pause },
	[PORTAL_ROUTE_NURTURE_SENDER_RESUME] = { PORTAL_POST, "/nurture/sender/resume", PORTAL_ADMIN, NOARGS, nurture_sender_resume },
	[PORTAL_ROUTE_NURTURE_SCHEDULER_PAUSE] = { PORTAL_POST, "/nurture/scheduler/pause", PORTAL_ADMIN, NOARGS, nurture_scheduler_pause },
	[PORTAL_ROUTE_NURTURE_SCHEDULER_RESUME] = { PORTAL_POST, "/nurture/scheduler/resume", PORTAL_ADMIN, NOARGS, nurture_scheduler_resume },
	[PORTAL_ROUTE_NURTURE_ERRORS] = { PORTAL_GET, "/nurture/errors", PORTAL_ANYONE, NOARGS, nurture_errors_page },
	[PORTAL_ROUTE_NURTURE_ERRORS_EXPORT] = { PORTAL_GET, "/nurture/errors.csv", PORTAL_ANYONE, NOARGS, nurture_errors_export },
	[PORTAL_ROUTE_NURTURE_ANALYTICS_UPDATE] = { PORTAL_POST, "/nurture/analytics/update", PORTAL_ADMIN, NOARGS, nurture_analytics_update_post },
	[PORTAL_ROUTE_ALERTS] = { PORTAL_GET, "/alerts", PORTAL_ANYONE, NOARGS, alerts_page },
	[PORTAL_ROUTE_ALERTS_EXPORT] = { PORTAL_GET, "/alerts/export.csv", PORTAL_ANYONE, NOARGS, alerts_export },
};

#undef LEAD
#undef KEY
#undef ROW
#undef CAMPAIGN
#undef RUN
#undef NCAMPAIGN
#undef NSTEP
#undef ENROLMENT
#undef SEND
#undef NOARGS

static const char *const method_names[PORTAL_METHOD__MAX] = {
	[PORTAL_GET] = "GET",
	[PORTAL_POST] = "POST",
};

/* The Allow header for the set of methods a path takes (1 << method). */
static const char *const allow_headers[1 << PORTAL_METHOD__MAX] = {
	[1 << PORTAL_GET] = "Allow: GET, HEAD\r\n",
	[1 << PORTAL_POST] = "Allow: POST\r\n",
	[1 << PORTAL_GET | 1 << PORTAL_POST] = "Allow: GET, HEAD, POST\r\n",
};

/* The path arguments' checks, and the 404's message when one fails. */
static const struct {
	bool		 (*valid)(const char *);
	const char	*missing;
} arg_types[PORTAL_ARG__MAX] = {
	[PORTAL_ARG_LEAD_UUID] = { lead_uuid_valid, "There is no such lead." },
	/* A key's id is a uuid as a lead's is: the same check. */
	[PORTAL_ARG_KEY_UUID] = { lead_uuid_valid, "There is no such API key." },
	[PORTAL_ARG_RETRY_ID] = { retry_id_valid,
	    "There is no such retry-queue row." },
	[PORTAL_ARG_CAMPAIGN_UUID] = { lead_uuid_valid,
	    "There is no such campaign." },
	[PORTAL_ARG_RUN_UUID] = { lead_uuid_valid,
	    "There is no such de-enrollment run." },
	[PORTAL_ARG_NURTURE_CAMPAIGN_UUID] = { lead_uuid_valid,
	    "There is no such nurture campaign." },
	[PORTAL_ARG_NURTURE_STEP] = { nurture_step_number_valid,
	    "The campaign has no such step." },
	[PORTAL_ARG_ENROLLMENT_UUID] = { lead_uuid_valid,
	    "There is no such enrolment." },
	[PORTAL_ARG_SEND_UUID] = { lead_uuid_valid,
	    "There is no such e-mail." },
};

/*
 * Find the route for the request; HEAD is answered by the GET route
 * (http_send leaves the body out). Returns it, or NULL with *allowed
 * holding the methods the path takes for others (405 when not 0, 404
 * when 0). *public says whether the path is one of PORTAL_PUBLIC.
 */
static const struct portal_route *
find_route(struct visit *v, int *allowed, bool *public)
{
	const char	*method = v->req->head ? "GET" : v->req->method;
	int		 r;

	*allowed = 0;
	*public = false;
	for (r = 0; r < PORTAL_ROUTE__MAX; r++) {
		if (!portal_route_match(routes[r].pattern, v->req->path, v))
			continue;
		if (routes[r].access == PORTAL_PUBLIC)
			*public = true;
		if (strcmp(method_names[routes[r].method], method) == 0)
			return &routes[r];
		*allowed |= 1 << routes[r].method;
	}
	return NULL;
}

/* 405 with the path's own Allow header. */
static void
method_not_allowed(struct visit *v, int allowed)
{
	portal_add_header(v, allow_headers[allowed]);
	portal_send_error(v, 405, "This page does not take that method.");
}

/* Are the route's path arguments what their types say? If not, the 404
 * for the first that is not has been sent. */
static bool
args_valid(struct visit *v, const struct portal_route *route)
{
	int i;

	for (i = 0; i < PORTAL_MAX_ARGS; i++) {
		enum portal_arg t = route->args[i];

		if (t != PORTAL_ARG_NONE && !arg_types[t].valid(v->arg[i])) {
			portal_send_error(v, 404, arg_types[t].missing);
			return false;
		}
	}
	return true;
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

/*
 * The checks every route but the public ones needs, in this order:
 * session, query string, route, CSRF token, role, path arguments; then
 * its handler.
 */
static void
dispatch(struct visit *v, const struct portal_route *route, int allowed)
{
	bool	post;
	int	rc;

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
	if (route == NULL) {
		if (allowed != 0)
			method_not_allowed(v, allowed);
		else if (post)
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
	if (!args_valid(v, route))
		return;
	route->handle(v);
}

/*
 * A request: the public routes (the login page) are answered without a
 * session, the query string or the checks; every other goes through
 * dispatch.
 */
static void
admin_handle(void *ctx, struct http_request *req)
{
	const struct portal_route	*route;
	struct visit			 v;
	bool				 public;
	int				 allowed;

	memset(&v, 0, sizeof(v));
	v.w = ctx;
	v.req = req;
	v.https = session_https(req->https);

	route = find_route(&v, &allowed, &public);
	/* The log's and the metrics' label: the pattern, never the path. */
	req->route = route != NULL ? route->pattern : NULL;
	if (!public)
		dispatch(&v, route, allowed);
	else if (route == NULL)
		method_not_allowed(&v, allowed);
	else
		route->handle(&v);
	form_free(&v.form);
	form_free(&v.query);
}

/* Is the table whole, and has each '*' of a pattern an argument type? A
 * mistake here is the programmer's: admin.fcgi does not start. */
static int
routes_check(void)
{
	int r, i, stars;

	for (r = 0; r < PORTAL_ROUTE__MAX; r++) {
		const char *p = routes[r].pattern;

		if (p == NULL || routes[r].handle == NULL) {
			log_error("route %d: no pattern or no handler", r);
			return -1;
		}
		for (stars = 0; *p != '\0'; p++)
			stars += *p == '*';
		for (i = 0; i < PORTAL_MAX_ARGS; i++)
			if ((routes[r].args[i] != PORTAL_ARG_NONE) != (i < stars) ||
			    stars > PORTAL_MAX_ARGS) {
				log_error("route %s: one argument type for "
				    "each '*'", routes[r].pattern);
				return -1;
			}
	}
	return 0;
}

/*
 * Once, in the master: every template compiles, or admin.fcgi does not
 * start (the log names the file, line and column). The request processes
 * inherit the compiled templates.
 */
static int
admin_check(void)
{
	char		 dir[PATH_MAX];
	const char	*configured = config_get("MINICRM_TEMPLATES");

	if (routes_check() == -1)
		return -1;
	if (configured == NULL)
		configured = config_tree_dir("templates", dir, sizeof(dir));
	return portal_init(configured);
}

/*
 * Once per request process: the templates as the files are now, so one
 * started after an edit and a reload (then a crash) serves the edit. A
 * template broken since the start is logged, and only its pages answer 500.
 */
static int
admin_init(void)
{
	portal_reload();
	return 0;
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
		admin_handle, portal_reload, admin_check, METRICS_ADMIN
	};

	return fcgi_server_main(&app, argc, argv);
}
