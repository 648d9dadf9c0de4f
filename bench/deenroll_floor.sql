-- deenroll_floor.sql — the set-based floor of a de-enrollment run: one
-- statement doing what every process_de_enrollment_batch() of the run
-- does (each finished lead inactive with completed_at and its journey
-- appended, a lead-log row, a CAMPAIGN_COMPLETED event; the campaigns'
-- counts follow through the leads trigger; each client's run row gets its
-- figures), for every client at once, without batches, locks or commits
-- in between. bench/deenroll.sh times it against the real run.
\set ON_ERROR_STOP 1
INSERT INTO de_enrollment_runs (client_id, triggered_by)
SELECT id, 'floor' FROM clients;
WITH runs AS (
	SELECT id AS run_id, client_id FROM de_enrollment_runs
	WHERE triggered_by = 'floor' AND status = 'running'
), l AS (
	SELECT l.*, jsonb_array_length(c.messages) AS total_messages,
	    c.name AS campaign_name, r.run_id
	FROM leads l
	JOIN campaigns c ON c.id = l.campaign_link_id AND c.client_id = l.client_id
	JOIN runs r ON r.client_id = l.client_id
	WHERE l.is_active AND l.completed_at IS NULL
	  AND l.campaign_link_id IS NOT NULL
	  AND l.current_message_position >= jsonb_array_length(c.messages)
), log AS (
	INSERT INTO de_enrollment_lead_log (run_id, lead_id, client_id,
	    campaign_id, messages_received, current_message_position,
	    total_messages, enrolled_at)
	SELECT run_id, id, client_id, campaign_link_id, messages_received,
	    current_message_position, total_messages, enrolled_at
	FROM l
), ev AS (
	INSERT INTO lead_activity_log (client_id, lead_id, event_type,
	    occurred_at, source, idempotency_key, channel, message, metadata)
	SELECT client_id, id, 'CAMPAIGN_COMPLETED', now(), 'minicrm-deenroll',
	    'deenroll:' || id || ':' || campaign_link_id || ':' ||
	        coalesce(enrolled_at::text, '-'),
	    'sms', 'Completed ' || campaign_name || ' after ' ||
	        messages_received || ' messages',
	    jsonb_build_object('campaign_id', campaign_link_id,
	        'campaign', campaign_name, 'run_id', run_id,
	        'messages_received', messages_received,
	        'total_messages', total_messages)
	FROM l
), upd AS (
	UPDATE leads t
	SET is_active = false, completed_at = now(),
	    campaign_history = t.campaign_history || jsonb_build_array(
	        jsonb_build_object(
	            'campaign_id', t.campaign_link_id,
	            'campaign_name', l.campaign_name,
	            'enrolled_at', t.enrolled_at,
	            'ended_at', now(),
	            'outcome', 'completed',
	            'messages_received', t.messages_received,
	            'position', t.current_message_position,
	            'total_messages', l.total_messages,
	            'booked', t.booked_at IS NOT NULL,
	            'run_id', l.run_id)),
	    updated_at = now()
	FROM l WHERE t.id = l.id
	RETURNING l.run_id
), counted AS (
	SELECT run_id, count(*) AS n FROM upd GROUP BY run_id
)
UPDATE de_enrollment_runs r
SET leads_evaluated = coalesce(c.n, 0), leads_de_enrolled = coalesce(c.n, 0),
    batches = 1, status = 'success', finished_at = clock_timestamp(),
    duration_ms = (extract(epoch FROM clock_timestamp() - r.run_at) * 1000)::integer
FROM runs LEFT JOIN counted c USING (run_id)
WHERE r.id = runs.run_id;
