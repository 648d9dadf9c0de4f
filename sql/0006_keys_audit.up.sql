-- 0006 keys audit: who created and who revoked each API key from the admin
-- portal (NULL for keys made by the CLI, which acts as no portal user).
-- minicrm_app already holds table-wide INSERT and UPDATE on api_keys
-- (0001), which covers the new columns; nothing else changes.
ALTER TABLE api_keys
	ADD COLUMN created_by uuid REFERENCES admin_users(id) ON DELETE SET NULL,
	ADD COLUMN revoked_by uuid REFERENCES admin_users(id) ON DELETE SET NULL;
