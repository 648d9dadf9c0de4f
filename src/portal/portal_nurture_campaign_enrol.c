/*
 * portal_nurture_campaign_enrol: enrolling leads into nurture campaigns
 * from the portal (routes below), and what the lead page and the leads
 * list show for it.
 *
 *   POST /leads/{uuid}/nurture                admins: the lead into
 *        campaign_id (one of its client's), through nurture_enroll():
 *        idempotent, so a second time says "already"
 *   POST /nurture/campaigns/{uuid}/enroll     admins: every lead the leads
 *        list's filters (q, client, status) select, in pages of 10,000
 *        ids, one nurture_enroll() call each; 303 back with the counts
 *   POST /nurture/enrollments/{uuid}/cancel   admins: an active or paused
 *        enrolment becomes cancelled (back=campaign: to the campaign's
 *        page; else to the lead's)
 *
 * Each enrolment is recorded as a run of "Lead Nurture - Enrollment"
 * (workflow_executions), as the other ways in record theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_nurture.h"
#include "db_nurture_campaigns.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "nurture.h"
#include "portal_leads.h"
#include "portal_nurture_campaigns.h"

#define LEAD_SENDS_SHOWN	50
#define SEARCH_MAX		200

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

static json_object *
lead_enrolment_json(const struct db_nc_lead_enrolment *e)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", e->id);
	json_put_string(o, "campaign_id", e->campaign_id);
	json_put_string(o, "campaign", e->campaign);
	json_put_string(o, "campaign_status", e->campaign_status);
	json_put_string(o, "status", e->status);
	json_put_int(o, "done", e->done);
	json_put_int(o, "steps", e->steps);
	json_put_string(o, "next_send", e->next_send);
	json_put_string(o, "reason", e->reason);
	json_put_string(o, "enrolled", e->enrolled);
	json_put_string(o, "completed", e->completed);
	json_object_object_add(o, "cancellable", json_object_new_boolean(
	    strcmp(e->status, "active") == 0 ||
	    strcmp(e->status, "paused") == 0));
	/* Its next e-mail, for the preview link. */
	if (e->next_step > 0 && (strcmp(e->status, "active") == 0 ||
	    strcmp(e->status, "paused") == 0))
		json_put_int(o, "preview_step", e->next_step);
	return o;
}

static json_object *
send_json(const struct db_nc_send *s)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", s->id);
	json_put_string(o, "campaign_id", s->campaign_id);
	json_put_string(o, "campaign", s->campaign);
	json_put_int(o, "step", s->step);
	json_put_string(o, "subject", s->subject);
	json_put_string(o, "status", s->status);
	json_put_string(o, "scheduled", s->scheduled);
	json_put_string(o, "sent", s->sent);
	json_put_string(o, "opened", s->opened);
	json_put_string(o, "clicked", s->clicked);
	json_put_string(o, "failure", s->failure);
	json_put_string(o, "bounce", s->bounce);
	return o;
}

static json_object *
choices_json(const struct db_nc_choice *c, size_t n)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_put_string(o, "id", c[i].id);
		json_put_string(o, "name", c[i].name);
		json_put_string(o, "client", c[i].client);
		json_put_string(o, "status", c[i].status);
		json_put_int(o, "steps", c[i].steps);
		json_object_object_add(o, "paused", json_object_new_boolean(
		    strcmp(c[i].status, "paused") == 0));
		json_object_array_add(list, o);
	}
	return list;
}

/* The message the last action on the lead left (fixed words only). */
static const char *
lead_flash(struct visit *v)
{
	const char *s = portal_query(v, "nurture");

	if (s == NULL)
		return NULL;
	if (strcmp(s, "enrolled") == 0)
		return "Enrolled: the first e-mail is scheduled.";
	if (strcmp(s, "already") == 0)
		return "The lead is in that campaign already: nothing changed.";
	if (strcmp(s, "cancelled") == 0)
		return "The enrolment is cancelled: no more e-mails of it.";
	return NULL;
}

