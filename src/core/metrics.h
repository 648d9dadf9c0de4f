/*
 * metrics: the counters a program keeps for GET /metrics, in a small
 * fixed-layout file shared by its processes.
 *
 * Each program (api, admin, worker) has one file, <dir>/<program>.metrics
 * (dir: METRICS_DIR, else $MINICRM_VAR/run, else /run/minicrm), which its
 * master creates and maps (MAP_SHARED) before it forks the request process:
 * the threads of a request process, and the request processes the master
 * starts one after another, all count into the same memory, with C11
 * atomics, so a request process killed by kill -9 loses no count. A new
 * master starts the counts from zero (a restart, as Prometheus expects of
 * a counter). Whoever serves /metrics maps every program's file read-only
 * (metrics_text.h). Without a writable folder the counts still live in
 * memory shared by master and child, and /metrics shows only its own.
 *
 * Recording is a few relaxed atomic additions: cheap enough for every
 * request. Before metrics_open, and in processes that never call it (the
 * CLI's one-off commands), every record function does nothing.
 */
#ifndef MINICRM_METRICS_H
#define MINICRM_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAGIC		0x316d74656d6d7263ULL	/* "crmmetm1" */
#define METRICS_VERSION		1
#define METRICS_ROUTES		128	/* distinct route labels per program */
#define METRICS_ROUTE_NAME	64	/* a label's bytes, NUL included */

enum metrics_program {
	METRICS_API,
	METRICS_ADMIN,
	METRICS_WORKER,
	METRICS_PROGRAM__MAX
};
extern const char *const metrics_program_names[METRICS_PROGRAM__MAX];

/* The statuses counted by their code; any other is counted as "other". */
#define METRICS_STATUSES	24
extern const int metrics_status_codes[METRICS_STATUSES];	/* 0: other */

/* Request latency buckets' upper bounds, in seconds (+Inf is implicit). */
#define METRICS_LATENCY_BUCKETS	14
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];
/* Group-commit batch sizes' upper bounds, in events (+Inf implicit). */
#define METRICS_BATCH_BUCKETS	12
extern const double metrics_batch_bounds[METRICS_BATCH_BUCKETS];

/* What the database layer counts (db.c's db_status, as labels). */
enum metrics_db_error {
	METRICS_DB_UNAVAILABLE,
	METRICS_DB_CONFLICT,
	METRICS_DB_RETRY,
	METRICS_DB_BAD_INPUT,
	METRICS_DB_OTHER,
	METRICS_DB_ERROR__MAX
};
extern const char *const metrics_db_error_names[METRICS_DB_ERROR__MAX];

/* A histogram's buckets are counted one by one (not cumulated: the
 * exposition adds them up), with one more for above the last bound. */
struct metrics_route {
	_Atomic int		 state;	/* 0 free, 1 being claimed, 2 in use */
	char			 name[METRICS_ROUTE_NAME];
	_Atomic uint64_t	 status[METRICS_STATUSES];
	_Atomic uint64_t	 latency[METRICS_LATENCY_BUCKETS + 1];
	_Atomic uint64_t	 latency_sum_us;
	_Atomic uint64_t	 bytes;
};

struct metrics_file {
	uint64_t		 magic;
	uint32_t		 version;
	uint32_t		 size;		/* sizeof(struct metrics_file) */
	int64_t			 started;	/* the master's start, epoch s */
	_Atomic int64_t		 master_pid;
	_Atomic int64_t		 child_pid;	/* the current request process */
	_Atomic uint64_t	 child_starts;
	_Atomic uint64_t	 db_errors[METRICS_DB_ERROR__MAX];
	_Atomic uint64_t	 db_reconnects_ok;
	_Atomic uint64_t	 db_reconnects_failed;
	_Atomic uint64_t	 batch[METRICS_BATCH_BUCKETS + 1];
	_Atomic uint64_t	 batch_sum;
	_Atomic uint64_t	 routes_dropped;	/* no free route slot */
	struct metrics_route	 routes[METRICS_ROUTES];
};

/*
 * In the master, before forking: create (anew) and map this program's
 * file. Returns 0, or -1 if only an in-memory copy could be made (logged;
 * the counts still work within the program). Not thread-safe: call once,
 * before threads start.
 */
int	metrics_open(enum metrics_program);
/* In a request process (or the worker process), once it runs. */
void	metrics_child_started(void);

/* A request answered: its route label (NULL: no route matched), status,
 * duration and body bytes. Thread-safe, lock-free. */
void	metrics_request(const char *route, int status, double seconds,
	    uint64_t bytes);
void	metrics_db_error(enum metrics_db_error);
void	metrics_db_reconnect(bool ok);
/* A group commit stored a batch of rows. */
void	metrics_batch(uint64_t rows);

/* The directory of the files (see above), into out. */
const char *metrics_dir(char *out, size_t outsz);

/*
 * Map a program's file read-only; NULL if there is none or it is not of
 * this layout. Unmap with metrics_unmap (NULL-safe).
 */
const struct metrics_file *metrics_map(enum metrics_program);
void	metrics_unmap(const struct metrics_file *);
/* This process's own counts (NULL before metrics_open), and whose they
 * are (METRICS_PROGRAM__MAX before metrics_open). */
const struct metrics_file *metrics_self(void);
enum metrics_program metrics_self_program(void);

/* The index in metrics_status_codes of a status (0: other). */
int	metrics_status_index(int status);

#endif
