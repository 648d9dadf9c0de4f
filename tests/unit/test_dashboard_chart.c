/*
 * test_dashboard_chart: the 14-day stacked bar chart the dashboard and a
 * campaign's page draw (dashboard_chart): days in place (today last),
 * rows outside them ignored, bars scaled to the busiest day, stacked from
 * the bottom, a part never thinner than a pixel, colours per type.
 */
#include <time.h>

#include "check.h"
#include "dashboard.h"

/* The UTC day `back` days before today, YYYY-MM-DD. */
static void
day(int back, char out[11])
{
	time_t		 when = time(NULL) - (time_t)back * 86400;
	struct tm	 tm;

	gmtime_r(&when, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int
main(void)
{
	struct dashboard_chart	 c;
	struct db_dash_daily	 rows[5];
	char			 today[11], yesterday[11], old[11];
	const struct dashboard_day *t;

	day(0, today);
	day(1, yesterday);
	day(20, old);
	rows[0] = (struct db_dash_daily){ today, "completed", 100 };
	rows[1] = (struct db_dash_daily){ today, "other", 300 };
	rows[2] = (struct db_dash_daily){ yesterday, "completed", 1 };
	rows[3] = (struct db_dash_daily){ old, "completed", 5000 };
	rows[4] = (struct db_dash_daily){ yesterday, "other", 0 };

	dashboard_chart(&c, rows, 5);
	t = &c.days[DASHBOARD_DAYS - 1];
	CHECK_STR("today is the last day", t->date, today);
	CHECK_STR("yesterday before it", c.days[DASHBOARD_DAYS - 2].date,
	    yesterday);
	CHECK_I64("today's total", t->total, 400);
	CHECK_I64("a day 20 days ago is not drawn: the busiest is today",
	    c.max, 400);
	CHECK_I64("two types seen", c.ntypes, 2);
	CHECK_STR("in the order seen", c.types[0], "completed");
	CHECK_I64("today's bar has two parts", t->nbars, 2);
	CHECK_I64("the busiest day fills the chart",
	    t->bars[0].height + t->bars[1].height, DASHBOARD_CHART_HEIGHT);
	CHECK_I64("parts stack from the bottom", t->bars[0].y,
	    DASHBOARD_CHART_HEIGHT - t->bars[0].height);
	CHECK_I64("...the next above it", t->bars[1].y,
	    t->bars[0].y - t->bars[1].height);
	CHECK_I64("a part is its type's colour", t->bars[1].type, 1);
	CHECK_I64("yesterday's 1 of 400 is still a pixel",
	    c.days[DASHBOARD_DAYS - 2].bars[0].height, 1);
	CHECK_I64("a zero count draws no part",
	    c.days[DASHBOARD_DAYS - 2].nbars, 1);
	CHECK_I64("each day's place", c.days[3].x, 3 * DASHBOARD_CHART_STEP);

	dashboard_chart(&c, rows, 0);
	CHECK_I64("no rows: an empty chart (max 1, no bars)",
	    c.max * 100 + (long long)c.days[DASHBOARD_DAYS - 1].nbars, 100);
	return check_done("test_dashboard_chart");
}
