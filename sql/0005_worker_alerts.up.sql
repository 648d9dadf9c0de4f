-- 0005 worker alerts: what `minicrm worker` remembers between runs so that
-- each alert condition is sent once until it clears, and a webhook that is
-- down loses nothing (the message waits, marked not yet sent).
--
-- alert_state: one row per condition ('retry_queue_backlog',
-- 'no_events_business_hours'). active says whether the condition holds;
-- message is the last message to send (raised or cleared) and pending_send
-- says it has not been delivered yet.
--
-- retry_queue.dead_alerted_at: when the "event went dead" alert for the row
-- was delivered (NULL: not yet). A row is alerted once.
--
-- The worker connects as minicrm_app: its replay job logs events through
-- the same path as the API (the same grants), so a role of its own would
-- hold the same rights plus these, with one more password to keep. The
-- grants below are all the alerts add: alert_state rows (never deleted)
-- and the one retry_queue column (minicrm_app may already update the row).

CREATE TABLE alert_state (
	condition	text PRIMARY KEY CHECK (condition ~ '^[a-z_]{1,64}$'),
	active		boolean NOT NULL DEFAULT false,
	raised_at	timestamptz,
	cleared_at	timestamptz,
	message		text,
	pending_send	boolean NOT NULL DEFAULT false,
	last_sent_at	timestamptz,
	send_failures	integer NOT NULL DEFAULT 0,
	last_error	text,
	updated_at	timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE retry_queue ADD COLUMN dead_alerted_at timestamptz;
CREATE INDEX retry_queue_dead_unalerted ON retry_queue (id)
	WHERE state = 'dead' AND dead_alerted_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON alert_state TO minicrm_app;
GRANT UPDATE (dead_alerted_at) ON retry_queue TO minicrm_app;
