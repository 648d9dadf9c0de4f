/* supervisor: fork, wait, restart with back-off (see supervisor.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "clock.h"
#include "log.h"
#include "supervisor.h"

/* The master's state between two signals. */
struct master {
	const struct supervisor	*sv;
	sigset_t		 caller_mask;	/* restored in each child */
	pid_t			 child;		/* -1: none running */
	double			 started;	/* when the child was forked */
	double			 restart_at;	/* with no child: when to fork */
	int			 quick;		/* quick deaths in a row */
	int			 stopping;
	int			 status;	/* the last child's exit status */
};

/*
 * The master blocks SIGCHLD and takes it with sigtimedwait; a handler,
 * even one that does nothing, makes sure the kernel queues it rather than
 * discarding it as a signal whose default is to be ignored.
 */
static void
on_sigchld(int sig)
{
	(void)sig;
}

/* In the child: the caller's signal set-up back, then child_main. */
static void
child_run(struct master *m, pid_t master_pid)
{
	struct sigaction	 sa;
	sigset_t		 mask = m->caller_mask;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
#ifdef __linux__
	/* The master gone, the child would serve on alone with nobody to
	 * restart or stop it: let the kernel send it SIGTERM. A master
	 * killed before this line is caught by the getppid() test. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != master_pid)
		_exit(0);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	exit(m->sv->child_main(m->sv->arg));
}

/*
 * Fork a child; on failure try again after the longest back-off. after:
 * what became of the child before, to log with the new one's pid (NULL:
 * log nothing).
 */
static void
start_child(struct master *m, const char *after)
{
	pid_t	 master_pid = getpid(), pid;

	if ((pid = fork()) == 0)
		child_run(m, master_pid);
	if (pid == -1) {
		log_error("cannot start a %s: %s; trying again in %d ms",
		    m->sv->what, strerror(errno), SUPERVISOR_MAX_DELAY_MS);
		m->restart_at = clock_mono() + SUPERVISOR_MAX_DELAY_MS / 1000.0;
		return;
	}
	m->child = pid;
	m->started = clock_mono();
	if (after != NULL)
		log_warn("%s; restarted as %ld", after, (long)pid);
}

/* How a child ended, for the log: "killed by signal 9 (Killed)". */
static void
describe_end(int status, char *out, size_t outsz, double lived)
{
	char	 how[96];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	snprintf(out, outsz, "%s after %.1f s", how, lived);
}

long
supervisor_backoff_ms(int quick)
{
	long	 ms;
	int	 i;

	if (quick <= 1)
		return 0;
	ms = SUPERVISOR_FIRST_DELAY_MS;
	for (i = 2; i < quick && ms < SUPERVISOR_MAX_DELAY_MS; i++)
		ms *= 2;
	return ms < SUPERVISOR_MAX_DELAY_MS ? ms : SUPERVISOR_MAX_DELAY_MS;
}

/*
 * The child is gone. Asked to stop: keep its status. Otherwise restart
 * it, at once or after the back-off (supervisor.h).
 */
static void
child_ended(struct master *m, int status)
{
	char	 line[256], how[160];
	double	 lived = clock_mono() - m->started;
	long	 delay_ms;
	pid_t	 dead = m->child;

	m->child = -1;
	m->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
	    WEXITSTATUS(status);
	if (m->stopping)
		return;
	if (lived >= SUPERVISOR_STABLE_SECONDS)
		m->quick = 0;
	if (m->quick < 1000)	/* the delay stopped growing long before */
		m->quick++;
	delay_ms = supervisor_backoff_ms(m->quick);
	describe_end(status, how, sizeof(how), lived);
	snprintf(line, sizeof(line), "%s %ld %s", m->sv->what, (long)dead,
	    how);
	if (delay_ms == 0) {
		start_child(m, line);
		return;
	}
	log_warn("%s; restarting in %.2f s (%d deaths within %d s of "
	    "starting in a row)", line, (double)delay_ms / 1000.0, m->quick,
	    SUPERVISOR_STABLE_SECONDS);
	m->restart_at = clock_mono() + (double)delay_ms / 1000.0;
}

/* Collect every child that has ended (only ours can be). */
static void
reap(struct master *m)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == m->child)
			child_ended(m, status);
}

/* Wait for the next signal; with no child, no longer than its restart. */
static int
next_signal(struct master *m, const sigset_t *set)
{
	struct timespec	 ts;
	double		 left;

	if (m->child != -1)
		return sigwaitinfo(set, NULL);
	left = m->restart_at - clock_mono();
	if (left <= 0)
		return 0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	return sigtimedwait(set, NULL, &ts);
}

int
supervisor_run(const struct supervisor *sv)
{
	struct master		 m;
	struct sigaction	 sa, old_chld;
	sigset_t		 set;
	int			 sig;

	memset(&m, 0, sizeof(m));
	m.sv = sv;
	m.child = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &m.caller_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old_chld);

	start_child(&m, NULL);
	if (m.child == -1) {
		sigaction(SIGCHLD, &old_chld, NULL);
		sigprocmask(SIG_SETMASK, &m.caller_mask, NULL);
		return 1;
	}
	while (m.child != -1 || !m.stopping) {
		if (m.child == -1 && clock_mono() >= m.restart_at) {
			start_child(&m, NULL);
			if (m.child != -1)
				log_warn("%s restarted as %ld", sv->what,
				    (long)m.child);
			continue;
		}
		if ((sig = next_signal(&m, &set)) <= 0)
			continue;	/* time to restart, or EINTR */
		switch (sig) {
		case SIGCHLD:
			reap(&m);
			break;
		case SIGHUP:
			if (m.child != -1)
				kill(m.child, SIGHUP);
			break;
		default:	/* SIGTERM, SIGINT */
			if (!m.stopping)
				log_info("signal %d: stopping the %s", sig,
				    sv->what);
			m.stopping = 1;
			if (m.child != -1)
				kill(m.child, sig);
			else
				m.status = 0;	/* stopped during a back-off */
			break;
		}
	}
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &m.caller_mask, NULL);
	return m.status;
}
