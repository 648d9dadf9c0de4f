/*
 * test_supervisor: the back-off schedule, and a master with real children:
 * a child that keeps dying is restarted with the back-off, not in a spin;
 * a child killed is replaced at once; SIGHUP reaches the child, also one
 * still setting up; SIGTERM stops the child and then the master, which
 * returns the child's status.
 *
 * Each master runs in a process of its own, forked here; its children
 * report to this process through a pipe: their pid when they start, 0 for
 * each SIGHUP they get.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "supervisor.h"

static int	report_fd = -1;

static void
report(pid_t what)
{
	if (write(report_fd, &what, sizeof(what)) != (ssize_t)sizeof(what))
		_exit(99);
}

/* Next report within ms, or -1. */
static pid_t
next_report(int fd, int ms)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	pid_t		 what;

	if (poll(&p, 1, ms) != 1 ||
	    read(fd, &what, sizeof(what)) != (ssize_t)sizeof(what))
		return -1;
	return what;
}

/* A child that cannot start: it dies at once, again and again. */
static int
dies_at_once(void *arg)
{
	(void)arg;
	report(getpid());
	return 3;
}

/*
 * A child that serves until SIGTERM, reporting each SIGHUP; exits 7. It
 * takes 0.2 s to set up after it reports its pid, and only then blocks
 * the signals it waits for.
 */
static int
serves_until_term(void *arg)
{
	struct timespec	 setup = { 0, 200 * 1000 * 1000 };
	sigset_t	 set;
	int		 sig;

	(void)arg;
	report(getpid());
	while (nanosleep(&setup, &setup) == -1 && errno == EINTR)
		;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM)
			return 7;
		report(0);
	}
}

/* Fork a master running child_main; its children report to fds[1]. */
static pid_t
start_master(int (*child_main)(void *), int fds[2])
{
	struct supervisor	 sv = { "test process", child_main, NULL };
	pid_t			 pid;

	if (pipe(fds) == -1)
		exit(1);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		report_fd = fds[1];
		_exit(supervisor_run(&sv));
	}
	close(fds[1]);
	return pid;
}

/* The master's exit status, or -1 if it did not exit normally. */
static int
master_status(pid_t pid)
{
	int	 status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_backoff(void)
{
	CHECK_I64("the first quick death: restarted at once",
	    supervisor_backoff_ms(1), 0);
	CHECK_I64("the second: after the first delay",
	    supervisor_backoff_ms(2), SUPERVISOR_FIRST_DELAY_MS);
	CHECK_I64("the third: twice that", supervisor_backoff_ms(3),
	    2 * SUPERVISOR_FIRST_DELAY_MS);
	CHECK_I64("then doubling", supervisor_backoff_ms(5),
	    8 * SUPERVISOR_FIRST_DELAY_MS);
	CHECK_I64("up to the longest", supervisor_backoff_ms(7),
	    SUPERVISOR_MAX_DELAY_MS);
	CHECK_I64("and no further", supervisor_backoff_ms(1000),
	    SUPERVISOR_MAX_DELAY_MS);
	CHECK_I64("no quick death yet: at once", supervisor_backoff_ms(0), 0);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_crash_loop(void)
{
	int	 fds[2], starts = 0;
	long	 fourth = -1;
	pid_t	 master = start_master(dies_at_once, fds);
	struct timespec	 t0;

	/* Starts at 0, 0 (the first restart), 0.25 and 0.75 s plus the
	 * children's own short lives (longer under valgrind): wait for the
	 * fourth, then stop the master inside the 1 s back-off after it. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (starts < 4 && ms_since(&t0) < 5000)
		if (next_report(fds[0], 50) > 0 && ++starts == 4)
			fourth = ms_since(&t0);
	usleep(600 * 1000);
	kill(master, SIGTERM);
	CHECK_I64("stopped during a back-off, the master exits 0",
	    master_status(master), 0);
	fprintf(stderr, "a child dying at once: 4th start after %ld ms\n",
	    fourth);
	CHECK(starts == 4);		/* it is restarted */
	CHECK(fourth >= 700);		/* with a back-off: 0.25 + 0.5 s */
	CHECK(next_report(fds[0], 0) <= 0);	/* and not again meanwhile */
	close(fds[0]);
}

static void
test_signals(void)
{
	int	 fds[2];
	pid_t	 master = start_master(serves_until_term, fds);
	pid_t	 first, second;

	first = next_report(fds[0], 5000);
	CHECK(first > 0 && first != master);
	/* The child is still setting up: the signal waits for it. */
	kill(master, SIGHUP);
	CHECK_I64("SIGHUP to the master reaches the child, even one still "
	    "setting up (not killed by it)", next_report(fds[0], 5000), 0);
	kill(first, SIGKILL);
	second = next_report(fds[0], 1000);
	CHECK(second > 0 && second != first);	/* replaced within 1 s */
	nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
	kill(master, SIGHUP);
	CHECK_I64("...and the new child", next_report(fds[0], 5000), 0);
	kill(master, SIGTERM);
	CHECK_I64("SIGTERM: the child exits (7) and the master with its "
	    "status", master_status(master), 7);
	CHECK(kill(second, 0) == -1);	/* reaped: no orphan */
	close(fds[0]);
}

int
main(void)
{
	test_backoff();
	test_crash_loop();
	test_signals();
	return check_done("test_supervisor");
}
