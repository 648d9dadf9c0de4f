/*
 * db_activity: the activity log's store — the one statement that writes
 * events (log_activity_batch), read into the caller's arrays.
 */
#ifndef MINICRM_DB_ACTIVITY_H
#define MINICRM_DB_ACTIVITY_H

#include <stddef.h>

#include "db.h"

/* LOG_BATCH's columns (sql_core.def). */
enum db_log_batch_col {
	DB_LOG_BATCH_ORD,	/* the row's ordinal in the batch, from 1 */
	DB_LOG_BATCH_ID,	/* its id in lead_activity_log */
	DB_LOG_BATCH_DUPLICATE	/* stored before (idempotency) */
};

/*
 * Write rows (a JSON array of nrows event rows, as log_activity_batch
 * reads them) in one statement, once: no retry, so it may run inside the
 * caller's transaction or savepoint. Fills ids[1..nrows] and
 * dups[1..nrows] by ordinal; the caller owns every argument. Returns a
 * db_status (DB_RETRY on a deadlock: the caller decides).
 */
int	db_activity_log_batch(struct db *, const char *rows, size_t nrows,
	    long long *ids, int *dups) __attribute__((warn_unused_result));

#endif
