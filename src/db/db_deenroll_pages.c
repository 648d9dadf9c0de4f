/* db_deenroll_pages: the runs and their lead logs (see db_deenroll_pages.h). */
#include <stdio.h>
#include <stdlib.h>

#include "db_deenroll_pages.h"
#include "db_store.h"

/* Every column as text into col[]: a field table made once. */
static void
text_fields(struct db_field *fields, size_t n, size_t base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fields[i].col = (int)i;
		fields[i].type = DB_FIELD_TEXT_NULL;
		fields[i].offset = base + i * sizeof(const char *);
	}
}

int
db_deenroll_runs(struct db *db, const struct db_deenroll_runs_query *q,
    struct db_deenroll_run **rows, size_t *n)
{
	struct db_field	 fields[DB_RUN__MAX];
	char		 limit[24];
	const char	*params[6] = { q->client, q->status, q->from, q->to,
			    q->before, limit };

	text_fields(fields, DB_RUN__MAX, offsetof(struct db_deenroll_run, col));
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
	size_t		 n;
	int		 rc;

	text_fields(fields, DB_RUN__MAX, offsetof(struct db_deenroll_run, col));
	rc = db_store_rows(db, STMT_DEENROLL_RUN_GET, params, sizeof(**row),
	    fields, DB_RUN__MAX, (void **)row, &n);
	if (rc == DB_OK && n == 0) {
		free(*row);
		*row = NULL;
	}
	return rc;
}

int
db_deenroll_run_log(struct db *db, const char *id, const char *after,
    long limit, struct db_deenroll_log **rows, size_t *n)
{
	struct db_field	 fields[DB_LOG__MAX];
	char		 lim[24];
	const char	*params[3] = { id, after, lim };

	text_fields(fields, DB_LOG__MAX, offsetof(struct db_deenroll_log, col));
	snprintf(lim, sizeof(lim), "%ld", limit);
	return db_store_rows(db, STMT_DEENROLL_RUN_LOG, params, sizeof(**rows),
	    fields, DB_LOG__MAX, (void **)rows, n);
}
