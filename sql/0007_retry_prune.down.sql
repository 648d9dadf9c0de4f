DROP FUNCTION retry_queue_prune(interval, integer);
DROP INDEX retry_queue_done_at;
