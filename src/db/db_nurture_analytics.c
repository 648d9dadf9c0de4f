/* db_nurture_analytics: the analytics updater's and the alerts' statements
 * (see db_nurture_analytics.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_nurture_analytics.h"
#include "db_store.h"

int
db_nurture_analytics_update(struct db *db, const char *date, long *rows)
{
	const char	*params[1] = { date };
	PGresult	*res;
	int		 rc;

	*rows = 0;
	if ((rc = db_exec(db, STMT_NURTURE_ANALYTICS_UPDATE, params, &res)) !=
	    DB_OK)
		return rc;
	*rows = (long)db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}

int
db_nurture_analytics_days(struct db *db, char yesterday[11], char today[11])
{
	PGresult	*res;
	int		 rc;

	yesterday[0] = today[0] = '\0';
	if ((rc = db_exec(db, STMT_NURTURE_ANALYTICS_DAYS, NULL, &res)) !=
	    DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		snprintf(yesterday, 11, "%s", PQgetvalue(res, 0, 0));
		snprintf(today, 11, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return today[0] != '\0' ? DB_OK : DB_ERROR;
}

int
db_nurture_alert_figures(struct db *db, struct db_nurture_alert_figures *out)
{
	PGresult	*res;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_exec(db, STMT_NURTURE_ALERT_FIGURES, NULL, &res)) !=
	    DB_OK)
		return rc;
	out->settled_5min = (long)db_store_int(res, 0, 0);
	out->failed_5min = (long)db_store_int(res, 0, 1);
	out->scheduler_ran = PQntuples(res) == 1 && !PQgetisnull(res, 0, 2);
	out->scheduler_idle_min = (long)db_store_int(res, 0, 2);
	out->sender_ran = PQntuples(res) == 1 && !PQgetisnull(res, 0, 3);
	out->sender_idle_min = (long)db_store_int(res, 0, 3);
	out->active_enrolments = (long)db_store_int(res, 0, 4);
	out->queued = (long)db_store_int(res, 0, 5);
	out->scheduler_paused = db_store_bool(res, 0, 6);
	out->sender_paused = db_store_bool(res, 0, 7);
	out->queued_over_hour = (long)db_store_int(res, 0, 8);
	out->sent_yesterday = (long)db_store_int(res, 0, 9);
	out->unsubscribes_yesterday = (long)db_store_int(res, 0, 10);
	PQclear(res);
	return DB_OK;
}

#define E(type, member, col) \
	DB_FIELD(type, struct db_nurture_engagement, member, col)
static const struct db_field engagement_fields[] = {
	E(DB_FIELD_TEXT, campaign_id, 0),
	E(DB_FIELD_TEXT, campaign_name, 1),
	E(DB_FIELD_INT, sent, 2),
	E(DB_FIELD_TEXT, open_rate, 3),
	E(DB_FIELD_TEXT, click_rate, 4),
};
#undef E

int
db_nurture_alert_engagement(struct db *db,
    struct db_nurture_engagement **rows, size_t *n)
{
	return db_store_rows(db, STMT_NURTURE_ALERT_ENGAGEMENT, NULL,
	    sizeof(**rows), engagement_fields,
	    sizeof(engagement_fields) / sizeof(engagement_fields[0]),
	    (void **)rows, n);
}
