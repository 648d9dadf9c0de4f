/*
 * supervisor: a master process that keeps one child process running, as
 * the masters of php-fpm, nginx and PostgreSQL do, so that a request
 * process killed by the OOM killer, a kill -9 or a crash is back within
 * moments instead of staying down until someone restarts it.
 *
 * The master does no work of its own: it forks the child, waits, and when
 * the child dies without being asked to, logs how and starts another one.
 * Whatever the master holds when it forks (a listening socket, say) is
 * inherited by every child, so a socket outlives the children: connections
 * that arrive while no child runs wait in its backlog.
 *
 * Back-off: a child that dies after running SUPERVISOR_STABLE_SECONDS or
 * more is restarted at once; so is the first of a row of children that die
 * sooner; each further one in that row waits twice as long as the one
 * before, from SUPERVISOR_FIRST_DELAY_MS up to SUPERVISOR_MAX_DELAY_MS, so
 * a child that cannot start does not spin.
 *
 * Signals: SIGTERM and SIGINT are passed on to the child, and the master
 * exits once the child is gone; SIGHUP is passed on. If the master itself
 * dies (kill -9), the child gets SIGTERM from the kernel (Linux's
 * PR_SET_PDEATHSIG): no orphan keeps serving on its own.
 */
#ifndef MINICRM_SUPERVISOR_H
#define MINICRM_SUPERVISOR_H

#define SUPERVISOR_STABLE_SECONDS	10
#define SUPERVISOR_FIRST_DELAY_MS	250
#define SUPERVISOR_MAX_DELAY_MS		4000

struct supervisor {
	/* What the child is, for the log: "request process". */
	const char	*what;
	/*
	 * Runs in each child, with the signal dispositions the caller had
	 * when it called supervisor_run and its signal mask plus SIGTERM,
	 * SIGINT and SIGHUP: one that the master passes on while the child
	 * sets up stays pending (rather than killing it by its default
	 * action) until child_main unblocks or sigwaits it. Returns the
	 * child's exit status. The child exits through exit(), so atexit
	 * handlers and stdio buffers behave as they would in a plain main.
	 */
	int		 (*child_main)(void *arg);
	void		*arg;
};

/*
 * Start the child and keep one running until SIGTERM or SIGINT; then pass
 * the signal on, wait for the child to exit and return its exit status
 * (128 + the signal's number if a signal ended it; 0 if none was running).
 * Returns 1 if the first child cannot be forked. The caller must not have
 * threads running (the children are forked from it). Allocates nothing.
 */
int	supervisor_run(const struct supervisor *);

/*
 * The wait before restarting a child that was the quick-th in a row to die
 * within SUPERVISOR_STABLE_SECONDS of starting (1: the first), in ms.
 */
long	supervisor_backoff_ms(int quick);

#endif
