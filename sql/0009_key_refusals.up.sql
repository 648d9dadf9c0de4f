-- 0009 key refusals: a request that presents a known key's prefix but is
-- refused (the key revoked, or the wrong secret) is counted on that key.
-- A revoked key still in use is a caller — an n8n workflow, typically —
-- whose events are now neither logged nor queued: the keys page shows the
-- count and the time, and the worker's alerts job raises an alert while
-- refusals keep coming (docs/worker.md). Keys nobody made (garbage,
-- scanners) are not recorded: the row count stays that of api_keys.
-- minicrm_app already holds UPDATE on api_keys (0001).
ALTER TABLE api_keys
	ADD COLUMN refused_count	bigint NOT NULL DEFAULT 0,
	ADD COLUMN last_refused_at	timestamptz;
