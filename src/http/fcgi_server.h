/*
 * fcgi_server: the long-lived FastCGI process both programs share.
 *
 * It listens on a unix socket it opens itself (--socket PATH) or on the
 * socket inherited on fd 0 (spawn-fcgi, systemd socket activation). The
 * process started is a master (supervisor.h) that owns the socket and
 * runs one request process on it, restarting it if it dies. The request
 * process runs --workers threads (MINICRM_WORKERS), each accepting
 * requests with its own context: its own database connection, prepared
 * statements and caches. A request that fails is answered and forgotten;
 * a worker never exits because of one. SIGTERM and SIGINT to the master
 * stop both processes; SIGHUP is passed on, and calls app->reload
 * (templates, say) in the request process's main thread.
 *
 * Every request is counted (metrics.h: by the route label the program's
 * router sets in req->route, its status, duration and bytes) and logged,
 * one line at info (warn for a 5xx): method, route, status, duration,
 * bytes and nginx's
 * request id (REQUEST_ID), which every line the thread writes while it
 * serves the request carries too. Never the path or the query string:
 * either can hold an id or a secret.
 */
#ifndef MINICRM_FCGI_SERVER_H
#define MINICRM_FCGI_SERVER_H

#include "http.h"
#include "metrics.h"

struct fcgi_app {
	const char	*name;
	/* Once per request process, before its threads start; -1 ends the
	 * process (and the master starts another after its back-off). May
	 * be NULL. */
	int		 (*init)(void);
	/* Make a worker's context; NULL ends the request process. */
	void		*(*worker_new)(void);
	void		 (*worker_free)(void *);
	/* Answer one request; must send exactly one response. */
	void		 (*handle)(void *, struct http_request *);
	void		 (*reload)(void);	/* may be NULL */
	/* Once, in the master before the first request process: what must
	 * hold for the program to start at all (admin.fcgi: its templates
	 * compile). -1 exits with status 1, nothing started. May be NULL. */
	int		 (*check)(void);
	/* Whose counters (metrics.h) the master makes for its processes. */
	enum metrics_program program;
};

/*
 * Parse argv, open the socket, run the request process under the master
 * until SIGTERM or SIGINT. Returns the master's exit status.
 */
int	fcgi_server_main(const struct fcgi_app *, int argc, char **argv);

#endif
