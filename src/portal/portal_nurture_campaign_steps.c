/*
 * portal_nurture_campaign_steps: a nurture campaign's steps (routes below).
 *
 *   POST /nurture/campaigns/{uuid}/steps             admins: a step after
 *                                                    the last
 *   POST /nurture/campaigns/{uuid}/steps/{n}         admins: step n's new
 *                                                    subject, body, delay
 *   POST /nurture/campaigns/{uuid}/steps/{n}/delete  admins: delete step n
 *                                                    (numbers are kept)
 *   GET  /nurture/campaigns/{uuid}/preview?step=N&lead=ID   step N
 *        rendered for a lead of the campaign's client (its id, or its
 *        external lead id), strictly: a name the lead has no value for is
 *        shown as such, never as "{{name}}"
 *
 * A step's subject and body are mustache templates: a form whose
 * template does not compile comes back (400) with the parser's message
 * (line and column) beside the field and what was typed kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_nurture.h"
#include "db_nurture_campaigns.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "nurture_campaigns.h"
#include "nurture_render.h"
#include "portal_nurture_campaigns.h"
#include "validate.h"

/* The step form's fields as typed, and an errors object. */
static json_object *
form_json(struct visit *v, const struct nurture_field_error *errors,
    size_t n)
{
	json_object	*form = json_object_new_object();
	json_object	*errs = json_object_new_object();
	size_t		 i;

	json_put_string(form, "subject", form_get(&v->form, "subject"));
	json_put_string(form, "body", form_get(&v->form, "body"));
	json_put_string(form, "delay_minutes",
	    form_get(&v->form, "delay_minutes"));
	for (i = 0; i < n; i++)
		json_put_string(errs, errors[i].field, errors[i].message);
	json_object_object_add(form, "errors", errs);
	return form;
}

/* The campaign page again (status) with the add form (number 0) or step
 * number's form as typed, the messages beside its fields. */
static void
step_refused(struct visit *v, int status, long number,
    const struct nurture_field_error *errors, size_t n)
{
	json_object *extra = json_object_new_object();
	json_object *form = form_json(v, errors, n);

	if (number == 0) {
		json_object_object_add(extra, "add", form);
		json_object_object_add(extra, "add_open",
		    json_object_new_boolean(true));
	} else {
		json_put_int(form, "number", number);
		json_object_object_add(extra, "edit", form);
	}
	nurture_campaign_render(v, status, extra);
	json_object_put(extra);
}

/* Does the path's campaign exist? If not, the 404 (or 503) was sent. Its
 * number of steps into *steps. */
static bool
campaign_exists(struct visit *v, long long *steps)
{
	struct db_nurture_campaign_state state;

	if (!nurture_campaign_state_read(v, &state))
		return false;
	*steps = state.steps;
	return true;
}

/* Has the path's campaign step number? If not, the 404 (or 503) was
 * sent. */
static bool
step_exists(struct visit *v, long number)
{
	struct db_nc_step	*steps;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_nc_steps(&v->w->db, v->arg[0], &steps, &n)) != DB_OK) {
		portal_send_db_error(v, rc);
		return false;
	}
	for (i = 0; i < n && steps[i].number != number; i++)
		;
	free(steps);
	if (i == n)
		portal_send_error(v, 404, "The campaign has no such step.");
	return i < n;
}

/* The add form again (409), message beside its subject. */
static void
add_refused(struct visit *v, const char *message)
{
	struct nurture_field_error e;

	nurture_field_error_set(&e, "subject", "%s", message);
	step_refused(v, 409, 0, &e, 1);
}

/* A new step after the last (the form checked): true with its number,
 * or false having answered 409 (the form again with the reason) or 503. */
static bool
step_insert(struct visit *v, long long steps, const char *subject,
    const char *body, const char *delay, long *number)
{
	int rc;

	if (steps >= NURTURE_STEPS_MAX) {
		add_refused(v, "The campaign has 100 steps, the most it can "
		    "have.");
		return false;
	}
	rc = db_nc_step_add(&v->w->db, v->arg[0], subject, body, delay,
	    number);
	if (rc == DB_CONFLICT) {
		add_refused(v, "Another step was added at the same moment. "
		    "Send the form again.");
		return false;
	}
	if (rc == DB_BAD_INPUT) {
		/* Numbers are not reused: after deletions the last may be
		 * 100 with fewer steps. */
		add_refused(v, "The campaign's last step is number 100, the "
		    "highest there is: delete the last step to add another.");
		return false;
	}
	if (rc != DB_OK) {
		log_error("nurture step add %s: %s", v->arg[0], v->w->db.error);
		portal_send_db_error(v, rc);
		return false;
	}
	return true;
}

