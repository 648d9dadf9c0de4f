/* dashboard: the front page's figures and chart (see dashboard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"
#include "db_dashboard.h"
#include "health.h"

#define CHART_DAYS	14
#define CHART_TYPES	10	/* colours; more types share the last */
#define CHART_HEIGHT	160
#define CHART_BAR	36
#define CHART_STEP	48

/* The SOP's weekly table: type, count, most recent. */
static json_object *
weekly(struct db *db, int *rc)
{
	struct db_dash_weekly *rows;
	json_object	*table;
	char		 count[24];
	size_t		 n, i;

	if ((*rc = db_dashboard_weekly(db, &rows, &n)) != DB_OK)
		return NULL;
	table = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = json_object_new_object();

		snprintf(count, sizeof(count), "%lld", rows[i].events);
		json_object_object_add(r, "event_type",
		    json_object_new_string(rows[i].event_type));
		json_object_object_add(r, "count",
		    json_object_new_string(count));
		json_object_object_add(r, "most_recent",
		    json_object_new_string(rows[i].most_recent));
		json_object_array_add(table, r);
	}
	free(rows);
	return table;
}

/* The chart's figures: a count per day and type. */
struct chart_counts {
	const char	*types[CHART_TYPES];	/* point into the rows */
	int		 ntypes;
	char		 label[CHART_DAYS][11];	/* YYYY-MM-DD */
	long long	 counts[CHART_DAYS][CHART_TYPES];
	long long	 max;			/* the highest day, at least 1 */
};

/* Index of type in types[], added if new (up to CHART_TYPES - 1). */
static int
type_index(const char **types, int *ntypes, const char *type)
{
	int i;

	for (i = 0; i < *ntypes; i++)
		if (strcmp(types[i], type) == 0)
			return i;
	if (*ntypes == CHART_TYPES)
		return CHART_TYPES - 1;
	types[*ntypes] = type;
	return (*ntypes)++;
}

/* Sum rows into the last 14 days (today last), by type. */
static void
chart_count(struct chart_counts *c, const struct db_dash_daily *rows,
    size_t n)
{
	time_t		 now = time(NULL);
	struct tm	 tm;
	long long	 total;
	size_t		 i;
	int		 d, t;

	memset(c, 0, sizeof(*c));
	c->max = 1;
	for (d = 0; d < CHART_DAYS; d++) {
		time_t day = now - (time_t)(CHART_DAYS - 1 - d) * 86400;

		gmtime_r(&day, &tm);
		strftime(c->label[d], sizeof(c->label[d]), "%Y-%m-%d", &tm);
	}
	for (i = 0; i < n; i++)
		for (d = 0; d < CHART_DAYS; d++)
			if (strcmp(c->label[d], rows[i].day) == 0)
				c->counts[d][type_index(c->types, &c->ntypes,
				    rows[i].event_type)] += rows[i].events;
	for (d = 0; d < CHART_DAYS; d++) {
		for (total = 0, t = 0; t < c->ntypes; t++)
			total += c->counts[d][t];
		if (total > c->max)
			c->max = total;
	}
}

/* Day d as a stacked bar: x, y and height of each part. */
static json_object *
chart_day(const struct chart_counts *c, int d)
{
	json_object	*day = json_object_new_object();
	json_object	*bars = json_object_new_array();
	long long	 total = 0;
	int		 t, y = CHART_HEIGHT;

	for (t = 0; t < c->ntypes; t++) {
		json_object	*bar;
		int		 h = (int)(c->counts[d][t] * CHART_HEIGHT /
				    c->max);

		total += c->counts[d][t];
		if (c->counts[d][t] == 0)
			continue;
		if (h < 1)
			h = 1;
		y -= h;
		bar = json_object_new_object();
		json_object_object_add(bar, "y", json_object_new_int(y));
		json_object_object_add(bar, "height", json_object_new_int(h));
		json_object_object_add(bar, "type_class",
		    json_object_new_int(t));
		json_object_object_add(bar, "title",
		    json_object_new_string(c->types[t]));
		json_object_object_add(bar, "count",
		    json_object_new_int64(c->counts[d][t]));
		json_object_array_add(bars, bar);
	}
	json_object_object_add(day, "x", json_object_new_int(d * CHART_STEP));
	json_object_object_add(day, "label",
	    json_object_new_string(c->label[d] + 5));
	json_object_object_add(day, "date", json_object_new_string(c->label[d]));
	json_object_object_add(day, "total", json_object_new_int64(total));
	json_object_object_add(day, "bars", bars);
	return day;
}

