/* db_deenroll_pages: the runs and their lead logs (see db_deenroll_pages.h). */
#include <stdio.h>
#include <stdlib.h>

#include "db_deenroll_pages.h"
#include "db_store.h"

int
db_deenroll_runs(struct db *db, const struct db_deenroll_runs_query *q,
    struct db_deenroll_run **rows, size_t *n)
{
	struct db_field	 fields[DB_RUN__MAX];
	char		 limit[24];
	const char	*params[6] = { q->client, q->status, q->from, q->to,
			    q->before, limit };

	db_store_text_fields(fields, DB_RUN__MAX,
	    offsetof(struct db_deenroll_run, col));
	snprintf(limit, sizeof(limit), "%ld", q->limit);
	return db_store_rows(db, STMT_DEENROLL_RUNS, params, sizeof(**rows),
	    fields, DB_RUN__MAX, (void **)rows, n);
}

int
db_deenroll_run_get(struct db *db, const char *id,
    struct db_deenroll_run **row)
{
	struct db_field	 fields[DB_RUN__MAX];
	const char	*params[1] = { id };

	db_store_text_fields(fields, DB_RUN__MAX,
	    offsetof(struct db_deenroll_run, col));
	return db_store_row(db, STMT_DEENROLL_RUN_GET, params, sizeof(**row),
	    fields, DB_RUN__MAX, (void **)row);
}

int
db_deenroll_run_log(struct db *db, const char *id, const char *after,
    long limit, struct db_deenroll_log **rows, size_t *n)
{
	struct db_field	 fields[DB_LOG__MAX];
	char		 lim[24];
	const char	*params[3] = { id, after, lim };

	db_store_text_fields(fields, DB_LOG__MAX,
	    offsetof(struct db_deenroll_log, col));
	snprintf(lim, sizeof(lim), "%ld", limit);
	return db_store_rows(db, STMT_DEENROLL_RUN_LOG, params, sizeof(**rows),
	    fields, DB_LOG__MAX, (void **)rows, n);
}
