/* fcgi_server: socket, worker threads and signals (see fcgi_server.h). */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "fcgi_server.h"
#include "log.h"
#include "validate.h"

struct worker {
	pthread_t		 thread;
	const struct fcgi_app	*app;
	int			 listen_fd;
};

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
		http_request_init(&req, &fcgi);
		w->app->handle(ctx, &req);
		FCGX_Finish_r(&fcgi);
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

int
fcgi_server_main(const struct fcgi_app *app, int argc, char **argv)
{
	const char	*socket_path = NULL;
	long		 nworkers;
	struct worker	*workers;
	sigset_t	 sigs;
	pthread_attr_t	 attr;
	int		 i, sig, fd = 0;

	log_init(app->name);
	config_load();
	nworkers = config_get_long("MINICRM_WORKERS", 32, 1, 256);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 256, &nworkers) == -1) {
				usage(argv[0]);
				return 2;
			}
		} else {
			usage(argv[0]);
			return 2;
		}
	}

	/* Signals go to the main thread only: block them before threads. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

#ifdef __GLIBC__
	/* One malloc arena per thread would keep tens of MB resident, and a
	 * 1 MiB batch's buffers would stay in the heap after it: give large
	 * blocks back to the kernel as soon as they are freed. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
	if (app->init != NULL && app->init() == -1)
		return 1;
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	if (socket_path != NULL) {
		unlink(socket_path);
		if ((fd = FCGX_OpenSocket(socket_path, 1024)) < 0) {
			log_error("cannot listen on %s: %s", socket_path,
			    strerror(errno));
			return 1;
		}
		chmod(socket_path, 0660);
	}

	if ((workers = calloc((size_t)nworkers, sizeof(*workers))) == NULL)
		return 1;
	/* Handlers neither recurse deeply (JSON is at most 32 levels) nor
	 * keep big arrays on the stack: 256 KiB is plenty. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nworkers; i++) {
		workers[i].app = app;
		workers[i].listen_fd = fd;
		if (pthread_create(&workers[i].thread, &attr, worker_run,
		    &workers[i]) != 0) {
			log_error("cannot start worker thread %d", i);
			return 1;
		}
	}
	log_info("ready: %ld workers on %s", nworkers,
	    socket_path ? socket_path : "fd 0");

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading");
			if (app->reload != NULL)
				app->reload();
			continue;
		}
		break;
	}
	log_info("stopping on signal %d", sig);
	if (socket_path != NULL)
		unlink(socket_path);
	/* Workers may be inside a request; exit without joining them (and
	 * without freeing what they still read). The database rolls back
	 * whatever they had not committed. */
	return 0;
}
