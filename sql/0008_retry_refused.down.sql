-- A refused row becomes dead: kept, not replayed by itself, as before.
UPDATE retry_queue SET state = 'dead' WHERE state = 'refused';
DROP INDEX retry_queue_dead_unalerted;
CREATE INDEX retry_queue_dead_unalerted ON retry_queue (id)
	WHERE state = 'dead' AND dead_alerted_at IS NULL;
ALTER TABLE retry_queue DROP CONSTRAINT retry_queue_state_check,
	ADD CONSTRAINT retry_queue_state_check
	CHECK (state IN ('pending', 'done', 'dead', 'discarded'));
