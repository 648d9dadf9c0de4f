/* db_metrics: /metrics's database figures and the jobs' counts (see db_metrics.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db_metrics.h"
#include "db_store.h"

static double
dbl(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row,
	    col), NULL);
}

static void
text(char *out, size_t outsz, const PGresult *res, int row, int col)
{
	snprintf(out, outsz, "%s", PQgetvalue(res, row, col));
}

static int
read_retry(struct db *db, struct db_metrics *m)
{
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(db, STMT_METRICS_RETRY_QUEUE, NULL, &res)) != DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && i < 5; i++) {
		text(m->retry[i].state, sizeof(m->retry[i].state), res, i, 0);
		m->retry[i].rows = db_store_int(res, i, 1);
		m->retry[i].oldest_age = dbl(res, i, 2);
	}
	m->nretry = i;
	PQclear(res);
	return DB_OK;
}

static int
read_deenroll(struct db *db, struct db_metrics *m)
{
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(db, STMT_METRICS_DEENROLL, NULL, &res)) != DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && i < 4; i++) {
		text(m->deenroll[i].status, sizeof(m->deenroll[i].status),
		    res, i, 0);
		m->deenroll[i].runs = db_store_int(res, i, 1);
		m->deenroll[i].leads = db_store_int(res, i, 2);
		m->deenroll_last_run = dbl(res, i, 3);
		m->deenroll_last_success = dbl(res, i, 4);
	}
	m->ndeenroll = i;
	PQclear(res);
	return DB_OK;
}

static int
read_email(struct db *db, struct db_metrics *m)
{
	PGresult	*res;
	int		 rc, i;

	if ((rc = db_exec(db, STMT_METRICS_EMAIL, NULL, &res)) != DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && i < 4; i++) {
		text(m->email[i].status, sizeof(m->email[i].status), res, i,
		    0);
		m->email[i].sends = db_store_int(res, i, 1);
		m->email_queued = db_store_int(res, i, 2);
	}
	m->nemail = i;
	PQclear(res);
	return DB_OK;
}

static int
read_jobs(struct db *db, struct db_metrics *m)
{
	PGresult		*res;
	struct db_metrics_job	*j;
	int			 rc, i;

	if ((rc = db_exec(db, STMT_METRICS_JOBS, NULL, &res)) != DB_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && i < DB_METRICS_JOBS_MAX; i++) {
		j = &m->jobs[i];
		text(j->job, sizeof(j->job), res, i, 0);
		j->runs = db_store_int(res, i, 1);
		j->failures = db_store_int(res, i, 2);
		j->skipped = db_store_int(res, i, 3);
		j->duration_sum = dbl(res, i, 4);
		j->last_duration = dbl(res, i, 5);
		j->last_run = dbl(res, i, 6);
		j->last_success = dbl(res, i, 7);
		j->last_failure = dbl(res, i, 8);
	}
	m->njobs = i;
	PQclear(res);
	return DB_OK;
}

int
db_metrics_read(struct db *db, struct db_metrics *m)
{
	int	 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = read_retry(db, m)) != DB_OK ||
	    (rc = read_deenroll(db, m)) != DB_OK ||
	    (rc = read_email(db, m)) != DB_OK ||
	    (rc = read_jobs(db, m)) != DB_OK)
		return rc;
	return DB_OK;
}

int
db_metrics_job_record(struct db *db, const char *job, const char *outcome,
    double seconds)
{
	char		 secs[32];
	const char	*params[3] = { job, outcome, secs };

	snprintf(secs, sizeof(secs), "%.6f", seconds);
	return db_run(db, STMT_JOB_STATS_RECORD, params);
}
