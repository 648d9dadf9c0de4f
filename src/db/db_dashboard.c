/* db_dashboard: the dashboard's tables (see db_dashboard.h). */
#include <stdlib.h>
#include <libpq-fe.h>

#include "db_dashboard.h"
#include "db_store.h"

int
db_dashboard_weekly(struct db *db, struct db_dash_weekly **rows, size_t *n)
{
	static const int text[] = { DASH_WEEKLY_TYPE, DASH_WEEKLY_MOST_RECENT };
	struct db_dash_weekly *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_DASH_WEEKLY, NULL, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 2, &pool)) ==
	    NULL) {
		PQclear(res);
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		out[i].event_type = db_store_text(&pool, res, i,
		    DASH_WEEKLY_TYPE);
		out[i].events = db_store_int(res, i, DASH_WEEKLY_EVENTS);
		out[i].most_recent = db_store_text(&pool, res, i,
		    DASH_WEEKLY_MOST_RECENT);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}

int
db_dashboard_daily(struct db *db, struct db_dash_daily **rows, size_t *n)
{
	static const int text[] = { DASH_DAILY_DAY, DASH_DAILY_TYPE };
	struct db_dash_daily *out;
	PGresult	*res;
	char		*pool;
	int		 rc, i;

	*rows = NULL;
	*n = 0;
	if ((rc = db_exec(db, STMT_DASH_DAILY, NULL, &res)) != DB_OK)
		return rc;
	if ((out = db_store_alloc(res, sizeof(*out), text, 2, &pool)) ==
	    NULL) {
		PQclear(res);
		return DB_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		out[i].day = db_store_text(&pool, res, i, DASH_DAILY_DAY);
		out[i].event_type = db_store_text(&pool, res, i,
		    DASH_DAILY_TYPE);
		out[i].events = db_store_int(res, i, DASH_DAILY_EVENTS);
	}
	*rows = out;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return DB_OK;
}
