/*
 * worker: `minicrm worker`, the loop that runs every job of job.h on its
 * schedule (each job's interval setting; 0 leaves a job to cron or a
 * systemd timer). Every job runs once at start, then every interval after
 * its last run ended. Each job has its own database connection, on which
 * job_run() takes the job's advisory lock.
 *
 * When *stop becomes non-zero (SIGTERM, SIGINT) nothing more is started;
 * the job in hand finishes its current row or batch (the flag is passed
 * down to it) and worker_run returns.
 */
#ifndef MINICRM_WORKER_H
#define MINICRM_WORKER_H

#include <signal.h>

/* Runs until *stop. Returns 0, or 1 if no database URL is configured. */
int	worker_run(volatile sig_atomic_t *stop);

/*
 * The database URL the worker uses (MINICRM_APP_DATABASE_URL, else
 * DATABASE_URL), or NULL if neither is set. Points into the
 * configuration: not to be freed.
 */
const char	*worker_database_url(void);

#endif
