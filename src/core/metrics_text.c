/* metrics_text: the shared counters as Prometheus text (see metrics_text.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_text.h"
#include "prom.h"

#define LOAD(counter) \
	atomic_load_explicit(&(counter), memory_order_relaxed)

static bool
pid_alive(int64_t pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Resident bytes of pid (/proc/PID/statm's second field), or -1. */
static double
resident_bytes(int64_t pid)
{
	char		 path[64];
	FILE		*f;
	unsigned long	 size, rss;
	int		 n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%lld/statm", (long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%lu %lu", &size, &rss);
	fclose(f);
	return n == 2 ? (double)rss * (double)sysconf(_SC_PAGESIZE) : -1;
}

/* The programs' files whose master runs; our own counts from memory if
 * they have no file (no folder to put it in). */
static void
map_all(const struct metrics_file *m[METRICS_PROGRAM__MAX])
{
	int	 p;

	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		m[p] = metrics_map((enum metrics_program)p);
		if (m[p] == NULL && (int)metrics_self_program() == p)
			m[p] = metrics_self();
		if (m[p] != NULL && !pid_alive(m[p]->master_pid)) {
			metrics_unmap(m[p]);
			m[p] = NULL;
		}
	}
}

/* A family's sample for each running program, labelled program="…":
 * the value value_of reads from that program's file. */
static void
per_program(struct buf *out, const struct metrics_file *m[METRICS_PROGRAM__MAX],
    const char *name, double (*value_of)(const struct metrics_file *))
{
	const char	*lab[2] = { "program", NULL };
	int		 p;

	for (p = 0; p < METRICS_PROGRAM__MAX; p++)
		if (m[p] != NULL) {
			lab[1] = metrics_program_names[p];
			prom_sample(out, name, value_of(m[p]), 1, lab);
		}
}

static double
started_of(const struct metrics_file *f)
{
	return (double)f->started;
}

static double
child_starts_of(const struct metrics_file *f)
{
	return (double)LOAD(((struct metrics_file *)f)->child_starts);
}

static double
routes_dropped_of(const struct metrics_file *f)
{
	return (double)LOAD(((struct metrics_file *)f)->routes_dropped);
}

static void
write_processes(struct buf *out,
    const struct metrics_file *m[METRICS_PROGRAM__MAX])
{
	const char	*lab[4];
	double		 rss;
	int		 p;

	prom_family(out, "minicrm_up", "gauge",
	    "1 if the program's master process runs.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		lab[0] = "program";
		lab[1] = metrics_program_names[p];
		prom_sample(out, "minicrm_up", m[p] != NULL, 1, lab);
	}
	prom_family(out, "minicrm_process_start_time_seconds", "gauge",
	    "When the program's master started, in seconds since the epoch.");
	per_program(out, m, "minicrm_process_start_time_seconds", started_of);
	prom_family(out, "minicrm_child_starts_total", "counter",
	    "Request (or worker) processes the master has started: more "
	    "than 1 means restarts after a crash or kill.");
	per_program(out, m, "minicrm_child_starts_total", child_starts_of);
	prom_family(out, "minicrm_process_resident_memory_bytes", "gauge",
	    "Resident memory of each process of the program.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		if (f == NULL)
			continue;
		lab[0] = "program";
		lab[1] = metrics_program_names[p];
		lab[2] = "process";
		lab[3] = "master";
		if ((rss = resident_bytes(LOAD(f->master_pid))) >= 0)
			prom_sample(out,
			    "minicrm_process_resident_memory_bytes", rss, 2,
			    lab);
		lab[3] = "child";
		if (pid_alive(LOAD(f->child_pid)) &&
		    (rss = resident_bytes(LOAD(f->child_pid))) >= 0)
			prom_sample(out,
			    "minicrm_process_resident_memory_bytes", rss, 2,
			    lab);
	}
}

