-- 0014 down: the scheduler's and the analytics updater's functions. The
-- sends queued and the rollups written stay (0013's tables).
DROP FUNCTION nurture_analytics_update(date);
DROP FUNCTION nurture_schedule_due();
DROP FUNCTION nurture_schedule_batch(integer);
