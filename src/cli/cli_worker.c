/*
 * minicrm worker: runs the periodic jobs on their schedules (worker.h), in
 * a worker process that a master (supervisor.h) restarts if it dies; the
 * pid of `minicrm worker` is the master's.
 * minicrm job run NAME: runs one job once, under its lock, for cron,
 * systemd timers or n8n; the exit status tells the outcome (job.h):
 * 0 done, 1 failed, 2 usage, 3 skipped (another run holds the lock).
 * minicrm job list: the jobs, their settings and intervals.
 *
 * SIGTERM or SIGINT: nothing new starts; the job in hand finishes its
 * current row or batch, then the command exits 0. (The worker's master
 * passes the signal on and exits when its worker process has.)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "cli.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "supervisor.h"
#include "worker.h"

/*
 * The worker process, in each child the master starts. It begins with
 * the stop signals blocked (supervisor.h): a SIGTERM that came meanwhile
 * reaches the handler once it is in place. SIGHUP stays blocked: the
 * worker has nothing to reload, and it must not die of one.
 */
static int
worker_child(void *arg)
{
	volatile sig_atomic_t	*stop;
	sigset_t		 stops;

	(void)arg;
	metrics_child_started();
	alert_init();
	stop = cli_stop_on_signals();
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_UNBLOCK, &stops, NULL);
	return worker_run(stop);
}

int
cli_worker(int argc, char **argv)
{
	static const struct supervisor sv = { "worker process", worker_child,
	    NULL };

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: minicrm worker\n");
		return 2;
	}
	/* A worker that cannot run for want of a setting is refused here,
	 * once, rather than restarted forever. */
	if (worker_database_url() == NULL) {
		log_error("MINICRM_APP_DATABASE_URL is not set and no instance "
		    "was found (start one with make run, or set MINICRM_CONF)");
		return 1;
	}
	/* Its database errors and memory, for GET /metrics (metrics.h). */
	(void)metrics_open(METRICS_WORKER);
	return supervisor_run(&sv);
}

static int
job_usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: minicrm job run NAME | job list\njobs:");
	for (i = 0; i < jobs_count; i++)
		fprintf(stderr, " %s", jobs[i].name);
	fprintf(stderr, "\n");
	return 2;
}

static int
job_list(void)
{
	size_t	 i;

	for (i = 0; i < jobs_count; i++)
		printf("%-16s every %6ld s (%s)  %s\n", jobs[i].name,
		    job_interval(&jobs[i]), jobs[i].interval_key,
		    jobs[i].what);
	return 0;
}

int
cli_job(int argc, char **argv)
{
	const struct job	*job;
	struct db		 db;
	const char		*name;
	int			 out;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return job_list();
	/* "job run NAME", or "job NAME" for short. */
	if (argc == 3 && strcmp(argv[1], "run") == 0)
		name = argv[2];
	else if (argc == 2)
		name = argv[1];
	else
		return job_usage();
	if ((job = job_find(name)) == NULL) {
		fprintf(stderr, "minicrm: no job %s\n", name);
		return job_usage();
	}
	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return JOB_FAILED;
	alert_init();
	out = job_run(job, &db, cli_stop_on_signals());
	db_close(&db);
	return out;
}
