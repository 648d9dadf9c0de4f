/*
 * db_nurture_analytics: the store of the nurture analytics updater and of
 * the nurture alerts (sql_nurture_analytics.def, sql/0014): the daily
 * rollup, and the figures of the runbook's detection queries.
 */
#ifndef MINICRM_DB_NURTURE_ANALYTICS_H
#define MINICRM_DB_NURTURE_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* Roll up day date (YYYY-MM-DD; NULL: today): *rows written. A
 * db_status (DB_BAD_INPUT: not a date). */
int	db_nurture_analytics_update(struct db *, const char *date, long *rows)
	    __attribute__((warn_unused_result));

/* Yesterday's and today's dates (YYYY-MM-DD) as the database counts
 * days. A db_status. */
int	db_nurture_analytics_days(struct db *, char yesterday[11],
	    char today[11]) __attribute__((warn_unused_result));

/* The figures of the runbook's detection queries
 * (STMT_NURTURE_ALERT_FIGURES). */
struct db_nurture_alert_figures {
	long	settled_5min;		/* sends settled in the last 5 min */
	long	failed_5min;		/* of them failed */
	bool	scheduler_ran;		/* false: never */
	long	scheduler_idle_min;	/* minutes since its last run */
	bool	sender_ran;
	long	sender_idle_min;
	long	active_enrolments;	/* in active campaigns */
	long	queued;			/* sends queued */
	bool	scheduler_paused;
	bool	sender_paused;
	long	queued_over_hour;	/* queued, due over an hour ago */
	long	sent_yesterday;
	long	unsubscribes_yesterday;
};

int	db_nurture_alert_figures(struct db *,
	    struct db_nurture_alert_figures *out)
	    __attribute__((warn_unused_result));

/* A campaign's engagement yesterday (STMT_NURTURE_ALERT_ENGAGEMENT). */
struct db_nurture_engagement {
	const char	*campaign_id;
	const char	*campaign_name;
	long long	 sent;		/* 0: no row */
	const char	*open_rate;	/* "" when no row or no sends */
	const char	*click_rate;
};

/* Every campaign not archived (or with a row yesterday, or its alert
 * raised). *rows (*n) is one allocation the caller free()s (also for
 * none). A db_status. */
int	db_nurture_alert_engagement(struct db *,
	    struct db_nurture_engagement **rows, size_t *n)
	    __attribute__((warn_unused_result));

#endif
