/*
 * portal_dashboard: the front page's handler, for admin.c's route table
 * (portal_dashboard.c says what it answers), and its chart's data, which
 * other pages' charts use too.
 */
#ifndef MINICRM_PORTAL_DASHBOARD_H
#define MINICRM_PORTAL_DASHBOARD_H

#include "dashboard.h"
#include "portal.h"

void	dashboard_page(struct visit *);		/* GET / */

/*
 * A chart of the last 14 days (dashboard_chart) as the data of the
 * "chart" partial (templates/chart.mustache): its days and bars, legend
 * and size; unit names what a bar counts ("events"), what the chart shows
 * ("Events per day and type", for its label). The caller owns the object.
 */
json_object	*portal_chart_json(const struct dashboard_chart *,
		    const char *unit, const char *what);

#endif
