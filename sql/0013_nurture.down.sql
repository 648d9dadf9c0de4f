-- 0013 down: the nurture tables and the leads columns they added. The
-- e-mail event types stay if the log uses them (the log keeps its rows).
DROP FUNCTION nurture_enroll(uuid, uuid[], timestamptz, text);
DROP TABLE nurture_control;
DROP TABLE workflow_errors;
DROP TABLE workflow_executions;
DROP TABLE campaign_analytics;
DROP TABLE email_events;
DROP TABLE email_sends;
DROP TABLE lead_campaign_enrollments;
DROP TABLE lead_preferences;
DROP TABLE nurture_campaign_steps;
DROP TABLE nurture_campaigns;
ALTER TABLE leads DROP COLUMN metadata, DROP COLUMN name,
	DROP COLUMN organization_id;
DELETE FROM event_types t WHERE t.name LIKE 'EMAIL\_%'
	AND NOT EXISTS (SELECT FROM lead_activity_log a WHERE a.event_type = t.name);
