-- 0015 down: the campaign triggers and process_de_enrollment_batch as
-- 0011 and 0012 made them.
ALTER FUNCTION campaign_progress_rows() RESET enable_nestloop;
ALTER FUNCTION campaign_counts_follow_update() RESET enable_nestloop;
ALTER FUNCTION campaign_counts_follow_delete() RESET enable_nestloop;

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
