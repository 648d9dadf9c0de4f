/*
 * portal_view: the filters the timeline and the activity page share —
 * read from the query string, checked, shown back with a message beside a
 * bad field — and the read they begin, in the viewer's time zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_leads.h"
#include "lead_filters.h"
#include "portal_leads.h"

static void
field_error(struct view_filters *vf, const char *field, const char *msg)
{
	json_object_object_add(vf->errors, field, json_object_new_string(msg));
}

/* The query field name, shown back as typed; NULL if absent or empty. */
static const char *
typed(struct visit *v, struct view_filters *vf, const char *name)
{
	const char *s = portal_query(v, name);

	if (s == NULL || *s == '\0')
		return NULL;
	json_object_object_add(vf->values, name, json_object_new_string(s));
	return s;
}

/* An event type's shape (event_types.name's CHECK). */
static bool
type_shape(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64 || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int
view_filters_read(struct visit *v, struct view_filters *vf, bool with_client)
{
	const char	*s;
	char		 cookie[VIEW_TZ_LEN + 1];

	memset(vf, 0, sizeof(*vf));
	vf->values = json_object_new_object();
	vf->errors = json_object_new_object();

	if ((s = typed(v, vf, "type")) != NULL) {
		if (type_shape(s))
			vf->f.type = s;
		else
			field_error(vf, "type", "Not an event type.");
	}
	if ((s = typed(v, vf, "channel")) != NULL) {
		if (strlen(s) <= 64)
			vf->f.channel = s;
		else
			field_error(vf, "channel", "A channel is at most 64 "
			    "characters.");
	}
	if ((s = typed(v, vf, "from")) != NULL) {
		if (lead_date_valid(s))
			vf->f.from = s;
		else
			field_error(vf, "from", "Write the date as YYYY-MM-DD.");
	}
	if ((s = typed(v, vf, "to")) != NULL) {
		if (!lead_date_valid(s))
			field_error(vf, "to", "Write the date as YYYY-MM-DD.");
		else if (vf->f.from != NULL && strcmp(s, vf->f.from) < 0)
			field_error(vf, "to", "The end is before the start.");
		else
			vf->f.to = s;
	}
	if (with_client && (s = typed(v, vf, "client")) != NULL)
		vf->f.client = s;

	snprintf(vf->tz, sizeof(vf->tz), "UTC");
	if ((s = typed(v, vf, "tz")) != NULL) {
		if (lead_tz_valid(s)) {
			snprintf(vf->tz, sizeof(vf->tz), "%s", s);
			vf->tz_from_query = true;
		} else
			field_error(vf, "tz", "Not a time zone name (such as "
			    "Europe/Berlin).");
	} else if (session_cookie_get(v->req->cookie, VIEW_TZ_COOKIE, cookie,
	    sizeof(cookie)) == 0 && lead_tz_valid(cookie))
		snprintf(vf->tz, sizeof(vf->tz), "%s", cookie);
	if (json_object_object_get(vf->values, "tz") == NULL)
		json_object_object_add(vf->values, "tz",
		    json_object_new_string(vf->tz));
	return json_object_object_length(vf->errors);
}

void
view_filters_free(struct view_filters *vf)
{
	json_object_put(vf->values);
	json_object_put(vf->errors);
	vf->values = vf->errors = NULL;
}

void
view_filters_qs(const struct view_filters *vf, struct buf *b)
{
	lead_qs_add(b, "client", vf->f.client);
	lead_qs_add(b, "type", vf->f.type);
	lead_qs_add(b, "channel", vf->f.channel);
	lead_qs_add(b, "from", vf->f.from);
	lead_qs_add(b, "to", vf->f.to);
	lead_qs_add(b, "tz", vf->tz);
}

int
view_begin(struct visit *v, struct view_filters *vf)
{
	int rc = db_timeline_begin(&v->w->db, vf->tz);

	if (rc == DB_BAD_INPUT) {
		field_error(vf, "tz", "PostgreSQL does not know this time "
		    "zone.");
		snprintf(vf->tz, sizeof(vf->tz), "UTC");
		vf->tz_from_query = false;
		rc = db_timeline_begin(&v->w->db, vf->tz);
	}
	if (rc == DB_OK && vf->tz_from_query)
		portal_set_cookie(v, VIEW_TZ_COOKIE, vf->tz, VIEW_TZ_MAX_AGE);
	return rc;
}

int
view_add_types(struct visit *v, json_object *data, const char *selected)
{
	struct db_event_type_row	*rows;
	json_object			*types;
	size_t				 n, i;
	int				 rc;

	if ((rc = db_event_type_list(&v->w->db, &rows, &n)) != DB_OK)
		return rc;
	types = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object	*t = json_object_new_object();
		const char	*name = rows[i].name;

		json_object_object_add(t, "name", json_object_new_string(name));
		json_object_object_add(t, "selected", json_object_new_boolean(
		    selected != NULL && strcmp(selected, name) == 0));
		json_object_array_add(types, t);
	}
	free(rows);
	json_object_object_add(data, "types", types);
	return DB_OK;
}

void
view_link(json_object *data, const char *key, const char *path,
    const char *qs, const char *extra)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s?%s%s%s", path, qs,
	    *qs != '\0' && extra != NULL ? "&" : "", extra ? extra : "");
	json_object_object_add(data, key, json_object_new_string(buf_str(&b)));
	buf_free(&b);
}

int
view_events_page(struct visit *v, struct view_filters *vf, json_object *data,
    const char *path, const char *qs)
{
	const char	*after = portal_query(v, "after");
	const char	*before = portal_query(v, "before");
	const char	*last = portal_query(v, "last");
	const char	*cursor = NULL;
	bool		 newer = false, has_older, has_newer;
	struct db_event	*rows;
	json_object	*events;
	char		 extra[48];
	size_t		 n, i, shown;
	int		 rc;

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
	if ((rc = db_timeline_fetch(&v->w->db, &vf->f, cursor, newer,
	    VIEW_PAGE_ROWS + 1, &rows, &n)) != DB_OK)
		return rc;
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
		json_object_array_add(events, timeline_event_json(
		    &rows[newer ? shown - 1 - i : i]));
	if (shown > 0) {
		const char *newest = rows[newer ? shown - 1 : 0].id;
		const char *oldest = rows[newer ? 0 : shown - 1].id;

		if (has_older) {
			snprintf(extra, sizeof(extra), "after=%s", oldest);
			view_link(data, "older_url", path, qs, extra);
		}
		if (has_newer) {
			snprintf(extra, sizeof(extra), "before=%s", newest);
			view_link(data, "newer_url", path, qs, extra);
		}
		view_link(data, "first_url", path, qs, NULL);
		view_link(data, "last_url", path, qs, "last=1");
	} else if (cursor != NULL)
		view_link(data, "first_url", path, qs, NULL);	/* a way back */
	free(rows);
	json_object_object_add(data, "events", events);
	json_object_object_add(data, "has_events",
	    json_object_new_boolean(shown > 0));
	return DB_OK;
}
