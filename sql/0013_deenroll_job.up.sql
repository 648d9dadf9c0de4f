-- 0013 de-enrollment alerts: the job raises the SOP's alerts once per
-- condition and client, keyed 'deenroll:<client uuid>:<check>' in
-- alert_state, whose condition names allowed only letters and '_' (0005).
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z0-9_:.-]{1,100}$');

-- A batch takes its leads in the order of the partial index leads_in_campaign
-- (0011), which holds only the leads still in a campaign: 0012's ORDER BY
-- id walked the primary key past every lead completed before, so each
-- batch cost more than the last. Same rows, same locks, one order for
-- every run. ROWS 100 (a batch's size, not the 1,000 PostgreSQL assumes of
-- a set-returning function): with 1,000 the batch's UPDATE of leads
-- hashed the whole table, a sequential scan of every lead per batch.
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
	ORDER BY l.client_id, l.campaign_link_id, l.current_message_position,
	    l.id
	LIMIT p_batch_size
	FOR UPDATE OF l SKIP LOCKED
$$
ROWS 100;
