-- 0021: what the worker's jobs have done, for GET /metrics
-- (docs/observability.md): one row per job, updated at the end of every
-- run, by the worker or `minicrm job run` (src/jobs/job.c), so the counts
-- hold across restarts and across workers on several machines.
--
--   * runs: the runs that took the job's lock (done or failed);
--     failures: those that failed; skipped: those that found another run
--     holding the lock.
--   * duration_seconds_sum / last_duration_seconds: done and failed runs.
--   * last_run_at, last_success_at, last_failure_at: when such a run ended.

CREATE TABLE job_stats (
	job			text PRIMARY KEY
				CHECK (length(job) BETWEEN 1 AND 100),
	runs			bigint NOT NULL DEFAULT 0,
	failures		bigint NOT NULL DEFAULT 0,
	skipped			bigint NOT NULL DEFAULT 0,
	duration_seconds_sum	double precision NOT NULL DEFAULT 0,
	last_duration_seconds	double precision,
	last_run_at		timestamptz,
	last_success_at		timestamptz,
	last_failure_at		timestamptz
);

GRANT SELECT, INSERT, UPDATE ON job_stats TO minicrm_app;