static void
write_requests(struct buf *out,
    const struct metrics_file *m[METRICS_PROGRAM__MAX])
{
	const char	*lab[6];
	char		 status[16];
	uint64_t	 counts[METRICS_LATENCY_BUCKETS + 1], n;
	int		 p, r, s, b;

	prom_family(out, "minicrm_http_requests_total", "counter",
	    "Requests answered, by program, route and status.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		for (r = 0; f != NULL && r < METRICS_ROUTES; r++) {
			struct metrics_route *rt = &f->routes[r];

			if (atomic_load(&rt->state) != 2)
				continue;
			for (s = 0; s < METRICS_STATUSES; s++) {
				if ((n = LOAD(rt->status[s])) == 0)
					continue;
				if (s == 0)
					snprintf(status, sizeof(status),
					    "other");
				else
					snprintf(status, sizeof(status), "%d",
					    metrics_status_codes[s]);
				lab[0] = "program";
				lab[1] = metrics_program_names[p];
				lab[2] = "route";
				lab[3] = rt->name;
				lab[4] = "status";
				lab[5] = status;
				prom_sample(out, "minicrm_http_requests_total",
				    (double)n, 3, lab);
			}
		}
	}
	prom_family(out, "minicrm_http_request_duration_seconds", "histogram",
	    "Time from a request's arrival at the program to its answer, "
	    "by program and route.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		for (r = 0; f != NULL && r < METRICS_ROUTES; r++) {
			struct metrics_route *rt = &f->routes[r];

			if (atomic_load(&rt->state) != 2)
				continue;
			for (b = 0; b <= METRICS_LATENCY_BUCKETS; b++)
				counts[b] = LOAD(rt->latency[b]);
			lab[0] = "program";
			lab[1] = metrics_program_names[p];
			lab[2] = "route";
			lab[3] = rt->name;
			prom_histogram(out,
			    "minicrm_http_request_duration_seconds",
			    metrics_latency_bounds, METRICS_LATENCY_BUCKETS,
			    counts, (double)LOAD(rt->latency_sum_us) / 1e6, 2,
			    lab);
		}
	}
	prom_family(out, "minicrm_http_response_bytes_total", "counter",
	    "Response body bytes written, by program and route.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		for (r = 0; f != NULL && r < METRICS_ROUTES; r++) {
			struct metrics_route *rt = &f->routes[r];

			if (atomic_load(&rt->state) != 2)
				continue;
			lab[0] = "program";
			lab[1] = metrics_program_names[p];
			lab[2] = "route";
			lab[3] = rt->name;
			prom_sample(out, "minicrm_http_response_bytes_total",
			    (double)LOAD(rt->bytes), 2, lab);
		}
	}
	prom_family(out, "minicrm_metrics_routes_dropped_total", "counter",
	    "Requests not counted by route: the program has more routes "
	    "than the counters have room for.");
	per_program(out, m, "minicrm_metrics_routes_dropped_total",
	    routes_dropped_of);
}

static void
write_database(struct buf *out,
    const struct metrics_file *m[METRICS_PROGRAM__MAX])
{
	const char	*lab[4];
	uint64_t	 counts[METRICS_BATCH_BUCKETS + 1];
	int		 p, e, b;

	prom_family(out, "minicrm_db_errors_total", "counter",
	    "Failed database statements and connections, by program and "
	    "kind: unavailable (connection lost or refused), conflict "
	    "(unique violation), retry (deadlock, serialization), bad_input, "
	    "error.");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		for (e = 0; f != NULL && e < METRICS_DB_ERROR__MAX; e++) {
			lab[0] = "program";
			lab[1] = metrics_program_names[p];
			lab[2] = "kind";
			lab[3] = metrics_db_error_names[e];
			prom_sample(out, "minicrm_db_errors_total",
			    (double)LOAD(f->db_errors[e]), 2, lab);
		}
	}
	prom_family(out, "minicrm_db_reconnects_total", "counter",
	    "Connections opened again after the database went away, by "
	    "program and outcome (ok, failed).");
	for (p = 0; p < METRICS_PROGRAM__MAX; p++) {
		struct metrics_file *f = (struct metrics_file *)m[p];

		if (f == NULL)
			continue;
		lab[0] = "program";
		lab[1] = metrics_program_names[p];
		lab[2] = "outcome";
		lab[3] = "ok";
		prom_sample(out, "minicrm_db_reconnects_total",
		    (double)LOAD(f->db_reconnects_ok), 2, lab);
		lab[3] = "failed";
		prom_sample(out, "minicrm_db_reconnects_total",
		    (double)LOAD(f->db_reconnects_failed), 2, lab);
	}
	prom_family(out, "minicrm_group_commit_batch_size", "histogram",
	    "Events stored per group commit (one transaction for the "
	    "batches of many requests).");
	if (m[METRICS_API] != NULL) {
		struct metrics_file *f = (struct metrics_file *)m[METRICS_API];

		for (b = 0; b <= METRICS_BATCH_BUCKETS; b++)
			counts[b] = LOAD(f->batch[b]);
		lab[0] = "program";
		lab[1] = "api";
		prom_histogram(out, "minicrm_group_commit_batch_size",
		    metrics_batch_bounds, METRICS_BATCH_BUCKETS, counts,
		    (double)LOAD(f->batch_sum), 1, lab);
	}
}

void
metrics_text_write(struct buf *out)
{
	const struct metrics_file	*m[METRICS_PROGRAM__MAX];
	int				 p;

	map_all(m);
	write_processes(out, m);
	write_requests(out, m);
	write_database(out, m);
	for (p = 0; p < METRICS_PROGRAM__MAX; p++)
		metrics_unmap(m[p]);
}
