/* nurture_send: one run of the e-mail sender (see nurture_send.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "clock.h"
#include "db_nurture_send.h"
#include "log.h"
#include "nurture.h"
#include "nurture_render.h"
#include "nurture_send.h"

/* Seconds a send waits after its k-th failed attempt (server errors). */
static const double backoff[NURTURE_SEND_MAX_ATTEMPTS - 1] = {
	60, 5 * 60, 15 * 60, 60 * 60
};

static const char *const end_names[] = {
	[NURTURE_SEND_DRAINED] = "drained",
	[NURTURE_SEND_PAUSED] = "paused",
	[NURTURE_SEND_RATE_CAP] = "rate cap",
	[NURTURE_SEND_RATE_LIMITED] = "rate limited by SendGrid",
	[NURTURE_SEND_KEY_REFUSED] = "API key refused",
	[NURTURE_SEND_STOPPED] = "stopped",
	[NURTURE_SEND_DB_FAILED] = "database failed",
};

const char *
nurture_send_end_name(enum nurture_send_end e)
{
	return (unsigned)e < sizeof(end_names) / sizeof(end_names[0]) ?
	    end_names[e] : "";
}

/*
 * The rate cap's window: the monotonic times of the last cap calls, in a
 * ring. A call may go when fewer than cap of them are younger than 60 s.
 */
struct window {
	long	 cap;		/* 0: no cap */
	double	*times;		/* cap of them */
	long	 head;		/* the next slot, and the oldest when full */
	long	 count;
};

static bool
stopping(const struct nurture_send_options *o)
{
	return o->stop != NULL && *o->stop;
}

static void
window_add(struct window *w, double t)
{
	if (w->cap == 0)
		return;
	w->times[w->head] = t;
	w->head = (w->head + 1) % w->cap;
	if (w->count < w->cap)
		w->count++;
}

/* Calls that may still go within the minute (LONG_MAX-ish without cap). */
static long
window_left(const struct window *w)
{
	double	 now = clock_mono();
	long	 i, young = 0;

	if (w->cap == 0)
		return 1L << 30;
	for (i = 0; i < w->count; i++)
		if (now - w->times[i] < 60.0)
			young++;
	return w->cap - young;
}

