-- Undo 0003 portal: the search and sort indexes and their functions. The
-- pg_trgm extension stays (another schema object may use it by now).
DROP INDEX IF EXISTS leads_search, leads_by_name, leads_by_email,
	leads_by_created;
ALTER TABLE leads DROP COLUMN IF EXISTS search_text;
DROP FUNCTION IF EXISTS lead_search_text(text, text, text, text, text);
DROP FUNCTION IF EXISTS lead_display_name(text, text, text);
