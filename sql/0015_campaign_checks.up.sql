-- 0015 campaign checks: what tests/http/test_runbook_deenroll.sh and
-- bench/deenroll.sh found in 0011 and 0012.
--
-- 1. The campaign triggers plan their own joins. They fire inside
-- log_activity_batch(), whose SET enable_nestloop = off (for its own joins
-- between the batch's rows) applies to everything it runs, triggers
-- included: the progress trigger's lead lock and its UPDATE of the leads
-- each became a hash join over a sequential scan of every lead — 60 ms
-- per event with 200,000 leads instead of 2, a tenth of the plain ingest
-- rate with campaign steps (bench/deenroll.sh). Their own setting puts the
-- index lookups back.
ALTER FUNCTION campaign_progress_rows() SET enable_nestloop = on;
ALTER FUNCTION campaign_counts_follow_update() SET enable_nestloop = on;
ALTER FUNCTION campaign_counts_follow_delete() SET enable_nestloop = on;

-- 2. A journey completed once more after a restore does not wedge its
-- client's de-enrollment.
--
-- The SOP's rollback restores leads from a backup (is_active, completed_at,
-- campaign_history) but keeps the log: the append-only timeline keeps each
-- CAMPAIGN_COMPLETED event, and without a `migrate down` the lead log keeps
-- its rows. The restored leads are finished and active again, and the
-- next batch completed them again with the same event key (lead, campaign,
-- enrolment) and the same lead-log key: a unique violation, the whole
-- batch rolled back, and since batches go in lead-id order, every run of
-- that client failed from then on
-- (tests/http/test_runbook_deenroll.sh, "a run after the restore").
--
-- Now the lead is completed again (its state, its journey, the counts),
-- and the event and lead-log row that journey already has stand: a
-- journey has one completion event and one log row, so the SOP's
-- duplicate query stays empty. Two runs still never share a lead (SKIP
-- LOCKED); a double completion would still show as two completed
-- journeys in campaign_history, which the concurrency test checks.

CREATE OR REPLACE FUNCTION process_de_enrollment_batch(p_run_id uuid, p_client_id uuid,
    p_batch_size integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_done	integer;
BEGIN
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
