/*
 * portal_nurture_campaigns: the nurture campaign pages and the portal's
 * enrolment — portal_nurture_campaigns.c (the list, its CSV, creating a
 * campaign), portal_nurture_campaign.c (one campaign: its steps, status,
 * enrolments, daily analytics, their CSVs), portal_nurture_campaign_steps.c
 * (adding, editing, deleting a step; a step's preview for a lead) and
 * portal_nurture_campaign_enrol.c (a lead's e-mail section, enrolling a
 * lead or the leads a filter selects, cancelling an enrolment) — and
 * their handlers for admin.c's route table. Not for other modules but the
 * leads pages, which call the two *_add functions below.
 */
#ifndef MINICRM_PORTAL_NURTURE_CAMPAIGNS_H
#define MINICRM_PORTAL_NURTURE_CAMPAIGNS_H

#include <json-c/json.h>

#include "db_nurture.h"
#include "portal.h"

/*
 * GET /nurture/campaigns/{uuid} (v->arg[0]): the campaign page with
 * status; the actions call it to answer a form that failed (400, 409)
 * with extra's keys copied into the page's data (the caller keeps extra):
 * "error" (a message above the page), "add" (the add form's values and
 * errors), "edit" (a step's: its "number", values and errors).
 */
void	nurture_campaign_render(struct visit *, int status, json_object *extra);

/* nurture_campaign_render with message as the page's "error". */
void	nurture_campaign_refuse(struct visit *, int status,
	    const char *message);

/*
 * The path's campaign's status and number of steps into state (the
 * shared state read, not the page's: no counts of enrolments and
 * e-mails, for a form). true; or false having answered 404 (no such
 * campaign), 503/500.
 */
bool	nurture_campaign_state_read(struct visit *,
	    struct db_nurture_campaign_state *state);

/* The path's campaign id is v->arg[0]; the step number v->arg[1]. */

/*
 * The lead's (v->arg[0]) "Nurture e-mails" section into data: its
 * enrolments, its e-mails, the campaigns it can be enrolled in, and the
 * message the last enrolment left (the "nurture" query field). Returns a
 * db_status. (The lead page, portal_timeline.c, calls it.)
 */
int	lead_nurture_add(struct visit *, json_object *data)
	    __attribute__((warn_unused_result));

/*
 * The leads list's "Enrol these leads into…" form into data: the not
 * archived campaigns of the filtered client (client: a slug, or NULL for
 * every client) as nurture_choices, for admins. Returns a db_status.
 * (The leads list, portal_leads.c, calls it.)
 */
int	leads_nurture_add(struct visit *, json_object *data,
	    const char *client) __attribute__((warn_unused_result));

/* The handlers, for admin.c's route table; {uuid} and {step} are checked
 * by the router (PORTAL_ARG_NURTURE_CAMPAIGN_UUID, PORTAL_ARG_NURTURE_STEP,
 * PORTAL_ARG_ENROLLMENT_UUID, PORTAL_ARG_LEAD_UUID). */
void	nurture_campaigns_page(struct visit *);	/* GET /nurture/campaigns */
void	nurture_campaigns_export(struct visit *); /* GET …/export.csv */
void	nurture_campaigns_create(struct visit *); /* POST /nurture/campaigns */
void	nurture_campaign_page(struct visit *);	/* GET …/{uuid} */
void	nurture_campaign_enrolments_export(struct visit *); /* …/enrollments.csv */
void	nurture_campaign_analytics_export(struct visit *); /* …/analytics.csv */
void	nurture_campaign_pause(struct visit *);	/* POST …/{uuid}/pause */
void	nurture_campaign_resume(struct visit *); /* POST …/{uuid}/resume */
void	nurture_campaign_archive(struct visit *); /* POST …/{uuid}/archive */
void	nurture_step_add(struct visit *);	/* POST …/{uuid}/steps */
void	nurture_step_edit(struct visit *);	/* POST …/{uuid}/steps/{n} */
void	nurture_step_delete(struct visit *);	/* POST …/steps/{n}/delete */
void	nurture_step_preview(struct visit *);	/* GET …/{uuid}/preview */
void	nurture_campaign_enrol(struct visit *);	/* POST …/{uuid}/enroll */
void	lead_nurture_enrol(struct visit *);	/* POST /leads/{uuid}/nurture */
void	nurture_enrolment_cancel(struct visit *); /* POST /nurture/enrollments/{uuid}/cancel */

#endif
