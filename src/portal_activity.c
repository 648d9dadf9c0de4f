/*
 * portal_activity: every lead's events in one log (GET /activity), newest
 * arrival first, with the timeline's filters plus the client, keyset pages
 * both ways on the primary key (after=, before=, last=1: no OFFSET, no
 * count) and the same CSV export.
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

/* "/activity?filters[&extra]" into the page's data under key. */
static void
link(json_object *data, const char *key, const char *qs, const char *extra)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "/activity?%s%s%s", qs,
	    *qs != '\0' && extra != NULL ? "&" : "", extra ? extra : "");
	json_object_object_add(data, key, json_object_new_string(buf_str(&b)));
	buf_free(&b);
}

/*
 * The page of events the query asks for into data (events, has_events,
 * the paging links): no cursor is the newest page, after=ID the page
 * older than event ID, before=ID the page newer than it, last=1 the
 * oldest page. Returns a db_status, or 1 for a malformed cursor.
 */
static int
activity_events(struct visit *v, struct view_filters *vf, json_object *data,
    const char *qs)
{
	const char	*after = portal_query(v, "after");
	const char	*before = portal_query(v, "before");
	const char	*last = portal_query(v, "last");
	const char	*cursor = NULL;
	bool		 newer = false, has_older, has_newer;
	json_object	*events;
	PGresult	*res;
	char		 extra[48];
	int		 rc, n, i, shown;

	if (after != NULL && *after != '\0') {
		if (!lead_event_cursor_valid(after))
			return 1;
		cursor = after;
	} else if (before != NULL && *before != '\0') {
		if (!lead_event_cursor_valid(before))
			return 1;
		cursor = before;
		newer = true;
	} else if (last != NULL && strcmp(last, "1") == 0)
		newer = true;
	if ((rc = timeline_fetch(&v->w->db, &vf->f, cursor, newer,
	    VIEW_PAGE_ROWS + 1, &res)) != DB_OK)
		return rc;
	n = PQntuples(res);
	shown = n > VIEW_PAGE_ROWS ? VIEW_PAGE_ROWS : n;
	if (newer) {
		has_newer = n > VIEW_PAGE_ROWS;
		has_older = cursor != NULL;
	} else {
		has_older = n > VIEW_PAGE_ROWS;
		has_newer = cursor != NULL;
	}
	events = json_object_new_array();
	/* Always shown newest first: a newer page came oldest first. */
	for (i = 0; i < shown; i++)
		json_object_array_add(events, timeline_event_json(res,
		    newer ? shown - 1 - i : i));
	if (shown > 0) {
		const char *newest = PQgetvalue(res, newer ? shown - 1 : 0,
		    TL_ID);
		const char *oldest = PQgetvalue(res, newer ? 0 : shown - 1,
		    TL_ID);

		if (has_older) {
			snprintf(extra, sizeof(extra), "after=%s", oldest);
			link(data, "older_url", qs, extra);
		}
		if (has_newer) {
			snprintf(extra, sizeof(extra), "before=%s", newest);
			link(data, "newer_url", qs, extra);
		}
		link(data, "first_url", qs, NULL);
		link(data, "last_url", qs, "last=1");
	} else if (cursor != NULL)
		link(data, "first_url", qs, NULL);	/* a way back */
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
