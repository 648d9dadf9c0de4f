/*
 * dashboard: the data of the portal's front page — the activity-health
 * figures and red flags, the SOP's weekly table, and the last 14 days of
 * events per day and type laid out as a stacked bar chart (server-drawn
 * SVG: the template only places the rectangles computed here).
 */
#ifndef MINICRM_DASHBOARD_H
#define MINICRM_DASHBOARD_H

#include <json-c/json.h>

#include "db.h"

/*
 * The page's data (the caller frees it with json_object_put), or NULL with
 * *status 503 (database unreachable) or 500.
 */
json_object	*dashboard_data(struct db *, int *status);

#endif
