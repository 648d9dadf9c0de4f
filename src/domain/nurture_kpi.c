/*
 * nurture_kpi: the runbook's dashboard metrics and morning expectations,
 * judged (see nurture_kpi.h). The numbers are the runbook's table's.
 */
#include <stdio.h>

#include "nurture_kpi.h"

static const struct nurture_kpi_def defs[NURTURE_KPI__MAX] = {
	[NURTURE_KPI_DELIVERY] = { "Email Delivery Rate", "delivery", true,
	    9500, 9000 },
	[NURTURE_KPI_OPEN] = { "Open Rate", "open", true, 3000, 2000 },
	[NURTURE_KPI_CLICK] = { "Click Rate", "click", true, 500, 200 },
	[NURTURE_KPI_UNSUBSCRIBE] = { "Unsubscribe Rate", "unsubscribe", false,
	    50, 100 },
	[NURTURE_KPI_BOUNCE] = { "Bounce Rate", "bounce", false, 500, 1000 },
	[NURTURE_KPI_SCHEDULER] = { "Scheduler Success Rate", "scheduler", true,
	    9900, 9500 },
	[NURTURE_KPI_SENDER] = { "Sender Success Rate", "sender", true,
	    9800, 9500 },
};

const struct nurture_kpi_def *
nurture_kpi_def(enum nurture_kpi k)
{
	return (unsigned)k < NURTURE_KPI__MAX ? &defs[k] : NULL;
}

long
nurture_rate_bp(long long num, long long den)
{
	if (den <= 0 || num < 0)
		return -1;
	/* Half up, in integers: (2 * 10000 * num + den) / (2 * den). */
	return (long)((20000 * num + den) / (2 * den));
}

enum nurture_kpi_level
nurture_kpi_judge(enum nurture_kpi k, long v)
{
	const struct nurture_kpi_def *d = nurture_kpi_def(k);

	if (d == NULL || v < 0)
		return NURTURE_KPI_NONE;
	if (d->higher_is_better) {
		if (v > d->target_bp)
			return NURTURE_KPI_OK;
		return v < d->alert_bp ? NURTURE_KPI_BAD : NURTURE_KPI_WARN;
	}
	if (v < d->target_bp)
		return NURTURE_KPI_OK;
	return v > d->alert_bp ? NURTURE_KPI_BAD : NURTURE_KPI_WARN;
}

const char *
nurture_kpi_level_name(enum nurture_kpi_level l)
{
	switch (l) {
	case NURTURE_KPI_OK:
		return "ok";
	case NURTURE_KPI_WARN:
		return "warn";
	case NURTURE_KPI_BAD:
		return "bad";
	case NURTURE_KPI_NONE:
		break;
	}
	return "none";
}

char *
nurture_rate_text(long bp, char *out, size_t size)
{
	if (bp < 0)
		snprintf(out, size, "—");
	else if (bp % 100 == 0)
		snprintf(out, size, "%ld %%", bp / 100);
	else if (bp % 10 == 0)
		snprintf(out, size, "%ld.%ld %%", bp / 100, bp % 100 / 10);
	else
		snprintf(out, size, "%ld.%02ld %%", bp / 100, bp % 100);
	return out;
}

/* "> 95 %" or "< 0.5 %": op then the rate. */
static char *
bound_text(char op, long bp, char *out, size_t size)
{
	char rate[24];

	snprintf(out, size, "%c %s", op, nurture_rate_text(bp, rate,
	    sizeof(rate)));
	return out;
}

char *
nurture_kpi_target_text(enum nurture_kpi k, char *out, size_t size)
{
	const struct nurture_kpi_def *d = nurture_kpi_def(k);

	if (d == NULL) {
		snprintf(out, size, "—");
		return out;
	}
	return bound_text(d->higher_is_better ? '>' : '<', d->target_bp, out,
	    size);
}

char *
nurture_kpi_alert_text(enum nurture_kpi k, char *out, size_t size)
{
	const struct nurture_kpi_def *d = nurture_kpi_def(k);

	if (d == NULL) {
		snprintf(out, size, "—");
		return out;
	}
	return bound_text(d->higher_is_better ? '<' : '>', d->alert_bp, out,
	    size);
}

unsigned
nurture_morning_judge(const struct db_nurture_morning *m)
{
	unsigned missed = 0;

	/* "failed < 1% of total": with no e-mail there is nothing failed. */
	if (m->emails > 0 &&
	    m->failed * 10000 >= NURTURE_MORNING_FAILED_BP * m->emails)
		missed |= NURTURE_MORNING_FAILED;
	if (m->has_avg_delay && m->avg_delay_s >= NURTURE_MORNING_DELAY_S)
		missed |= NURTURE_MORNING_DELAY;
	if (m->overdue > 0)
		missed |= NURTURE_MORNING_OVERDUE;
	if (m->errors_today > 0)
		missed |= NURTURE_MORNING_ERRORS;
	return missed;
}
