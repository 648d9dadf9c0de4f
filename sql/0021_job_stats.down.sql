-- 0021 down: the jobs' counts go.
DROP TABLE job_stats;
