/* dashboard: the front page's figures and chart (see dashboard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"

/* Index of type in d->types[], added if new; once they are all taken,
 * the last is shared by every further type. */
static int
type_index(struct dashboard_chart *d, const char *type)
{
	size_t i;

	for (i = 0; i < d->ntypes; i++)
		if (strcmp(d->types[i], type) == 0)
			return (int)i;
	if (d->ntypes == DASHBOARD_TYPES)
		return DASHBOARD_TYPES - 1;
	d->types[d->ntypes] = type;
	d->other_types = ++d->ntypes == DASHBOARD_TYPES;
	return (int)d->ntypes - 1;
}

/*
 * Sum the rows into the last 14 days (today last) by type, then lay each
 * day out as a stacked bar scaled to the busiest day.
 */
void
dashboard_chart(struct dashboard_chart *d, const struct db_dash_daily *rows,
    size_t n)
{
	long long	 counts[DASHBOARD_DAYS][DASHBOARD_TYPES];
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i, t;
	int		 day, y, h;

	memset(counts, 0, sizeof(counts));
	memset(d, 0, sizeof(*d));
	d->max = 1;
	for (day = 0; day < DASHBOARD_DAYS; day++) {
		time_t when = now - (time_t)(DASHBOARD_DAYS - 1 - day) * 86400;

		gmtime_r(&when, &tm);
		strftime(d->days[day].date, sizeof(d->days[day].date),
		    "%Y-%m-%d", &tm);
	}
	for (i = 0; i < n; i++)
		for (day = 0; day < DASHBOARD_DAYS; day++)
			if (strcmp(d->days[day].date, rows[i].day) == 0)
				counts[day][type_index(d,
				    rows[i].event_type)] += rows[i].events;
	for (day = 0; day < DASHBOARD_DAYS; day++) {
		long long total = 0;

		for (t = 0; t < d->ntypes; t++)
			total += counts[day][t];
		d->days[day].total = total;
		if (total > d->max)
			d->max = total;
	}
	for (day = 0; day < DASHBOARD_DAYS; day++) {
		struct dashboard_day *dd = &d->days[day];

		dd->x = day * DASHBOARD_CHART_STEP;
		y = DASHBOARD_CHART_HEIGHT;
		for (t = 0; t < d->ntypes; t++) {
			struct dashboard_bar *bar;

			if (counts[day][t] == 0)
				continue;
			h = (int)(counts[day][t] * DASHBOARD_CHART_HEIGHT /
			    d->max);
			if (h < 1)
				h = 1;
			y -= h;
			bar = &dd->bars[dd->nbars++];
			bar->y = y;
			bar->height = h;
			bar->type = (int)t;
			bar->count = counts[day][t];
		}
	}
}

enum dashboard_verdict
dashboard_read(struct db *db, struct dashboard_data *out)
{
	size_t	 n;
	int	 rc;

	memset(out, 0, sizeof(*out));
	if (health_activity(db, &out->health) != DB_OK)
		return out->verdict = DASHBOARD_NO_HEALTH;
	if ((rc = db_dashboard_weekly(db, &out->weekly, &out->nweekly)) !=
	    DB_OK ||
	    (rc = db_dashboard_daily(db, &out->daily, &n)) != DB_OK) {
		out->db_rc = rc;
		return out->verdict = DASHBOARD_DB_FAILED;
	}
	dashboard_chart(&out->chart, out->daily, n);
	return out->verdict = DASHBOARD_OK;
}

void
dashboard_free(struct dashboard_data *d)
{
	if (d == NULL)
		return;
	free(d->weekly);
	free(d->daily);
	d->weekly = NULL;
	d->daily = NULL;
	d->nweekly = 0;
	d->chart.ntypes = 0;
}
