-- 0018 down: every function back as it was before 0018, then the
-- columns go. Test events would stay in the log as ordinary events that
-- the counters never counted (the health figures would then fall short of
-- the SOP's query by them): delete them first, while 0018 is applied
--   DELETE FROM lead_activity_log WHERE is_test;
-- (which changes no figure), then migrate down.

CREATE OR REPLACE FUNCTION log_activity_batch(p_events jsonb)
RETURNS TABLE (ord integer, id bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
	v_ids		bigint[];
	v_inserted	bigint[];
BEGIN
	-- In key order, so that two batches touching the same leads cannot
	-- deadlock; a separate statement, so the next one sees leads that a
	-- concurrent transaction committed meanwhile.
	INSERT INTO leads (client_id, external_id)
	SELECT DISTINCT (e->>'client_id')::uuid, e->>'lead_id'
	FROM jsonb_array_elements(p_events) e
	ORDER BY 1, 2
	ON CONFLICT (client_id, external_id) DO NOTHING;

	-- Ids are drawn first so each input row knows the id it would get.
	SELECT array_agg(nextval('lead_activity_log_id_seq'))
	INTO v_ids
	FROM generate_series(1, jsonb_array_length(p_events));

	WITH ev AS (
		SELECT x.*, v_ids[x.n] AS new_id
		FROM ROWS FROM (jsonb_to_recordset(p_events) AS (
			client_id uuid, lead_id text, event_type text,
			occurred_at timestamptz, source text, execution_id text,
			idempotency_key text, channel text, message text,
			metadata jsonb, api_key_id uuid)) WITH ORDINALITY
			AS x(client_id, lead_id, event_type, occurred_at, source,
			execution_id, idempotency_key, channel, message, metadata,
			api_key_id, n)
	), ins AS (
		INSERT INTO lead_activity_log AS a (id, client_id, lead_id,
		    event_type, occurred_at, source, execution_id,
		    idempotency_key, channel, message, metadata, api_key_id)
		-- The lead by a scalar subquery: always one index lookup per
		-- event, never a join plan that scans leads.
		SELECT ev.new_id, ev.client_id,
		    (SELECT l.id FROM leads l WHERE l.client_id = ev.client_id
		      AND l.external_id = ev.lead_id), ev.event_type,
		    coalesce(ev.occurred_at, now()), ev.source, ev.execution_id,
		    ev.idempotency_key, ev.channel, ev.message,
		    coalesce(ev.metadata, '{}'), ev.api_key_id
		FROM ev
		ORDER BY ev.client_id, ev.idempotency_key, ev.n
		ON CONFLICT (client_id, idempotency_key)
		   WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING a.id
	)
	SELECT array_agg(ins.id) INTO v_inserted FROM ins;

	RETURN QUERY
	SELECT x.n::integer,
	       coalesce(i.id, (SELECT a.id FROM lead_activity_log a
	                       WHERE a.client_id = (x.e->>'client_id')::uuid
	                         AND a.idempotency_key = x.e->>'idempotency_key')),
	       i.id IS NULL
	FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, n)
	LEFT JOIN unnest(v_inserted) AS i(id) ON i.id = v_ids[x.n]
	ORDER BY x.n;
END
$$
-- The only join left is between the batch's own rows (thousands): a nested
-- loop there is quadratic, whatever the estimates of the set-returning
-- functions say. Index lookups are scalar subqueries, which this leaves
-- alone. A few thousand rows are not worth JIT or parallel workers.
SET enable_nestloop = off
SET jit = off
SET max_parallel_workers_per_gather = 0;

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

CREATE OR REPLACE FUNCTION activity_uncount_rows() RETURNS trigger
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

CREATE OR REPLACE FUNCTION activity_events_since(p_from timestamptz) RETURNS bigint
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

CREATE OR REPLACE FUNCTION retry_queue_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_event	jsonb;
BEGIN
	NEW.payload_hash := sha256(convert_to(NEW.payload, 'UTF8'));
	NEW.queued_error := NEW.error;
	BEGIN
		v_event := NEW.payload::jsonb;
	EXCEPTION WHEN others THEN
		v_event := NULL;
	END;
	IF jsonb_typeof(v_event) = 'object' THEN
		NEW.workflow := coalesce(NEW.workflow,
		    left(v_event->>'source', 255));
		NEW.execution_id := coalesce(NEW.execution_id,
		    left(v_event->>'execution_id', 255));
		NEW.lead_id := coalesce(NEW.lead_id, left(v_event->>'lead_id', 255));
		NEW.event_type := coalesce(NEW.event_type,
		    left(v_event->>'event_type', 64));
	END IF;
	RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION campaign_progress_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	e	record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM new_rows
	               WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                   'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT',
	                   'BOOKING_CONFIRMED')
	                  OR (event_type = 'MESSAGE_SENT'
	                      AND metadata ? 'step')) THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM leads
	WHERE id IN (SELECT lead_id FROM new_rows
	             WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                 'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT', 'BOOKING_CONFIRMED')
	                OR (event_type = 'MESSAGE_SENT' AND metadata ? 'step'))
	ORDER BY id FOR UPDATE;

	-- Enrolments, removals, opt-outs and bookings are few: one at a time,
	-- in the order they happened.
	FOR e IN SELECT lead_id, event_type, client_id, metadata, occurred_at
	         FROM new_rows
	         WHERE event_type IN ('CAMPAIGN_ENROLLED', 'CAMPAIGN_DE_ENROLLED',
	             'OPTED_OUT', 'BOOKING_CONFIRMED')
	         ORDER BY lead_id, occurred_at, id
	LOOP
		PERFORM campaign_apply_event(e.lead_id, e.event_type, e.client_id,
		    e.metadata, e.occurred_at);
	END LOOP;

	-- Messages are most of the traffic: one statement for the batch. A
	-- step moves the lead only forward, only in the campaign it is on;
	-- each step past the lead's position counts one message received.
	UPDATE leads l
	SET current_message_position = greatest(l.current_message_position,
	        (SELECT max(s) FROM unnest(m.steps) s)),
	    messages_received = l.messages_received +
	        (SELECT count(*) FROM unnest(m.steps) s
	         WHERE s > l.current_message_position),
	    updated_at = now()
	FROM (SELECT r.lead_id, r.campaign, array_agg(DISTINCT r.step) AS steps
	      FROM (SELECT lead_id, (metadata->>'step')::integer AS step,
	                   campaign_of_event(client_id, metadata, false) AS campaign
	            FROM new_rows
	            WHERE event_type = 'MESSAGE_SENT'
	              AND metadata->>'step' ~ '^[0-9]{1,6}$') r
	      WHERE r.campaign IS NOT NULL
	      GROUP BY r.lead_id, r.campaign) m
	WHERE l.id = m.lead_id AND l.campaign_link_id = m.campaign
	  AND l.is_active AND l.completed_at IS NULL
	  AND (SELECT max(s) FROM unnest(m.steps) s) > l.current_message_position;
	RETURN NULL;
END
$$
SET enable_nestloop = on;

DROP INDEX leads_test;
ALTER TABLE retry_queue DROP COLUMN is_test;
ALTER TABLE leads DROP COLUMN is_test;
ALTER TABLE lead_activity_log DROP COLUMN is_test;
ALTER TABLE api_keys DROP COLUMN is_test;
