-- Roll back 0005: forgets the alert states and which dead rows were alerted
-- (after a roll-back and up again, dead rows are alerted once more).
DROP INDEX IF EXISTS retry_queue_dead_unalerted;
ALTER TABLE retry_queue DROP COLUMN IF EXISTS dead_alerted_at;
DROP TABLE IF EXISTS alert_state;
