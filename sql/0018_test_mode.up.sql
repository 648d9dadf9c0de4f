-- 0018 test mode (the activity SOP's "Test Mode" toggle, per API key):
-- an API key may be a test key; the events it logs are stored and shown
-- marked test, and never count in the health figures, the red flags, the
-- dashboard or a campaign's progress and counts.
--
--   * api_keys.is_test: set when the key is made (`minicrm apikey create
--     --test`, the portal's keys page), never changed after: a key's
--     events are all test or all live.
--   * lead_activity_log.is_test: set by log_activity_batch() from each
--     row's "is_test" (the ingest puts the key's flag there). Adding a
--     column with a constant default is instant (PostgreSQL 11+: no
--     rewrite of the log, only a catalog change under a brief lock).
--   * leads.is_test: a lead created by test events only is a test lead
--     (the portal's leads list hides them unless asked); the first live
--     event for it makes it a live lead for good.
--   * retry_queue.is_test: an event queued with a test key (the trigger
--     reads the key), so its replay logs it as test again and the queue's
--     figures and red flag do not count it.
--
-- What leaves test events out, and where:
--   * the per-minute and per-hour counts (activity_count_rows and
--     activity_uncount_rows skip test rows), so events_last_hour,
--     events_last_24h, the dashboard's weekly and daily figures and the
--     "no events in business hours" red flag never see them;
--   * activity_events_since()'s part-minute read of the log, and
--     activity_health()'s last_event_at and retry-queue figures;
--   * campaign_progress_rows(): a test event moves no lead through a
--     campaign, so campaign counts, the lead's counters, the
--     de-enrollment figures and their health stay as they were.
-- E-mail nurture reads its own tables (sends, SendGrid events), never
-- the log: nothing to change there.

ALTER TABLE api_keys ADD COLUMN is_test boolean NOT NULL DEFAULT false;
ALTER TABLE lead_activity_log ADD COLUMN is_test boolean NOT NULL DEFAULT false;
ALTER TABLE leads ADD COLUMN is_test boolean NOT NULL DEFAULT false;
ALTER TABLE retry_queue ADD COLUMN is_test boolean NOT NULL DEFAULT false;
-- Test leads are few: the ingest finds the ones a live event makes live,
-- and the leads list leaves them out, through this.
CREATE INDEX leads_test ON leads (client_id, external_id) WHERE is_test;

-- As 0001's, with each row's is_test (absent: false) stored on the event
-- and on a lead it creates; a live event for a test lead makes it live.
CREATE OR REPLACE FUNCTION log_activity_batch(p_events jsonb)
RETURNS TABLE (ord integer, id bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
	v_ids		bigint[];
	v_inserted	bigint[];
BEGIN
	-- In key order, so that two batches touching the same leads cannot
	-- deadlock; a separate statement, so the next one sees leads that a
	-- concurrent transaction committed meanwhile. A new lead is a test
	-- lead only if every event of the batch that names it is a test one.
	INSERT INTO leads (client_id, external_id, is_test)
	SELECT (e->>'client_id')::uuid, e->>'lead_id',
	    bool_and(coalesce((e->>'is_test')::boolean, false))
	FROM jsonb_array_elements(p_events) e
	GROUP BY 1, 2
	ORDER BY 1, 2
	ON CONFLICT (client_id, external_id) DO NOTHING;

	-- Test leads are few (leads_test): one index probe while there are
	-- none; else the ones a live event of the batch names become live.
	IF EXISTS (SELECT 1 FROM leads WHERE is_test) THEN
		UPDATE leads l SET is_test = false, updated_at = now()
		FROM (SELECT DISTINCT (e->>'client_id')::uuid AS client_id,
		             e->>'lead_id' AS external_id
		      FROM jsonb_array_elements(p_events) e
		      WHERE NOT coalesce((e->>'is_test')::boolean, false)) live
		WHERE l.is_test AND l.client_id = live.client_id
		  AND l.external_id = live.external_id;
	END IF;

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
			metadata jsonb, api_key_id uuid, is_test boolean))
			WITH ORDINALITY
			AS x(client_id, lead_id, event_type, occurred_at, source,
			execution_id, idempotency_key, channel, message, metadata,
			api_key_id, is_test, n)
	), ins AS (
		INSERT INTO lead_activity_log AS a (id, client_id, lead_id,
		    event_type, occurred_at, source, execution_id,
		    idempotency_key, channel, message, metadata, api_key_id,
		    is_test)
		-- The lead by a scalar subquery: always one index lookup per
		-- event, never a join plan that scans leads.
		SELECT ev.new_id, ev.client_id,
		    (SELECT l.id FROM leads l WHERE l.client_id = ev.client_id
		      AND l.external_id = ev.lead_id), ev.event_type,
		    coalesce(ev.occurred_at, now()), ev.source, ev.execution_id,
		    ev.idempotency_key, ev.channel, ev.message,
		    coalesce(ev.metadata, '{}'), ev.api_key_id,
		    coalesce(ev.is_test, false)
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
SET enable_nestloop = off
SET jit = off
SET max_parallel_workers_per_gather = 0;

-- 0010's counts, of live events only.
CREATE OR REPLACE FUNCTION activity_count_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type,
	    events, first_id, last_id)
	SELECT date_trunc('minute', created_at), pg_backend_pid() % 8,
	    client_id, event_type, count(*), min(id), max(id)
	FROM new_rows
	WHERE NOT is_test
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
	WHERE NOT is_test
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	RETURN NULL;
END
$$;

