/*
 * portal_nurture_charts: the nurture dashboard's rates per day over the
 * last 14 UTC days — delivery, open, click, bounce and unsubscribe rates
 * of the e-mails sent that day — one server-drawn SVG chart each
 * (templates/nurture_chart.mustache). The geometry is the dashboard's
 * (dashboard_chart: a bar per day scaled to the highest), fed the rates
 * in basis points; a day without e-mails has no rate and no bar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "json_put.h"
#include "nurture_kpi.h"
#include "portal_nurture.h"

/* What a chart shows: its rate, and the day's numerator. */
struct rate_chart {
	enum nurture_kpi	 kpi;
	const char		*title;
	const char		*what;	/* "opened" */
	long long		 (*num)(const struct db_nurture_day *);
};

static long long delivered(const struct db_nurture_day *d) { return d->delivered; }
static long long opened(const struct db_nurture_day *d) { return d->opened; }
static long long clicked(const struct db_nurture_day *d) { return d->clicked; }
static long long bounced(const struct db_nurture_day *d) { return d->bounced; }
static long long unsubscribed(const struct db_nurture_day *d) { return d->unsubscribes; }

static const struct rate_chart charts[] = {
	{ NURTURE_KPI_OPEN, "Open rate", "opened", opened },
	{ NURTURE_KPI_CLICK, "Click rate", "clicked", clicked },
	{ NURTURE_KPI_BOUNCE, "Bounce rate", "bounced", bounced },
	{ NURTURE_KPI_UNSUBSCRIBE, "Unsubscribe rate", "unsubscribes",
	    unsubscribed },
	{ NURTURE_KPI_DELIVERY, "Delivery rate", "delivered", delivered },
};

/* The day of rows dated date, or NULL. */
static const struct db_nurture_day *
day_of(const struct db_nurture_day *rows, size_t n, const char *date)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].day, date) == 0)
			return &rows[i];
	return NULL;
}

static json_object *
chart_json(const struct rate_chart *rc, int colour,
    const struct db_nurture_day *rows, size_t n, struct db_dash_daily *points)
{
	const struct nurture_kpi_def	*def = nurture_kpi_def(rc->kpi);
	struct dashboard_chart		 c;
	json_object			*o = json_object_new_object();
	json_object			*days = json_object_new_array();
	size_t				 i, np = 0;
	long				 top = -1;
	char				 text[96];

	for (i = 0; i < n; i++) {
		long bp = nurture_rate_bp(rc->num(&rows[i]), rows[i].sent);

		if (bp < 0)
			continue;
		points[np++] = (struct db_dash_daily){ rows[i].day, def->key, bp };
	}
	dashboard_chart(&c, points, np);
	for (i = 0; i < DASHBOARD_DAYS; i++) {
		const struct dashboard_day	*dd = &c.days[i];
		const struct db_nurture_day	*r = day_of(rows, n, dd->date);
		json_object			*day = json_object_new_object();
		long				 bp = r != NULL ?
		    nurture_rate_bp(rc->num(r), r->sent) : -1;

		json_put_int(day, "x", dd->x);
		json_put_string(day, "date", dd->date);
		json_put_string(day, "label", dd->date + 5);	/* MM-DD */
		if (bp < 0) {
			json_put_string(day, "text", "no e-mail sent");
		} else {
			json_put_string(day, "text",
			    nurture_rate_text(bp, text, sizeof(text)));
			snprintf(text, sizeof(text), "%lld %s of %lld sent",
			    rc->num(r), rc->what, r->sent);
			json_put_string(day, "detail", text);
			json_put_string(day, "level", nurture_kpi_level_name(
			    nurture_kpi_judge(rc->kpi, bp)));
			if (bp > top)
				top = bp;
		}
		if (dd->nbars > 0) {
			json_object *bar = json_object_new_object();

			json_put_int(bar, "y", dd->bars[0].y);
			json_put_int(bar, "height", dd->bars[0].height);
			json_object_object_add(day, "bar", bar);
		}
		json_object_array_add(days, day);
	}
	json_put_string(o, "key", def->key);
	json_put_string(o, "title", rc->title);
	json_put_int(o, "colour", colour);
	json_put_int(o, "width", DASHBOARD_CHART_WIDTH);
	json_put_int(o, "bar_width", DASHBOARD_CHART_BAR);
	json_put_string(o, "top", top < 0 ? "no e-mail sent" :
	    nurture_rate_text(top, text, sizeof(text)));
	json_object_object_add(o, "days", days);
	return o;
}

int
nurture_charts_add(struct visit *v, const char *client, json_object *data)
{
	struct db_nurture_day	*rows;
	struct db_dash_daily	*points;
	json_object		*list;
	size_t			 n, i;
	int			 rc;

	if ((rc = db_nurture_pages_daily(&v->w->db, client, &rows, &n)) !=
	    DB_OK)
		return rc;
	if ((points = calloc(n + 1, sizeof(*points))) == NULL) {
		free(rows);
		return DB_ERROR;
	}
	list = json_object_new_array();
	for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++)
		json_object_array_add(list, chart_json(&charts[i], (int)i, rows,
		    n, points));
	free(points);
	free(rows);
	json_object_object_add(data, "charts", list);
	return DB_OK;
}
