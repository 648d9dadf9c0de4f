-- Roll back 0013: forgets the de-enrollment alerts' states (a condition
-- still holding is alerted once more after going up again).
DELETE FROM alert_state WHERE condition !~ '^[a-z_]{1,64}$';
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z_]{1,64}$');

-- 0012's batch order back.
CREATE OR REPLACE FUNCTION get_leads_for_de_enrollment(p_client_id uuid,
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
	ORDER BY l.id
	LIMIT p_batch_size
	FOR UPDATE OF l SKIP LOCKED
$$
ROWS 1000;
