-- 0012 down: the de-enrollment job's functions, view and tables. The
-- leads it completed stay completed (that is 0011's data).
DROP VIEW de_enrollment_health;
DROP FUNCTION de_enrollment_cleanup(interval, interval);
DROP FUNCTION process_de_enrollment_batch(uuid, uuid, integer);
DROP FUNCTION de_enrollment_stuck_leads(uuid);
DROP FUNCTION get_leads_for_de_enrollment(uuid, integer);
DROP TABLE de_enrollment_lead_log;
DROP TABLE de_enrollment_runs;
-- The de-enrollment alerts' states go (a condition still holding is
-- alerted once more after going up again).
DELETE FROM alert_state WHERE condition !~ '^[a-z_]{1,64}$';
ALTER TABLE alert_state DROP CONSTRAINT alert_state_condition_check;
ALTER TABLE alert_state ADD CONSTRAINT alert_state_condition_check
	CHECK (condition ~ '^[a-z_]{1,64}$');
