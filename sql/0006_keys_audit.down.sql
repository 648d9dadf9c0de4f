ALTER TABLE api_keys DROP COLUMN revoked_by, DROP COLUMN created_by;