/* The 14 days as stacked bars, and a legend. */
static json_object *
chart(struct db *db, int *rc)
{
	struct db_dash_daily *rows;
	struct chart_counts c;
	json_object	*out, *days, *legend;
	size_t		 n;
	int		 d, t;

	if ((*rc = db_dashboard_daily(db, &rows, &n)) != DB_OK)
		return NULL;
	chart_count(&c, rows, n);
	days = json_object_new_array();
	for (d = 0; d < CHART_DAYS; d++)
		json_object_array_add(days, chart_day(&c, d));
	legend = json_object_new_array();
	for (t = 0; t < c.ntypes; t++) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "type", json_object_new_string(
		    t == CHART_TYPES - 1 && c.ntypes == CHART_TYPES ?
		    "other types" : c.types[t]));
		json_object_object_add(l, "type_class", json_object_new_int(t));
		json_object_array_add(legend, l);
	}
	free(rows);

	out = json_object_new_object();
	json_object_object_add(out, "days", days);
	json_object_object_add(out, "legend", legend);
	json_object_object_add(out, "max", json_object_new_int64(c.max));
	json_object_object_add(out, "width",
	    json_object_new_int(CHART_DAYS * CHART_STEP));
	json_object_object_add(out, "height",
	    json_object_new_int(CHART_HEIGHT));
	json_object_object_add(out, "bar_width", json_object_new_int(CHART_BAR));
	return out;
}

/* How long the oldest queued event has waited, for people: "3 h 12 min";
 * NULL (nothing waits) if the health figures have no age. */
static json_object *
waited(json_object *health)
{
	json_object	*age = json_object_object_get(health,
			    "oldest_retry_age_seconds");
	char		 text[48];
	int64_t		 s;

	if (age == NULL)
		return NULL;
	s = json_object_get_int64(age);
	if (s < 60)
		snprintf(text, sizeof(text), "%lld s", (long long)s);
	else if (s < 3600)
		snprintf(text, sizeof(text), "%lld min", (long long)(s / 60));
	else if (s < 86400)
		snprintf(text, sizeof(text), "%lld h %lld min",
		    (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(text, sizeof(text), "%lld d %lld h",
		    (long long)(s / 86400), (long long)(s % 86400 / 3600));
	return json_object_new_string(text);
}

json_object *
dashboard_data(struct db *db, int *status)
{
	json_object	*data, *health, *table, *graph;
	int		 rc;

	health = health_activity(db, status);
	if (*status != 200) {
		json_object_put(health);
		return NULL;
	}
	if ((table = weekly(db, &rc)) == NULL ||
	    (graph = chart(db, &rc)) == NULL) {
		json_object_put(health);
		json_object_put(table);
		*status = rc == DB_UNAVAILABLE ? 503 : 500;
		return NULL;
	}
	data = json_object_new_object();
	json_object_object_add(data, "retry_oldest", waited(health));
	json_object_object_add(data, "health", health);
	json_object_object_add(data, "healthy", json_object_new_boolean(
	    strcmp(json_object_get_string(json_object_object_get(health,
	    "status")), "healthy") == 0));
	json_object_object_add(data, "has_weekly", json_object_new_boolean(
	    json_object_array_length(table) > 0));
	json_object_object_add(data, "weekly", table);
	json_object_object_add(data, "chart", graph);
	return data;
}
