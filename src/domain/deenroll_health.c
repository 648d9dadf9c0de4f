/*
 * deenroll_health: each client's de-enrollment health from the
 * de_enrollment_health view, judged by the SOP's thresholds (deenroll.h):
 * the lines `minicrm deenroll --health-check` prints, the conditions the
 * deenroll job alerts on, the level the API and the portal show.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_deenroll.h"
#include "deenroll.h"
#include "lead_filters.h"

const char *
deenroll_level_name(enum deenroll_level l)
{
	switch (l) {
	case DEENROLL_OK:
		return "ok";
	case DEENROLL_NOTICE:
		return "notice";
	case DEENROLL_WARNING:
		return "warning";
	case DEENROLL_ERROR:
		return "error";
	}
	return "error";
}

static const char *
glyph(enum deenroll_level l)
{
	return l == DEENROLL_ERROR ? "❌" : l == DEENROLL_WARNING ? "⚠️" :
	    l == DEENROLL_NOTICE ? "ℹ️" : "✅";
}

/* Append a line to out[*n], keeping out worst first (stable). */
static void
add(struct deenroll_problem *out, size_t *n, enum deenroll_level level,
    unsigned check, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
add(struct deenroll_problem *out, size_t *n, enum deenroll_level level,
    unsigned check, const char *fmt, ...)
{
	struct deenroll_problem	 p;
	va_list			 ap;
	size_t			 i;

	if (*n == DEENROLL_PROBLEMS_MAX)
		return;
	p.level = level;
	p.check = check;
	va_start(ap, fmt);
	vsnprintf(p.text, sizeof(p.text), fmt, ap);
	va_end(ap);
	for (i = *n; i > 0 && out[i - 1].level < level; i--)
		out[i] = out[i - 1];
	out[i] = p;
	(*n)++;
}

size_t
deenroll_health_problems(const struct deenroll_health_row *r,
    struct deenroll_problem *out)
{
	const char		*who = r->client_slug;
	enum deenroll_level	 l;
	size_t			 n = 0;

	if (r->has_hours_since_success &&
	    r->hours_since_success > DEENROLL_HOURS_SINCE_SUCCESS_MAX)
		add(out, &n, DEENROLL_ERROR, DEENROLL_CHECK_SINCE_SUCCESS,
		    "%s Client %s hasn't run successfully in %.*f hours",
		    glyph(DEENROLL_ERROR), who,
		    r->hours_since_success >= 10 ? 0 : 1,
		    r->hours_since_success);
	if (r->stuck_leads > DEENROLL_STUCK_NOTICE) {
		l = r->stuck_leads > DEENROLL_STUCK_ERROR ? DEENROLL_ERROR :
		    r->stuck_leads > DEENROLL_STUCK_WARNING ?
		    DEENROLL_WARNING : DEENROLL_NOTICE;
		add(out, &n, l, DEENROLL_CHECK_STUCK, "%s Client %s has %ld "
		    "stuck leads (finished their campaign, still active)",
		    glyph(l), who, r->stuck_leads);
	}
	if (r->failed_runs_24h > 0) {
		/* The SOP's own sample line is a warning sign for 3 failed
		 * runs; past 5 it is its alert threshold. */
		l = r->failed_runs_24h > DEENROLL_FAILED_RUNS_MAX ?
		    DEENROLL_WARNING : DEENROLL_NOTICE;
		add(out, &n, l, l == DEENROLL_WARNING ?
		    DEENROLL_CHECK_FAILED_RUNS : 0,
		    "⚠️ Client %s has %ld failed run%s in the last 24h", who,
		    r->failed_runs_24h, r->failed_runs_24h == 1 ? "" : "s");
	}
	if (r->has_success_rate &&
	    r->success_rate_24h < DEENROLL_SUCCESS_RATE_MIN)
		add(out, &n, DEENROLL_WARNING, DEENROLL_CHECK_SUCCESS_RATE,
		    "⚠️ Client %s: %.1f%% of runs succeeded in the last 24h "
		    "(below %.0f%%)", who, r->success_rate_24h,
		    DEENROLL_SUCCESS_RATE_MIN);
	if (r->has_avg_duration &&
	    r->avg_duration_ms_24h > DEENROLL_AVG_DURATION_MAX_MS)
		add(out, &n, DEENROLL_WARNING, DEENROLL_CHECK_DURATION,
		    "⚠️ Client %s: runs took %.1f min on average in the last "
		    "24h (over %d min)", who,
		    (double)r->avg_duration_ms_24h / 60000.0,
		    DEENROLL_AVG_DURATION_MAX_MS / 60000);
	if (r->runs_24h == 0 && !r->has_hours_since_success)
		add(out, &n, DEENROLL_NOTICE, 0, "ℹ️ Client %s has not been "
		    "run yet", who);
	return n;
}

void
deenroll_health_judge(struct deenroll_health_row *r)
{
	struct deenroll_problem	 p[DEENROLL_PROBLEMS_MAX];
	size_t			 n, i;

	n = deenroll_health_problems(r, p);
	r->checks = 0;
	r->level = DEENROLL_OK;
	for (i = 0; i < n; i++) {
		r->checks |= p[i].check;
		if (p[i].level > r->level)
			r->level = p[i].level;
	}
	if (n > 0)
		snprintf(r->summary, sizeof(r->summary), "%s", p[0].text);
	else
		snprintf(r->summary, sizeof(r->summary), "✅ Client %s: %ld "
		    "run%s in the last 24h, all successful, %ld leads "
		    "de-enrolled", r->client_slug, r->runs_24h,
		    r->runs_24h == 1 ? "" : "s", r->leads_de_enrolled_24h);
}

/* A number the view may leave NULL: false if it did. */
static bool
number(const char *text, double *out)
{
	char	*end;

	*out = 0;
	if (text == NULL || *text == '\0')
		return false;
	*out = strtod(text, &end);
	return *end == '\0';
}

static void
row_from_db(struct deenroll_health_row *r, const struct db_deenroll_health *d)
{
	double	 avg;

	memset(r, 0, sizeof(*r));
	snprintf(r->client_id, sizeof(r->client_id), "%s", d->client_id);
	snprintf(r->client_slug, sizeof(r->client_slug), "%s",
	    d->client_slug);
	r->runs_24h = (long)d->runs_24h;
	r->successful_runs_24h = (long)d->successful_runs_24h;
	r->failed_runs_24h = (long)d->failed_runs_24h;
	r->partial_runs_24h = (long)d->partial_runs_24h;
	r->has_success_rate = number(d->success_rate_24h,
	    &r->success_rate_24h);
	r->has_hours_since_success = number(d->hours_since_success,
	    &r->hours_since_success);
	r->has_avg_duration = number(d->avg_duration_ms_24h, &avg);
	r->avg_duration_ms_24h = (long)avg;
	r->leads_de_enrolled_24h = (long)d->leads_de_enrolled_24h;
	r->stuck_leads = (long)d->stuck_leads;
	snprintf(r->last_run_at, sizeof(r->last_run_at), "%s",
	    d->last_run_at);
	snprintf(r->last_success_at, sizeof(r->last_success_at), "%s",
	    d->last_success_at);
	deenroll_health_judge(r);
}

int
deenroll_health_read(struct db *db, const char *client_id,
    struct deenroll_health *out)
{
	struct db_deenroll_health	*rows;
	size_t				 n, i;
	int				 rc;

	memset(out, 0, sizeof(*out));
	if (client_id != NULL && !lead_uuid_valid(client_id))
		return DB_OK;
	if ((rc = db_deenroll_health(db, client_id, &rows, &n)) != DB_OK)
		return rc;
	if (n > 0 && (out->rows = calloc(n, sizeof(*out->rows))) == NULL) {
		free(rows);
		snprintf(db->error, sizeof(db->error), "out of memory");
		return DB_ERROR;
	}
	out->nrows = n;
	for (i = 0; i < n; i++) {
		row_from_db(&out->rows[i], &rows[i]);
		if (out->rows[i].level > out->level)
			out->level = out->rows[i].level;
	}
	free(rows);
	return DB_OK;
}

void
deenroll_health_free(struct deenroll_health *h)
{
	if (h == NULL)
		return;
	free(h->rows);
	h->rows = NULL;
	h->nrows = 0;
}
