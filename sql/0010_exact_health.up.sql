-- 0010 exact health: events_last_hour and events_last_24h equal the SOP's
-- own queries (count(*) ... WHERE created_at > now() - interval '24 hours')
-- to the event, where 0001 counted the far end of the day by whole hours
-- (up to an hour's events too many) and of the hour by a whole minute.
--
-- The trigger now keeps two sets of counts in the events' transaction:
-- per minute (activity_counts, as before) and per hour
-- (activity_counts_hourly, new), each in per-backend shards that
-- compaction folds. Minutes are no longer folded into hours: minute rows
-- are kept for 26 hours, then deleted (their hour holds them). A window
-- (t, now] is then summed exactly as
--   the log itself for (t, the next whole minute)   -- under a minute of rows
-- + minute rows up to the next whole hour            -- at most 60 per type
-- + hour rows from there to now                      -- at most 25 per type
-- which reads about as many count rows as before. The minute rows also
-- keep the lowest and highest log id of their events (first_id, last_id),
-- so the part-minute is read by the primary key, between those two: a few
-- hundred rows, whatever the size of the log or the state of its BRIN.

CREATE TABLE activity_counts_hourly (
	bucket		timestamptz NOT NULL,
	shard		smallint NOT NULL,
	client_id	uuid NOT NULL,
	event_type	text NOT NULL,
	events		bigint NOT NULL,
	PRIMARY KEY (bucket, shard, client_id, event_type)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON activity_counts_hourly TO minicrm_app;
ALTER TABLE activity_counts ADD COLUMN first_id bigint,
	ADD COLUMN last_id bigint;
-- The shards waiting to be folded, found without reading a day of minutes.
CREATE INDEX activity_counts_shards ON activity_counts (bucket) WHERE shard <> 0;

-- Rebuild both from what they summarize, under a lock that holds new
-- events back meanwhile: every hour from the counts (0001 left hour rows
-- and minute rows, both of which fall in their hour), the last 26 hours'
-- minutes from the log itself (0001 had folded most of them into hours).
LOCK TABLE lead_activity_log IN SHARE MODE;
LOCK TABLE activity_counts IN EXCLUSIVE MODE;
INSERT INTO activity_counts_hourly (bucket, shard, client_id, event_type, events)
SELECT date_trunc('hour', bucket), 0, client_id, event_type, sum(events)
FROM activity_counts GROUP BY 1, 2, 3, 4;
DELETE FROM activity_counts;
INSERT INTO activity_counts (bucket, shard, client_id, event_type, events,
    first_id, last_id)
SELECT date_trunc('minute', created_at), 0, client_id, event_type, count(*),
    min(id), max(id)
FROM lead_activity_log
WHERE created_at >= date_trunc('hour', now() - interval '26 hours')
GROUP BY 1, 2, 3, 4;

CREATE OR REPLACE FUNCTION activity_count_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type,
	    events, first_id, last_id)
	SELECT date_trunc('minute', created_at), pg_backend_pid() % 8,
	    client_id, event_type, count(*), min(id), max(id)
	FROM new_rows
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events,
	    first_id = least(c.first_id, EXCLUDED.first_id),
	    last_id = greatest(c.last_id, EXCLUDED.last_id);
	INSERT INTO activity_counts_hourly AS c (bucket, shard, client_id,
	    event_type, events)
	SELECT date_trunc('hour', created_at), pg_backend_pid() % 8,
	    client_id, event_type, count(*)
	FROM new_rows
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	RETURN NULL;
END
$$;

-- Events deleted from the log (an operator's erasure; minicrm_app may not
-- delete) are taken off their minute and hour, in the deleting statement's
-- transaction, so the figures stay equal to a count of the log.
CREATE FUNCTION activity_uncount_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type,
	    events)
	SELECT date_trunc('minute', created_at), pg_backend_pid() % 8,
	    client_id, event_type, -count(*)
	FROM old_rows
	WHERE created_at >= date_trunc('hour', now() - interval '26 hours')
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	INSERT INTO activity_counts_hourly AS c (bucket, shard, client_id,
	    event_type, events)
	SELECT date_trunc('hour', created_at), pg_backend_pid() % 8,
	    client_id, event_type, -count(*)
	FROM old_rows
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	RETURN NULL;
END
$$;
CREATE TRIGGER lead_activity_log_uncount AFTER DELETE ON lead_activity_log
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION activity_uncount_rows();

