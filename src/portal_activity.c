/*
 * portal_activity: every lead's events in one log (GET /activity), newest
 * arrival first, with the timeline's filters plus the client, keyset pages
 * (after=the last event shown) and the same CSV export.
 */
#include <stdio.h>
#include <string.h>

#include "lead_filters.h"
#include "portal_leads.h"

static void
clients_menu(json_object *data, PGresult *res, const char *selected)
{
	json_object	*clients = json_object_new_array();
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "slug",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(c, "selected", json_object_new_boolean(
		    selected != NULL && strcmp(selected,
		    PQgetvalue(res, i, 1)) == 0));
		json_object_array_add(clients, c);
	}
	json_object_object_add(data, "clients", clients);
}

/* The page of events into data; a db_status, or 1 for a bad cursor. */
static int
activity_events(struct visit *v, struct view_filters *vf, json_object *data,
    const char *qs)
{
	const char	*after = portal_query(v, "after");
	json_object	*events = json_object_new_array();
	PGresult	*res;
	int		 rc, n, i, shown;

	if (after != NULL && *after == '\0')
		after = NULL;
	if (after != NULL && !lead_event_cursor_valid(after)) {
		json_object_put(events);
		return 1;
	}
	if ((rc = timeline_fetch(&v->w->db, &vf->f, after, false,
	    VIEW_PAGE_ROWS + 1, &res)) != DB_OK) {
		json_object_put(events);
		return rc;
	}
	n = PQntuples(res);
	shown = n > VIEW_PAGE_ROWS ? VIEW_PAGE_ROWS : n;
	for (i = 0; i < shown; i++)
		json_object_array_add(events, timeline_event_json(res, i));
	if (n > VIEW_PAGE_ROWS) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "/activity?%s%safter=%s", qs, *qs ? "&" : "",
		    PQgetvalue(res, shown - 1, TL_ID));
		json_object_object_add(data, "older_url",
		    json_object_new_string(buf_str(&b)));
		buf_free(&b);
	}
	if (after != NULL) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "/activity?%s", qs);
		json_object_object_add(data, "first_url",
		    json_object_new_string(buf_str(&b)));
		buf_free(&b);
	}
	PQclear(res);
	json_object_object_add(data, "events", events);
	json_object_object_add(data, "has_events",
	    json_object_new_boolean(shown > 0));
	return DB_OK;
}

/* GET /activity: 200, 400 (a bad filter, shown beside it), 503. */
void
activity_page(struct visit *v)
{
	struct view_filters	 vf;
	struct buf		 qs = BUF_INIT;
	json_object		*data = portal_page_data(v);
	PGresult		*res = NULL;
	int			 rc;

	(void)view_filters_read(v, &vf, true);
	if ((rc = view_begin(v, &vf)) != DB_OK) {
		portal_send_db_error(v, rc);
		goto out;
	}
	view_filters_qs(&vf, &qs);
	if (json_object_object_length(vf.errors) == 0 &&
	    (rc = activity_events(v, &vf, data, buf_str(&qs))) != DB_OK) {
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
	    (rc = db_exec(&v->w->db, STMT_CLIENTS_ALL, NULL, &res)) != DB_OK) {
		db_rollback(&v->w->db);
		portal_send_db_error(v, rc);
		goto out;
	}
	timeline_end(&v->w->db);
	clients_menu(data, res, vf.f.client);
	{
		struct buf b = BUF_INIT;

		buf_printf(&b, "/activity/export.csv?%s", buf_str(&qs));
		json_object_object_add(data, "export_url",
		    json_object_new_string(buf_str(&b)));
		buf_free(&b);
	}
	json_object_object_add(data, "filters", json_object_get(vf.values));
	json_object_object_add(data, "errors", json_object_get(vf.errors));
	json_object_object_add(data, "tz", json_object_new_string(vf.tz));
	portal_send_page(v, json_object_object_length(vf.errors) > 0 ? 400 :
	    200, "activity", data);
out:
	PQclear(res);
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
