/* metrics: shared, lock-free counters in a file per program (see metrics.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hash.h"
#include "log.h"
#include "metrics.h"

/* Counters shared by processes must not need a lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int atomics must be lock-free");

const char *const metrics_program_names[METRICS_PROGRAM__MAX] = {
	[METRICS_API] = "api",
	[METRICS_ADMIN] = "admin",
	[METRICS_WORKER] = "worker",
};

const int metrics_status_codes[METRICS_STATUSES] = {
	0, 200, 201, 204, 207, 301, 302, 303, 304, 400, 401, 403, 404, 405,
	409, 411, 413, 415, 422, 429, 500, 502, 503, 504
};

const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10
};

const double metrics_batch_bounds[METRICS_BATCH_BUCKETS] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000
};

const char *const metrics_db_error_names[METRICS_DB_ERROR__MAX] = {
	[METRICS_DB_UNAVAILABLE] = "unavailable",
	[METRICS_DB_CONFLICT] = "conflict",
	[METRICS_DB_RETRY] = "retry",
	[METRICS_DB_BAD_INPUT] = "bad_input",
	[METRICS_DB_OTHER] = "error",
};

/* This process's counts: set once, before threads start. */
static struct metrics_file *self;
static enum metrics_program self_program = METRICS_PROGRAM__MAX;

#define ADD(counter, n) \
	atomic_fetch_add_explicit(&(counter), (n), memory_order_relaxed)

const char *
metrics_dir(char *out, size_t outsz)
{
	const char	*v;

	if ((v = config_get("METRICS_DIR")) != NULL && *v != '\0')
		snprintf(out, outsz, "%s", v);
	else if ((v = config_get("MINICRM_VAR")) != NULL && *v != '\0')
		snprintf(out, outsz, "%s/run", v);
	else
		snprintf(out, outsz, "/run/minicrm");
	return out;
}

static void
file_path(enum metrics_program p, char *out, size_t outsz)
{
	char	 dir[512];

	snprintf(out, outsz, "%s/%s.metrics", metrics_dir(dir, sizeof(dir)),
	    metrics_program_names[p]);
}

static void
file_init(struct metrics_file *m)
{
	memset(m, 0, sizeof(*m));
	m->magic = METRICS_MAGIC;
	m->version = METRICS_VERSION;
	m->size = (uint32_t)sizeof(*m);
	m->started = (int64_t)time(NULL);
	m->master_pid = (int64_t)getpid();
}

/*
 * Written under a temporary name and renamed into place, so a reader never
 * maps a file half made; the old file's readers keep their old mapping.
 */
int
metrics_open(enum metrics_program p)
{
	char	 path[600], tmp[620];
	void	*map;
	int	 fd;

	self_program = p;
	file_path(p, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd != -1 && ftruncate(fd, (off_t)sizeof(*self)) == 0 &&
	    (map = mmap(NULL, sizeof(*self), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) != MAP_FAILED) {
		close(fd);
		self = map;
		file_init(self);
		if (rename(tmp, path) == 0)
			return 0;
		log_warn("metrics: cannot rename %s: %s", tmp,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	log_warn("metrics: cannot create %s (%s): /metrics shows this "
	    "program's counts only from itself", tmp, strerror(errno));
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	/* Anonymous but shared: the request processes forked later still
	 * count into the master's copy. */
	map = mmap(NULL, sizeof(*self), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map != MAP_FAILED) {
		self = map;
		file_init(self);
	}
	return -1;
}

void
metrics_child_started(void)
{
	if (self == NULL)
		return;
	atomic_store(&self->child_pid, (int64_t)getpid());
	ADD(self->child_starts, 1);
}

const struct metrics_file *
metrics_self(void)
{
	return self;
}

enum metrics_program
metrics_self_program(void)
{
	return self_program;
}

const struct metrics_file *
metrics_map(enum metrics_program p)
{
	char		 path[600];
	struct stat	 st;
	const struct metrics_file *m;
	void		*map;
	int		 fd;

	file_path(p, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_size != (off_t)sizeof(*m)) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, sizeof(*m), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	m = map;
	if (m->magic != METRICS_MAGIC || m->version != METRICS_VERSION ||
	    m->size != sizeof(*m)) {
		munmap(map, sizeof(*m));
		return NULL;
	}
	return m;
}

void
metrics_unmap(const struct metrics_file *m)
{
	if (m != NULL && m != self)
		munmap((void *)m, sizeof(*m));
}

int
metrics_status_index(int status)
{
	int	 i;

	for (i = 1; i < METRICS_STATUSES; i++)
		if (metrics_status_codes[i] == status)
			return i;
	return 0;
}

/*
 * The slot of a route label, claimed if it has none yet: open addressing
 * from its hash. A slot being claimed by another thread (state 1) is
 * waited for a moment, so a label never gets two slots.
 */
static struct metrics_route *
route_slot(const char *name)
{
	uint32_t		 h = hash_fnv1a(name);
	struct metrics_route	*r;
	int			 i, state, spins;

	for (i = 0; i < METRICS_ROUTES; i++) {
		r = &self->routes[(h + (uint32_t)i) % METRICS_ROUTES];
		for (spins = 0; spins < 1000; spins++) {
			state = atomic_load_explicit(&r->state,
			    memory_order_acquire);
			if (state != 1)
				break;
			sched_yield();
		}
		if (state == 2) {
			if (strcmp(r->name, name) == 0)
				return r;
			continue;
		}
		if (state == 0) {
			int want = 0;

			if (!atomic_compare_exchange_strong(&r->state, &want,
			    1)) {
				i--;	/* taken meanwhile: look again */
				continue;
			}
			snprintf(r->name, sizeof(r->name), "%s", name);
			atomic_store_explicit(&r->state, 2,
			    memory_order_release);
			return r;
		}
	}
	return NULL;
}

void
metrics_request(const char *route, int status, double seconds,
    uint64_t bytes)
{
	struct metrics_route	*r;
	int			 b;

	if (self == NULL)
		return;
	if ((r = route_slot(route ? route : "(unmatched)")) == NULL) {
		ADD(self->routes_dropped, 1);
		return;
	}
	ADD(r->status[metrics_status_index(status)], 1);
	for (b = 0; b < METRICS_LATENCY_BUCKETS; b++)
		if (seconds <= metrics_latency_bounds[b])
			break;
	ADD(r->latency[b], 1);
	ADD(r->latency_sum_us, (uint64_t)(seconds > 0 ? seconds * 1e6 : 0));
	ADD(r->bytes, bytes);
}

void
metrics_db_error(enum metrics_db_error e)
{
	if (self != NULL && e < METRICS_DB_ERROR__MAX)
		ADD(self->db_errors[e], 1);
}

void
metrics_db_reconnect(bool ok)
{
	if (self == NULL)
		return;
	if (ok)
		ADD(self->db_reconnects_ok, 1);
	else
		ADD(self->db_reconnects_failed, 1);
}

void
metrics_batch(uint64_t rows)
{
	int	 b;

	if (self == NULL)
		return;
	for (b = 0; b < METRICS_BATCH_BUCKETS; b++)
		if ((double)rows <= metrics_batch_bounds[b])
			break;
	ADD(self->batch[b], 1);
	ADD(self->batch_sum, rows);
}
