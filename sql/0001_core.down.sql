-- Roll back 0001: drops every table it created (and their data).
DROP FUNCTION IF EXISTS activity_health();
DROP FUNCTION IF EXISTS activity_counts_compact();
DROP FUNCTION IF EXISTS log_activity_batch(jsonb);
DROP TRIGGER IF EXISTS lead_activity_log_count ON lead_activity_log;
DROP FUNCTION IF EXISTS activity_count_rows() CASCADE;
DROP TABLE IF EXISTS activity_counts,
	retry_queue, api_keys, lead_activity_log, event_types, leads, clients;
