/*
 * portal_campaign: one campaign (routes below).
 *
 *   GET /campaigns/{uuid}            the campaign with its counts and the
 *                                    drift check, its steps, completions
 *                                    per day (the dashboard's SVG chart),
 *                                    its leads by state (state=active,
 *                                    stuck — finished, not yet
 *                                    de-enrolled —, completed, opted_out,
 *                                    inactive or all), keyset pages of 50
 *                                    (after=the last lead shown)
 *   GET /campaigns/{uuid}/leads.csv  the leads in that state, as CSV
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "dashboard.h"
#include "json_put.h"
#include "portal_campaigns.h"
#include "portal_csv.h"
#include "portal_dashboard.h"

#define CAMPAIGN_LEADS_PAGE	50
#define EXPORT_BATCH	1000

/* The states, as the tabs show them. */
static const struct portal_choice states[] = {
	{ "active", "Active" },
	{ "stuck", "Finished, not yet de-enrolled" },
	{ "completed", "Completed" },
	{ "opted_out", "Opted out" },
	{ "inactive", "Inactive" },
	{ "all", "All" },
};
#define NSTATES	(sizeof(states) / sizeof(states[0]))

/* The state the query asks for ("active" if none); NULL, having answered
 * 400, if it is not one. */
static const char *
state_read(struct visit *v)
{
	return portal_query_choice(v, "state", states, NSTATES, "active",
	    "The state must be active, stuck, completed, opted_out, inactive "
	    "or all.");
}

/* The path's campaign (the caller frees it), or NULL having answered 404,
 * or 503/500 if the database failed. */
static struct db_campaign *
campaign_read(struct visit *v)
{
	struct db_campaign	*c;
	int			 rc;

	rc = db_campaign_get(&v->w->db, v->arg[0], &c);
	return portal_found(v, rc, c, "There is no such campaign.") ? c : NULL;
}

/* The tabs: [{name, label, leads, selected, url}]. */
static json_object *
state_tabs(const char *id, const char *state,
    const struct db_campaign_state *counts, size_t n)
{
	const struct portal_counts	 c = { counts, n, sizeof(*counts),
					    offsetof(struct db_campaign_state,
					    state), offsetof(struct
					    db_campaign_state, leads) };
	char				 base[160];

	snprintf(base, sizeof(base), "/campaigns/%s?state=", id);
	return portal_tabs_json(states, NSTATES, state, &c, "leads", base, "");
}

static json_object *
steps_json(const struct db_campaign_step *steps, size_t n)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *s = json_object_new_object();

		json_put_int(s, "position", steps[i].position);
		json_put_string(s, "body", steps[i].body);
		json_put_string(s, "delay_hours", steps[i].delay_hours);
		json_put_string(s, "json", steps[i].json);
		json_object_array_add(list, s);
	}
	return list;
}

static json_object *
lead_json(const struct db_campaign_lead *l)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", l->id);
	json_put_string(o, "name", l->name);
	json_put_string(o, "external_id", l->external_id);
	json_put_int(o, "position", l->position);
	json_put_int(o, "total", l->total);
	json_put_int(o, "received", l->received);
	json_put_string(o, "enrolled", l->enrolled);
	json_put_string(o, "completed", l->completed);
	json_put_string(o, "opted_out", l->opted_out);
	json_put_string(o, "state", l->state);
	json_object_object_add(o, "booked", json_object_new_boolean(l->booked));
	return o;
}

/* The chart of completions per day (the dashboard's chart) and their sum
 * into data; a db_status. The JSON copies the strings the chart points
 * to, so the rows are freed here. */
static int
chart_add(struct visit *v, const char *id, json_object *data)
{
	struct dashboard_chart	 chart;
	struct db_dash_daily	*rows;
	size_t			 n;
	long long		 total = 0;
	size_t			 d;
	int			 rc;

	if ((rc = db_campaign_completions(&v->w->db, id, &rows, &n)) != DB_OK)
		return rc;
	dashboard_chart(&chart, rows, n);
	for (d = 0; d < DASHBOARD_DAYS; d++)
		total += chart.days[d].total;
	json_object_object_add(data, "chart", portal_chart_json(&chart,
	    "completions", "Leads that completed the campaign per day"));
	json_put_int(data, "completions_14d", total);
	free(rows);
	return DB_OK;
}