int
lead_nurture_add(struct visit *v, json_object *data)
{
	struct db_nc_lead_enrolment	*enrolments = NULL;
	struct db_nc_send		*sends = NULL;
	struct db_nc_choice		*choices = NULL;
	json_object			*list;
	size_t				 ne, ns, nc, i;
	int				 rc;

	if ((rc = db_nc_lead_enrolments(&v->w->db, v->arg[0], &enrolments,
	    &ne)) != DB_OK ||
	    (rc = db_nc_lead_sends(&v->w->db, v->arg[0], LEAD_SENDS_SHOWN,
	    &sends, &ns)) != DB_OK ||
	    (rc = db_nc_lead_choices(&v->w->db, v->arg[0], &choices, &nc)) !=
	    DB_OK)
		goto out;
	list = json_object_new_array();
	for (i = 0; i < ne; i++)
		json_object_array_add(list, lead_enrolment_json(&enrolments[i]));
	json_object_object_add(data, "nurture_enrolments", list);
	json_object_object_add(data, "has_nurture_enrolments",
	    json_object_new_boolean(ne > 0));
	list = json_object_new_array();
	for (i = 0; i < ns; i++)
		json_object_array_add(list, send_json(&sends[i]));
	json_object_object_add(data, "nurture_sends", list);
	json_object_object_add(data, "has_nurture_sends",
	    json_object_new_boolean(ns > 0));
	json_put_int(data, "nurture_sends_shown", LEAD_SENDS_SHOWN);
	json_object_object_add(data, "nurture_choices",
	    choices_json(choices, nc));
	json_object_object_add(data, "has_nurture_choices",
	    json_object_new_boolean(nc > 0));
	json_put_string(data, "nurture_flash", lead_flash(v));
out:
	free(enrolments);
	free(sends);
	free(choices);
	return rc;
}

int
leads_nurture_add(struct visit *v, json_object *data, const char *client)
{
	struct db_nc_choice	*choices;
	size_t			 n;
	int			 rc;

	if (!auth_role_can_write(v->who.role))
		return DB_OK;
	if ((rc = db_nc_choices(&v->w->db, client, &choices, &n)) != DB_OK)
		return rc;
	json_object_object_add(data, "nurture_choices",
	    choices_json(choices, n));
	json_object_object_add(data, "has_nurture_choices",
	    json_object_new_boolean(n > 0));
	free(choices);
	return DB_OK;
}

/* The lead's page again (status) with message beside the e-mail form. */
static void
lead_refused(struct visit *v, int status, const char *message)
{
	json_object *extra = json_object_new_object();

	json_put_string(extra, "nurture_error", message);
	lead_page(v, status, extra);
	json_object_put(extra);
}

/* Why nurture_enroll() refused the lead: 409 (400 for another client's
 * campaign) with the reason, 404 no such lead, 503. */
static void
explain_refusal(struct visit *v, const char *campaign)
{
	struct db_nc_refusal	r;
	int			rc;

	if ((rc = db_nc_lead_refusal(&v->w->db, v->arg[0], campaign, &r)) <
	    0) {
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0)
		portal_send_error(v, 404, "There is no such lead.");
	else if (r.other_client)
		lead_refused(v, 400, "Refused: that campaign is another "
		    "client's. Choose one of the lead's client's campaigns.");
	else if (r.opted_out || r.email_opt_out)
		lead_refused(v, 409, "Refused: the lead has opted out "
		    "(of everything, or of e-mail). Nothing changed.");
	else if (r.no_email)
		lead_refused(v, 409, "Refused: the lead has no e-mail "
		    "address. Nothing changed.");
	else if (r.email_invalid)
		lead_refused(v, 409, "Refused: the lead's e-mail address is "
		    "marked invalid (it bounced). Nothing changed.");
	else
		lead_refused(v, 409, "Refused. Nothing changed.");
}

/*
 * POST /leads/{uuid}/nurture: enrol the lead into campaign_id. 303 back
 * to the lead ("enrolled", or "already" when it is in the campaign
 * already: the same form twice is one enrolment); 400 no campaign chosen
 * or another client's; 404 no such lead; 409 refused (opted out, no or
 * an invalid e-mail; the campaign archived or without steps) with the
 * reason beside the form; 503.
 */
