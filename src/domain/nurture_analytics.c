/* nurture_analytics: the daily rollup (see nurture_analytics.h). */
#include <stdio.h>
#include <string.h>

#include "db_nurture_analytics.h"
#include "nurture.h"
#include "nurture_analytics.h"

bool
nurture_analytics_date_valid(const char *s)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 i, y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	return !(m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0)));
}

static enum nurture_analytics_status
failed(struct nurture_analytics_result *out, int rc, const struct db *db)
{
	out->status = NURTURE_ANALYTICS_DB_ERROR;
	snprintf(out->error, sizeof(out->error), "%s: %.200s",
	    db_status_text(rc), db->error);
	return out->status;
}

enum nurture_analytics_status
nurture_analytics_update(struct db *db, const char *date,
    struct nurture_analytics_result *out)
{
	struct nurture_run	 run;
	long			 rows;
	size_t			 i;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if (date != NULL && !nurture_analytics_date_valid(date)) {
		out->status = NURTURE_ANALYTICS_BAD_DATE;
		snprintf(out->error, sizeof(out->error), "date must be a day "
		    "written YYYY-MM-DD");
		return out->status;
	}
	nurture_run_begin(db, NURTURE_ANALYTICS, &run);
	if (date != NULL)
		snprintf(out->days[0], sizeof(out->days[0]), "%s", date);
	else if ((rc = db_nurture_analytics_days(db, out->days[0],
	    out->days[1])) != DB_OK) {
		failed(out, rc, db);
		nurture_run_end(db, &run, 0, out->error);
		return out->status;
	}
	for (i = 0; i < 2 && out->days[i][0] != '\0'; i++) {
		if ((rc = db_nurture_analytics_update(db, out->days[i],
		    &rows)) != DB_OK) {
			failed(out, rc, db);
			break;
		}
		out->rows += rows;
	}
	nurture_run_end(db, &run, out->rows,
	    out->status == NURTURE_ANALYTICS_OK ? NULL : out->error);
	return out->status;
}