/* Everything but the campaign itself into data; a db_status. */
static int
page_data(struct visit *v, const char *id, const char *state,
    const char *after, json_object *data)
{
	struct db_campaign_step		*steps = NULL;
	struct db_campaign_state	*counts = NULL;
	struct db_campaign_lead		*leads = NULL;
	json_object			*list;
	size_t				 nsteps, ncounts, n, i, shown;
	char				 url[256];
	int				 rc;

	if ((rc = db_campaign_steps(&v->w->db, id, &steps, &nsteps)) != DB_OK ||
	    (rc = db_campaign_state_counts(&v->w->db, id, &counts,
	    &ncounts)) != DB_OK ||
	    (rc = db_campaign_leads(&v->w->db, id, state, after,
	    CAMPAIGN_LEADS_PAGE + 1, &leads, &n)) != DB_OK ||
	    (rc = chart_add(v, id, data)) != DB_OK)
		goto out;
	json_object_object_add(data, "steps_list", steps_json(steps, nsteps));
	json_object_object_add(data, "has_steps",
	    json_object_new_boolean(nsteps > 0));
	json_object_object_add(data, "tabs",
	    state_tabs(id, state, counts, ncounts));
	shown = n > CAMPAIGN_LEADS_PAGE ? CAMPAIGN_LEADS_PAGE : n;
	list = json_object_new_array();
	for (i = 0; i < shown; i++)
		json_object_array_add(list, lead_json(&leads[i]));
	json_object_object_add(data, "leads", list);
	json_object_object_add(data, "has_leads",
	    json_object_new_boolean(shown > 0));
	if (n > CAMPAIGN_LEADS_PAGE) {
		snprintf(url, sizeof(url), "/campaigns/%s?state=%s&after=%s",
		    id, state, leads[shown - 1].id);
		json_put_string(data, "next_url", url);
	}
	if (after != NULL) {
		snprintf(url, sizeof(url), "/campaigns/%s?state=%s", id, state);
		json_put_string(data, "first_url", url);
	}
	snprintf(url, sizeof(url), "/campaigns/%s/leads.csv?state=%s", id,
	    state);
	json_put_string(data, "export_url", url);
	json_put_string(data, "state", state);
	for (i = 0; i < NSTATES; i++)
		if (strcmp(states[i].name, state) == 0)
			json_put_string(data, "state_label", states[i].label);
out:
	free(steps);
	free(counts);
	free(leads);
	return rc;
}

/* GET /campaigns/{uuid}: 200, 400 (a bad state or page), 404, 503. */
void
campaign_page(struct visit *v)
{
	const char		*state = state_read(v);
	const char		*after;
	struct db_campaign	*c;
	json_object		*data;
	int			 rc;

	if (state == NULL || !portal_query_marker(v, "after", &after,
	    "The page marker is not a lead id."))
		return;
	if ((c = campaign_read(v)) == NULL)
		return;
	data = portal_page_data(v);
	json_object_object_add(data, "campaign", campaign_json(c));
	free(c);
	if ((rc = page_data(v, v->arg[0], state, after, data)) != DB_OK) {
		json_object_put(data);
		portal_send_db_error(v, rc);
		return;
	}
	portal_send_page(v, 200, PORTAL_TEMPLATE_CAMPAIGN, data);
	json_object_put(data);
}

static const char leads_header[] = "lead_id,name,external_id,state,"
    "current_message_position,total_messages,messages_received,"
    "enrolled_at,completed_at,opted_out_at,booked\r\n";

static void
lead_csv(struct buf *out, const struct db_campaign_lead *l)
{
	csv_cell(out, l->id, true);
	csv_cell(out, l->name, false);
	csv_cell(out, l->external_id, false);
	csv_cell(out, l->state, false);
	portal_csv_int(out, l->position, false);
	portal_csv_int(out, l->total, false);
	portal_csv_int(out, l->received, false);
	csv_cell(out, l->enrolled, false);
	csv_cell(out, l->completed, false);
	csv_cell(out, l->opted_out, false);
	csv_cell(out, l->booked ? "true" : "false", false);
	csv_end_row(out);
}

/* Where the leads export is: the next batch starts after after. */
struct leads_export {
	const char	*id, *state;
	char		 after[37];	/* "": from the first */
};

static int
leads_read(struct visit *v, void *ctx, void **rows, size_t *n)
{
	struct leads_export *e = ctx;

	return db_campaign_leads(&v->w->db, e->id, e->state,
	    e->after[0] != '\0' ? e->after : NULL, EXPORT_BATCH,
	    (struct db_campaign_lead **)rows, n);
}

static void
leads_write(struct buf *out, const void *rows, size_t n, void *ctx)
{
	const struct db_campaign_lead	*l = rows;
	struct leads_export		*e = ctx;
	size_t				 i;

	for (i = 0; i < n; i++)
		lead_csv(out, &l[i]);
	if (n > 0)
		snprintf(e->after, sizeof(e->after), "%s", l[n - 1].id);
}

/* GET /campaigns/{uuid}/leads.csv: 200 text/csv (streamed a batch at a
 * time), 400 bad state, 404, 503 (before the first byte). */
void
campaign_leads_export(struct visit *v)
{
	const char			*state = state_read(v);
	struct db_campaign		*c;
	struct leads_export		 e = { v->arg[0], state, "" };
	char				 name[64];
	struct portal_csv_batches	 b = { name, leads_header,
					    "campaign leads", EXPORT_BATCH,
					    leads_read, leads_write, &e };

	if (state == NULL)
		return;
	if ((c = campaign_read(v)) == NULL)
		return;
	free(c);
	snprintf(name, sizeof(name), "campaign-%.8s-%s.csv", v->arg[0], state);
	portal_csv_batches(v, &b);
}
