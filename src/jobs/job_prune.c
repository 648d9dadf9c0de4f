/*
 * job prune: remove retry-queue rows that were replayed (state done) more
 * than RETRY_DONE_KEEP_DAYS ago. Their events are in the log; the rows only
 * slow the queue's counts and lists. Pending, dead and discarded rows are
 * never touched (the database function allows nothing else; 0007).
 *
 * Rows go in batches, each its own short transaction, so a first prune of a
 * long history neither holds locks for long nor ignores SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "db_job.h"
#include "job.h"

#define PRUNE_BATCH	5000

enum job_outcome
job_prune(struct job_run *run)
{
	long		 keep, pruned = 0, n;
	int		 rc;

	keep = config_get_long("RETRY_DONE_KEEP_DAYS", 30, 1, 3650);
	do {
		if ((rc = db_job_prune(run->db, keep, PRUNE_BATCH, &n)) !=
		    DB_OK) {
			snprintf(run->summary, sizeof(run->summary),
			    "%ld pruned, then %s (%s)", pruned,
			    db_status_text(rc), run->db->error);
			return JOB_FAILED;
		}
		pruned += n;
	} while (n == PRUNE_BATCH && (run->stop == NULL || !*run->stop));
	snprintf(run->summary, sizeof(run->summary),
	    "pruned %ld done rows replayed more than %ld days ago", pruned,
	    keep);
	return JOB_DONE;
}
