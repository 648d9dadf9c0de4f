/*
 * portal_nurture_analytics: the runbook's "manually trigger Analytics
 * Updater" (Issue 5) as a button on the dashboard.
 *
 *   POST /nurture/analytics/update   admins: roll up yesterday and today,
 *                                     or the day in date (YYYY-MM-DD)
 *
 * The same update as the nurture-analytics job and `minicrm nurture
 * analytics` (nurture_analytics_update: idempotent, one workflow run).
 * Answers 303 to /nurture with the outcome, 400 a date that is no day
 * (nothing written), 503.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "nurture_analytics.h"
#include "portal_nurture.h"

void
nurture_analytics_update_post(struct visit *v)
{
	struct nurture_analytics_result	 r;
	const char			*date = form_get(&v->form, "date");

	if (date != NULL && *date == '\0')
		date = NULL;
	switch (nurture_analytics_update(&v->w->db, date, &r)) {
	case NURTURE_ANALYTICS_OK:
		log_info("nurture: %s updated the analytics of %s%s%s",
		    v->who.email, r.days[0], r.days[1][0] ? " and " : "",
		    r.days[1]);
		portal_redirect(v, "/nurture?done=analytics-updated#analytics");
		return;
	case NURTURE_ANALYTICS_BAD_DATE:
		portal_send_error(v, 400, "The day to update must be written "
		    "YYYY-MM-DD (a real date), or left empty for yesterday and "
		    "today.");
		return;
	case NURTURE_ANALYTICS_DB_ERROR:
		break;
	}
	log_error("nurture analytics from the portal: %s", r.error);
	portal_send_db_error(v, DB_UNAVAILABLE);
}
