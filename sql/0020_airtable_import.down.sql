-- 0020 down: the retry queue forgets which Airtable record a row came from.
DROP INDEX retry_queue_airtable;
ALTER TABLE retry_queue DROP COLUMN airtable_record_id;
