/* fcgi_server: socket, worker threads and signals (see fcgi_server.h). */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "clock.h"
#include "config.h"
#include "fcgi_server.h"
#include "log.h"
#include "supervisor.h"
#include "validate.h"

struct worker {
	pthread_t		 thread;
	const struct fcgi_app	*app;
	int			 listen_fd;
};

/* The request's line in the log and its counts in the metrics. */
static void
request_done(const struct http_request *req, const char *method,
    double seconds)
{
	const char *route = req->route ? req->route : "(unmatched)";

	/* A server error's line stays at LOG_LEVEL=warn. */
	enum log_level level = req->status >= 500 ? LOG_WARN : LOG_INFO;

	metrics_request(route, req->status, seconds, req->bytes);
	if (log_enabled(level)) {
		struct log_field f[] = {
			LOG_STR("method", method),
			LOG_STR("route", route),
			LOG_INT("status", req->status),
			LOG_MS("duration_ms", seconds * 1e3),
			LOG_INT("bytes", (long long)req->bytes),
		};

		log_event(level, f, sizeof(f) / sizeof(f[0]),
		    "request %s %s %d %.1f ms %llu bytes", method, route,
		    req->status, seconds * 1e3, req->bytes);
	}
}

static void *
worker_run(void *arg)
{
	struct worker		*w = arg;
	FCGX_Request		 fcgi;
	struct http_request	 req;
	void			*ctx;

	memset(&req, 0, sizeof(req));
	if ((ctx = w->app->worker_new()) == NULL) {
		log_error("worker could not start");
		exit(1);
	}
	FCGX_InitRequest(&fcgi, w->listen_fd, 0);
	while (FCGX_Accept_r(&fcgi) == 0) {
		double t0;
		char		method[16];

		t0 = clock_mono();
		http_request_init(&req, &fcgi);
		log_request_id_set(req.request_id);
		/* The parameters go with FCGX_Finish_r (or a stream's abort);
		 * the route is the program's own string. */
		snprintf(method, sizeof(method), "%s", req.method);
		w->app->handle(ctx, &req);
		FCGX_Finish_r(&fcgi);
		request_done(&req, method, clock_mono() - t0);
		log_request_id_set(NULL);
		/* Keep small buffers for the next request, drop big ones, and
		 * after a big request hand its freed pages back: a batch's
		 * thousands of small JSON objects would otherwise stay
		 * resident in the malloc arenas. */
		if (req.body.cap > 256 * 1024)
			buf_free(&req.body);
#ifdef __GLIBC__
		if (req.body.len > 64 * 1024)
			malloc_trim(0);
#endif
	}
	buf_free(&req.body);
	w->app->worker_free(ctx);
	return NULL;
}

static void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [--socket PATH] [--workers N]\n"
	    "  without --socket, the FastCGI socket is inherited on fd 0\n",
	    name);
}

/* What the master hands each request process. */
struct server {
	const struct fcgi_app	*app;
	long			 nworkers;
	int			 listen_fd;
	const char		*where;		/* for the log */
};

/*
 * The request process: the worker threads on the master's socket, and
 * the signals in this thread. Runs in each child the supervisor starts;
 * returns its exit status. It never unlinks the socket: the master owns
 * it, and the next child listens on it.
 */
static int
serve(void *arg)
{
	struct server	*s = arg;
	struct worker	*workers;
	sigset_t	 sigs;
	pthread_attr_t	 attr;
	long		 i;
	int		 sig;

	/* Signals go to the main thread only: block them before threads
	 * (the supervisor starts us with them blocked already). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

#ifdef __GLIBC__
	/* One malloc arena per thread would keep tens of MB resident, and a
	 * 1 MiB batch's buffers would stay in the heap after it: give large
	 * blocks back to the kernel as soon as they are freed. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
	metrics_child_started();
	if (s->app->init != NULL && s->app->init() == -1)
		return 1;
	/* Never freed: the threads use it until the process exits. */
	if ((workers = calloc((size_t)s->nworkers, sizeof(*workers))) == NULL)
		return 1;
	/* Handlers neither recurse deeply (JSON is at most 32 levels) nor
	 * keep big arrays on the stack: 256 KiB is plenty. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < s->nworkers; i++) {
		workers[i].app = s->app;
		workers[i].listen_fd = s->listen_fd;
		if (pthread_create(&workers[i].thread, &attr, worker_run,
		    &workers[i]) != 0) {
			log_error("cannot start worker thread %ld", i);
			return 1;
		}
	}
	log_info("ready: %ld workers on %s (pid %ld)", s->nworkers, s->where,
	    (long)getpid());

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading");
			if (s->app->reload != NULL)
				s->app->reload();
			continue;
		}
		break;
	}
	log_info("stopping on signal %d", sig);
	/* Workers may be inside a request; exit without joining them (and
	 * without freeing what they still read). The database rolls back
	 * whatever they had not committed. */
	return 0;
}

int
fcgi_server_main(const struct fcgi_app *app, int argc, char **argv)
{
	const char	*socket_path = NULL;
	struct server	 s;
	struct supervisor sv;
	int		 i, status;

	log_init(app->name);
	config_load();
	log_configure();	/* LOG_FORMAT, LOG_LEVEL */
	memset(&s, 0, sizeof(s));
	s.app = app;
	s.nworkers = config_get_long("MINICRM_WORKERS", 32, 1, 256);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 256, &s.nworkers) == -1) {
				usage(argv[0]);
				return 2;
			}
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (app->check != NULL && app->check() == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	/* The master opens the socket and keeps it: a request process that
	 * dies leaves it listening, and the next one accepts what queued. */
	s.listen_fd = 0;
	s.where = "fd 0";
	if (socket_path != NULL) {
		unlink(socket_path);
		if ((s.listen_fd = FCGX_OpenSocket(socket_path, 1024)) < 0) {
			log_error("cannot listen on %s: %s", socket_path,
			    strerror(errno));
			return 1;
		}
		chmod(socket_path, 0660);
		s.where = socket_path;
	}

	/* Before the fork: the request processes inherit the mapping. */
	(void)metrics_open(app->program);
	sv.what = "request process";
	sv.child_main = serve;
	sv.arg = &s;
	status = supervisor_run(&sv);
	if (socket_path != NULL)
		unlink(socket_path);
	log_info("stopped");
	return status;
}
