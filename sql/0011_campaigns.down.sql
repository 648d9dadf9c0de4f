-- 0011 down: campaigns and the leads' campaign columns. The events that
-- moved leads stay in the log (it is append-only); CAMPAIGN_COMPLETED
-- stays a type while events of it exist.
DROP TRIGGER lead_activity_log_progress ON lead_activity_log;
DROP TRIGGER leads_campaign_counts ON leads;
DROP TRIGGER leads_campaign_counts_delete ON leads;
DROP FUNCTION campaign_progress_rows();
DROP FUNCTION campaign_apply_event(uuid, text, uuid, jsonb, timestamptz);
DROP FUNCTION campaign_of_event(uuid, jsonb, boolean);
DROP FUNCTION campaign_journey(leads, text, timestamptz);
DROP FUNCTION campaigns_recalculate(uuid);
DROP FUNCTION campaign_counts_follow_update();
DROP FUNCTION campaign_counts_follow_delete();
DROP FUNCTION campaign_counts_add(jsonb);
DROP INDEX leads_in_campaign;
DROP INDEX leads_campaign;
ALTER TABLE leads
	DROP CONSTRAINT leads_campaign_fk,
	DROP COLUMN campaign_link_id,
	DROP COLUMN current_message_position,
	DROP COLUMN messages_received,
	DROP COLUMN is_active,
	DROP COLUMN completed_at,
	DROP COLUMN campaign_history,
	DROP COLUMN opted_out,
	DROP COLUMN opted_out_at,
	DROP COLUMN enrolled_at,
	DROP COLUMN booked_at,
	DROP COLUMN campaign_event_at;
DROP TABLE campaigns;
DELETE FROM event_types t WHERE name = 'CAMPAIGN_COMPLETED'
	AND NOT EXISTS (SELECT 1 FROM lead_activity_log a
	                WHERE a.event_type = t.name);
