-- 0007 retry prune: done rows of the retry queue are kept for a while (the
-- portal shows what was replayed and when) and then removed, so the queue's
-- counts and lists do not scan years of finished work.
--
-- Only rows in state 'done' may go: their event is in lead_activity_log
-- (log_id). Pending, dead and discarded rows stay until an operator acts;
-- nothing is lost by pruning. minicrm_app holds no DELETE on retry_queue,
-- and gets none: it may call this one function, which deletes nothing but
-- done rows finished longer ago than p_keep (never less than an hour), at
-- most p_limit of them per call so a long backlog is pruned in short
-- transactions. Their error history goes with them (ON DELETE CASCADE).

CREATE INDEX retry_queue_done_at ON retry_queue (done_at) WHERE state = 'done';

CREATE FUNCTION retry_queue_prune(p_keep interval, p_limit integer)
RETURNS integer
LANGUAGE sql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
	WITH gone AS (
		DELETE FROM retry_queue WHERE id IN (
			SELECT id FROM retry_queue
			WHERE state = 'done'
			  AND done_at < now() - greatest(p_keep, interval '1 hour')
			ORDER BY done_at
			LIMIT greatest(p_limit, 0)
			FOR UPDATE SKIP LOCKED)
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION retry_queue_prune(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retry_queue_prune(interval, integer) TO minicrm_app;
