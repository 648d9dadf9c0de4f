-- 0012 de-enrollment: the SOP's V2 job as SQL functions, its monitoring
-- tables and its health view (names as the SOP's, so its queries run).
--
-- A run is one client's pass: `minicrm deenroll` (the worker every 15
-- minutes, the portal, the API) opens a de_enrollment_runs row, calls
-- process_de_enrollment_batch() until it returns fewer leads than asked or
-- the run's time is up, and closes the row. Each batch is one statement:
-- the leads are taken with FOR UPDATE SKIP LOCKED (two runs at once split
-- the work, never share a lead), completed, logged and given their
-- CAMPAIGN_COMPLETED event together, or not at all.

CREATE TABLE de_enrollment_runs (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	client_id		uuid NOT NULL REFERENCES clients(id),
	run_at			timestamptz NOT NULL DEFAULT now(),
	finished_at		timestamptz,
	status			text NOT NULL DEFAULT 'running'
				CHECK (status IN ('running', 'success', 'partial',
				    'failed')),
	leads_evaluated		integer NOT NULL DEFAULT 0,
	leads_de_enrolled	integer NOT NULL DEFAULT 0,
	batches			integer NOT NULL DEFAULT 0,
	duration_ms		integer,
	error_details		text,
	-- who asked: worker, cli, portal (with the admin), api (with the key)
	triggered_by		text NOT NULL DEFAULT 'cli'
);
CREATE INDEX de_enrollment_runs_at ON de_enrollment_runs (run_at);
CREATE INDEX de_enrollment_runs_client ON de_enrollment_runs
	(client_id, run_at DESC);

CREATE TABLE de_enrollment_lead_log (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- The SOP's monthly cleanup deletes old runs before old lead logs.
	run_id			uuid NOT NULL REFERENCES de_enrollment_runs(id)
				ON DELETE CASCADE,
	lead_id			uuid NOT NULL REFERENCES leads(id),
	client_id		uuid NOT NULL,
	campaign_id		uuid,
	action			text NOT NULL DEFAULT 'de_enroll',
	outcome			text NOT NULL DEFAULT 'completed',
	messages_received	integer,
	current_message_position integer,
	total_messages		integer,
	enrolled_at		timestamptz,
	error_message		text,
	processed_at		timestamptz NOT NULL DEFAULT now()
);
-- A journey is completed once: a second row for it is a bug, refused.
CREATE UNIQUE INDEX de_enrollment_lead_log_once ON de_enrollment_lead_log
	(lead_id, coalesce(campaign_id, '00000000-0000-0000-0000-000000000000'),
	 coalesce(enrolled_at, '-infinity'));
CREATE INDEX de_enrollment_lead_log_run ON de_enrollment_lead_log (run_id);
CREATE INDEX de_enrollment_lead_log_processed ON de_enrollment_lead_log
	(processed_at);

-- A client's leads that have received every message of their campaign
-- and are still active: a locked batch, skipping leads another run holds.
-- Locks last until the caller's transaction ends. Taken in the order of
-- the partial index leads_in_campaign (0011), which holds only leads still
-- in a campaign: ORDER BY id walked the primary key past every lead
-- completed before, so each batch cost more than the last. ROWS 100 (a
-- batch, not the 1,000 PostgreSQL assumes of a set-returning function):
-- with 1,000 the batch's UPDATE of leads hashed the whole table.
CREATE FUNCTION get_leads_for_de_enrollment(p_client_id uuid,
    p_batch_size integer DEFAULT 100)
RETURNS TABLE (lead_id uuid, campaign_id uuid, current_message_position integer,
    total_messages integer, messages_received integer)
LANGUAGE sql AS $$
	SELECT l.id, l.campaign_link_id, l.current_message_position,
	    jsonb_array_length(c.messages), l.messages_received
	FROM campaigns c
	JOIN leads l ON l.client_id = c.client_id AND l.campaign_link_id = c.id
	WHERE c.client_id = p_client_id
	  AND l.is_active AND l.completed_at IS NULL
	  AND l.campaign_link_id IS NOT NULL
	  AND l.current_message_position >= jsonb_array_length(c.messages)
	ORDER BY l.client_id, l.campaign_link_id, l.current_message_position,
	    l.id
	LIMIT p_batch_size
	FOR UPDATE OF l SKIP LOCKED
