-- 0010 down: back to 0001's counts (minutes folded into hours after two
-- hours; the far ends of the windows counted by whole hours and minutes).
-- The hours older than the minute rows go back into activity_counts as
-- hour rows, as 0001's compaction would have left them.
LOCK TABLE lead_activity_log IN SHARE MODE;
LOCK TABLE activity_counts IN EXCLUSIVE MODE;
INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type, events)
SELECT bucket, 0, client_id, event_type, sum(events)
FROM activity_counts_hourly
WHERE bucket < (SELECT coalesce(date_trunc('hour', min(bucket)), 'infinity')
                FROM activity_counts)
GROUP BY 1, 2, 3, 4
ON CONFLICT (bucket, shard, client_id, event_type)
DO UPDATE SET events = c.events + EXCLUDED.events;
DROP TRIGGER lead_activity_log_uncount ON lead_activity_log;
DROP FUNCTION activity_uncount_rows();
DROP FUNCTION activity_events_since(timestamptz);
DROP INDEX activity_counts_shards;
CREATE OR REPLACE FUNCTION activity_count_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type,
	    events)
	SELECT date_trunc('minute', created_at), pg_backend_pid() % 8,
	    client_id, event_type, count(*)
	FROM new_rows
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION activity_counts_compact() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_minutes	timestamptz := date_trunc('minute', now() - interval '2 minutes');
	v_hours		timestamptz := date_trunc('hour', now() - interval '2 hours');
	v_folded	integer;
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('minicrm.activity_counts')) THEN
		RETURN 0;
	END IF;
	WITH gone AS (
		DELETE FROM activity_counts
		WHERE (shard <> 0 AND bucket < v_minutes)
		   OR (bucket < v_hours AND bucket <> date_trunc('hour', bucket))
		RETURNING bucket, client_id, event_type, events
	), folded AS (
		INSERT INTO activity_counts AS c (bucket, shard, client_id,
		    event_type, events)
		SELECT CASE WHEN bucket < v_hours
		            THEN date_trunc('hour', bucket) ELSE bucket END,
		       0, client_id, event_type, sum(events)
		FROM gone GROUP BY 1, 2, 3, 4
		ON CONFLICT (bucket, shard, client_id, event_type)
		DO UPDATE SET events = c.events + EXCLUDED.events
		RETURNING 1
	)
	SELECT count(*) INTO v_folded FROM gone;
	RETURN v_folded;
END
$$;

CREATE OR REPLACE FUNCTION activity_health(
	OUT events_last_hour bigint, OUT events_last_24h bigint,
	OUT retry_queue_size bigint, OUT oldest_retry_age_seconds bigint,
	OUT last_event_at timestamptz, OUT uncompacted_rows bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_now	timestamptz := now();
BEGIN
	SELECT coalesce(sum(events) FILTER (WHERE bucket >=
	           date_trunc('minute', v_now - interval '1 hour')), 0),
	       coalesce(sum(events), 0),
	       count(*) FILTER (WHERE (shard <> 0 AND bucket <
	           date_trunc('minute', v_now - interval '2 minutes')) OR
	           (bucket < date_trunc('hour', v_now - interval '2 hours') AND
	            bucket <> date_trunc('hour', bucket)))
	INTO events_last_hour, events_last_24h, uncompacted_rows
	FROM activity_counts
	WHERE bucket >= date_trunc('hour', v_now - interval '24 hours');

	SELECT count(*), extract(epoch FROM v_now - min(created_at))::bigint
	INTO retry_queue_size, oldest_retry_age_seconds
	FROM retry_queue WHERE state = 'pending';

	SELECT created_at INTO last_event_at
	FROM lead_activity_log ORDER BY id DESC LIMIT 1;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

DROP TABLE activity_counts_hourly;
ALTER TABLE activity_counts DROP COLUMN first_id, DROP COLUMN last_id;
