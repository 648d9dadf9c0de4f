/*
 * dashboard: the data of the portal's front page — the activity-health
 * figures and red flags, the SOP's weekly table, and the last 14 days of
 * events per day and type laid out as a stacked bar chart (server-drawn
 * SVG: the page only places the rectangles computed here). Typed, without
 * HTML or JSON: src/portal/portal_dashboard.c makes the page of it.
 */
#ifndef MINICRM_DASHBOARD_H
#define MINICRM_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "db_dashboard.h"
#include "health.h"

#define DASHBOARD_DAYS		14
#define DASHBOARD_TYPES		10	/* colours; more types share the last */
#define DASHBOARD_CHART_HEIGHT	160
#define DASHBOARD_CHART_BAR	36	/* a bar's width */
#define DASHBOARD_CHART_STEP	48	/* from one day's bar to the next */
#define DASHBOARD_CHART_WIDTH	(DASHBOARD_DAYS * DASHBOARD_CHART_STEP)

/* One type's part of a day's bar, from the top of the chart. */
struct dashboard_bar {
	int		 y;
	int		 height;	/* at least 1 */
	int		 type;		/* index in types[]: its colour */
	long long	 count;
};

/* A day of the chart: its stacked bar, parts in the order of types[]. */
struct dashboard_day {
	int			 x;
	char			 date[11];	/* YYYY-MM-DD, UTC */
	long long		 total;
	size_t			 nbars;
	struct dashboard_bar	 bars[DASHBOARD_TYPES];
};

enum dashboard_verdict {
	DASHBOARD_OK,
	DASHBOARD_NO_HEALTH,	/* the health figures could not be read */
	DASHBOARD_DB_FAILED	/* the tables could not: the db_status in db_rc */
};

/*
 * A chart of the last 14 days (UTC, today last): per day a stacked bar,
 * one part per type, scaled to the busiest day. The dashboard draws
 * events per type with it, a campaign's page its completions.
 */
struct dashboard_chart {
	struct dashboard_day	 days[DASHBOARD_DAYS];	/* today last */
	const char		*types[DASHBOARD_TYPES]; /* in order seen */
	size_t			 ntypes;
	/* All DASHBOARD_TYPES colours are taken, so the last one holds
	 * types[DASHBOARD_TYPES - 1] and any type seen after it: the
	 * legend calls it "other types" (the bars keep the first's name). */
	bool			 other_types;
	long long		 max;		/* the busiest day, at least 1 */
};

/*
 * Lay n rows (counts per day and type, any order, days outside the last
 * 14 ignored) out into *c (the caller's). c->types point into rows, which
 * must outlive c. Nothing to free.
 */
void		 dashboard_chart(struct dashboard_chart *c,
		    const struct db_dash_daily *rows, size_t n);

/*
 * The page's data. weekly[] and daily[] (which chart's types point into)
 * belong to it (dashboard_free).
 */
struct dashboard_data {
	enum dashboard_verdict	 verdict;
	int			 db_rc;		/* DASHBOARD_DB_FAILED */
	struct health_report	 health;
	struct db_dash_weekly	*weekly;	/* most events first */
	size_t			 nweekly;
	struct dashboard_chart	 chart;
	struct db_dash_daily	*daily;		/* the rows chart.types point into */
};

/*
 * Read the page's data into *out (the caller's struct). Returns
 * out->verdict; whatever it is, the caller releases *out with
 * dashboard_free.
 */
enum dashboard_verdict dashboard_read(struct db *, struct dashboard_data *out);

/* Free what dashboard_read put in d (the struct is the caller's); NULL
 * is fine. */
void		 dashboard_free(struct dashboard_data *d);

#endif