$$
ROWS 100;

-- The SOP's stuck leads: finished their sequence, still active.
CREATE FUNCTION de_enrollment_stuck_leads(p_client_id uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT count(*)
	FROM campaigns c
	JOIN leads l ON l.client_id = c.client_id AND l.campaign_link_id = c.id
	WHERE c.client_id = p_client_id
	  AND l.is_active AND l.completed_at IS NULL
	  AND l.campaign_link_id IS NOT NULL
	  AND l.current_message_position >= jsonb_array_length(c.messages)
$$;

-- One batch of a run: up to p_batch_size of the client's finished leads,
-- completed in one statement (inactive, completed_at, their journey in
-- campaign_history, a lead-log row and a CAMPAIGN_COMPLETED event each; the
-- campaigns' counts follow through the leads trigger). Adds the batch to
-- the run's row. Returns the leads it completed.
--
-- A journey completed again — after the SOP's rollback restored leads from
-- a backup but kept the log, say — keeps the log row and event it has
-- (ON CONFLICT DO NOTHING): without that, the same keys were a unique
-- violation, the batch rolled back, and every later run of that client
-- failed on the same leads (tests/http/test_runbook_deenroll.sh).
--
-- The batch's commit does not wait for its WAL flush (for its transaction
-- only): a run is about a thousand batches, and each flush was part of
-- what the run paid over the set-based floor. Safe: a batch is one
-- transaction, so a crash loses it whole and the next run completes its
-- leads; the run's row is closed by a synchronous commit, which flushes
-- every batch before it (the WAL is flushed in order).
CREATE FUNCTION process_de_enrollment_batch(p_run_id uuid, p_client_id uuid,
    p_batch_size integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_done	integer;
BEGIN
	PERFORM set_config('synchronous_commit', 'off', true);
	WITH batch AS (
		SELECT * FROM get_leads_for_de_enrollment(p_client_id, p_batch_size)
	), l AS (
		SELECT l.*, b.total_messages
		FROM leads l JOIN batch b ON b.lead_id = l.id
	), log AS (
		INSERT INTO de_enrollment_lead_log (run_id, lead_id, client_id,
		    campaign_id, messages_received, current_message_position,
		    total_messages, enrolled_at)
		SELECT p_run_id, l.id, l.client_id, l.campaign_link_id,
		    l.messages_received, l.current_message_position,
		    l.total_messages, l.enrolled_at
		FROM l
		ON CONFLICT DO NOTHING
		RETURNING lead_id
	), ev AS (
		INSERT INTO lead_activity_log (client_id, lead_id, event_type,
		    occurred_at, source, idempotency_key, channel, message,
		    metadata)
		SELECT l.client_id, l.id, 'CAMPAIGN_COMPLETED', now(),
		    'minicrm-deenroll',
		    'deenroll:' || l.id || ':' || l.campaign_link_id || ':' ||
		        coalesce(l.enrolled_at::text, '-'),
		    'sms', 'Completed ' || c.name || ' after ' ||
		        l.messages_received || ' messages',
		    jsonb_build_object('campaign_id', l.campaign_link_id,
		        'campaign', c.name, 'run_id', p_run_id,
		        'messages_received', l.messages_received,
		        'total_messages', l.total_messages)
		FROM l JOIN campaigns c ON c.id = l.campaign_link_id
		ON CONFLICT DO NOTHING
		RETURNING lead_id
	), upd AS (
		UPDATE leads t
		SET is_active = false, completed_at = now(),
		    campaign_history = t.campaign_history || jsonb_build_array(
		        jsonb_build_object(
		            'campaign_id', t.campaign_link_id,
		            'campaign_name', c.name,
		            'enrolled_at', t.enrolled_at,
		            'ended_at', now(),
		            'outcome', 'completed',
		            'messages_received', t.messages_received,
		            'position', t.current_message_position,
		            'total_messages', l.total_messages,
		            'booked', t.booked_at IS NOT NULL,
		            'run_id', p_run_id)),
		    updated_at = now()
		FROM l JOIN campaigns c ON c.id = l.campaign_link_id
		WHERE t.id = l.id
		RETURNING t.id
	)
	SELECT count(*) INTO v_done FROM upd;

	UPDATE de_enrollment_runs
	SET leads_evaluated = leads_evaluated + v_done,
	    leads_de_enrolled = leads_de_enrolled + v_done,
	    batches = batches + 1
	WHERE id = p_run_id;
	RETURN v_done;
END
$$
SET jit = off;

-- Per client with campaigns or runs: the SOP's health figures over the
-- last 24 hours (its thresholds: success rate under 95 %, more than 5
-- failed runs, more than 2 hours since a success, stuck leads over 50, 100
-- and 500, an average run over 4 minutes).
CREATE VIEW de_enrollment_health AS
SELECT k.id AS client_id, k.slug AS client_slug,
    count(r.id) AS runs_24h,
    count(r.id) FILTER (WHERE r.status = 'success') AS successful_runs_24h,
    count(r.id) FILTER (WHERE r.status = 'failed') AS failed_runs_24h,
    count(r.id) FILTER (WHERE r.status = 'partial') AS partial_runs_24h,
    round(100.0 * count(r.id) FILTER (WHERE r.status = 'success')
        / nullif(count(r.id) FILTER (WHERE r.status <> 'running'), 0), 1)
        AS success_rate_24h,
    coalesce(sum(r.leads_de_enrolled), 0) AS leads_de_enrolled_24h,
    avg(r.duration_ms)::integer AS avg_duration_ms_24h,
    (SELECT max(run_at) FROM de_enrollment_runs x WHERE x.client_id = k.id)
        AS last_run_at,
    s.last_success_at,
    round((extract(epoch FROM now() - coalesce(s.last_success_at,
        (SELECT min(run_at) FROM de_enrollment_runs x
         WHERE x.client_id = k.id))) / 3600)::numeric, 1)
        AS hours_since_success,
    de_enrollment_stuck_leads(k.id) AS stuck_leads
FROM clients k
LEFT JOIN de_enrollment_runs r ON r.client_id = k.id
    AND r.run_at > now() - interval '24 hours'
LEFT JOIN LATERAL (SELECT max(run_at) AS last_success_at
                   FROM de_enrollment_runs x
                   WHERE x.client_id = k.id AND x.status = 'success') s
    ON true
WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.client_id = k.id)
   OR EXISTS (SELECT 1 FROM de_enrollment_runs x WHERE x.client_id = k.id)
GROUP BY k.id, k.slug, s.last_success_at;

-- The SOP's monthly cleanup: runs older than p_runs (their lead logs go
-- with them), lead logs older than p_logs. Returns the rows removed.
CREATE FUNCTION de_enrollment_cleanup(p_runs interval DEFAULT '90 days',
    p_logs interval DEFAULT '30 days')
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_logs	integer;
	v_runs	integer;
