/*
 * db_job: the store of the worker's jobs (sql_worker.def): the advisory
 * lock each run holds (job.c) and the pruning of replayed retry rows
 * (job_prune.c). The alerts' state is db_alert.h's.
 */
#ifndef MINICRM_DB_JOB_H
#define MINICRM_DB_JOB_H

#include "db.h"

/*
 * Take job name's advisory lock (session-level, on this connection).
 * Returns 1 taken, 0 another session holds it, or a negative db_status.
 */
int	db_job_lock(struct db *, const char *name)
	    __attribute__((warn_unused_result));

/* Let it go. A db_status; a lost connection has let it go already. */
int	db_job_unlock(struct db *, const char *name);

/*
 * Remove at most batch retry rows replayed more than keep_days ago
 * (retry_queue_prune()); *pruned says how many went. A db_status.
 */
int	db_job_prune(struct db *, long keep_days, long batch, long *pruned)
	    __attribute__((warn_unused_result));

#endif
