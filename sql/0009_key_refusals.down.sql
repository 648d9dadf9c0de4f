ALTER TABLE api_keys DROP COLUMN refused_count, DROP COLUMN last_refused_at;
