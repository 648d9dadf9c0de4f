/* dashboard: the front page's figures and chart (see dashboard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"
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
	PGresult	*res;
	json_object	*rows;
	int		 i;

	if ((*rc = db_exec(db, STMT_DASH_WEEKLY, NULL, &res)) != DB_OK)
		return NULL;
	rows = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "event_type",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(r, "count",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(r, "most_recent",
		    json_object_new_string(PQgetvalue(res, i, 2)));
		json_object_array_add(rows, r);
	}
	PQclear(res);
	return rows;
}

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

/* The 14 days as stacked bars: x, y and height of each, and a legend. */
static json_object *
chart(struct db *db, int *rc)
{
	PGresult	*res;
	json_object	*out, *days, *legend;
	const char	*types[CHART_TYPES];
	char		 label[CHART_DAYS][11];
	long long	 counts[CHART_DAYS][CHART_TYPES], total, max = 1;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 ntypes = 0, d, t, i, y;

	if ((*rc = db_exec(db, STMT_DASH_DAILY, NULL, &res)) != DB_OK)
		return NULL;
	memset(counts, 0, sizeof(counts));
	for (d = 0; d < CHART_DAYS; d++) {
		time_t day = now - (time_t)(CHART_DAYS - 1 - d) * 86400;

		gmtime_r(&day, &tm);
		strftime(label[d], sizeof(label[d]), "%Y-%m-%d", &tm);
	}
	for (i = 0; i < PQntuples(res); i++)
		for (d = 0; d < CHART_DAYS; d++)
			if (strcmp(label[d], PQgetvalue(res, i, 0)) == 0)
				counts[d][type_index(types, &ntypes,
				    PQgetvalue(res, i, 1))] +=
				    strtoll(PQgetvalue(res, i, 2), NULL, 10);
	for (d = 0; d < CHART_DAYS; d++) {
		for (total = 0, t = 0; t < ntypes; t++)
			total += counts[d][t];
		if (total > max)
			max = total;
	}

	days = json_object_new_array();
	for (d = 0; d < CHART_DAYS; d++) {
		json_object *day = json_object_new_object();
		json_object *bars = json_object_new_array();

		y = CHART_HEIGHT;
		for (total = 0, t = 0; t < ntypes; t++) {
			json_object	*bar;
			int		 h = (int)(counts[d][t] * CHART_HEIGHT / max);

			total += counts[d][t];
			if (counts[d][t] == 0)
				continue;
			if (h < 1)
				h = 1;
			y -= h;
			bar = json_object_new_object();
			json_object_object_add(bar, "y", json_object_new_int(y));
			json_object_object_add(bar, "height",
			    json_object_new_int(h));
			json_object_object_add(bar, "type_class",
			    json_object_new_int(t));
			json_object_object_add(bar, "title", json_object_new_string(
			    types[t]));
			json_object_object_add(bar, "count",
			    json_object_new_int64(counts[d][t]));
			json_object_array_add(bars, bar);
		}
		json_object_object_add(day, "x",
		    json_object_new_int(d * CHART_STEP));
		json_object_object_add(day, "label",
		    json_object_new_string(label[d] + 5));
		json_object_object_add(day, "date",
		    json_object_new_string(label[d]));
		json_object_object_add(day, "total",
		    json_object_new_int64(total));
		json_object_object_add(day, "bars", bars);
		json_object_array_add(days, day);
	}
	legend = json_object_new_array();
	for (t = 0; t < ntypes; t++) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "type", json_object_new_string(
		    t == CHART_TYPES - 1 && ntypes == CHART_TYPES ?
		    "other types" : types[t]));
		json_object_object_add(l, "type_class", json_object_new_int(t));
		json_object_array_add(legend, l);
	}
	PQclear(res);

	out = json_object_new_object();
	json_object_object_add(out, "days", days);
	json_object_object_add(out, "legend", legend);
	json_object_object_add(out, "max", json_object_new_int64(max));
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
