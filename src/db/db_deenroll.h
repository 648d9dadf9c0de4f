/*
 * db_deenroll: the store of the de-enrollment job (sql_deenroll.def,
 * sql/0012): the clients a run covers, a run's row opened and closed, one
 * batch, the dry run's count, the health view's rows, the campaigns'
 * recalculation, the cleanup. deenroll.c and deenroll_health.c turn them
 * into runs and judged health.
 */
#ifndef MINICRM_DB_DEENROLL_H
#define MINICRM_DB_DEENROLL_H

#include <stddef.h>

#include "db.h"

/* A client to run (STMT_DEENROLL_CLIENTS). */
enum db_deenroll_client_col { DEENROLL_CLIENT_ID, DEENROLL_CLIENT_SLUG };

struct db_deenroll_client {
	const char	*id;
	const char	*slug;
};

/*
 * The clients with campaigns, or client_id alone (NULL: all; it must be a
 * well-formed uuid), by slug. *rows (*n of them) is one allocation,
 * strings included, the caller free()s (also for none). A db_status.
 */
int	db_deenroll_clients(struct db *, const char *client_id,
	    struct db_deenroll_client **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* Is there a client with this id (a well-formed uuid)? 1, 0, or a
 * negative db_status. */
int	db_deenroll_client_exists(struct db *, const char *client_id)
	    __attribute__((warn_unused_result));

/* Open a run's row for client_id, status 'running': its id into run_id.
 * A db_status. */
int	db_deenroll_run_open(struct db *, const char *client_id,
	    const char *triggered_by, char run_id[37])
	    __attribute__((warn_unused_result));

/* One batch of at most batch_size leads (process_de_enrollment_batch):
 * *done is how many it completed. A db_status; on an error nothing of the
 * batch was kept. */
int	db_deenroll_batch(struct db *, const char *run_id,
	    const char *client_id, long batch_size, long *done)
	    __attribute__((warn_unused_result));

/* Close the run's row: status ("success", "partial", "failed"), its
 * duration, and error (NULL unless failed). A db_status. */
int	db_deenroll_run_close(struct db *, const char *run_id,
	    const char *status, long duration_ms, const char *error)
	    __attribute__((warn_unused_result));

/* The client's stuck leads (de_enrollment_stuck_leads) into *n. */
int	db_deenroll_stuck(struct db *, const char *client_id, long *n)
	    __attribute__((warn_unused_result));

/* The columns of STMT_DEENROLL_HEALTH. */
enum db_deenroll_health_col {
	DH_CLIENT_ID, DH_CLIENT_SLUG, DH_RUNS, DH_SUCCESSFUL, DH_FAILED,
	DH_PARTIAL, DH_SUCCESS_RATE, DH_HOURS_SINCE_SUCCESS, DH_AVG_DURATION,
	DH_DE_ENROLLED, DH_STUCK, DH_LAST_RUN_AT, DH_LAST_SUCCESS_AT
};

/* A de_enrollment_health row; the numbers that may be SQL NULL as text
 * (NULL for NULL), for the domain to read. */
struct db_deenroll_health {
	const char	*client_id;
	const char	*client_slug;
	long long	 runs_24h;
	long long	 successful_runs_24h;
	long long	 failed_runs_24h;
	long long	 partial_runs_24h;
	const char	*success_rate_24h;	/* NULL: no finished run */
	const char	*hours_since_success;	/* NULL: never ran */
	const char	*avg_duration_ms_24h;	/* NULL: no run timed */
	long long	 leads_de_enrolled_24h;
	long long	 stuck_leads;
	const char	*last_run_at;		/* ISO 8601 UTC, or "" */
	const char	*last_success_at;	/* or "" */
};

/*
 * The health view's rows, client_id's alone (NULL: all), by slug. *rows
 * (*n) is one allocation the caller free()s (also for none). A db_status.
 */
int	db_deenroll_health(struct db *, const char *client_id,
	    struct db_deenroll_health **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* campaigns_recalculate for client_id (NULL: all): *changed campaigns. */
int	db_deenroll_recalc(struct db *, const char *client_id, long *changed)
	    __attribute__((warn_unused_result));

/* de_enrollment_cleanup: runs older than runs_days, lead logs older than
 * logs_days; *removed rows. A db_status. */
int	db_deenroll_cleanup(struct db *, long runs_days, long logs_days,
	    long *removed) __attribute__((warn_unused_result));

/* The SOP's step 3.2 figures over all leads. Nothing to free. */
struct db_deenroll_migration_check {
	long long	 completed_today;
	long long	 with_history;
	char		 avg_history[24];	/* as PostgreSQL rounds it */
};

int	db_deenroll_migration_check(struct db *,
	    struct db_deenroll_migration_check *out)
	    __attribute__((warn_unused_result));

#endif
