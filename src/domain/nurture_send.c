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

/* A settle that failed in the database ends the run: the send stays
 * claimed, which is never sent twice. */
static void
settled(struct run *r, int rc, const struct db_nurture_claim *c)
{
	char	 why[400];

	if (rc == 0)
		log_warn("nurture sender: send %s was no longer claimed by "
		    "%s when it was settled (released by an operator?)",
		    c->id, r->o->sender_id);
	if (rc >= 0)
		return;
	snprintf(why, sizeof(why), "send %s could not be settled: %s (%s)",
	    c->id, db_status_text(rc), r->db->error);
	end_run(r, NURTURE_SEND_DB_FAILED, why);
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

static void
fail_send(struct run *r, const struct db_nurture_claim *c, const char *reason,
    const char *subject, const char *body)
{
	int	 rc;

	rc = db_nurture_send_failed(r->db, c->id, r->o->sender_id, reason,
	    c->email, subject, body);
	if (rc == 1) {
		r->rep->failed++;
		note_failure(r, c, reason);
	}
	settled(r, rc, c);
}

/* Give a claimed send back: retry_in < 0 keeps its due time; delta -1
 * when the call was never made. */
static void
release(struct run *r, const struct db_nurture_claim *c, double retry_in,
    int delta, const char *error)
{
	settled(r, db_nurture_send_release(r->db, c->id, r->o->sender_id,
	    retry_in, delta, error), c);
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

/* Call the mailer for c (rendered), waiting out 429s; settle. */
static void
send_one(struct run *r, const struct db_nurture_claim *c,
    const struct nurture_render_result *text)
{
	struct nurture_mail		 m = {
		c->id, c->lead_id, c->campaign_id, (long)c->step_number,
		c->email, c->from_email, c->from_name, text->subject, text->body
	};
	struct nurture_mail_result	 res;
	char				 why[700];
	double				 wait;
	int				 tries = 0, rc;

	for (;;) {
		memset(&res, 0, sizeof(res));
		window_add(&r->win, clock_mono());
		r->o->mail(r->o->mail_ctx, &m, &res);
		if (res.status != NURTURE_MAIL_RATE_LIMITED)
			break;
		r->rep->rate_limited++;
		wait = reset_wait(&res);
		if (++tries >= NURTURE_SEND_429_TRIES ||
		    wait > NURTURE_SEND_429_WAIT_MAX) {
			release(r, c, wait, -1, res.reason);
			snprintf(why, sizeof(why), "%s; the rest waits for the "
			    "next run", res.reason);
			end_run(r, NURTURE_SEND_RATE_LIMITED, why);
			return;
		}
		log_info("nurture sender: SendGrid rate limit: waiting %.0f s",
		    wait);
		pause_for(r->o, wait);
		if (stopping(r->o)) {
			release(r, c, -1, -1, NULL);
			r->rep->released++;
			end_run(r, NURTURE_SEND_STOPPED, "stopped by a signal");
			return;
		}
	}
	switch (res.status) {
	case NURTURE_MAIL_ACCEPTED:
		rc = db_nurture_send_sent(r->db, c->id, r->o->sender_id,
		    res.message_id, c->email, text->subject, text->body);
		if (rc == 1)
			r->rep->sent++;
		settled(r, rc, c);
		break;
	case NURTURE_MAIL_REFUSED:
		fail_send(r, c, res.reason, text->subject, text->body);
		break;
	case NURTURE_MAIL_KEY_REFUSED:
		release(r, c, -1, -1, res.reason);
		r->rep->key_status = res.http_status;
		snprintf(why, sizeof(why), "SendGrid refused the API key "
		    "(HTTP %ld): the sender is paused until an operator "
		    "resumes it", res.http_status);
		rc = nurture_set_paused(r->db, NURTURE_SWITCH_SENDER, true, why,
		    "nurture-sender");
		if (rc != DB_OK)
			log_error("nurture sender: cannot pause the sender: %s",
			    r->db->error);
		end_run(r, NURTURE_SEND_KEY_REFUSED, why);
		break;
	default:	/* 5xx, timeout, no connection: later */
		if (c->attempts >= NURTURE_SEND_MAX_ATTEMPTS) {
			snprintf(why, sizeof(why), "%s (after %lld attempts)",
			    res.reason, c->attempts);
			fail_send(r, c, why, text->subject, text->body);
			break;
		}
		release(r, c, backoff[c->attempts > 0 ? c->attempts - 1 : 0],
		    0, res.reason);
		r->rep->retried++;
		break;
	}
}

/* One claimed send: blocked, personalization, the call. */
static void
process(struct run *r, const struct db_nurture_claim *c)
{
	struct nurture_render_input	 in = {
		c->first_name, c->last_name, c->name, c->email, c->phone,
		c->external_id, c->metadata, c->campaign_name,
		(long)c->step_number, c->subject_template, c->body_template
	};
	struct nurture_render_result	 text;

	if (c->blocked != NULL) {
		fail_send(r, c, c->blocked, NULL, NULL);
		return;
	}
	if (nurture_render(&in, &text) != NURTURE_RENDER_OK)
		fail_send(r, c, text.reason, NULL, NULL);
	else
		send_one(r, c, &text);
	nurture_render_free(&text);
}

static void
run_batches(struct run *r)
{
	struct db_nurture_claim	*rows;
	size_t			 n, i;
	long			 batch = r->o->batch > 0 ? r->o->batch :
				    NURTURE_SEND_BATCH, left;
	int			 rc;
	char			 why[400];

	while (!r->over) {
		if (stopping(r->o)) {
			end_run(r, NURTURE_SEND_STOPPED, "stopped by a signal");
			break;
		}
		if ((left = window_left(&r->win)) <= 0) {
			snprintf(why, sizeof(why), "N8N_MAX_EMAILS_PER_MINUTE "
			    "(%ld) reached; the rest waits for the next run",
			    r->win.cap);
			end_run(r, NURTURE_SEND_RATE_CAP, why);
			break;
		}
		rc = db_nurture_send_claim(r->db, left < batch ? left : batch,
		    r->o->sender_id, &rows, &n);
		if (rc != DB_OK) {
			snprintf(why, sizeof(why), "the due sends could not be "
			    "claimed: %s (%s)", db_status_text(rc),
			    r->db->error);
			end_run(r, NURTURE_SEND_DB_FAILED, why);
			break;
		}
		if (n == 0) {
			free(rows);
			break;
		}
		for (i = 0; i < n; i++) {
			/* Claimed but not called (the run ends): back to
			 * the queue as if never claimed. */
			if (r->over || stopping(r->o)) {
				end_run(r, NURTURE_SEND_STOPPED,
				    "stopped by a signal");
				release(r, &rows[i], -1, -1, NULL);
				r->rep->released++;
				continue;
			}
			process(r, &rows[i]);
		}
		free(rows);
	}
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
