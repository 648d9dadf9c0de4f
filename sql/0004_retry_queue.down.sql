-- 0004 down: back to 0001's retry_queue. The role minicrm_n8n is kept
-- (roles belong to the cluster, and instance.sh made its login); it loses
-- every right here.
REVOKE ALL ON retry_queue FROM minicrm_n8n;
REVOKE ALL ON SEQUENCE retry_queue_id_seq FROM minicrm_n8n;
DROP TRIGGER retry_queue_fill ON retry_queue;
DROP FUNCTION retry_queue_fill();
DROP TABLE retry_queue_attempts;
DROP INDEX retry_queue_once, retry_queue_pending, retry_queue_state_list,
	retry_queue_workflow_list;
REVOKE UPDATE ON retry_queue FROM minicrm_app;
ALTER TABLE retry_queue
	DROP CONSTRAINT retry_queue_payload_size,
	DROP CONSTRAINT retry_queue_text_sizes,
	DROP COLUMN queued_error,
	DROP COLUMN api_key_id,
	DROP COLUMN payload_hash,
	DROP COLUMN done_at,
	DROP COLUMN log_id,
	DROP COLUMN discarded_at,
	DROP COLUMN discarded_by;
GRANT UPDATE ON retry_queue TO minicrm_app;
