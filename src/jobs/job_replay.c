/*
 * job replay: the retry queue's replay (replay.h) as a periodic job. The
 * stop flag goes into the replay, which finishes the row in hand (committed
 * or rolled back) and returns, so SIGTERM never leaves a row half-done.
 */
#include <stdio.h>
#include <string.h>

#include "job.h"
#include "replay.h"

enum job_outcome
job_replay(struct job_run *run)
{
	struct replay_options	 opts = { 0 };
	struct replay_result	 r = { 0 };
	int			 rc;

	opts.stop = run->stop;
	rc = replay_run(run->db, &opts, &r);
	snprintf(run->summary, sizeof(run->summary), "%s%ld taken, %ld logged, "
	    "%ld duplicates, %ld failed (will retry), %ld dead%s%s",
	    rc == 0 ? "" : "stopped: ", r.taken, r.logged, r.duplicates,
	    r.failed, r.dead, rc == 0 ? "" : "; ",
	    rc == 0 ? "" : db_status_text(rc));
	if (run->stop != NULL && *run->stop && rc == 0)
		snprintf(run->summary + strlen(run->summary),
		    sizeof(run->summary) - strlen(run->summary),
		    " (interrupted: the rest waits for the next run)");
	return rc == 0 ? JOB_DONE : JOB_FAILED;
}
