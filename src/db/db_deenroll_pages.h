/*
 * db_deenroll_pages: the store the portal's de-enrollment pages read
 * (sql_deenroll_pages.def): the runs, filtered and a keyset page at a
 * time, one run, and a run's lead log. The health table and "run now" go
 * through deenroll.h (src/domain), as the CLI's do.
 *
 * Every function returns a db_status. Rows come back as one allocation,
 * strings included, that the caller free()s (also when there are none);
 * on an error the pointer is NULL. Strings passed in stay the caller's.
 */
#ifndef MINICRM_DB_DEENROLL_PAGES_H
#define MINICRM_DB_DEENROLL_PAGES_H

#include <stddef.h>

#include "db.h"

/* The columns of STMT_DEENROLL_RUNS and STMT_DEENROLL_RUN_GET. */
enum db_deenroll_run_col {
	DB_RUN_ID, DB_RUN_CLIENT, DB_RUN_AT, DB_RUN_FINISHED, DB_RUN_STATUS,
	DB_RUN_EVALUATED, DB_RUN_DE_ENROLLED, DB_RUN_BATCHES,
	DB_RUN_DURATION, DB_RUN_ERROR, DB_RUN_TRIGGERED_BY, DB_RUN__MAX
};

/* A run, every column as text (NULL: SQL NULL), by enum db_deenroll_run_col:
 * the page and the CSV show them as they are. */
struct db_deenroll_run {
	const char	*col[DB_RUN__MAX];
};

/* What runs to list; NULL fields do not filter. */
struct db_deenroll_runs_query {
	const char	*client;	/* slug */
	const char	*status;	/* running, success, partial, failed */
	const char	*from, *to;	/* YYYY-MM-DD, UTC days, inclusive */
	const char	*before;	/* the last run shown (a uuid) */
	long		 limit;
};

/* Runs matching q, newest first. */
int	db_deenroll_runs(struct db *, const struct db_deenroll_runs_query *q,
	    struct db_deenroll_run **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* One run by id (a uuid the caller checked): *row NULL (DB_OK) if none;
 * else the caller free()s it. */
int	db_deenroll_run_get(struct db *, const char *id,
	    struct db_deenroll_run **row) __attribute__((warn_unused_result));

/* The columns of STMT_DEENROLL_RUN_LOG. */
enum db_deenroll_log_col {
	DB_LOG_ID, DB_LOG_LEAD, DB_LOG_LEAD_NAME, DB_LOG_CAMPAIGN_ID,
	DB_LOG_CAMPAIGN, DB_LOG_ACTION, DB_LOG_OUTCOME, DB_LOG_RECEIVED,
	DB_LOG_POSITION, DB_LOG_TOTAL, DB_LOG_ENROLLED, DB_LOG_PROCESSED,
	DB_LOG_ERROR, DB_LOG__MAX
};

/* A lead-log row, every column as text (NULL: SQL NULL). */
struct db_deenroll_log {
	const char	*col[DB_LOG__MAX];
};

/* Run id's lead log after row after (NULL: from the first), by row, at
 * most limit. */
int	db_deenroll_run_log(struct db *, const char *id, const char *after,
	    long limit, struct db_deenroll_log **rows, size_t *n)
	    __attribute__((warn_unused_result));

#endif
