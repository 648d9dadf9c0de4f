/*
 * group_commit: coalesce the events of concurrent requests into one
 * transaction.
 *
 * Request threads hand their checked rows to group_commit_store() and
 * block. A few committer threads, each with its own connection, take every
 * request waiting at that moment, store all their rows with one call of
 * log_activity_batch (one transaction, one WAL flush), and wake each
 * request with its own ids. A request is answered only after the commit
 * that holds its rows, so a 2xx still means committed. If a combined batch
 * is refused, its requests are retried one by one, so one request's bad
 * value cannot fail another's.
 */
#ifndef MINICRM_GROUP_COMMIT_H
#define MINICRM_GROUP_COMMIT_H

#include <stddef.h>

struct group_commit;

/*
 * Start nthreads committers on conninfo. Returns NULL if threads cannot
 * be started (a database that is down is not an error: committers connect
 * when there is work). Lives for the process.
 */
struct group_commit	*group_commit_start(const char *conninfo,
			    int nthreads, size_t max_rows);

/* An activity_store function (activity.h): arg is the group_commit. */
int			 group_commit_store(void *arg, const char *rows,
			    size_t nrows, long long *ids, int *dups);

#endif