-- A deleted test event was never counted: nothing to take off.
CREATE OR REPLACE FUNCTION activity_uncount_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO activity_counts AS c (bucket, shard, client_id, event_type,
	    events)
	SELECT date_trunc('minute', created_at), pg_backend_pid() % 8,
	    client_id, event_type, -count(*)
	FROM old_rows
	WHERE NOT is_test
	  AND created_at >= date_trunc('hour', now() - interval '26 hours')
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	INSERT INTO activity_counts_hourly AS c (bucket, shard, client_id,
	    event_type, events)
	SELECT date_trunc('hour', created_at), pg_backend_pid() % 8,
	    client_id, event_type, -count(*)
	FROM old_rows
	WHERE NOT is_test
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (bucket, shard, client_id, event_type)
	DO UPDATE SET events = c.events + EXCLUDED.events;
	RETURN NULL;
END
$$;

-- 0010's exact count; its part-minute read of the log skips test events.
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
		WHERE id BETWEEN v_first AND v_last AND NOT is_test
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

-- 0010's health figures, the retry queue and the newest event live ones
-- too. The newest live event is found backwards by id, past the test
-- events after it (a test run is a short burst).
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
	FROM retry_queue WHERE state = 'pending' AND NOT is_test;

	SELECT created_at INTO last_event_at
	FROM lead_activity_log WHERE NOT is_test ORDER BY id DESC LIMIT 1;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

-- 0004's fill, and the test flag of the key that queued the row (a
-- direct insert as minicrm_n8n names no key: live).
CREATE OR REPLACE FUNCTION retry_queue_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_event	jsonb;
BEGIN
	NEW.payload_hash := sha256(convert_to(NEW.payload, 'UTF8'));
	NEW.queued_error := NEW.error;
	IF NEW.api_key_id IS NOT NULL THEN
		NEW.is_test := coalesce((SELECT k.is_test FROM api_keys k
		    WHERE k.id = NEW.api_key_id), false);
	END IF;
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

-- 0011's campaign progress, from live events only: each read of the
-- statement's rows leaves the test ones out.
CREATE OR REPLACE FUNCTION campaign_progress_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	e	record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM (SELECT * FROM new_rows WHERE NOT is_test) new_rows
	               WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                   'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT',
	                   'BOOKING_CONFIRMED')
	                  OR (event_type = 'MESSAGE_SENT'
	                      AND metadata ? 'step')) THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM leads
	WHERE id IN (SELECT lead_id FROM (SELECT * FROM new_rows WHERE NOT is_test) new_rows
	             WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                 'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT', 'BOOKING_CONFIRMED')
	                OR (event_type = 'MESSAGE_SENT' AND metadata ? 'step'))
	ORDER BY id FOR UPDATE;

	-- Enrolments, removals, opt-outs and bookings are few: one at a time,
	-- in the order they happened.
	FOR e IN SELECT lead_id, event_type, client_id, metadata, occurred_at
	         FROM (SELECT * FROM new_rows WHERE NOT is_test) new_rows
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
	            FROM (SELECT * FROM new_rows WHERE NOT is_test) new_rows
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