/* Step number's new subject, body and delay (the form checked): true, or
 * false having answered 404 (the step is gone) or 503. */
static bool
step_update(struct visit *v, long number, const char *subject,
    const char *body, const char *delay)
{
	int rc;

	if ((rc = db_nc_step_update(&v->w->db, v->arg[0], number, subject,
	    body, delay)) < 0) {
		log_error("nurture step edit %s/%ld: %s", v->arg[0], number,
		    v->w->db.error);
		portal_send_db_error(v, rc);
		return false;
	}
	if (rc == 0) {
		portal_send_error(v, 404, "The campaign has no such step.");
		return false;
	}
	return true;
}

/* The step form of step number (0: a new step), checked and saved; 303
 * to the campaign with it. */
static void
step_save(struct visit *v, long number)
{
	const char			*subject = form_get(&v->form, "subject");
	const char			*body = form_get(&v->form, "body");
	const char			*delay = form_get(&v->form,
					    "delay_minutes");
	const bool			 add = number == 0;
	struct nurture_step_check	 check;
	long long			 steps;
	char				 url[PORTAL_ARG_MAX + 160];

	if (!campaign_exists(v, &steps) || (!add && !step_exists(v, number)))
		return;
	if (nurture_step_check(subject, body, delay, &check) > 0) {
		step_refused(v, 400, number, check.errors, check.nerrors);
		return;
	}
	if (add ? !step_insert(v, steps, subject, body, delay, &number) :
	    !step_update(v, number, subject, body, delay))
		return;
	log_info("nurture campaign %s: step %ld %s by %s", v->arg[0], number,
	    add ? "added" : "changed", v->who.email);
	snprintf(url, sizeof(url), "/nurture/campaigns/%s?step_%s=%ld#"
	    "step-%ld", v->arg[0], add ? "added" : "saved", number, number);
	portal_redirect(v, url);
}

/*
 * POST /nurture/campaigns/{uuid}/steps: 303 to the campaign; 400 a bad
 * field (a template that does not compile: the parser's line and
 * column), 404, 409 the campaign has 100 steps or another step was added
 * at the same moment, 503.
 */
void
nurture_step_add(struct visit *v)
{
	step_save(v, 0);
}

/*
 * POST /nurture/campaigns/{uuid}/steps/{n}: 303 to the campaign; 400 a
 * bad field (the form comes back open with the messages), 404 no such
 * campaign or step, 503.
 */
void
nurture_step_edit(struct visit *v)
{
	long number;

	(void)parse_long(v->arg[1], 1, NURTURE_STEPS_MAX, &number);
	step_save(v, number);
}

/*
 * POST /nurture/campaigns/{uuid}/steps/{n}/delete: 303 to the campaign;
 * 404 no such campaign or step; 503. The later steps keep their numbers
 * (an enrolment goes on to the first step after its current one).
 */
void
nurture_step_delete(struct visit *v)
{
	long long	 steps;
	long		 number;
	char		 url[PORTAL_ARG_MAX + 160];
	int		 rc;

	(void)parse_long(v->arg[1], 1, NURTURE_STEPS_MAX, &number);
	if (!campaign_exists(v, &steps))
		return;
	if ((rc = db_nc_step_delete(&v->w->db, v->arg[0], number)) < 0) {
		log_error("nurture step delete %s/%ld: %s", v->arg[0], number,
		    v->w->db.error);
		portal_send_db_error(v, rc);
		return;
	}
	if (rc == 0) {
		portal_send_error(v, 404, "The campaign has no such step.");
		return;
	}
	log_info("nurture campaign %s: step %ld deleted by %s", v->arg[0],
	    number, v->who.email);
	snprintf(url, sizeof(url), "/nurture/campaigns/%s?step_deleted=%ld#"
	    "steps", v->arg[0], number);
	portal_redirect(v, url);
}

/* The lead the preview asks for, by id or external id, of client_id:
 * *view NULL (DB_OK) if none. */
static int
preview_lead(struct visit *v, const char *client_id, const char *key,
    struct db_nc_view **view)
{
	return db_nc_lead_view(&v->w->db, client_id,
	    lead_uuid_valid(key) ? key : NULL, key, view);
}

/* The preview's "render_error": the sender's failure_reason and where
 * in the step it is ("…{{company}} (body, line 2, column 5)"). */