BEGIN
	DELETE FROM de_enrollment_lead_log WHERE processed_at < now() - p_logs;
	GET DIAGNOSTICS v_logs = ROW_COUNT;
	DELETE FROM de_enrollment_runs
	WHERE run_at < now() - p_runs AND status <> 'running';
	GET DIAGNOSTICS v_runs = ROW_COUNT;
	RETURN v_logs + v_runs;
END
$$;

-- The job's alerts are kept once per condition and client in alert_state
-- (0005), keyed 'deenroll:<client uuid>:<check>'.
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z0-9_:.-]{1,100}$');

GRANT SELECT, INSERT, UPDATE ON de_enrollment_runs TO minicrm_app;
GRANT SELECT, INSERT ON de_enrollment_lead_log TO minicrm_app;
GRANT SELECT ON de_enrollment_health TO minicrm_app;
GRANT EXECUTE ON FUNCTION get_leads_for_de_enrollment(uuid, integer),
	de_enrollment_stuck_leads(uuid),
	process_de_enrollment_batch(uuid, uuid, integer) TO minicrm_app;
-- The cleanup deletes: a job's right, through this function only.
ALTER FUNCTION de_enrollment_cleanup(interval, interval) SECURITY DEFINER
	SET search_path = public, pg_temp;
GRANT EXECUTE ON FUNCTION de_enrollment_cleanup(interval, interval)
	TO minicrm_app;