void
lead_nurture_enrol(struct visit *v)
{
	const char			*campaign = form_get(&v->form,
					    "campaign_id");
	const char			*leads[1] = { v->arg[0] };
	struct nurture_enroll_result	 res;
	struct nurture_run		 run;
	char				 by[300], url[PORTAL_ARG_MAX + 160];

	if (campaign == NULL || !lead_uuid_valid(campaign)) {
		lead_refused(v, 400, "Choose one of the client's nurture "
		    "campaigns.");
		return;
	}
	snprintf(by, sizeof(by), "portal:%s", v->who.email);
	nurture_run_begin(&v->w->db, NURTURE_ENROLLMENT, &run);
	nurture_enroll(&v->w->db, campaign, leads, 1, NULL, by, &res);
	nurture_run_end(&v->w->db, &run, res.enrolled,
	    res.status == NURTURE_ENROLL_OK ? NULL : res.error);
	switch (res.status) {
	case NURTURE_ENROLL_OK:
		break;
	case NURTURE_ENROLL_NO_CAMPAIGN:
	case NURTURE_ENROLL_BAD_INPUT:
		lead_refused(v, 400, "Choose one of the client's nurture "
		    "campaigns.");
		return;
	case NURTURE_ENROLL_CLOSED:
		lead_refused(v, 409, strstr(res.error, "steps") != NULL ?
		    "Refused: the campaign has no steps yet. Nothing changed." :
		    "Refused: the campaign is archived. Nothing changed.");
		return;
	default:
		log_error("nurture enrol lead %s: %s", v->arg[0], res.error);
		portal_send_db_error(v, DB_ERROR);
		return;
	}
	if (res.refused > 0) {
		explain_refusal(v, campaign);
		return;
	}
	if (res.enrolled > 0)
		log_info("lead %s enrolled in nurture campaign %s by %s",
		    v->arg[0], campaign, v->who.email);
	snprintf(url, sizeof(url), "/leads/%s?nurture=%s#lead-nurture",
	    v->arg[0], res.enrolled > 0 ? "enrolled" : "already");
	portal_redirect(v, url);
}

/* The leads list's filter from the form, as the leads search reads it;
 * like and phone are its patterns' room. 0, or -1 having answered 400. */
static int
filter_read(struct visit *v, struct db_nc_filter *f,
    char like[2 * SEARCH_MAX + 3], char phone[SEARCH_MAX + 3])
{
	const char *q = nonempty(form_get(&v->form, "q"));

	memset(f, 0, sizeof(*f));
	f->client = nonempty(form_get(&v->form, "client"));
	f->status = nonempty(form_get(&v->form, "status"));
	if (q != NULL) {
		if (strlen(q) > SEARCH_MAX || lead_like_pattern(q, like,
		    2 * SEARCH_MAX + 3) == -1) {
			portal_send_error(v, 400, "The search is at most 200 "
			    "characters.");
			return -1;
		}
		f->like = like;
		/* Not phone-like: the same pattern again, as the search. */
		f->second = lead_phone_pattern(q, phone, SEARCH_MAX + 3) == 0 ?
		    phone : like;
	}
	if (f->status != NULL && !lead_status_valid(f->status)) {
		portal_send_error(v, 400, "The status is not a lead status.");
		return -1;
	}
	return 0;
}

/*
 * POST /nurture/campaigns/{uuid}/enroll: every lead the filters select,
 * in pages of NURTURE_ENROLL_MAX ids. 303 to the campaign with the
 * counts; 400 a bad filter; 404; 409 the campaign is archived or has no
 * steps (nothing enrolled); 503 — the pages enrolled before the failure
 * stay (enrolling again is safe: it is idempotent).
 */
