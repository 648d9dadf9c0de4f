/*
 * test_nurture_kpi: the runbook's dashboard table judged as it reads —
 * every metric's target and alert threshold, with values on, just inside
 * and just outside each bound; rates in basis points rounded half up;
 * no data judged "none"; the texts the page shows; the morning check.
 */
#include "check.h"
#include "nurture_kpi.h"

static const char *
judged(enum nurture_kpi k, long bp)
{
	return nurture_kpi_level_name(nurture_kpi_judge(k, bp));
}

int
main(void)
{
	char			 t[32];
	struct db_nurture_morning m = { 0 };

	/* The runbook's numbers, row by row. */
	CHECK_STR("delivery 95.01 % meets > 95 %", judged(NURTURE_KPI_DELIVERY, 9501), "ok");
	CHECK_STR("delivery exactly 95 % misses the target", judged(NURTURE_KPI_DELIVERY, 9500), "warn");
	CHECK_STR("delivery exactly 90 % is not yet < 90 %", judged(NURTURE_KPI_DELIVERY, 9000), "warn");
	CHECK_STR("delivery 89.99 % alerts", judged(NURTURE_KPI_DELIVERY, 8999), "bad");
	CHECK_STR("open 30.01 % ok", judged(NURTURE_KPI_OPEN, 3001), "ok");
	CHECK_STR("open 30 % warn", judged(NURTURE_KPI_OPEN, 3000), "warn");
	CHECK_STR("open 20 % warn", judged(NURTURE_KPI_OPEN, 2000), "warn");
	CHECK_STR("open 19.99 % bad", judged(NURTURE_KPI_OPEN, 1999), "bad");
	CHECK_STR("click 5.01 % ok", judged(NURTURE_KPI_CLICK, 501), "ok");
	CHECK_STR("click 5 % warn", judged(NURTURE_KPI_CLICK, 500), "warn");
	CHECK_STR("click 2 % warn", judged(NURTURE_KPI_CLICK, 200), "warn");
	CHECK_STR("click 1.99 % bad", judged(NURTURE_KPI_CLICK, 199), "bad");
	CHECK_STR("unsubscribe 0.49 % ok (lower is better)", judged(NURTURE_KPI_UNSUBSCRIBE, 49), "ok");
	CHECK_STR("unsubscribe 0.5 % warn", judged(NURTURE_KPI_UNSUBSCRIBE, 50), "warn");
	CHECK_STR("unsubscribe 1 % warn", judged(NURTURE_KPI_UNSUBSCRIBE, 100), "warn");
	CHECK_STR("unsubscribe 1.01 % bad", judged(NURTURE_KPI_UNSUBSCRIBE, 101), "bad");
	CHECK_STR("unsubscribe 0 % ok", judged(NURTURE_KPI_UNSUBSCRIBE, 0), "ok");
	CHECK_STR("bounce 4.99 % ok", judged(NURTURE_KPI_BOUNCE, 499), "ok");
	CHECK_STR("bounce 5 % warn", judged(NURTURE_KPI_BOUNCE, 500), "warn");
	CHECK_STR("bounce 10 % warn", judged(NURTURE_KPI_BOUNCE, 1000), "warn");
	CHECK_STR("bounce 10.01 % bad", judged(NURTURE_KPI_BOUNCE, 1001), "bad");
	CHECK_STR("scheduler 100 % ok", judged(NURTURE_KPI_SCHEDULER, 10000), "ok");
	CHECK_STR("scheduler 99 % warn", judged(NURTURE_KPI_SCHEDULER, 9900), "warn");
	CHECK_STR("scheduler 95 % warn", judged(NURTURE_KPI_SCHEDULER, 9500), "warn");
	CHECK_STR("scheduler 94.99 % bad", judged(NURTURE_KPI_SCHEDULER, 9499), "bad");
	CHECK_STR("sender 98.01 % ok", judged(NURTURE_KPI_SENDER, 9801), "ok");
	CHECK_STR("sender 98 % warn", judged(NURTURE_KPI_SENDER, 9800), "warn");
	CHECK_STR("sender 94.99 % bad", judged(NURTURE_KPI_SENDER, 9499), "bad");
	CHECK_STR("no data is none, not bad", judged(NURTURE_KPI_DELIVERY, -1), "none");
	CHECK_STR("...for a lower-is-better one too", judged(NURTURE_KPI_BOUNCE, -1), "none");
	CHECK(nurture_kpi_def(NURTURE_KPI__MAX) == NULL);
	CHECK_STR("the runbook's names", nurture_kpi_def(NURTURE_KPI_SENDER)->name, "Sender Success Rate");

	/* Rates: basis points, half up, none without a denominator. */
	CHECK_I64("19 of 20 is 95 %", nurture_rate_bp(19, 20), 9500);
	CHECK_I64("1 of 3 is 33.33 %", nurture_rate_bp(1, 3), 3333);
	CHECK_I64("2 of 3 rounds up to 66.67 %", nurture_rate_bp(2, 3), 6667);
	CHECK_I64("1 of 200 is 0.5 %", nurture_rate_bp(1, 200), 50);
	CHECK_I64("1 of 20000 (0.005 %) rounds half up to 0.01 %", nurture_rate_bp(1, 20000), 1);
	CHECK_I64("nothing sent: no rate", nurture_rate_bp(0, 0), -1);
	CHECK_I64("big counts do not overflow", nurture_rate_bp(999999999999LL, 1000000000000LL), 10000);
	CHECK_STR("a rate that rounds to 95.00 % is judged 95 %", judged(NURTURE_KPI_DELIVERY, nurture_rate_bp(189999, 200000)), "warn");

	/* Texts. */
	CHECK_STR("95 %", nurture_rate_text(9500, t, sizeof(t)), "95 %");
	CHECK_STR("0.5 %", nurture_rate_text(50, t, sizeof(t)), "0.5 %");
	CHECK_STR("12.34 %", nurture_rate_text(1234, t, sizeof(t)), "12.34 %");
	CHECK_STR("0.05 %", nurture_rate_text(5, t, sizeof(t)), "0.05 %");
	CHECK_STR("none", nurture_rate_text(-1, t, sizeof(t)), "—");
	CHECK_STR("target as the runbook writes it", nurture_kpi_target_text(NURTURE_KPI_DELIVERY, t, sizeof(t)), "> 95 %");
	CHECK_STR("alert as the runbook writes it", nurture_kpi_alert_text(NURTURE_KPI_DELIVERY, t, sizeof(t)), "< 90 %");
	CHECK_STR("unsubscribe target", nurture_kpi_target_text(NURTURE_KPI_UNSUBSCRIBE, t, sizeof(t)), "< 0.5 %");
	CHECK_STR("unsubscribe alert", nurture_kpi_alert_text(NURTURE_KPI_UNSUBSCRIBE, t, sizeof(t)), "> 1 %");

	/* The morning check. */
	CHECK_I64("nothing yesterday, nothing due: all met", nurture_morning_judge(&m), 0);
	m.emails = 1000;
	m.failed = 9;
	CHECK_I64("9 of 1000 failed is under 1 %", nurture_morning_judge(&m), 0);
	m.failed = 10;
	CHECK_I64("10 of 1000 is not under 1 %", nurture_morning_judge(&m), NURTURE_MORNING_FAILED);
	m.failed = 0;
	m.has_avg_delay = true;
	m.avg_delay_s = 59;
	CHECK_I64("59 s delay is fine", nurture_morning_judge(&m), 0);
	m.avg_delay_s = 60;
	CHECK_I64("60 s is not < 60", nurture_morning_judge(&m), NURTURE_MORNING_DELAY);
	m.avg_delay_s = 0;
	m.overdue = 1;
	m.errors_today = 2;
	CHECK_I64("overdue and errors", nurture_morning_judge(&m),
	    NURTURE_MORNING_OVERDUE | NURTURE_MORNING_ERRORS);
	return check_done("test_nurture_kpi");
}
