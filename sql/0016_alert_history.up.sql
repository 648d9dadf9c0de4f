-- 0016: the alert history (docs/worker.md, "Alerts"; the portal's Alerts
-- page): every alert minicrm tried to deliver, one row per attempt, for
-- the SOP's weekly alert review.
--
--   * kind: the condition's key ('retry_queue_backlog', 'api_key_refused',
--     'no_events_business_hours', 'deenroll:…', 'nurture:…') or, for the
--     retry queue's per-row alerts, 'dead_event', 'refused_event' and
--     'dead_events_summary'.
--   * host: the webhook's host only, never its URL (the path is the
--     secret); '-' when no webhook is configured.
--   * outcome: sent (the webhook answered 2xx), failed (error says why;
--     the alert is sent again on a later run, a new row), logged (no
--     webhook configured: only written to the worker's log).
--   * attempts: this attempt's number for the same kind and message: 1,
--     or one more than the failed attempts since it was last delivered.
--
-- Rows are only ever added (the app may INSERT and SELECT, nothing more).

CREATE TABLE alert_history (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at	timestamptz NOT NULL DEFAULT now(),
	kind		text NOT NULL CHECK (length(kind) BETWEEN 1 AND 200),
	message		text NOT NULL,
	host		text NOT NULL,
	outcome		text NOT NULL
			CHECK (outcome IN ('sent', 'failed', 'logged')),
	error		text,
	attempts	integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
	CHECK ((outcome = 'failed') = (error IS NOT NULL))
);

-- The page and its export: newest first, by id (created_at follows it).
CREATE INDEX alert_history_created_at ON alert_history (created_at DESC, id DESC);
-- attempts: the same kind's earlier rows.
CREATE INDEX alert_history_kind ON alert_history (kind, id DESC);

GRANT SELECT, INSERT ON alert_history TO minicrm_app;