void
nurture_campaign_enrol(struct visit *v)
{
	struct db_nc_filter		 f;
	struct nurture_enroll_result	 res;
	struct nurture_run		 run;
	struct db_nurture_campaign_state state;
	const char			**ids = NULL;
	char				 like[2 * SEARCH_MAX + 3];
	char				 phone[SEARCH_MAX + 3];
	char				 after[37] = "", by[300], url[PORTAL_ARG_MAX + 200];
	long				 enrolled = 0, already = 0, refused = 0;
	size_t				 n;
	int				 rc;

	if (filter_read(v, &f, like, phone) == -1 ||
	    !nurture_campaign_state_read(v, &state))
		return;
	if (strcmp(state.status, "archived") == 0 || state.steps == 0) {
		nurture_campaign_refuse(v, 409, state.steps == 0 ? "Nothing "
		    "enrolled: the campaign has no steps yet." : "Nothing "
		    "enrolled: the campaign is archived.");
		return;
	}
	snprintf(by, sizeof(by), "portal:%s", v->who.email);
	nurture_run_begin(&v->w->db, NURTURE_ENROLLMENT, &run);
	memset(&res, 0, sizeof(res));
	for (;;) {
		if ((rc = db_nc_filter_ids(&v->w->db, &f, after[0] != '\0' ?
		    after : NULL, NURTURE_ENROLL_MAX, &ids, &n)) != DB_OK) {
			snprintf(res.error, sizeof(res.error), "%s",
			    v->w->db.error);
			res.status = NURTURE_ENROLL_DB_ERROR;
			break;
		}
		if (n == 0)
			break;
		nurture_enroll(&v->w->db, v->arg[0], ids, n, NULL, by, &res);
		snprintf(after, sizeof(after), "%s", ids[n - 1]);
		free(ids);
		ids = NULL;
		if (res.status != NURTURE_ENROLL_OK)
			break;
		enrolled += res.enrolled;
		already += res.already;
		refused += res.refused;
		if (n < NURTURE_ENROLL_MAX)
			break;
	}
	free(ids);
	nurture_run_end(&v->w->db, &run, enrolled,
	    res.status == NURTURE_ENROLL_OK ? NULL : res.error);
	if (res.status != NURTURE_ENROLL_OK) {
		log_error("nurture enrol filtered set into %s: %s (%ld "
		    "enrolled before)", v->arg[0], res.error, enrolled);
		snprintf(url, sizeof(url), "The enrolment stopped half way: "
		    "%ld lead(s) enrolled before the failure. Send the form "
		    "again to enrol the rest (those in already are left as "
		    "they are).", enrolled);
		portal_send_error(v, res.status == NURTURE_ENROLL_CLOSED ?
		    409 : 503, url);
		return;
	}
	log_info("nurture campaign %s: %ld enrolled, %ld already, %ld refused "
	    "by %s", v->arg[0], enrolled, already, refused, v->who.email);
	snprintf(url, sizeof(url), "/nurture/campaigns/%s?enrolled=%ld&"
	    "already=%ld&refused=%ld#enrolments", v->arg[0], enrolled, already,
	    refused);
	portal_redirect(v, url);
}

/*
 * POST /nurture/enrollments/{uuid}/cancel: 303 to the lead's page (or
 * the campaign's, back=campaign); 404 no such enrolment; 409 it has ended
 * already; 503.
 */
void
nurture_enrolment_cancel(struct visit *v)
{
	const char	*back = form_get(&v->form, "back");
	char		 lead[37], campaign[37], status[16], reason[300];
	char		 url[PORTAL_ARG_MAX + 160], msg[200];
	int		 rc;

	snprintf(reason, sizeof(reason), "cancelled by portal:%s",
	    v->who.email);
	rc = db_nc_enrolment_cancel(&v->w->db, v->arg[0], reason, lead,
	    campaign, status);
	if (rc < 0) {
		log_error("nurture cancel %s: %s", v->arg[0], v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 2) {
		portal_send_error(v, 404, "There is no such enrolment.");
		return;
	}
	if (rc == 0) {
		snprintf(msg, sizeof(msg), "This enrolment has ended already "
		    "(%s). Nothing changed.", status);
		portal_send_error(v, 409, msg);
		return;
	}
	log_info("nurture enrolment %s cancelled by %s", v->arg[0],
	    v->who.email);
	if (back != NULL && strcmp(back, "campaign") == 0)
		snprintf(url, sizeof(url), "/nurture/campaigns/%s?cancelled=1"
		    "#enrolments", campaign);
	else
		snprintf(url, sizeof(url), "/leads/%s?nurture=cancelled"
		    "#lead-nurture", lead);
	portal_redirect(v, url);
}
