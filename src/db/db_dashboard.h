/*
 * db_dashboard: the store of the dashboard's tables (sql_dashboard.def):
 * the SOP's weekly table and the events per day and type of the chart,
 * each handed back as an array the caller owns. dashboard.c lays them out.
 */
#ifndef MINICRM_DB_DASHBOARD_H
#define MINICRM_DB_DASHBOARD_H

#include <stddef.h>

#include "db.h"

/* The columns of STMT_DASH_WEEKLY. */
enum db_dash_weekly_col {
	DASH_WEEKLY_TYPE, DASH_WEEKLY_EVENTS, DASH_WEEKLY_MOST_RECENT
};

/* A row of the weekly table: events of a type over 7 days. */
struct db_dash_weekly {
	const char	*event_type;
	long long	 events;
	const char	*most_recent;	/* "YYYY-MM-DD HH24:MI:SS", or "" */
};

/* The columns of STMT_DASH_DAILY. */
enum db_dash_daily_col {
	DASH_DAILY_DAY, DASH_DAILY_TYPE, DASH_DAILY_EVENTS
};

/* Events of a type on a day (UTC), for the last 14 days. */
struct db_dash_daily {
	const char	*day;		/* "YYYY-MM-DD" */
	const char	*event_type;
	long long	 events;
};

/*
 * The weekly table, most events first: *rows (n of them) is one
 * allocation, strings included, that the caller releases with free()
 * (also for n == 0). Returns a db_status; on an error *rows is NULL.
 */
int	db_dashboard_weekly(struct db *, struct db_dash_weekly **rows,
	    size_t *n) __attribute__((warn_unused_result));

/* The chart's counts by day, then type; *rows as above. */
int	db_dashboard_daily(struct db *, struct db_dash_daily **rows,
	    size_t *n) __attribute__((warn_unused_result));

#endif
