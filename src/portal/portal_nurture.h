/*
 * portal_nurture: the e-mail nurture operator's pages — the dashboard
 * (portal_nurture.c: the runbook's KPI table, rates per day as SVG charts
 * from portal_nurture_charts.c, the morning health check, per-campaign
 * analytics and its CSV), the send queue (portal_nurture_sends.c: states,
 * failure reasons, CSV, release / mark sent), the pause switches
 * (portal_nurture_switches.c) and the workflow errors
 * (portal_nurture_errors.c) — and their handlers for admin.c's route
 * table. Not for other modules. (The nurture campaigns' own pages are
 * portal_nurture_campaigns.h.)
 */
#ifndef MINICRM_PORTAL_NURTURE_H
#define MINICRM_PORTAL_NURTURE_H

#include <json-c/json.h>

#include "db_nurture_pages.h"
#include "portal.h"

/*
 * The client filter: the query's client (a slug; empty or absent: every
 * client) checked against the clients, the menu ("clients": [{value, id,
 * selected}]) into data, its id into id (NULL for every client; points
 * into *mem, which the caller free()s, also on failure). Returns DB_OK,
 * 1 for an unknown client (nothing sent: the caller answers 400), or a
 * db_status.
 */
int	nurture_client_filter(struct visit *, json_object *data,
	    const char **id, void **mem) __attribute__((warn_unused_result));

/*
 * A page's reads begun (db_nurture_pages_begin: the caller ends them, or
 * calls nurture_pages_fail) and nurture_client_filter's menu into data,
 * its id into *client. Returns 0, or -1 having answered 400 (an unknown
 * client) or 503/500, nothing begun then. *mem is the caller's to free()
 * either way.
 */
int	nurture_pages_open(struct visit *, json_object *data,
	    const char **client, void **mem)
	    __attribute__((warn_unused_result));

/*
 * A read after nurture_pages_open failed (rc a db_status): logged as
 * what's (NULL: not logged), the reads ended, mem and data (either may be
 * NULL) freed, the 503/500 sent.
 */
void	nurture_pages_fail(struct visit *, int rc, const char *what,
	    void *mem, json_object *data);

/* The pause switches into data ("switches", and "sender_paused" /
 * "scheduler_paused" with the switch when paused). A db_status. */
int	nurture_switches_add(struct visit *, json_object *data)
	    __attribute__((warn_unused_result));

/* The rate charts of the last 14 days into data ("charts"). A db_status. */
int	nurture_charts_add(struct visit *, const char *client,
	    json_object *data) __attribute__((warn_unused_result));

/*
 * The handlers, for admin.c's route table: GET /nurture,
 * /nurture/analytics.csv, /nurture/sends, /nurture/sends/export.csv,
 * /nurture/errors, /nurture/errors.csv; POST /nurture/sends/{id}/release,
 * /nurture/sends/{id}/mark-sent ({id} checked by the router:
 * PORTAL_ARG_SEND_UUID), /nurture/sender/pause, /nurture/sender/resume,
 * /nurture/scheduler/pause, /nurture/scheduler/resume.
 */
void	nurture_page(struct visit *);
void	nurture_analytics_export(struct visit *);
void	nurture_sends_page(struct visit *);
void	nurture_sends_export(struct visit *);
void	nurture_send_release(struct visit *);
void	nurture_send_mark_sent(struct visit *);
void	nurture_sender_pause(struct visit *);
void	nurture_sender_resume(struct visit *);
void	nurture_scheduler_pause(struct visit *);
void	nurture_scheduler_resume(struct visit *);
void	nurture_errors_page(struct visit *);
void	nurture_errors_export(struct visit *);
/* portal_nurture_analytics.c */
void	nurture_analytics_update_post(struct visit *);

#endif
