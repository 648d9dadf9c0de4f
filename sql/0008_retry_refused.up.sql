-- 0008 retry refused: a state for an event the API refused (400, 413 …),
-- handed to the queue so that it is not lost, but not to be replayed
-- blindly: the replay never takes a refused row by itself. A person looks
-- at it in the portal, fixes the cause (the event type, the client, the
-- caller's workflow) and replays it (portal or `minicrm replay --id`), or
-- discards it. The worker alerts refused rows as it alerts dead ones.
-- POST /api/internal/retry-queue queues one with "state": "refused"
-- (docs/retry-queue.md); minicrm_n8n's plain INSERT cannot: it only knows
-- that the portal was unreachable.

ALTER TABLE retry_queue DROP CONSTRAINT retry_queue_state_check,
	ADD CONSTRAINT retry_queue_state_check
	CHECK (state IN ('pending', 'done', 'dead', 'discarded', 'refused'));

DROP INDEX retry_queue_dead_unalerted;
CREATE INDEX retry_queue_dead_unalerted ON retry_queue (id)
	WHERE state IN ('dead', 'refused') AND dead_alerted_at IS NULL;
