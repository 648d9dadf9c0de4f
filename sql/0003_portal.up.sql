-- 0003 portal: what the admin portal's leads search and lead timeline need
-- to stay fast on 100,000 leads and 10,000,000 events (docs/admin-portal.md).
--
-- The timeline is served by lead_activity_log_timeline (lead_id,
-- occurred_at DESC, id DESC) from 0001, read forwards for the newest page
-- and backwards for the oldest. The search reads a trigram index over one
-- text made of every field a person searches by; the sort orders have
-- their own B-tree indexes so a page is a short index walk (keyset, never
-- OFFSET). Nothing here touches the ingest's hot path: the only new index
-- on a table the ingest writes is on leads, which gets a row per new lead,
-- not per event.

-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- What a lead is shown as: its name, or the caller's id when it has none.
CREATE FUNCTION lead_display_name(first_name text, last_name text,
    external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(nullif(btrim(coalesce(first_name, '') || ' ' ||
    coalesce(last_name, '')), ''), external_id);

-- Everything the search box matches, lower-cased, one field per line:
-- the full name, e-mail, phone as typed and without its punctuation (so
-- "5550100" finds "+1 (555) 010-0"), and the caller's lead id. Kept in a
-- stored column: a search that the planner serves by walking a sort index
-- (a common word) then compares stored text, instead of building it again
-- for every row it passes (measured: 37 ms against 4 ms, docs/admin-portal.md).
CREATE FUNCTION lead_search_text(first_name text, last_name text,
    email text, phone text, external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') ||
    E'\n' || coalesce(email, '') || E'\n' || coalesce(phone, '') || E'\n' ||
    translate(coalesce(phone, ''), ' +-()./', '') || E'\n' ||
    external_id);

ALTER TABLE leads ADD COLUMN search_text text NOT NULL
	GENERATED ALWAYS AS (lead_search_text(first_name, last_name, email,
	    phone, external_id)) STORED;
CREATE INDEX leads_search ON leads USING gin (search_text gin_trgm_ops);
CREATE INDEX leads_by_name ON leads
	(lower(lead_display_name(first_name, last_name, external_id)), id);
CREATE INDEX leads_by_email ON leads (lower(coalesce(email, '')), id);
CREATE INDEX leads_by_created ON leads (created_at, id);

GRANT EXECUTE ON FUNCTION lead_display_name(text, text, text),
	lead_search_text(text, text, text, text, text) TO minicrm_app;