static void
preview_error(json_object *data, const struct nurture_render_result *p)
{
	char	 text[sizeof(p->reason) + sizeof(p->where) + 48];

	if (p->where[0] != '\0')
		snprintf(text, sizeof(text), "%s (%s, line %u, column %u)",
		    p->reason, p->where, p->line, p->column);
	else
		snprintf(text, sizeof(text), "%s", p->reason);
	json_put_string(data, "render_error", text);
}

/*
 * GET /nurture/campaigns/{uuid}/preview?step=N&lead=ID: 200 (the step
 * rendered, or the token the lead has no value for), 400 no step or lead
 * given, 404 no such campaign, step or lead of its client, 503.
 */
void
nurture_step_preview(struct visit *v)
{
	const char		*step = portal_query(v, "step");
	const char		*lead = portal_query(v, "lead");
	struct db_nc		*c = NULL;
	struct db_nc_step	*steps = NULL;
	struct db_nc_view	*l = NULL;
	struct nurture_render_input in;
	struct nurture_render_result p;
	struct buf		 names = BUF_INIT;
	json_object		*data = NULL, *view = NULL, *s;
	size_t			 n = 0, i;
	long			 number;
	int			 rc;

	memset(&p, 0, sizeof(p));
	if (step == NULL || !nurture_step_number_valid(step) ||
	    lead == NULL || *lead == '\0' || strlen(lead) > 255) {
		portal_send_error(v, 400, "Choose a step and give a lead's id "
		    "(or its lead id) to preview.");
		return;
	}
	(void)parse_long(step, 1, NURTURE_STEPS_MAX, &number);
	if ((rc = db_nc_get(&v->w->db, v->arg[0], &c)) != DB_OK ||
	    (c != NULL && (rc = db_nc_steps(&v->w->db, v->arg[0], &steps,
	    &n)) != DB_OK) ||
	    (c != NULL && (rc = preview_lead(v, c->client_id, lead, &l)) !=
	    DB_OK)) {
		portal_send_db_error(v, rc);
		goto out;
	}
	if (c == NULL) {
		portal_send_error(v, 404, "There is no such nurture campaign.");
		goto out;
	}
	for (i = 0; i < n && steps[i].number != number; i++)
		;
	if (i == n) {
		portal_send_error(v, 404, "The campaign has no such step.");
		goto out;
	}
	if (l == NULL) {
		portal_send_error(v, 404, "The campaign's client has no lead "
		    "with that id.");
		goto out;
	}
	/* The sender's renderer itself: the preview fails where the send
	 * would. */
	in = (struct nurture_render_input){ l->first_name, l->last_name,
	    l->name, l->email, l->phone, l->external_id, l->metadata, c->name,
	    number, steps[i].subject, steps[i].body };
	view = nurture_render_view(&in);
	(void)nurture_render(&in, &p);
	data = portal_page_data(v);
	s = json_object_new_object();
	json_put_string(s, "id", c->id);
	json_put_string(s, "name", c->name);
	json_put_string(s, "client", c->client);
	json_object_object_add(data, "campaign", s);
	s = json_object_new_object();
	json_put_int(s, "number", number);
	json_put_string(s, "subject", steps[i].subject);
	json_put_string(s, "body", steps[i].body);
	nurture_step_names(steps[i].subject, steps[i].body, &names);
	json_put_string(s, "names", names.len > 0 ? buf_str(&names) : NULL);
	json_object_object_add(data, "step", s);
	s = json_object_new_object();
	json_put_string(s, "id", l->id);
	json_put_string(s, "name", l->name);
	json_put_string(s, "external_id", l->external_id);
	json_put_string(s, "email", l->email);
	json_object_object_add(data, "lead", s);
	/* The view itself, pretty, so the operator sees what there is. */
	json_put_string(data, "view", json_object_to_json_string_ext(view,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_object_add(data, "ok",
	    json_object_new_boolean(p.status == NURTURE_RENDER_OK));
	if (p.status == NURTURE_RENDER_OK) {
		json_put_string(data, "rendered_subject", p.subject);
		json_put_string(data, "rendered_body", p.body);
	} else {
		preview_error(data, &p);
		if (p.missing[0] != '\0')
			json_put_string(data, "missing", p.missing);
	}
	portal_send_page(v, 200, PORTAL_TEMPLATE_NURTURE_CAMPAIGN_PREVIEW,
	    data);
out:
	json_object_put(data);
	json_object_put(view);
	nurture_render_free(&p);
	buf_free(&names);
	free(c);
	free(steps);
	free(l);
}
