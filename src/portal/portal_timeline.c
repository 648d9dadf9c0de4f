/*
 * portal_timeline: a lead's page — its header, its timeline newest first
 * with filters and keyset pages both ways, the export link and (for
 * admins) the actions — and the timeline's CSV export.
 *
 * Pages: no cursor is the newest page; after=ID the page older than event
 * ID; before=ID the page newer than it; last=1 the oldest page, which is
 * the index read backwards (as fast as the first, however long the
 * timeline).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_leads.h"
#include "json_put.h"
#include "lead_filters.h"
#include "log.h"
#include "portal_leads.h"
#include "portal_nurture_campaigns.h"

#include <sodium.h>

/* The lead's header; NULL (and *rc DB_OK) if there is no such lead. */
static json_object *
lead_header(struct visit *v, int *rc)
{
	struct db_lead	*l;
	json_object	*lead;

	if ((*rc = db_lead_get(&v->w->db, v->arg[0], &l)) != 1) {
		if (*rc == 0)
			*rc = DB_OK;
		return NULL;
	}
	*rc = DB_OK;
	lead = json_object_new_object();
	json_put_string(lead, "id", l->id);
	json_put_string(lead, "name", l->name);
	json_put_string(lead, "email", l->email);
	json_put_string(lead, "phone", l->phone);
	json_put_string(lead, "external_id", l->external_id);
	json_put_string(lead, "status", l->status);
	json_put_string(lead, "client", l->client);
	json_put_string(lead, "created", l->created);
	json_object_object_add(lead, "is_test",
	    json_object_new_boolean(l->is_test));
	free(l);
	return lead;
}

/* The actions' menus and the form nonce (lead_actions.mustache). */
static void
actions_data(json_object *data, const char *status)
{
	unsigned char	 raw[24];
	char		 nonce[sodium_base64_ENCODED_LEN(24,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	json_object	*statuses = json_object_new_array();
	size_t		 i;

	for (i = 0; lead_statuses[i] != NULL; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "name",
		    json_object_new_string(lead_statuses[i]));
		json_object_object_add(s, "selected", json_object_new_boolean(
		    status != NULL && strcmp(status, lead_statuses[i]) == 0));
		json_object_array_add(statuses, s);
	}
	json_object_object_add(data, "statuses", statuses);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(nonce, sizeof(nonce), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_object_add(data, "nonce", json_object_new_string(nonce));
}

void
lead_page(struct visit *v, int status, json_object *extra)
{
	struct view_filters	 vf;
	struct buf		 qs = BUF_INIT;
	json_object		*data = NULL, *lead;
	char			 path[PORTAL_ARG_MAX + 32];	/* /leads/ID/export.csv */
	int			 rc, bad;

	bad = view_filters_read(v, &vf, false);
	if ((rc = view_begin(v, &vf)) != DB_OK) {
		portal_send_db_error(v, rc);
		goto out;
	}
	if ((lead = lead_header(v, &rc)) == NULL) {
		db_rollback(&v->w->db);
		if (rc == DB_OK)
			portal_send_error(v, 404, "There is no such lead.");
		else
			portal_send_db_error(v, rc);
		goto out;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "lead", lead);
	if (json_object_object_length(vf.errors) > bad)
		bad = json_object_object_length(vf.errors);	/* the zone */
	view_filters_qs(&vf, &qs);
	snprintf(path, sizeof(path), "/leads/%s", v->arg[0]);
	vf.f.lead_id = v->arg[0];
	if (bad == 0 && (rc = view_events_page(v, &vf, data, path,
	    buf_str(&qs))) != 0) {
		db_rollback(&v->w->db);
		if (rc == 1)
			portal_send_error(v, 400, "The page's position in the "
			    "timeline is malformed. Start again from the "
			    "newest events.");
		else
			portal_send_db_error(v, rc);
		goto out;
	}
	if ((rc = view_add_types(v, data, vf.f.type)) != DB_OK ||
	    (rc = lead_campaign_add(v, data)) != DB_OK ||
	    (rc = lead_nurture_add(v, data)) != DB_OK) {
		db_rollback(&v->w->db);
		portal_send_db_error(v, rc);
		goto out;
	}
	db_timeline_end(&v->w->db);
	strncat(path, "/export.csv", sizeof(path) - strlen(path) - 1);
	view_link(data, "export_url", path, buf_str(&qs), NULL);
	json_object_object_add(data, "filters", json_object_get(vf.values));
	json_object_object_add(data, "errors", json_object_get(vf.errors));
	json_object_object_add(data, "tz", json_object_new_string(vf.tz));
	actions_data(data, json_object_get_string(
	    json_object_object_get(lead, "status")));
	if (extra != NULL) {
		json_object_object_foreach(extra, key, val)
			json_object_object_add(data, key, json_object_get(val));
	}
	if (bad > 0 && status == 200)
		status = 400;
	portal_send_page(v, status, PORTAL_TEMPLATE_LEAD, data);
out:
	json_object_put(data);
	buf_free(&qs);
	view_filters_free(&vf);
}

/* GET /leads/{uuid}: 200, 400 (a bad filter), 404, 503. */
void
timeline_page(struct visit *v)
{
	lead_page(v, 200, NULL);
}

/* GET /leads/{uuid}/export.csv: 200 (streamed), 400, 404, 503. */
void
timeline_export(struct visit *v)
{
	struct view_filters	 vf;
	struct db_lead		*lead;
	char			 name[PORTAL_ARG_MAX + 16];
	int			 rc;

	if (view_filters_read(v, &vf, false) > 0) {
		portal_send_error(v, 400, "A filter of the export is not "
		    "valid. Open the lead's page to correct it.");
		goto out;
	}
	if ((rc = db_lead_get(&v->w->db, v->arg[0], &lead)) < 0) {
		portal_send_db_error(v, rc);
		goto out;
	}
	free(lead);
	if (rc == 0) {
		portal_send_error(v, 404, "There is no such lead.");
		goto out;
	}
	vf.f.lead_id = v->arg[0];
	snprintf(name, sizeof(name), "lead-%s.csv", v->arg[0]);
	portal_export_csv(v, &vf, name);
out:
	view_filters_free(&vf);
}
