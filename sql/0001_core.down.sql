-- Roll back 0001: drops every table it created (and their data).
DROP FUNCTION IF EXISTS activity_health();
DROP FUNCTION IF EXISTS activity_rollup();
DROP FUNCTION IF EXISTS log_activity_batch(jsonb);
DROP TABLE IF EXISTS activity_rollup_state, activity_counts_minute,
	retry_queue, api_keys, lead_activity_log, event_types, leads, clients;
