/* worker: the job scheduler loop (see worker.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "job.h"
#include "clock.h"
#include "log.h"
#include "worker.h"

#define WORKER_JOBS_MAX		16

/* Sleep until the monotonic time until, or less if *stop is set (a signal
 * cuts nanosleep short; the slices bound a signal that came just before). */
static void
sleep_until(double until, volatile sig_atomic_t *stop)
{
	struct timespec	 ts;
	double		 left;

	while (!*stop && (left = until - clock_mono()) > 0) {
		if (left > 1.0)
			left = 1.0;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
			break;
	}
}

const char *
worker_database_url(void)
{
	const char	*url;

	if ((url = config_get("MINICRM_APP_DATABASE_URL")) == NULL)
		url = config_get("DATABASE_URL");
	return url;
}

int
worker_run(volatile sig_atomic_t *stop)
{
	struct db	 dbs[WORKER_JOBS_MAX];
	double		 next[WORKER_JOBS_MAX], wake;
	long		 interval[WORKER_JOBS_MAX];
	const char	*url;
	struct buf	 plan = BUF_INIT;
	size_t		 i, n = jobs_count < WORKER_JOBS_MAX ? jobs_count :
			    WORKER_JOBS_MAX;

	if ((url = worker_database_url()) == NULL) {
		log_error("MINICRM_APP_DATABASE_URL is not set and no instance "
		    "was found (start one with make run, or set MINICRM_CONF)");
		return 1;
	}
	for (i = 0; i < n; i++) {
		/* A database that is down now is reached later: db_exec
		 * reconnects by itself. */
		if (db_open(&dbs[i], url) != DB_OK && i == 0)
			log_warn("database not reachable yet: %s",
			    dbs[i].error);
		interval[i] = job_interval(&jobs[i]);
		next[i] = clock_mono();
		if (interval[i] > 0)
			buf_printf(&plan, "%s%s every %ld s", i ? ", " : "",
			    jobs[i].name, interval[i]);
		else
			buf_printf(&plan, "%s%s not scheduled (%s=0)",
			    i ? ", " : "", jobs[i].name,
			    jobs[i].interval_key);
	}
	log_info("worker started: %s", buf_str(&plan));
	buf_free(&plan);

	while (!*stop) {
		wake = clock_mono() + 3600;
		for (i = 0; i < n && !*stop; i++) {
			if (interval[i] == 0)
				continue;
			if (clock_mono() >= next[i]) {
				job_run(&jobs[i], &dbs[i], stop);
				next[i] = clock_mono() + (double)interval[i];
			}
			if (next[i] < wake)
				wake = next[i];
		}
		sleep_until(wake, stop);
	}
	log_info("worker stopped by a signal");
	for (i = 0; i < n; i++)
		db_close(&dbs[i]);
	return 0;
}