-- Fold the shards of minutes and hours that ended more than two minutes
-- ago into shard 0, and delete minute rows older than 26 hours (their
-- hours hold them). Runs at most once at a time (advisory lock); returns
-- the rows it folded or deleted.
CREATE OR REPLACE FUNCTION activity_counts_compact() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_minutes	timestamptz := date_trunc('minute', now() - interval '2 minutes');
	v_hours		timestamptz := date_trunc('hour', now() - interval '2 minutes');
	v_keep		timestamptz := date_trunc('hour', now() - interval '26 hours');
	v_folded	integer;
	v_hourly	integer;
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('minicrm.activity_counts')) THEN
		RETURN 0;
	END IF;
	WITH gone AS (
		DELETE FROM activity_counts
		WHERE bucket < v_keep OR (shard <> 0 AND bucket < v_minutes)
		RETURNING bucket, client_id, event_type, events, first_id,
		    last_id
	), folded AS (
		INSERT INTO activity_counts AS c (bucket, shard, client_id,
		    event_type, events, first_id, last_id)
		SELECT bucket, 0, client_id, event_type, sum(events),
		    min(first_id), max(last_id)
		FROM gone WHERE bucket >= v_keep GROUP BY 1, 2, 3, 4
		ON CONFLICT (bucket, shard, client_id, event_type)
		DO UPDATE SET events = c.events + EXCLUDED.events,
		    first_id = least(c.first_id, EXCLUDED.first_id),
		    last_id = greatest(c.last_id, EXCLUDED.last_id)
		RETURNING 1
	)
	SELECT count(*) INTO v_folded FROM gone;
	WITH gone AS (
		DELETE FROM activity_counts_hourly
		WHERE shard <> 0 AND bucket < v_hours
		RETURNING bucket, client_id, event_type, events
	), folded AS (
		INSERT INTO activity_counts_hourly AS c (bucket, shard,
		    client_id, event_type, events)
		SELECT bucket, 0, client_id, event_type, sum(events)
		FROM gone GROUP BY 1, 2, 3, 4
		ON CONFLICT (bucket, shard, client_id, event_type)
		DO UPDATE SET events = c.events + EXCLUDED.events
		RETURNING 1
	)
	SELECT count(*) INTO v_hourly FROM gone;
	RETURN v_folded + v_hourly;
END
$$;

-- Events with created_at in (p_from, now()], exactly: see the top of this
-- file. p_from must be within the last 25 hours (minute rows reach back
-- 26). Reads the log only for the part of a minute after p_from, by id
-- between the first and last of that minute's events.
CREATE FUNCTION activity_events_since(p_from timestamptz) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_minute	timestamptz := date_trunc('minute', p_from) + interval '1 minute';
	v_hour		timestamptz := date_trunc('hour', p_from) + interval '1 hour';
	v_first		bigint;
	v_last		bigint;
	v_log		bigint := 0;
	v_minutes	bigint;
	v_hours		bigint;
BEGIN
	SELECT min(first_id), max(last_id) INTO v_first, v_last
	FROM activity_counts WHERE bucket = date_trunc('minute', p_from);
	IF v_first IS NOT NULL THEN
		SELECT count(*) INTO v_log FROM lead_activity_log
		WHERE id BETWEEN v_first AND v_last
		  AND created_at > p_from AND created_at < v_minute;
	END IF;
	SELECT coalesce(sum(events), 0) INTO v_minutes FROM activity_counts
	WHERE bucket >= v_minute AND bucket < v_hour;
	SELECT coalesce(sum(events), 0) INTO v_hours FROM activity_counts_hourly
	WHERE bucket >= v_hour;
	RETURN v_log + v_minutes + v_hours;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

-- The health figures: events in the last hour and 24 hours (exact, as the
-- SOP counts them), the retry queue, the newest event, and how many count
-- rows wait for compaction.
CREATE OR REPLACE FUNCTION activity_health(
	OUT events_last_hour bigint, OUT events_last_24h bigint,
	OUT retry_queue_size bigint, OUT oldest_retry_age_seconds bigint,
	OUT last_event_at timestamptz, OUT uncompacted_rows bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_now	timestamptz := now();
BEGIN
	events_last_hour := activity_events_since(v_now - interval '1 hour');
	events_last_24h := activity_events_since(v_now - interval '24 hours');

	SELECT (SELECT count(*) FROM activity_counts WHERE shard <> 0
	         AND bucket < date_trunc('minute', v_now - interval '2 minutes'))
	     + (SELECT count(*) FROM activity_counts
	         WHERE bucket < date_trunc('hour', v_now - interval '26 hours'))
	INTO uncompacted_rows;

	SELECT count(*), extract(epoch FROM v_now - min(created_at))::bigint
	INTO retry_queue_size, oldest_retry_age_seconds
	FROM retry_queue WHERE state = 'pending';

	SELECT created_at INTO last_event_at
	FROM lead_activity_log ORDER BY id DESC LIMIT 1;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

GRANT EXECUTE ON FUNCTION activity_events_since(timestamptz) TO minicrm_app;
