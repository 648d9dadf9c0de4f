-- 0020 airtable import: the retry queue remembers the Airtable record a
-- row was imported from (`minicrm import airtable --table retry_queue`),
-- so importing the same export again adds nothing. Leads need no column
-- (external_id is the record id) nor events (their idempotency key is
-- derived from it). minicrm_app already inserts whole rows.
ALTER TABLE retry_queue ADD COLUMN airtable_record_id text
	CHECK (length(airtable_record_id) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX retry_queue_airtable ON retry_queue (airtable_record_id)
	WHERE airtable_record_id IS NOT NULL;
