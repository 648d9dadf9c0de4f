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

#include <json-c/json.h>

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
	/* Called after each batch and at each run's end (may be NULL); with
	 * workers > 1 from their threads, one call at a time. */
	void			(*progress)(void *ctx,
				    const struct deenroll_client *client);
	void			*progress_ctx;
	/* Clients run at once, each worker on a connection of its own (the
	 * caller's is one of them): 0 or 1 one at a time (the API, the
	 * portal); deenroll_workers() for the CLI and the worker. */
	long			 workers;
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

/*
 * Health, per client, from the de_enrollment_health view, judged by the
 * SOP's thresholds. Shared by `minicrm deenroll --health-check`, the
 * alerts and the portal's health table, so all three mark the same lines.
 */
#define DEENROLL_SUCCESS_RATE_MIN	95.0	/* % over 24 h: below, WARNING */
#define DEENROLL_FAILED_RUNS_MAX	5	/* in 24 h: above, WARNING */
#define DEENROLL_HOURS_SINCE_SUCCESS_MAX 2.0	/* above: ERROR */
#define DEENROLL_STUCK_NOTICE		50	/* above: NOTICE (SOP: expect < 50) */
#define DEENROLL_STUCK_WARNING		100	/* above: WARNING */
#define DEENROLL_STUCK_ERROR		500	/* above: ERROR */
#define DEENROLL_AVG_DURATION_MAX_MS	240000	/* above: WARNING (4 min) */

enum deenroll_level {
	DEENROLL_OK,
	DEENROLL_NOTICE,
	DEENROLL_WARNING,
	DEENROLL_ERROR
};

/* Which of the SOP's thresholds a client is past (bit per check). */
enum deenroll_check {
	DEENROLL_CHECK_SUCCESS_RATE	= 1 << 0,
	DEENROLL_CHECK_FAILED_RUNS	= 1 << 1,
	DEENROLL_CHECK_SINCE_SUCCESS	= 1 << 2,
	DEENROLL_CHECK_STUCK		= 1 << 3,
	DEENROLL_CHECK_DURATION		= 1 << 4
};

struct deenroll_health_row {
	char			 client_id[37];
	char			 client_slug[64];
	long			 runs_24h;
	long			 successful_runs_24h;
	long			 failed_runs_24h;
	long			 partial_runs_24h;
	bool			 has_success_rate;	/* false: no finished run */
	double			 success_rate_24h;	/* percent */
	bool			 has_hours_since_success; /* false: never ran */
	double			 hours_since_success;
	bool			 has_avg_duration;
	long			 avg_duration_ms_24h;
	long			 leads_de_enrolled_24h;
	long			 stuck_leads;
	char			 last_run_at[40];	/* ISO 8601 UTC, or "" */
	char			 last_success_at[40];	/* or "" */
	unsigned		 checks;	/* enum deenroll_check bits past */
	enum deenroll_level	 level;		/* the worst of them */
	char			 summary[160];	/* one line, as --health-check */
};

struct deenroll_health {
	size_t				 nrows;
	struct deenroll_health_row	*rows;	/* by client slug */
	enum deenroll_level		 level;	/* the worst row's */
};

/*
 * Read and judge every client's health (or client_id's alone, if not
 * NULL) into *out. Returns 0, or a db_status. The caller frees *out with
 * deenroll_health_free, also after a failure.
 */
int	deenroll_health_read(struct db *db, const char *client_id,
	    struct deenroll_health *out) __attribute__((warn_unused_result));

void	deenroll_health_free(struct deenroll_health *);

/* "ok", "notice", "warning", "error". */
const char	*deenroll_level_name(enum deenroll_level);

/*
 * Added by the job's implementation (deenroll.c, deenroll_health.c).
 */

/* DE_ENROLLMENT_BATCH_SIZE (1..10000) and DE_ENROLLMENT_MAX_RUNTIME (ms,
 * up to a day), as a run with 0 in its options reads them. */
long	deenroll_batch_size(void);
long	deenroll_max_runtime(void);
/* DE_ENROLLMENT_WORKERS (default 2, 1 to 16): clients run at once. */
long	deenroll_workers(void);

/* Is there a client with this id? 1, 0 (also for a malformed id), or a
 * negative db_status. */
int	deenroll_client_exists(struct db *db, const char *client_id)
	    __attribute__((warn_unused_result));

/* The SOP's stats fix (campaigns_recalculate): every campaign's counts
 * from its leads, client_id's (NULL: all). *changed is how many were off.
 * A db_status; a malformed client_id changes nothing. */
int	deenroll_recalc(struct db *db, const char *client_id, long *changed)
	    __attribute__((warn_unused_result));

/* A run's report as JSON: status (the worst: failed, partial, success),
 * dry_run, clients_run, leads_de_enrolled, failed, partial, and clients[]
 * with each run's figures. The caller frees it (json_object_put). */
json_object	*deenroll_report_json(const struct deenroll_report *r,
		    bool dry_run);

/* The health as JSON: level, ok, thresholds, clients[] (each row's
 * figures, level, summary, checks_failed, problems). The caller frees it
 * (json_object_put). */
json_object	*deenroll_health_json(const struct deenroll_health *h);

/*
 * The body of POST /api/internal/de-enrollment/run: {} or {"client_id":
 * "<uuid>"}. Returns NULL with client_id filled ("" when absent), or the
 * 400 answer naming every problem ({"error", "errors": [{field,
 * message}]}), which the caller frees (json_object_put). body[len] must be
 * '\0'.
 */
json_object	*deenroll_request_parse(const char *body, size_t len,
		    char client_id[37]);

/* One line of a client's health: a threshold past (check, a bit of enum
 * deenroll_check; 0 for a line that is no threshold's, such as a failed
 * run or two) and how bad. */
struct deenroll_problem {
	enum deenroll_level	 level;
	unsigned		 check;
	char			 text[160];	/* as --health-check prints it */
};

#define DEENROLL_PROBLEMS_MAX	6

/*
 * Judge row by the SOP's thresholds from its figures: fills its checks,
 * level and summary (the worst line, or the "✅" line). Pure.
 */
void	deenroll_health_judge(struct deenroll_health_row *row);

/*
 * The lines of row (judged or not), worst first, into out (room for
 * DEENROLL_PROBLEMS_MAX). Returns how many; 0 when all is well. Pure.
 */
size_t	deenroll_health_problems(const struct deenroll_health_row *row,
	    struct deenroll_problem *out);

#endif
