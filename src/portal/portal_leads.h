/*
 * portal_leads: what the pages of the portal's leads area share. The area
 * is spread over small files, one page each — portal_leads.c (the
 * search), portal_timeline.c (a lead and its timeline), portal_activity.c
 * (every lead's events), portal_export.c (the streamed CSV), portal_view.c
 * (the filters these pages read) and portal_lead_actions.c (note, status,
 * opt-out). Their routes are rows of admin.c's route table.
 */
#ifndef MINICRM_PORTAL_LEADS_H
#define MINICRM_PORTAL_LEADS_H

#include <stdbool.h>
#include <json-c/json.h>

#include "buf.h"
#include "portal.h"
#include "timeline.h"

/* The cookie that remembers the viewer's time zone, and its life. */
#define VIEW_TZ_COOKIE		"minicrm_tz"
#define VIEW_TZ_MAX_AGE		(365L * 24 * 3600)
#define VIEW_TZ_LEN		64

/* Rows on a page, and in one batch of an export. */
#define VIEW_PAGE_ROWS		50
#define VIEW_EXPORT_BATCH	1000

/*
 * The filters of a timeline or the activity page, read from the query
 * string: f points into the request (valid while it lasts), values holds
 * what was typed (to show it back), errors the message for each bad field
 * (a field-error beside it). view_filters_free releases both objects.
 */
struct view_filters {
	struct timeline_filter	 f;
	char			 tz[VIEW_TZ_LEN + 1];
	bool			 tz_from_query;
	json_object		*values;
	json_object		*errors;	/* {} when all are good */
};

/*
 * Read the filters (client too if with_client). Returns the number of bad
 * fields; a bad field does not filter (f leaves it NULL).
 */
int	view_filters_read(struct visit *, struct view_filters *,
	    bool with_client);
void	view_filters_free(struct view_filters *);
/* The filters as a query string, for links (the time zone included). */
void	view_filters_qs(const struct view_filters *, struct buf *);

/*
 * Begin the read in the viewer's time zone. If PostgreSQL refuses the
 * zone, that is a field error and the read begins in UTC. A zone given in
 * the query and accepted is remembered in the cookie. Returns a db_status.
 */
int	view_begin(struct visit *, struct view_filters *)
	    __attribute__((warn_unused_result));

/* Add the event types, as [{name, selected}], for the type menu. */
int	view_add_types(struct visit *, json_object *data, const char *selected)
	    __attribute__((warn_unused_result));

/* The link "path?qs[&extra]" into data under key. */
void	view_link(json_object *data, const char *key, const char *path,
	    const char *qs, const char *extra);

/*
 * The page of events the query asks for (vf->f says whose: a lead, or
 * all) into data: events, has_events and the paging links to path with
 * the filters qs. No cursor is the newest page, after=ID the page older
 * than event ID, before=ID the page newer than it, last=1 the oldest
 * page; either way shown newest first. Returns a db_status, or 1 for a
 * malformed cursor.
 */
int	view_events_page(struct visit *, struct view_filters *,
	    json_object *data, const char *path, const char *qs)
	    __attribute__((warn_unused_result));

/*
 * GET /leads/{uuid} (v->arg[0], checked by the router as
 * PORTAL_ARG_LEAD_UUID): the lead and its timeline. The actions
 * call it to answer a form that failed validation: status 400 and extra
 * (its keys copied into the page's data; the caller keeps extra).
 */
void	lead_page(struct visit *, int status, json_object *extra);

/*
 * The lead's (v->arg[0]) campaign section into data: place (its
 * campaign, position, messages, state), journeys and the campaigns it
 * can be enrolled in (portal_lead_campaign.c). Returns a db_status.
 */
int	lead_campaign_add(struct visit *, json_object *data)
	    __attribute__((warn_unused_result));

/* Stream the filtered events as CSV (portal_export.c). */
void	portal_export_csv(struct visit *, struct view_filters *,
	    const char *filename);

/* The pages' handlers, for admin.c's route table; {uuid} is checked by
 * the router (PORTAL_ARG_LEAD_UUID). */
void	leads_page(struct visit *);		/* GET /leads */
void	timeline_page(struct visit *);		/* GET /leads/{uuid} */
void	timeline_export(struct visit *);	/* GET /leads/{uuid}/export.csv */
void	activity_page(struct visit *);		/* GET /activity */
void	activity_export(struct visit *);	/* GET /activity/export.csv */
void	lead_note_post(struct visit *);		/* POST /leads/{uuid}/note */
void	lead_status_post(struct visit *);	/* POST /leads/{uuid}/status */
void	lead_opt_out_post(struct visit *);	/* POST /leads/{uuid}/opt-out */
void	lead_campaign_post(struct visit *);	/* POST /leads/{uuid}/campaign */
void	lead_campaign_remove_post(struct visit *); /* POST /leads/{uuid}/campaign/remove */

#endif
