/*
 * replay: log the retry queue's due rows through the API's own ingest
 * (see replay.h).
 *
 * One transaction per batch of up to REPLAY_BATCH rows: the rows are
 * locked with FOR UPDATE SKIP LOCKED, and each row's event is stored by
 * activity_ingest through a store that writes on this same connection,
 * inside this transaction, so the event and the row's "done" commit
 * together. A crash or a lost connection therefore never leaves an event
 * logged with its row still pending, nor a row done whose event is not in
 * the log. (Logged-then-pending would be harmless for events with an
 * idempotency key — the next replay finds them as duplicates — but an
 * event without one would be stored twice, so the one-transaction choice
 * is the only one that is safe for every payload.)
 *
 * Each row runs under a savepoint: a row whose event is refused rolls
 * back only its own writes (the leads it created, say), then records its
 * failure; the batch goes on. A failure of the database itself (gone,
 * permission, an unexpected error) is not the row's fault: the whole
 * batch rolls back, rows stay due and unchanged, and replay_run returns
 * the db_status. A deadlock with another replay (both creating the same
 * new leads, in different orders across their batches) rolls the batch
 * back and does it again a moment later: retrying only the row would meet
 * the same deadlock, since the other replay waits for the leads this
 * batch created before it.
 *
 * Batches are small so that locks are short and two replays at once (two
 * workers, a worker and the portal) share the queue: each skips the rows
 * the other holds, and each row is processed exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "catalog.h"
#include "config.h"
#include "db_activity.h"
#include "db_retry.h"
#include "log.h"
#include "replay.h"

#define REPLAY_BATCH		50
#define REPLAY_ERROR_MAX	2000
#define REPLAY_RESTARTS		20	/* batches redone after a deadlock */

/* The store a row's events go through: this connection, this transaction. */
struct row_store {
	struct db	*db;
	int		 rc;	/* the last store's db_status */
};

/* Like activity_store_direct, but once and without retries: a retry after
 * an error inside the transaction would only meet the aborted savepoint.
 * The caller rolls back to the savepoint and decides. */
static int
row_store(void *arg, const char *rows, size_t nrows, long long *ids,
    int *dups)
{
	struct row_store *st = arg;

	return st->rc = db_activity_log_batch(st->db, rows, nrows, ids, dups);
}

/* Append "field message; field message" of errors (an array) to out. */
static void
append_errors(char *out, size_t outsz, json_object *errors)
{
	size_t i, used;

	for (i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		json_object *field, *message;

		if (!json_object_object_get_ex(e, "field", &field) ||
		    !json_object_object_get_ex(e, "message", &message))
			continue;
		used = strlen(out);
		snprintf(out + used, outsz - used, "%s%s %s",
		    used && out[used - 1] != ' ' ? "; " : "",
		    json_object_get_string(field),
		    json_object_get_string(message));
	}
}

/* Why the ingest refused the row's payload, as one line for its history,
 * e.g. "invalid event: lead_id is required". */
static void
describe_refusal(const struct activity_result *r, char *out, size_t outsz)
{
	size_t	 i, used;

	if (r->verdict != ACTIVITY_DONE) {
		snprintf(out, outsz, "%s", r->verdict == ACTIVITY_DB_FAILED ?
		    "the database refused a value of the event" : r->message);
		return;
	}
	if (!r->batch) {
		snprintf(out, outsz, "invalid event: ");
		append_errors(out, outsz, r->events[0].errors);
		return;
	}
	snprintf(out, outsz, "%s: ", r->stored + r->duplicates == 0 ?
	    "no valid events in the batch" :
	    "some events of the batch were refused");
	for (i = 0; i < r->n; i++) {
		if (r->events[i].fate != ACTIVITY_REFUSED)
			continue;
		used = strlen(out);
		snprintf(out + used, outsz - used, "%sevent %zu: ",
		    out[used - 2] == ':' ? "" : "; ", i);
		append_errors(out, outsz, r->events[i].errors);
	}
}

enum outcome {
	OUT_LOGGED,
	OUT_DUPLICATE,
	OUT_FAILED,
	OUT_DEAD
};

/*
 * Replay one locked row inside the open transaction. Returns DB_OK with
 * *out set, or a db_status when the database failed (the caller rolls
 * the batch back).
 */
static int
replay_row(struct db *db, struct catalog *cat,
    const struct db_retry_backoff *backoff, const struct db_retry_row *row,
    enum outcome *out)
{
	struct apikey_identity	 who;
	struct row_store	 st = { db, DB_OK };
	struct activity_store	 store = { row_store, &st };
	struct activity_result	 result;
	enum db_retry_state	 state;
	char			 error[REPLAY_ERROR_MAX];
	long long		 log_id;
	bool			 logged;
	int			 rc;

	memset(&who, 0, sizeof(who));
	snprintf(who.client_id, sizeof(who.client_id), "%s", row->client_id);
	snprintf(who.key_id, sizeof(who.key_id), "%s", row->key_id);
	/* A test key's event stays test when it comes back (sql 0018). */
	who.is_test = row->is_test;
	if ((rc = db_retry_savepoint(db)) != DB_OK)
		return rc;
	(void)activity_ingest(db, cat, &store, &who, row->payload,
	    row->payload_len, &result);
	/* Done when every event is in the log, now or from before. */
	logged = result.verdict == ACTIVITY_DONE && result.refused == 0;
	if (!logged) {
		if ((rc = db_retry_savepoint_rollback(db)) != DB_OK) {
			activity_result_free(&result);
			return rc;
		}
		/* Anything but the event's own fault is the database's:
		 * the caller rolls the batch back (a deadlock: and again). */
		if ((result.verdict == ACTIVITY_DB_FAILED &&
		    result.db_rc != DB_BAD_INPUT) ||
		    result.verdict == ACTIVITY_NO_MEMORY) {
			rc = result.verdict == ACTIVITY_DB_FAILED ?
			    result.db_rc : DB_ERROR;
			activity_result_free(&result);
			return rc;
		}
	}
	if (logged) {
		log_id = activity_result_first_id(&result);
		*out = result.stored > 0 ? OUT_LOGGED : OUT_DUPLICATE;
		activity_result_free(&result);
		if ((rc = db_retry_savepoint_release(db)) != DB_OK)
			return rc;
		return db_retry_done(db, row->id, log_id);
	}
	describe_refusal(&result, error, sizeof(error));
	activity_result_free(&result);
	if ((rc = db_retry_fail(db, row->id, error, backoff, &state)) != DB_OK)
		return rc;
	*out = state == DB_RETRY_STATE_DEAD ? OUT_DEAD : OUT_FAILED;
	return DB_OK;
}

