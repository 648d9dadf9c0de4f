/*
 * portal_dashboard: the front page — the health figures and red flags,
 * events per day as an SVG chart, the SOP's weekly table. The figures and
 * the chart's geometry come typed from dashboard_read (src/domain); this
 * file only turns them into the template's data.
 *
 *   GET /   200; 503 when the database cannot be reached (or the health
 *           figures cannot be read), 500 when its tables cannot be read
 */
#include <stdio.h>

#include "dashboard.h"
#include "portal_dashboard.h"


/* How long the oldest queued event has waited, for people: "3 h 12 min";
 * NULL (nothing waits) without an age. */
static json_object *
waited(const struct health_report *h)
{
	char		 text[48];
	long long	 s = h->oldest_retry_age_seconds;

	if (!h->has_oldest_retry_age)
		return NULL;
	if (s < 60)
		snprintf(text, sizeof(text), "%lld s", s);
	else if (s < 3600)
		snprintf(text, sizeof(text), "%lld min", s / 60);
	else if (s < 86400)
		snprintf(text, sizeof(text), "%lld h %lld min", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(text, sizeof(text), "%lld d %lld h", s / 86400,
		    s % 86400 / 3600);
	return json_object_new_string(text);
}

/* The SOP's weekly table: type, count, most recent. */
static json_object *
weekly_json(const struct dashboard_data *d)
{
	json_object	*table = json_object_new_array();
	char		 count[24];
	size_t		 i;

	for (i = 0; i < d->nweekly; i++) {
		json_object *r = json_object_new_object();

		snprintf(count, sizeof(count), "%lld", d->weekly[i].events);
		json_object_object_add(r, "event_type",
		    json_object_new_string(d->weekly[i].event_type));
		json_object_object_add(r, "count",
		    json_object_new_string(count));
		json_object_object_add(r, "most_recent",
		    json_object_new_string(d->weekly[i].most_recent));
		json_object_array_add(table, r);
	}
	return table;
}

/* A day's stacked bar: where each part goes, and what it counts. */
static json_object *
day_json(const struct dashboard_chart *d, const struct dashboard_day *dd)
{
	json_object	*day = json_object_new_object();
	json_object	*bars = json_object_new_array();
	size_t		 b;

	for (b = 0; b < dd->nbars; b++) {
		const struct dashboard_bar *p = &dd->bars[b];
		json_object *bar = json_object_new_object();

		json_object_object_add(bar, "y", json_object_new_int(p->y));
		json_object_object_add(bar, "height",
		    json_object_new_int(p->height));
		json_object_object_add(bar, "type_class",
		    json_object_new_int(p->type));
		json_object_object_add(bar, "title",
		    json_object_new_string(d->types[p->type]));
		json_object_object_add(bar, "count",
		    json_object_new_int64(p->count));
		json_object_array_add(bars, bar);
	}
	json_object_object_add(day, "x", json_object_new_int(dd->x));
	json_object_object_add(day, "label",
	    json_object_new_string(dd->date + 5));	/* MM-DD */
	json_object_object_add(day, "date", json_object_new_string(dd->date));
	json_object_object_add(day, "total", json_object_new_int64(dd->total));
	json_object_object_add(day, "bars", bars);
	return day;
}

json_object *
portal_chart_json(const struct dashboard_chart *d, const char *unit,
    const char *what)
{
	json_object	*out = json_object_new_object();
	json_object	*days = json_object_new_array();
	json_object	*legend = json_object_new_array();
	size_t		 i;

	for (i = 0; i < DASHBOARD_DAYS; i++)
		json_object_array_add(days, day_json(d, &d->days[i]));
	for (i = 0; i < d->ntypes; i++) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "type", json_object_new_string(
		    d->other_types && i == DASHBOARD_TYPES - 1 ?
		    "other types" : d->types[i]));
		json_object_object_add(l, "type_class",
		    json_object_new_int((int)i));
		json_object_array_add(legend, l);
	}
	json_object_object_add(out, "days", days);
	json_object_object_add(out, "legend", legend);
	json_object_object_add(out, "max", json_object_new_int64(d->max));
	json_object_object_add(out, "width",
	    json_object_new_int(DASHBOARD_CHART_WIDTH));
	json_object_object_add(out, "height",
	    json_object_new_int(DASHBOARD_CHART_HEIGHT));
	json_object_object_add(out, "bar_width",
	    json_object_new_int(DASHBOARD_CHART_BAR));
	json_object_object_add(out, "unit", json_object_new_string(unit));
	json_object_object_add(out, "what", json_object_new_string(what));
	return out;
}

/* GET /: the dashboard; 503 without a database, 500. */
void
dashboard_page(struct visit *v)
{
	struct dashboard_data	 d;
	json_object		*data;

	switch (dashboard_read(&v->w->db, &d)) {
	case DASHBOARD_OK:
		break;
	case DASHBOARD_NO_HEALTH:
		dashboard_free(&d);
		portal_send_error(v, 503, "The portal cannot reach its "
		    "database. Try again soon.");
		return;
	case DASHBOARD_DB_FAILED:
		if (d.db_rc == DB_UNAVAILABLE)
			portal_send_error(v, 503, "The portal cannot reach "
			    "its database. Try again soon.");
		else
			portal_send_error(v, 500, "The dashboard could not be "
			    "loaded.");
		dashboard_free(&d);
		return;
	}
	data = portal_page_data(v);
	json_object_object_add(data, "retry_oldest", waited(&d.health));
	json_object_object_add(data, "health", health_report_json(&d.health));
	json_object_object_add(data, "healthy", json_object_new_boolean(
	    d.health.status == HEALTH_HEALTHY));
	json_object_object_add(data, "has_weekly",
	    json_object_new_boolean(d.nweekly > 0));
	json_object_object_add(data, "weekly", weekly_json(&d));
	json_object_object_add(data, "chart", portal_chart_json(&d.chart,
	    "events", "Events per day and type"));
	dashboard_free(&d);
	portal_send_page(v, 200, PORTAL_TEMPLATE_DASHBOARD, data);
	json_object_put(data);
}
