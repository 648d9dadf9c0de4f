-- 0004 retry queue: what the queue needs beyond 0001's table — the error
-- history of every replay attempt, when and as what a row was done, the
-- key that makes a re-sent failure one row, the indexes of the replay and
-- of the admin list — and minicrm_n8n, the role n8n's own Postgres node
-- uses to queue an event when the HTTP API is down but the database is up.
--
-- Two ways in, one table: POST /api/internal/retry-queue (api.fcgi, as
-- minicrm_app) and a plain INSERT as minicrm_n8n (docs/retry-queue.md).
-- A trigger fills what either way leaves out, so both rows look alike.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'minicrm_n8n') THEN
		CREATE ROLE minicrm_n8n NOLOGIN;
	END IF;
END
$$;

ALTER TABLE retry_queue
	-- The error n8n reported when it queued the event; `error` is then
	-- the latest one (each replay attempt's is in retry_queue_attempts).
	ADD COLUMN queued_error	text,
	-- The key the event's client and key came with (API way in only):
	-- a replay logs with the same rights and the same api_key_id.
	ADD COLUMN api_key_id	uuid,
	-- sha256 of the payload, set by the trigger: with workflow and
	-- execution_id it makes an n8n retry of the error branch one row.
	ADD COLUMN payload_hash	bytea,
	ADD COLUMN done_at	timestamptz,
	-- The log event the payload became (the first one, for a batch).
	ADD COLUMN log_id	bigint,
	ADD COLUMN discarded_at	timestamptz,
	ADD COLUMN discarded_by	text,
	ADD CONSTRAINT retry_queue_payload_size CHECK (length(payload) <= 1048576),
	ADD CONSTRAINT retry_queue_text_sizes CHECK (
	    coalesce(length(workflow), 0) <= 255 AND
	    coalesce(length(execution_id), 0) <= 255 AND
	    coalesce(length(lead_id), 0) <= 255 AND
	    coalesce(length(event_type), 0) <= 64);

-- The same failed event, queued again by a retry of n8n's error branch, is
-- the same row: same workflow, execution and payload. Without an execution
-- id there is no telling a retry from a second event, so such rows are
-- always kept — as the log itself stores an event without a key each time.
CREATE UNIQUE INDEX retry_queue_once
	ON retry_queue (workflow, execution_id, payload_hash) NULLS NOT DISTINCT
	WHERE execution_id IS NOT NULL;
-- The replay walks pending rows oldest first (id order), due or not.
CREATE INDEX retry_queue_pending ON retry_queue (id) WHERE state = 'pending';
-- The admin list: newest first within a state, or within a workflow.
CREATE INDEX retry_queue_state_list ON retry_queue (state, id DESC);
CREATE INDEX retry_queue_workflow_list ON retry_queue (workflow, id DESC);

-- One row per failed replay attempt: the history the admin page shows.
CREATE TABLE retry_queue_attempts (
	retry_id	bigint NOT NULL REFERENCES retry_queue(id) ON DELETE CASCADE,
	attempt		integer NOT NULL CHECK (attempt > 0),
	at		timestamptz NOT NULL DEFAULT now(),
	error		text NOT NULL,
	PRIMARY KEY (retry_id, attempt)
);

-- Fill what the caller left out: the hash, the error as queued, and the
-- workflow, execution, lead and event type from the payload when it is a
-- JSON event (an invalid payload is kept as it is, never refused: that is
-- the point of the queue).
CREATE FUNCTION retry_queue_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_event	jsonb;
BEGIN
	NEW.payload_hash := sha256(convert_to(NEW.payload, 'UTF8'));
	NEW.queued_error := NEW.error;
	BEGIN
		v_event := NEW.payload::jsonb;
	EXCEPTION WHEN others THEN
		v_event := NULL;
	END;
	IF jsonb_typeof(v_event) = 'object' THEN
		NEW.workflow := coalesce(NEW.workflow,
		    left(v_event->>'source', 255));
		NEW.execution_id := coalesce(NEW.execution_id,
		    left(v_event->>'execution_id', 255));
		NEW.lead_id := coalesce(NEW.lead_id, left(v_event->>'lead_id', 255));
		NEW.event_type := coalesce(NEW.event_type,
		    left(v_event->>'event_type', 64));
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER retry_queue_fill BEFORE INSERT ON retry_queue
	FOR EACH ROW EXECUTE FUNCTION retry_queue_fill();

-- n8n's role may insert a failed event and nothing else: not read the
-- queue (it holds other workflows' payloads), not change or delete a
-- row, not touch any other table.
REVOKE ALL ON retry_queue, retry_queue_attempts FROM PUBLIC;
GRANT INSERT (payload, workflow, execution_id, lead_id, event_type, error)
	ON retry_queue TO minicrm_n8n;
GRANT USAGE ON SEQUENCE retry_queue_id_seq TO minicrm_n8n;
GRANT EXECUTE ON FUNCTION retry_queue_fill() TO minicrm_n8n;

-- minicrm_app (the API's way in, the replay, the admin pages): insert and
-- read rows; change only a row's progress, never its payload or origin.
REVOKE UPDATE ON retry_queue FROM minicrm_app;
GRANT UPDATE (state, attempts, next_attempt_at, error, updated_at, done_at,
	log_id, discarded_at, discarded_by) ON retry_queue TO minicrm_app;
GRANT SELECT, INSERT ON retry_queue_attempts TO minicrm_app;
GRANT EXECUTE ON FUNCTION retry_queue_fill() TO minicrm_app;