/* How many rows this run will look at, for the progress report. */
static long
count_due(struct db *db, const struct replay_options *opts)
{
	long long	 n;

	if (opts->id != NULL)
		return 1;
	if (db_retry_count_due(db, &n) != DB_OK)
		return 0;
	if (opts->limit > 0 && n > opts->limit)
		n = opts->limit;
	return (long)n;
}

/* One replay_run: what its batches share. */
struct run {
	struct db			*db;
	const struct replay_options	*opts;
	struct catalog			 cat;
	struct db_retry_backoff		 backoff;
	struct replay_result		*result;	/* committed batches */
	long				 total;		/* for the progress */
	char				 after[24];	/* the cursor: last row done */
};

/*
 * Replay the n rows of a batch, taken in the open transaction. *b counts
 * what was done. Returns a db_status: on an error the caller rolls the
 * batch back.
 */
static int
replay_batch(struct run *r, const struct db_retry_row *rows, size_t n,
    struct replay_result *b)
{
	const struct replay_options *opts = r->opts;
	size_t			 i;
	int			 rc = DB_OK;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n && rc == DB_OK; i++) {
		enum outcome out = OUT_FAILED;

		/* Rows taken but not reached stay as they were. */
		if (i > 0 && opts->stop != NULL && *opts->stop)
			break;
		if ((rc = replay_row(r->db, &r->cat, &r->backoff, &rows[i],
		    &out)) != DB_OK)
			break;
		snprintf(r->after, sizeof(r->after), "%s", rows[i].id);
		b->taken++;
		if (out == OUT_LOGGED)
			b->logged++;
		else if (out == OUT_DUPLICATE)
			b->duplicates++;
		else if (out == OUT_FAILED)
			b->failed++;
		else
			b->dead++;
		if (r->result->taken + b->taken > r->total)
			r->total = r->result->taken + b->taken;
		if (opts->progress != NULL)
			opts->progress(opts->progress_ctx,
			    r->result->taken + b->taken, r->total);
	}
	return rc;
}

int
replay_run(struct db *db, const struct replay_options *opts,
    struct replay_result *result)
{
	struct run		 r;
	struct replay_result	 b;
	struct db_retry_row	*rows;
	char			 committed[24] = "0";
	long			 want;
	size_t			 n;
	int			 rc = DB_OK, restarts = 0;

	memset(result, 0, sizeof(*result));
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.opts = opts;
	r.result = result;
	snprintf(r.after, sizeof(r.after), "0");
	r.backoff.max_attempts = config_get_long("REPLAY_MAX_ATTEMPTS", 8, 1,
	    1000);
	r.backoff.base_seconds = config_get_long("REPLAY_BACKOFF_SECONDS", 60,
	    1, 86400);
	r.backoff.cap_seconds = config_get_long("REPLAY_BACKOFF_MAX_SECONDS",
	    6 * 3600, 1, 30 * 86400);
	r.total = count_due(db, opts);

	while (rc == DB_OK && !(opts->stop != NULL && *opts->stop)) {
		want = REPLAY_BATCH;
		if (opts->limit > 0 && opts->limit - result->taken < want)
			want = opts->limit - result->taken;
		if (want <= 0)
			break;
		if ((rc = db_begin(db)) != DB_OK)
			break;
		if (opts->id != NULL)
			rc = db_retry_take_id(db, opts->id, &rows, &n);
		else
			rc = db_retry_take(db, r.after, want, &rows, &n);
		if (rc != DB_OK)
			break;
		rc = replay_batch(&r, rows, n, &b);
		free(rows);
		if (rc == DB_RETRY && restarts++ < REPLAY_RESTARTS) {
			/* 20-120 ms, different per process, so two replays
			 * that met do not meet again at once. */
			struct timespec ts = { 0, 1000000L * (20 +
			    ((long)getpid() * 7 + restarts * 31) % 100) };

			db_rollback(db);
			memcpy(r.after, committed, sizeof(r.after));
			nanosleep(&ts, NULL);
			rc = DB_OK;
			continue;
		}
		if (rc != DB_OK)
			break;
		if (opts->dry_run)
			db_rollback(db);
		else if ((rc = db_commit(db)) != DB_OK)
			break;
		memcpy(committed, r.after, sizeof(committed));
		/* Counted once committed (or, dry, once rolled back as meant). */
		result->taken += b.taken;
		result->logged += b.logged;
		result->duplicates += b.duplicates;
		result->failed += b.failed;
		result->dead += b.dead;
		if (opts->id != NULL || (long)n < want || b.taken < (long)n)
			break;
	}
	if (rc != DB_OK) {
		log_warn("replay: %s: %s", db_status_text(rc), db->error);
		/* What this batch did is undone; result counts only what
		 * committed. */
		db_rollback(db);
	}
	catalog_free(&r.cat);
	return rc;
}
