/*
 * db_archive: the database side of `minicrm archive` (old rows of the
 * logs copied out as CSV, then deleted in batches) and of `minicrm archive
 * import` (a file's rows added back, those already there skipped). The
 * archived tables, in the order their rows are deleted, are the sets
 * below; their statements are in sql_archive.def.
 */
#ifndef MINICRM_DB_ARCHIVE_H
#define MINICRM_DB_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "db.h"

enum db_archive_set {
	DB_ARCHIVE_LOG,			/* lead_activity_log */
	DB_ARCHIVE_EMAIL_EVENTS,	/* email_events */
	DB_ARCHIVE_WORKFLOW_ERRORS,	/* workflow_errors */
	DB_ARCHIVE_WORKFLOW_RUNS,	/* workflow_executions, finished */
	DB_ARCHIVE_ALERTS,		/* alert_history */
	DB_ARCHIVE_RETRY,		/* retry_queue, done or discarded */
	DB_ARCHIVE_RETRY_ATTEMPTS,	/* their attempts (marked after them,
					 * deleted with them) */
	DB_ARCHIVE__MAX
};

/* Take the archive's lock for this session: *taken false if another
 * run holds it. A db_status. */
int	db_archive_lock(struct db *, bool *taken)
	    __attribute__((warn_unused_result));

/* The set's table name (static). */
const char	*db_archive_table(enum db_archive_set);

/*
 * Mark the set's rows older than cutoff (an ISO timestamp) for archiving,
 * in the session's temporary table for the set (emptied first); *marked
 * their number. Run inside the caller's REPEATABLE READ transaction, so
 * db_archive_copy_out writes the same rows. A db_status.
 */
int	db_archive_mark(struct db *, enum db_archive_set, const char *cutoff,
	    long long *marked) __attribute__((warn_unused_result));

/* Where COPY's output goes: 0 to go on, -1 to stop (an I/O error). */
typedef int	(*db_copy_sink)(void *ctx, const char *data, size_t len);

/*
 * The marked rows, by id, as CSV with a header line, handed to sink in
 * pieces; *rows the number COPY reports. A db_status (DB_ERROR with
 * db->error "the archive file could not be written" if sink stopped).
 */
int	db_archive_copy_out(struct db *, enum db_archive_set, db_copy_sink,
	    void *ctx, long long *rows) __attribute__((warn_unused_result));

/* Are the set's rows deleted with another set's (a cascade), not by
 * batches of their own? */
bool	db_archive_cascades(enum db_archive_set);

/*
 * One batch of the delete, its own transaction: up to batch marked ids
 * after *last (start at 0), and of the rows with those ids the ones still
 * older than cutoff deleted (*deleted); *taken the ids taken, *last moved
 * to the batch's last. *taken 0: the set is done.
 */
int	db_archive_delete_batch(struct db *, enum db_archive_set, long batch,
	    const char *cutoff, long long *last, long long *taken,
	    long long *deleted) __attribute__((warn_unused_result));

/* The table's columns as COPY's CSV header writes them, into out. */
int	db_archive_columns(struct db *, enum db_archive_set, char *out,
	    size_t outsz) __attribute__((warn_unused_result));

/* Where COPY's input comes from: bytes read into buf (0 at the end), or
 * -1 on a read error. */
typedef ssize_t	(*db_copy_source)(void *ctx, char *buf, size_t size);

/*
 * A file's CSV (with its header line) back into the set's table, in one
 * transaction: the rows whose id the table lacks are added (*added), the
 * others left as they are; *rows the rows the file held. A db_status;
 * on failure nothing was added.
 */
int	db_archive_import(struct db *, enum db_archive_set, db_copy_source,
	    void *ctx, long long *rows, long long *added)
	    __attribute__((warn_unused_result));

#endif
