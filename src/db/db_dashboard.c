/* db_dashboard: the dashboard's tables (see db_dashboard.h). */
#include <stdlib.h>
#include <libpq-fe.h>

#include "db_dashboard.h"
#include "db_store.h"

int
db_dashboard_weekly(struct db *db, struct db_dash_weekly **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_dash_weekly, event_type,
		    DASH_WEEKLY_TYPE),
		DB_FIELD(DB_FIELD_INT, struct db_dash_weekly, events,
		    DASH_WEEKLY_EVENTS),
		DB_FIELD(DB_FIELD_TEXT, struct db_dash_weekly, most_recent,
		    DASH_WEEKLY_MOST_RECENT),
	};
	void	*out;
	int	 rc;

	rc = db_store_rows(db, STMT_DASH_WEEKLY, NULL, sizeof(**rows), fields,
	    3, &out, n);
	*rows = out;
	return rc;
}

int
db_dashboard_daily(struct db *db, struct db_dash_daily **rows, size_t *n)
{
	static const struct db_field fields[] = {
		DB_FIELD(DB_FIELD_TEXT, struct db_dash_daily, day,
		    DASH_DAILY_DAY),
		DB_FIELD(DB_FIELD_TEXT, struct db_dash_daily, event_type,
		    DASH_DAILY_TYPE),
		DB_FIELD(DB_FIELD_INT, struct db_dash_daily, events,
		    DASH_DAILY_EVENTS),
	};
	void	*out;
	int	 rc;

	rc = db_store_rows(db, STMT_DASH_DAILY, NULL, sizeof(**rows), fields,
	    3, &out, n);
	*rows = out;
	return rc;
}
