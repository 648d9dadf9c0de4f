/*
 * deenroll: campaign de-enrollment (the de-enrollment SOP's V2 script, in
 * C). For each client — or the one asked for — a run: a de_enrollment_runs
 * row, then process_de_enrollment_batch() (sql/0012) batch after batch
 * until none is left, the run's time is up (then the run is "partial") or
 * the stop flag is raised; the row is closed with its figures. Each client
 * is a run of its own: one that fails (its error kept on its row) does not
 * stop the others. Two runs at once split the leads between them (the
 * batches take them FOR UPDATE SKIP LOCKED), never share one.
 *
 * Used by `minicrm deenroll`, the worker's deenroll job (every 15 minutes),
 * the portal's "run now" and POST /api/internal/de-enrollment/run.
 */
#ifndef MINICRM_DEENROLL_H
#define MINICRM_DEENROLL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "db.h"

#define DEENROLL_BATCH_DEFAULT		100	/* DE_ENROLLMENT_BATCH_SIZE */
#define DEENROLL_RUNTIME_DEFAULT	240000	/* DE_ENROLLMENT_MAX_RUNTIME, ms */

enum deenroll_status {
	DEENROLL_SUCCESS,	/* every finished lead completed */
	DEENROLL_PARTIAL,	/* stopped between batches: time up, or stop */
	DEENROLL_FAILED		/* a batch failed; error says why */
};

struct deenroll_client;

struct deenroll_options {
	const char		*client_id;	/* one client (uuid), or NULL: all */
	long			 batch_size;	/* 0: DE_ENROLLMENT_BATCH_SIZE */
	long			 max_runtime_ms; /* 0: DE_ENROLLMENT_MAX_RUNTIME */
	bool			 dry_run;	/* count, change and record nothing */
	/* Kept on the run's row: "worker", "cli", "portal:<e-mail>",
	 * "api:<key name>". */
	const char		*triggered_by;
	/* Checked between batches (may be NULL). */
	volatile sig_atomic_t	*stop;
	/* Called after each batch and at each run's end (may be NULL). */
	void			(*progress)(void *ctx,
				    const struct deenroll_client *client);
	void			*progress_ctx;
};

/* One client's run. */
struct deenroll_client {
	char			 client_id[37];
	char			 client_slug[64];
	char			 run_id[37];	/* "" for a dry run */
	enum deenroll_status	 status;
	bool			 finished;	/* false while batches go on */
	long			 evaluated;	/* dry run: finished leads found */
	long			 de_enrolled;
	long			 batches;
	long			 duration_ms;
	char			 error[256];	/* "" unless DEENROLL_FAILED */
};

struct deenroll_report {
	size_t			 nclients;
	struct deenroll_client	*clients;	/* nclients of them */
	long			 de_enrolled;	/* over all clients */
	size_t			 failed;	/* clients whose run failed */
	size_t			 partial;
};

/*
 * Run de-enrollment on db (a connection the caller opened and closes).
 * Returns 0 with *report filled (the caller frees it with
 * deenroll_report_free, also after a failure), or a db_status if the
 * clients could not be read. An unknown client_id (or one without
 * campaigns) gives a report of no clients.
 */
int	deenroll_run(struct db *db, const struct deenroll_options *opts,
	    struct deenroll_report *report) __attribute__((warn_unused_result));

/* Free what deenroll_run allocated in *report (not report itself). */
void	deenroll_report_free(struct deenroll_report *report);

/* "success", "partial", "failed": as de_enrollment_runs.status says it. */
const char	*deenroll_status_name(enum deenroll_status);

#endif
