/* db_activity: the activity log's store (see db_activity.h). */
#include <stdlib.h>
#include <libpq-fe.h>

#include "db_activity.h"

int
db_activity_log_batch(struct db *db, const char *rows, size_t nrows,
    long long *ids, int *dups)
{
	const char	*params[1] = { rows };
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(db, STMT_LOG_BATCH, params, &res)) != DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		long row = strtol(PQgetvalue(res, i, DB_LOG_BATCH_ORD), NULL,
		    10);

		if (row < 1 || (size_t)row > nrows)
			continue;
		ids[row] = strtoll(PQgetvalue(res, i, DB_LOG_BATCH_ID), NULL,
		    10);
		dups[row] = PQgetvalue(res, i, DB_LOG_BATCH_DUPLICATE)[0] ==
		    't';
	}
	PQclear(res);
	return DB_OK;
}
