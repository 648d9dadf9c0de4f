/*
 * portal_lead_campaign: a lead's campaign section on its page — the
 * campaign it is on (a link), its position of the campaign's messages,
 * the messages it received, whether it is active, completed or opted
 * out, its finished journeys (campaign_history), and for admins the
 * menu of its client's active campaigns to enrol it in or move it to
 * (templates/lead_campaign.mustache). The actions themselves are in
 * portal_lead_actions.c.
 */
#include <stdlib.h>
#include <string.h>

#include "db_campaign_pages.h"
#include "json_put.h"
#include "portal_leads.h"

/* What the page calls the lead's state in its campaign. */
static const char *
state_name(const struct db_lead_campaign *c)
{
	if (c->opted_out)
		return "opted out";
	if (c->campaign_id == NULL)
		return "not on a campaign";
	if (c->completed)
		return "completed";
	if (c->is_active && c->position >= c->total)
		return "finished, waiting for de-enrollment";
	return c->is_active ? "active" : "inactive";
}

static json_object *
place_json(const struct db_lead_campaign *c)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "campaign_id", c->campaign_id);
	json_put_string(o, "campaign", c->campaign);
	json_put_int(o, "position", c->position);
	json_put_int(o, "total", c->total);
	json_put_int(o, "received", c->received);
	json_put_string(o, "state", state_name(c));
	json_put_string(o, "enrolled_at", c->enrolled_at);
	json_put_string(o, "completed_at", c->completed_at);
	json_put_string(o, "opted_out_at", c->opted_out_at);
	json_object_object_add(o, "booked", json_object_new_boolean(c->booked));
	json_object_object_add(o, "opted_out",
	    json_object_new_boolean(c->opted_out));
	json_object_object_add(o, "on", json_object_new_boolean(
	    c->campaign_id != NULL && c->is_active && !c->completed));
	return o;
}

static json_object *
journeys_json(const struct db_journey *j, size_t n)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_put_string(o, "campaign_id", j[i].campaign_id);
		json_put_string(o, "campaign", j[i].campaign);
		json_put_string(o, "enrolled", j[i].enrolled);
		json_put_string(o, "ended", j[i].ended);
		json_put_string(o, "outcome", j[i].outcome);
		json_put_string(o, "received", j[i].received);
		json_put_string(o, "total", j[i].total);
		json_object_array_add(list, o);
	}
	return list;
}

/* The enrol menu: the client's active campaigns but the one it is on. */
static json_object *
choices_json(const struct db_campaign_choice *c, size_t n,
    const char *current, size_t *shown)
{
	json_object	*list = json_object_new_array();
	size_t		 i;

	*shown = 0;
	for (i = 0; i < n; i++) {
		json_object *o;

		if (current != NULL && strcmp(current, c[i].id) == 0)
			continue;
		o = json_object_new_object();
		json_put_string(o, "id", c[i].id);
		json_put_string(o, "name", c[i].name);
		json_object_array_add(list, o);
		(*shown)++;
	}
	return list;
}

int
lead_campaign_add(struct visit *v, json_object *data)
{
	struct db_lead_campaign		*place = NULL;
	struct db_journey		*journeys = NULL;
	struct db_campaign_choice	*choices = NULL;
	json_object			*p;
	size_t				 nj, nc, shown;
	int				 rc;

	if ((rc = db_lead_campaign(&v->w->db, v->arg[0], &place)) != DB_OK ||
	    place == NULL ||
	    (rc = db_lead_journeys(&v->w->db, v->arg[0], &journeys, &nj)) !=
	    DB_OK ||
	    (rc = db_lead_client_campaigns(&v->w->db, v->arg[0], &choices,
	    &nc)) != DB_OK)
		goto out;
	p = place_json(place);
	json_object_object_add(data, "place", p);
	json_object_object_add(data, "journeys", journeys_json(journeys, nj));
	json_object_object_add(data, "has_journeys",
	    json_object_new_boolean(nj > 0));
	json_object_object_add(data, "campaign_choices", choices_json(choices,
	    nc, json_object_get_boolean(json_object_object_get(p, "on")) ?
	    place->campaign_id : NULL, &shown));
	json_object_object_add(data, "has_campaign_choices",
	    json_object_new_boolean(shown > 0));
out:
	free(place);
	free(journeys);
	free(choices);
	return rc;
}
