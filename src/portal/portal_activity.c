/*
 * portal_activity: every lead's events in one log (GET /activity), newest
 * arrival first, with the timeline's filters plus the client, keyset pages
 * both ways on the primary key (after=, before=, last=1: no OFFSET, no
 * count) and the same CSV export.
 */
#include <stdlib.h>
#include <string.h>

#include "db_apikey.h"
#include "lead_filters.h"
#include "portal_leads.h"

static void
clients_menu(json_object *data, const struct db_client_row *rows, size_t n,
    const char *selected)
{
	json_object	*clients = json_object_new_array();
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "slug",
		    json_object_new_string(rows[i].slug));
		json_object_object_add(c, "selected", json_object_new_boolean(
		    selected != NULL && strcmp(selected, rows[i].slug) == 0));
		json_object_array_add(clients, c);
	}
	json_object_object_add(data, "clients", clients);
}

/* GET /activity: 200, 400 (a bad filter, shown beside it), 503. */
void
activity_page(struct visit *v)
{
	struct view_filters	 vf;
	struct buf		 qs = BUF_INIT;
	struct db_client_row	*clients = NULL;
	json_object		*data = portal_page_data(v);
	size_t			 nclients;
	int			 rc;

	(void)view_filters_read(v, &vf, true);
	if ((rc = view_begin(v, &vf)) != DB_OK) {
		portal_send_db_error(v, rc);
		goto out;
	}
	view_filters_qs(&vf, &qs);
	if (json_object_object_length(vf.errors) == 0 &&
	    (rc = view_events_page(v, &vf, data, "/activity",
	    buf_str(&qs))) != DB_OK) {
		db_rollback(&v->w->db);
		if (rc == 1)
			portal_send_error(v, 400, "The page's position in the "
			    "log is malformed. Start again from the newest "
			    "events.");
		else
			portal_send_db_error(v, rc);
		goto out;
	}
	if ((rc = view_add_types(v, data, vf.f.type)) != DB_OK ||
	    (rc = db_client_list(&v->w->db, &clients, &nclients)) != DB_OK) {
		db_rollback(&v->w->db);
		portal_send_db_error(v, rc);
		goto out;
	}
	db_timeline_end(&v->w->db);
	clients_menu(data, clients, nclients, vf.f.client);
	view_link(data, "export_url", "/activity/export.csv", buf_str(&qs),
	    NULL);
	json_object_object_add(data, "filters", json_object_get(vf.values));
	json_object_object_add(data, "errors", json_object_get(vf.errors));
	json_object_object_add(data, "tz", json_object_new_string(vf.tz));
	portal_send_page(v, json_object_object_length(vf.errors) > 0 ? 400 :
	    200, PORTAL_TEMPLATE_ACTIVITY, data);
out:
	free(clients);
	json_object_put(data);
	buf_free(&qs);
	view_filters_free(&vf);
}

/* GET /activity/export.csv: 200 (streamed), 400, 503. */
void
activity_export(struct visit *v)
{
	struct view_filters vf;

	if (view_filters_read(v, &vf, true) > 0)
		portal_send_error(v, 400, "A filter of the export is not "
		    "valid. Open the activity page to correct it.");
	else
		portal_export_csv(v, &vf, "activity.csv");
	view_filters_free(&vf);
}
