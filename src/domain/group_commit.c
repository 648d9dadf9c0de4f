/* group_commit: one transaction for many requests (see group_commit.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "buf.h"
#include "db.h"
#include "group_commit.h"
#include "log.h"
#include "metrics.h"

/* One request's rows, waiting on the submitting thread's stack. */
struct job {
	const char	*rows;		/* a JSON array; not owned */
	size_t		 nrows;
	long long	*ids;		/* [1..nrows], the submitter's */
	int		*dups;
	int		 rc;
	bool		 done;
	pthread_cond_t	 wake;
	struct job	*next;
};

struct group_commit {
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;		/* committers wait here */
	struct job	*head, *tail;
	size_t		 max_rows;	/* per transaction, roughly */
	char		*conninfo;
};

/* Take the waiting jobs, up to max_rows rows (always at least one). */
static struct job *
take_jobs(struct group_commit *gc)
{
	struct job	*first, *last;
	size_t		 rows;

	while (gc->head == NULL)
		pthread_cond_wait(&gc->work, &gc->lock);
	first = last = gc->head;
	rows = first->nrows;
	while (last->next != NULL && rows + last->next->nrows <= gc->max_rows) {
		last = last->next;
		rows += last->nrows;
	}
	gc->head = last->next;
	if (gc->head == NULL)
		gc->tail = NULL;
	last->next = NULL;
	return first;
}

/* "[a,b]" + "[c]" -> "[a,b,c]": the jobs' arrays joined without parsing. */
static void
join_rows(const struct job *jobs, struct buf *out, size_t *total)
{
	const struct job *j;

	buf_reset(out);
	buf_putc(out, '[');
	*total = 0;
	for (j = jobs; j != NULL; j = j->next) {
		size_t len = strlen(j->rows);

		if (j != jobs)
			buf_putc(out, ',');
		buf_append(out, j->rows + 1, len - 2);
		*total += j->nrows;
	}
	buf_putc(out, ']');
}

static void
commit_jobs(struct db *db, struct job *jobs, struct buf *joined,
    long long **ids, int **dups, size_t *cap)
{
	struct job	*j;
	size_t		 total, offset;
	int		 rc;

	if (jobs->next == NULL) {	/* alone: no copy needed */
		jobs->rc = activity_store_direct(db, jobs->rows, jobs->nrows,
		    jobs->ids, jobs->dups);
		return;
	}
	join_rows(jobs, joined, &total);
	if (total + 1 > *cap) {
		free(*ids);
		free(*dups);
		*cap = total + 1;
		*ids = calloc(*cap, sizeof(**ids));
		*dups = calloc(*cap, sizeof(**dups));
	}
	rc = (buf_failed(joined) || *ids == NULL || *dups == NULL) ?
	    DB_ERROR : activity_store_direct(db, buf_str(joined), total,
	    *ids, *dups);
	if (rc == DB_OK) {
		for (j = jobs, offset = 0; j != NULL; offset += j->nrows,
		    j = j->next) {
			memcpy(j->ids + 1, *ids + 1 + offset,
			    j->nrows * sizeof(**ids));
			memcpy(j->dups + 1, *dups + 1 + offset,
			    j->nrows * sizeof(**dups));
			j->rc = DB_OK;
		}
		return;
	}
	for (j = jobs; j != NULL; j = j->next)
		j->rc = rc == DB_UNAVAILABLE ? rc : activity_store_direct(db,
		    j->rows, j->nrows, j->ids, j->dups);
}

static void *
committer_run(void *arg)
{
	struct group_commit	*gc = arg;
	struct db		 db;
	struct buf		 joined = BUF_INIT;
	long long		*ids = NULL;
	int			*dups = NULL;
	size_t			 cap = 0;
	struct job		*jobs, *j, *next;
	uint64_t		 rows;

	if (db_open(&db, gc->conninfo) != DB_OK)
		log_warn("committer: database not reachable yet: %s",
		    db.error);
	for (;;) {
		pthread_mutex_lock(&gc->lock);
		jobs = take_jobs(gc);
		pthread_mutex_unlock(&gc->lock);

		commit_jobs(&db, jobs, &joined, &ids, &dups, &cap);
		db_rollback(&db);
		for (rows = 0, j = jobs; j != NULL; j = j->next)
			rows += j->nrows;
		metrics_batch(rows);
		if (joined.cap > 256 * 1024)
			buf_free(&joined);

		pthread_mutex_lock(&gc->lock);
		for (j = jobs; j != NULL; j = next) {
			next = j->next;
			j->done = true;
			pthread_cond_signal(&j->wake);
		}
		pthread_mutex_unlock(&gc->lock);
	}
	return NULL;
}

struct group_commit *
group_commit_start(const char *conninfo, int nthreads, size_t max_rows)
{
	struct group_commit	*gc;
	pthread_t		 t;
	int			 i;

	if ((gc = calloc(1, sizeof(*gc))) == NULL ||
	    (gc->conninfo = strdup(conninfo)) == NULL) {
		free(gc);
		return NULL;
	}
	pthread_mutex_init(&gc->lock, NULL);
	pthread_cond_init(&gc->work, NULL);
	gc->max_rows = max_rows;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&t, NULL, committer_run, gc) != 0)
			return NULL;
		pthread_detach(t);
	}
	return gc;
}

int
group_commit_store(void *arg, const char *rows, size_t nrows, long long *ids,
    int *dups)
{
	struct group_commit	*gc = arg;
	struct job		 job;

	memset(&job, 0, sizeof(job));
	job.rows = rows;
	job.nrows = nrows;
	job.ids = ids;
	job.dups = dups;
	pthread_cond_init(&job.wake, NULL);

	pthread_mutex_lock(&gc->lock);
	if (gc->tail != NULL)
		gc->tail->next = &job;
	else
		gc->head = &job;
	gc->tail = &job;
	pthread_cond_signal(&gc->work);
	while (!job.done)
		pthread_cond_wait(&job.wake, &gc->lock);
	pthread_mutex_unlock(&gc->lock);
	pthread_cond_destroy(&job.wake);
	return job.rc;
}
