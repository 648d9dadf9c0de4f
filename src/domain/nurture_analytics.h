/*
 * nurture_analytics: the runbook's "Lead Nurture - Analytics Updater" —
 * the daily rollup of each campaign's sends and events into
 * campaign_analytics (sql/0014, nurture_analytics_update()), idempotent:
 * run twice, the same rows. By default yesterday and today (the job, every
 * NURTURE_ANALYTICS_INTERVAL seconds); any day on demand (`minicrm nurture
 * analytics --date D`, the portal). Each update is a workflow_executions
 * row; the alerts' detection figures are read here too.
 */
#ifndef MINICRM_NURTURE_ANALYTICS_H
#define MINICRM_NURTURE_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

enum nurture_analytics_status {
	NURTURE_ANALYTICS_OK,
	NURTURE_ANALYTICS_BAD_DATE,	/* date is no YYYY-MM-DD day */
	NURTURE_ANALYTICS_DB_ERROR
};

struct nurture_analytics_result {
	enum nurture_analytics_status	 status;
	long	rows;		/* campaign_analytics rows written */
	char	days[2][11];	/* the days rolled up ("" for none) */
	char	error[256];
};

/*
 * Roll up day date ("YYYY-MM-DD"), or, for NULL, yesterday and today (as
 * the database's current_date counts them), into campaign_analytics.
 * Recorded as one run of the Analytics Updater. Fills *out; returns its
 * status.
 */
enum nurture_analytics_status nurture_analytics_update(struct db *db,
	    const char *date, struct nurture_analytics_result *out);

/* Is s a day written YYYY-MM-DD (a real date)? Pure. */
bool	nurture_analytics_date_valid(const char *s);

#endif
