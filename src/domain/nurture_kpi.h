/*
 * nurture_kpi: the nurture runbook's dashboard metrics ("Review Dashboard
 * Metrics": value, target, alert threshold) and its morning health check's
 * expectations, judged. Rates are kept in basis points (hundredths of a
 * percent, 9500 = 95.00 %), integers, so a value on a threshold is judged
 * exactly as the runbook's table reads: "> 95 %" is not met by 95.00 %.
 *
 * Typed, without HTML: src/portal/portal_nurture.c colours the table by
 * these levels. Nothing here allocates.
 */
#ifndef MINICRM_NURTURE_KPI_H
#define MINICRM_NURTURE_KPI_H

#include <stdbool.h>
#include <stddef.h>

#include "db_nurture_pages.h"

/* The runbook's table, in its order. */
enum nurture_kpi {
	NURTURE_KPI_DELIVERY,		/* Email Delivery Rate */
	NURTURE_KPI_OPEN,		/* Open Rate */
	NURTURE_KPI_CLICK,		/* Click Rate */
	NURTURE_KPI_UNSUBSCRIBE,	/* Unsubscribe Rate */
	NURTURE_KPI_BOUNCE,		/* Bounce Rate */
	NURTURE_KPI_SCHEDULER,		/* Scheduler Success Rate */
	NURTURE_KPI_SENDER,		/* Sender Success Rate */
	NURTURE_KPI__MAX
};

/*
 * A metric's judgement: ok (the target is met), warn (missed, but not
 * past the alert threshold), bad (past it: "Alert If"), none (nothing to
 * measure: no e-mail or no run in the window).
 */
enum nurture_kpi_level {
	NURTURE_KPI_NONE,
	NURTURE_KPI_OK,
	NURTURE_KPI_WARN,
	NURTURE_KPI_BAD
};

/* A row of the runbook's table. Higher is better for every rate but the
 * unsubscribe and bounce rates. */
struct nurture_kpi_def {
	const char	*name;		/* "Email Delivery Rate" */
	const char	*key;		/* "delivery": ids, CSS, CSV */
	bool		 higher_is_better;
	long		 target_bp;	/* > target (or < target) is ok */
	long		 alert_bp;	/* < alert (or > alert) is bad */
};

/* The row of kpi (static); NULL out of range. */
const struct nurture_kpi_def *nurture_kpi_def(enum nurture_kpi);

/* num of den in basis points, rounded half up; -1 when den is 0 (no rate:
 * judged NURTURE_KPI_NONE). num and den are counts, 0 <= num. */
long		 nurture_rate_bp(long long num, long long den);

/* Judge value_bp (-1: none) against kpi's target and alert threshold. */
enum nurture_kpi_level nurture_kpi_judge(enum nurture_kpi, long value_bp);

/* "none", "ok", "warn", "bad" (static). */
const char	*nurture_kpi_level_name(enum nurture_kpi_level);

/*
 * A rate for people into out: "95.5 %" (two decimals at most, trailing
 * zeros dropped: 9500 → "95 %", 50 → "0.5 %", 1234 → "12.34 %"); "—" for
 * -1. Returns out.
 */
char		*nurture_rate_text(long bp, char *out, size_t size);

/* The target and threshold as the runbook writes them: "> 95 %",
 * "< 90 %". Returns out. */
char		*nurture_kpi_target_text(enum nurture_kpi, char *out,
		    size_t size);
char		*nurture_kpi_alert_text(enum nurture_kpi, char *out,
		    size_t size);

/*
 * The morning health check's expectations (runbook, "Daily Operations"):
 * yesterday's failed e-mails under 1 % of them, an average delay under 60
 * s, no overdue enrolment, no workflow error today (the figures:
 * db_nurture_pages_morning).
 */
#define NURTURE_MORNING_FAILED_BP	100	/* failed < 1 % */
#define NURTURE_MORNING_DELAY_S		60	/* avg_delay_seconds < 60 */

/* Which expectations it misses (bits). */
enum {
	NURTURE_MORNING_FAILED	= 1 << 0,
	NURTURE_MORNING_DELAY	= 1 << 1,
	NURTURE_MORNING_OVERDUE	= 1 << 2,
	NURTURE_MORNING_ERRORS	= 1 << 3
};

/* The expectations m misses, NURTURE_MORNING_* bits; 0: all met. */
unsigned	 nurture_morning_judge(const struct db_nurture_morning *m);

#endif
