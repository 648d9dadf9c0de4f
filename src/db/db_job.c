/* db_job: the jobs' locks and pruning (see db_job.h). */
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_job.h"
#include "db_store.h"

int
db_job_lock(struct db *db, const char *name)
{
	const char	*params[1] = { name };
	PGresult	*res;
	int		 rc;

	if ((rc = db_exec(db, STMT_JOB_LOCK, params, &res)) != DB_OK)
		return rc;
	rc = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

int
db_job_unlock(struct db *db, const char *name)
{
	const char	*params[1] = { name };

	return db_run(db, STMT_JOB_UNLOCK, params);
}

int
db_job_prune(struct db *db, long keep_days, long batch, long *pruned)
{
	char		 days[24], limit[24];
	const char	*params[2] = { days, limit };
	PGresult	*res;
	int		 rc;

	*pruned = 0;
	snprintf(days, sizeof(days), "%ld", keep_days);
	snprintf(limit, sizeof(limit), "%ld", batch);
	if ((rc = db_exec(db, STMT_RETRY_PRUNE, params, &res)) != DB_OK)
		return rc;
	*pruned = (long)db_store_int(res, 0, 0);
	PQclear(res);
	return DB_OK;
}