/* Seed it with what earlier runs sent in the last minute. A db_status. */
static int
window_open(struct db *db, struct window *w, long cap)
{
	double	*ages;
	size_t	 n, i;
	double	 now = clock_mono();
	int	 rc;

	memset(w, 0, sizeof(*w));
	if ((w->cap = cap) == 0)
		return DB_OK;
	if ((w->times = calloc((size_t)cap, sizeof(double))) == NULL ||
	    (ages = calloc((size_t)cap, sizeof(double))) == NULL) {
		free(w->times);
		w->times = NULL;
		w->cap = 0;
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	if ((rc = db_nurture_send_recent(db, cap, ages, &n)) == DB_OK)
		for (i = n; i-- > 0; )	/* oldest first */
			window_add(w, now - ages[i]);
	free(ages);
	return rc;
}

/* Sleep up to seconds, less if the stop flag goes up. */
static void
pause_for(const struct nurture_send_options *o, double seconds)
{
	double		 until = clock_mono() + seconds, left;
	struct timespec	 ts;

	while (!stopping(o) && (left = until - clock_mono()) > 0) {
		if (left > 0.5)
			left = 0.5;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
			break;
	}
}

/* The state of one run. */
struct run {
	struct db			*db;
	const struct nurture_send_options *o;
	struct nurture_send_report	*rep;
	struct nurture_run		 rec;
	struct window			 win;
	bool				 over;	/* end the run after this send */
};

/* The run ends after the send in hand; the first reason stands. */
static void
end_run(struct run *r, enum nurture_send_end end, const char *reason)
{
	if (r->over)
		return;
	r->over = true;
	r->rep->end = end;
	snprintf(r->rep->reason, sizeof(r->rep->reason), "%s", reason);
}

/*
 * What became of one claimed send in a batch, written when the batch is
 * settled: in one transaction after its calls, so a batch costs one
 * commit (and a crash during its calls leaves its rows claimed, never
 * sent twice).
 */
enum outcome { OUT_NONE, OUT_SENT, OUT_FAILED, OUT_RETRY, OUT_RELEASE };

struct pending {
	enum outcome	 kind;
	char		*subject;	/* rendered (owned), NULL if not */
	char		*body;
	char		 message_id[128];
	char		 reason[800];	/* failed: why; retry/release: error */
	double		 retry_in;	/* retry/release: seconds, < 0 keep */
};

static void
set_out(struct pending *p, enum outcome kind, const char *reason,
    double retry_in)
{
	p->kind = kind;
	snprintf(p->reason, sizeof(p->reason), "%s", reason != NULL ?
	    reason : "");
	p->retry_in = retry_in;
}

/* The workflow_errors row of one e-mail that failed. */
static void
note_failure(struct run *r, const struct db_nurture_claim *c,
    const char *reason)
{
	json_object	*ctx = json_object_new_object();

	json_object_object_add(ctx, "email_send_id",
	    json_object_new_string(c->id));
	json_object_object_add(ctx, "lead_id", json_object_new_string(c->lead_id));
	json_object_object_add(ctx, "campaign_id",
	    json_object_new_string(c->campaign_id));
	json_object_object_add(ctx, "step", json_object_new_int64(c->step_number));
	nurture_run_error(r->db, &r->rec, reason,
	    json_object_to_json_string_ext(ctx, JSON_C_TO_STRING_PLAIN));
	json_object_put(ctx);
}

/* One settle statement; 1, 0 (the claim is no longer ours) or a
 * db_status. */
static int
settle_one(struct run *r, const struct db_nurture_claim *c,
    const struct pending *p)
{
	const char	*sid = r->o->sender_id;

	switch (p->kind) {
	case OUT_FAILED:
		return db_nurture_send_failed(r->db, c->id, sid, p->reason,
		    c->email, p->subject, p->body);
	case OUT_RETRY:
		return db_nurture_send_release(r->db, c->id, sid, p->retry_in,
		    0, p->reason);
	case OUT_RELEASE:	/* never called, or not accepted: no attempt */
		return db_nurture_send_release(r->db, c->id, sid, p->retry_in,
		    -1, p->reason[0] != '\0' ? p->reason : NULL);
	default:
		return 1;
	}
}

/* The batch's accepted sends, in one statement. Returns how many were
 * settled or a db_status. */
static long
settle_sent(struct run *r, const struct db_nurture_claim *rows,
    const struct pending *p, size_t n)
{
	struct db_nurture_sent	*sent;
	size_t			 i, k = 0;
	long			 rc;

	if ((sent = calloc(n, sizeof(*sent))) == NULL) {
		snprintf(r->db->error, sizeof(r->db->error), "out of memory");
		return DB_ERROR;
	}
	for (i = 0; i < n; i++)
		if (p[i].kind == OUT_SENT)
			sent[k++] = (struct db_nurture_sent){ rows[i].id,
			    p[i].message_id, rows[i].email, p[i].subject,
			    p[i].body };
	rc = k > 0 ? db_nurture_send_sent_many(r->db, r->o->sender_id, sent,
	    k) : 0;
	if (rc >= 0 && (size_t)rc < k)
		log_warn("nurture sender: %zu sent e-mails were no longer "
		    "claimed by %s when they were settled (released by an "
		    "operator?)", k - (size_t)rc, r->o->sender_id);
	free(sent);
	return rc;
}

/*
 * Settle the batch in one transaction — the accepted ones in one
 * statement, the others one by one — and count what it settled; in the
 * same transaction claim the next batch (limit > 0: up to that many) into
 * *next (free() it), so a batch costs one commit. A failure ends the run
 * and leaves the batch claimed (nothing of the next is).
 */
static void
settle(struct run *r, const struct db_nurture_claim *rows,
    const struct pending *p, size_t n, long limit,
    struct db_nurture_claim **next, size_t *nnext)
{
	long	 count[OUT_RELEASE + 1] = { 0 }, sent;
	char	 why[400];
	size_t	 i;
	int	 rc;

	*next = NULL;
	*nnext = 0;
	if ((rc = db_begin(r->db)) != DB_OK)
		goto fail;
	if ((sent = settle_sent(r, rows, p, n)) < 0) {
		rc = (int)sent;
		goto rollback;
	}
	for (i = 0; i < n; i++) {
		if (p[i].kind == OUT_SENT)
			continue;
		if ((rc = settle_one(r, &rows[i], &p[i])) < 0)
			goto rollback;
		if (rc == 0)
			log_warn("nurture sender: send %s was no longer claimed "
			    "by %s when it was settled (released by an "
			    "operator?)", rows[i].id, r->o->sender_id);
		else
			count[p[i].kind]++;
		if (rc == 1 && p[i].kind == OUT_FAILED)
			note_failure(r, &rows[i], p[i].reason);
	}
	if (limit > 0 && (rc = db_nurture_send_claim(r->db, limit,
	    r->o->sender_id, next, nnext)) != DB_OK)
		goto rollback;
	if ((rc = db_commit(r->db)) != DB_OK)
		goto fail;
	r->rep->sent += sent;
	r->rep->failed += count[OUT_FAILED];
	r->rep->retried += count[OUT_RETRY];
	r->rep->released += count[OUT_RELEASE];
	return;
rollback:
	db_rollback(r->db);
fail:
	free(*next);
	*next = NULL;
	*nnext = 0;
	snprintf(why, sizeof(why), "a batch of %zu sends could not be settled "
	    "(they stay claimed): %s (%s)", n, db_status_text(rc),
	    r->db->error);
	end_run(r, NURTURE_SEND_DB_FAILED, why);
}

/* How many sends to claim next (up to batch), or 0 when the run ends
 * here: stopped, or the minute's allowance used. */
static long
next_claim(struct run *r, long batch)
{
	long	 left;
	char	 why[300];

	if (r->over)
		return 0;
	if (stopping(r->o)) {
		end_run(r, NURTURE_SEND_STOPPED, "stopped by a signal");
		return 0;
	}
	if ((left = window_left(&r->win)) <= 0) {
		snprintf(why, sizeof(why), "N8N_MAX_EMAILS_PER_MINUTE (%ld) "
		    "reached; the rest waits for the next run", r->win.cap);
		end_run(r, NURTURE_SEND_RATE_CAP, why);
		return 0;
	}
	return left < batch ? left : batch;
}

/* How long to wait for a 429's reset: seconds from now, at least 1. */
static double
reset_wait(const struct nurture_mail_result *res)
{
	long long	 now = (long long)time(NULL);

	if (res->reset_at <= now)
		return 1.0;
	return (double)(res->reset_at - now);
}

/* SendGrid refused the key: pause the sender, end the run. */
static void
key_refused(struct run *r, long status)
{
	char	 why[300];

	if (r->rep->end == NURTURE_SEND_KEY_REFUSED)
		return;
	r->rep->key_status = status;
	snprintf(why, sizeof(why), "SendGrid refused the API key (HTTP %ld): "
	    "the sender is paused until an operator resumes it", status);
	if (nurture_set_paused(r->db, NURTURE_SWITCH_SENDER, true, why,
	    "nurture-sender") != DB_OK)
		log_error("nurture sender: cannot pause the sender: %s",
		    r->db->error);
	end_run(r, NURTURE_SEND_KEY_REFUSED, why);
}

/* What an answer means for claimed send c; 1 if it was a 429 (to try
 * again), else 0. */
static int
judge(struct run *r, const struct db_nurture_claim *c,
    const struct nurture_mail_result *res, struct pending *p)
{
	char	 why[800];

	switch (res->status) {
	case NURTURE_MAIL_ACCEPTED:
		p->kind = OUT_SENT;
		snprintf(p->message_id, sizeof(p->message_id), "%s",
		    res->message_id);
		return 0;
	case NURTURE_MAIL_RATE_LIMITED:
		r->rep->rate_limited++;
		set_out(p, OUT_RELEASE, res->reason, reset_wait(res));
		return 1;
	case NURTURE_MAIL_REFUSED:
		set_out(p, OUT_FAILED, res->reason, -1);
		return 0;
	case NURTURE_MAIL_KEY_REFUSED:
		set_out(p, OUT_RELEASE, res->reason, -1);
		key_refused(r, res->http_status);
		return 0;
	case NURTURE_MAIL_NOT_CALLED:
		set_out(p, OUT_RELEASE, NULL, -1);
		return 0;
	default:	/* 5xx, timeout, no connection: later */
		if (c->attempts >= NURTURE_SEND_MAX_ATTEMPTS) {
			snprintf(why, sizeof(why), "%s (after %lld attempts)",
			    res->reason, c->attempts);
			set_out(p, OUT_FAILED, why, -1);
		} else
			set_out(p, OUT_RETRY, res->reason, backoff[c->attempts >
			    0 ? c->attempts - 1 : 0]);
		return 0;
	}
}

/*
 * Call the mailer for the sends listed in todo[0..n) (indexes into rows
 * and p), all at once; those answered 429 again after the reset, up to
 * NURTURE_SEND_429_TRIES times, as long as the wait is short.
 */
static void
call(struct run *r, const struct db_nurture_claim *rows, struct pending *p,
    size_t *todo, size_t n)
{
	struct nurture_mail		*mails;
	struct nurture_mail_result	*res;
	size_t				 i, k, again;
	double				 wait;
	int				 tries = 0;
	char				 why[700];

	mails = calloc(n, sizeof(*mails));
	res = calloc(n, sizeof(*res));
	if (mails == NULL || res == NULL) {
		for (i = 0; i < n; i++)
			set_out(&p[todo[i]], OUT_RELEASE, NULL, -1);
		end_run(r, NURTURE_SEND_DB_FAILED, "out of memory");
		goto out;
	}
	while (n > 0) {
		for (i = 0; i < n; i++) {
			const struct db_nurture_claim *c = &rows[todo[i]];

			mails[i] = (struct nurture_mail){ c->id, c->lead_id,
			    c->campaign_id, (long)c->step_number, c->email,
			    c->from_email, c->from_name, p[todo[i]].subject,
			    p[todo[i]].body };
			window_add(&r->win, clock_mono());
		}
		memset(res, 0, n * sizeof(*res));
		r->o->mail(r->o->mail_ctx, mails, n, res);
		wait = 0;
		for (i = again = 0; i < n; i++) {
			k = todo[i];
			if (judge(r, &rows[k], &res[i], &p[k]) == 1) {
				todo[again++] = k;
				if (p[k].retry_in > wait)
					wait = p[k].retry_in;
			}
		}
		if ((n = again) == 0)
			break;
		if (r->over || ++tries >= NURTURE_SEND_429_TRIES ||
		    wait > NURTURE_SEND_429_WAIT_MAX) {
			snprintf(why, sizeof(why), "%.500s; the rest waits for "
			    "the next run", p[todo[0]].reason);
			end_run(r, NURTURE_SEND_RATE_LIMITED, why);
			break;
		}
		log_info("nurture sender: SendGrid's rate limit: waiting %.0f s "
		    "to send %zu e-mails again", wait, n);
		pause_for(r->o, wait);
		if (stopping(r->o)) {
			for (i = 0; i < n; i++)
				set_out(&p[todo[i]], OUT_RELEASE, NULL, -1);
			end_run(r, NURTURE_SEND_STOPPED, "stopped by a signal");
			break;
		}
	}
out:
	free(mails);
	free(res);
}

/* One claimed batch: what must not go and what does not render fail
 * without a call; the rest goes out at once; then all are settled, and
 * the next batch claimed (into *next, *nnext; free() it). */
static void
run_batch(struct run *r, const struct db_nurture_claim *rows, size_t n,
    long batch, struct db_nurture_claim **next, size_t *nnext)
{
	struct nurture_render_result	 text;
	struct pending			*p;
	size_t				*todo, ntodo = 0, i;

	*next = NULL;
	*nnext = 0;
	p = calloc(n, sizeof(*p));
	todo = calloc(n, sizeof(*todo));
	if (p == NULL || todo == NULL) {
		free(p);
		free(todo);
		end_run(r, NURTURE_SEND_DB_FAILED, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct db_nurture_claim	*c = &rows[i];
		struct nurture_render_input	 in = {
			c->first_name, c->last_name, c->name, c->email,
			c->phone, c->external_id, c->metadata,
			c->campaign_name, (long)c->step_number,
			c->subject_template, c->body_template
		};

		if (r->over || stopping(r->o)) {
			/* Claimed but not called: back as if never claimed. */
			set_out(&p[i], OUT_RELEASE, NULL, -1);
			continue;
		}
		if (c->blocked != NULL) {
			set_out(&p[i], OUT_FAILED, c->blocked, -1);
			continue;
		}
		if (nurture_render(&in, &text) != NURTURE_RENDER_OK) {
			set_out(&p[i], OUT_FAILED, text.reason, -1);
			nurture_render_free(&text);
			continue;
		}
		p[i].subject = text.subject;	/* now p's */
		p[i].body = text.body;
		todo[ntodo++] = i;
	}
	if (ntodo > 0)
		call(r, rows, p, todo, ntodo);
	settle(r, rows, p, n, next_claim(r, batch), next, nnext);
	for (i = 0; i < n; i++) {
		free(p[i].subject);
		free(p[i].body);
	}
	free(p);
	free(todo);
}

static void
run_batches(struct run *r)
{
	struct db_nurture_claim	*rows = NULL, *next;
	size_t			 n = 0, nnext;
	long			 batch = r->o->batch > 0 ? r->o->batch :
				    NURTURE_SEND_BATCH, limit;
	int			 rc;
	char			 why[400];

	/* The first claim commits alone; each next one with the batch
	 * before it. */
	if ((limit = next_claim(r, batch)) == 0)
		return;
	if ((rc = db_nurture_send_claim(r->db, limit, r->o->sender_id, &rows,
	    &n)) != DB_OK) {
		snprintf(why, sizeof(why), "the due sends could not be "
		    "claimed: %s (%s)", db_status_text(rc), r->db->error);
		end_run(r, NURTURE_SEND_DB_FAILED, why);
		return;
	}
	while (n > 0) {
		run_batch(r, rows, n, batch, &next, &nnext);
		free(rows);
		rows = next;
		n = nnext;
	}
	free(rows);
}

int
nurture_send_run(struct db *db, const struct nurture_send_options *o,
    struct nurture_send_report *rep)
{
	struct run	 r;
	int		 rc;
	bool		 error;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.o = o;
	r.rep = rep;
	if ((rc = nurture_paused(db, NURTURE_SWITCH_SENDER)) < 0) {
		snprintf(rep->reason, sizeof(rep->reason), "the sender switch "
		    "could not be read: %s (%s)", db_status_text(rc),
		    db->error);
		rep->end = NURTURE_SEND_DB_FAILED;
		return rc;
	}
	if (rc == 1) {
		rep->end = NURTURE_SEND_PAUSED;
		snprintf(rep->reason, sizeof(rep->reason), "the sender is "
		    "paused (nurture_control)");
		return DB_OK;
	}
	nurture_run_begin(db, NURTURE_SENDER, &r.rec);
	if ((rc = window_open(db, &r.win, o->max_per_minute)) != DB_OK) {
		char	 why[400];

		snprintf(why, sizeof(why), "the rate cap's window could not "
		    "be read: %s (%s)", db_status_text(rc), db->error);
		end_run(&r, NURTURE_SEND_DB_FAILED, why);
	} else
		run_batches(&r);
	error = rep->end == NURTURE_SEND_DB_FAILED ||
	    rep->end == NURTURE_SEND_KEY_REFUSED;
	nurture_run_end(db, &r.rec, rep->sent + rep->failed,
	    error ? rep->reason : NULL);
	free(r.win.times);
	return rep->end == NURTURE_SEND_DB_FAILED ? DB_ERROR : DB_OK;
}
