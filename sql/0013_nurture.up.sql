-- 0013: e-mail nurture — the tables the nurture runbook operates
-- (../shared/seeds/004, docs/nurture.md), under its names, so every one of
-- its queries runs unchanged:
--
--   nurture_campaigns          a sequence of e-mail steps for one client
--   nurture_campaign_steps     subject, body (a mustache template), delay
--   lead_campaign_enrollments  a lead on its way through a campaign
--   email_sends                one e-mail of one step to one lead
--   email_events               what SendGrid told us about it, deduplicated
--   campaign_analytics         the daily rollup per campaign
--   workflow_executions        one row per run of a nurture job
--   workflow_errors            what went wrong in them
--   lead_preferences           a lead's e-mail opt-out and send hour
--   nurture_control            the operator's pause switches
--
-- The runbook says organization; minicrm says client. On the runbook's
-- tables organization_id is the client's id, and leads gains it as a
-- generated copy of client_id (never written), with name (first and last
-- name; NULL when neither is known, as the runbook's Issue 4 query expects)
-- and metadata (what personalization reads besides the lead's columns;
-- the runbook's bounce fix writes email_invalid there).

INSERT INTO event_types (name, description) VALUES
	('EMAIL_SENT', 'A nurture e-mail was accepted by SendGrid'),
	('EMAIL_FAILED', 'A nurture e-mail could not be sent'),
	('EMAIL_DELIVERED', 'SendGrid delivered a nurture e-mail'),
	('EMAIL_OPENED', 'The lead opened a nurture e-mail'),
	('EMAIL_CLICKED', 'The lead clicked a link in a nurture e-mail'),
	('EMAIL_BOUNCED', 'A nurture e-mail bounced'),
	('EMAIL_DROPPED', 'SendGrid dropped a nurture e-mail'),
	('EMAIL_DEFERRED', 'SendGrid deferred a nurture e-mail'),
	('EMAIL_UNSUBSCRIBED', 'The lead unsubscribed from e-mail'),
	('EMAIL_SPAM_REPORT', 'The lead reported a nurture e-mail as spam')
ON CONFLICT (name) DO NOTHING;

ALTER TABLE leads
	ADD COLUMN organization_id	uuid GENERATED ALWAYS AS (client_id) STORED,
	ADD COLUMN name			text GENERATED ALWAYS AS (NULLIF(btrim(
		coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''))
		STORED,
	ADD COLUMN metadata		jsonb NOT NULL DEFAULT '{}'
		CHECK (jsonb_typeof(metadata) = 'object');

CREATE TABLE nurture_campaigns (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id		uuid NOT NULL REFERENCES clients(id),
	campaign_name		text NOT NULL
				CHECK (length(campaign_name) BETWEEN 1 AND 200),
	description		text NOT NULL DEFAULT ''
				CHECK (length(description) <= 2000),
	-- active: enrolments are scheduled; paused: they wait (nothing is
	-- lost, next_send_at stays); archived: no new enrolments.
	status			text NOT NULL DEFAULT 'active'
				CHECK (status IN ('active', 'paused', 'archived')),
	from_email		text NOT NULL
				CHECK (from_email ~ '^[^@\s]+@[^@\s]+$'
				       AND length(from_email) <= 254),
	from_name		text NOT NULL DEFAULT ''
				CHECK (length(from_name) <= 200),
	paused_at		timestamptz,
	paused_by		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (organization_id, campaign_name),
	UNIQUE (id, organization_id)
);

-- A step goes out delay_minutes after the previous one was queued (the
-- first: after the enrolment). Its subject and body are mustache
-- templates rendered in strict mode: a name the lead has no value for
-- fails that send, naming the name, instead of sending "{{name}}".
CREATE TABLE nurture_campaign_steps (
	campaign_id		uuid NOT NULL REFERENCES nurture_campaigns(id)
				ON DELETE CASCADE,
	step_number		integer NOT NULL
				CHECK (step_number BETWEEN 1 AND 100),
	subject			text NOT NULL
				CHECK (length(subject) BETWEEN 1 AND 998),
	body_template		text NOT NULL
				CHECK (length(body_template) BETWEEN 1 AND 100000),
	delay_minutes		integer NOT NULL DEFAULT 0
				CHECK (delay_minutes BETWEEN 0 AND 525600),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, step_number)
);

CREATE TABLE lead_preferences (
	lead_id			uuid PRIMARY KEY REFERENCES leads(id)
				ON DELETE CASCADE,
	organization_id		uuid NOT NULL REFERENCES clients(id),
	email_opt_out		boolean NOT NULL DEFAULT false,
	opted_out_at		timestamptz,
	opt_out_reason		text CHECK (length(opt_out_reason) <= 200),
	preferred_send_hour	integer CHECK (preferred_send_hour BETWEEN 0 AND 23),
	timezone		text CHECK (length(timezone) <= 64),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

-- One lead in one campaign, once: enrolling again is a no-op.
-- current_step is the last step queued (0: none yet); next_send_at is
-- when the scheduler queues the next one (NULL once none is left).
CREATE TABLE lead_campaign_enrollments (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id		uuid NOT NULL REFERENCES clients(id),
	lead_id			uuid NOT NULL,
	campaign_id		uuid NOT NULL,
	status			text NOT NULL DEFAULT 'active'
				CHECK (status IN ('active', 'paused',
				                  'completed', 'cancelled')),
	current_step		integer NOT NULL DEFAULT 0
				CHECK (current_step BETWEEN 0 AND 100),
	next_send_at		timestamptz,
	completion_reason	text CHECK (length(completion_reason) <= 100),
	enrolled_by		text NOT NULL DEFAULT ''
				CHECK (length(enrolled_by) <= 200),
	enrolled_at		timestamptz NOT NULL DEFAULT now(),
	completed_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (lead_id, campaign_id),
	FOREIGN KEY (lead_id, organization_id) REFERENCES leads (id, client_id)
		ON DELETE CASCADE,
	FOREIGN KEY (campaign_id, organization_id)
		REFERENCES nurture_campaigns (id, organization_id)
		ON DELETE CASCADE
);
-- The scheduler's scan: the due active enrolments, oldest first.
CREATE INDEX lead_campaign_enrollments_due ON lead_campaign_enrollments
	(next_send_at) WHERE status = 'active';
CREATE INDEX lead_campaign_enrollments_campaign ON lead_campaign_enrollments
	(campaign_id, status);

-- One e-mail: queued by the scheduler (once per enrolment and step), then
-- claimed by a sender (claimed_at) before SendGrid is called and settled
-- after (sent, failed; bounced from SendGrid's events). A claim that was
-- never settled (the sender died during the call) is not sent again by
-- itself: it shows on the portal's send queue for the operator to
-- release or mark sent, because SendGrid may have accepted it.
CREATE TABLE email_sends (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id		uuid NOT NULL REFERENCES clients(id),
	enrollment_id		uuid NOT NULL REFERENCES lead_campaign_enrollments(id)
				ON DELETE CASCADE,
	lead_id			uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
	campaign_id		uuid NOT NULL REFERENCES nurture_campaigns(id)
				ON DELETE CASCADE,
	step_number		integer NOT NULL CHECK (step_number BETWEEN 1 AND 100),
	send_status		text NOT NULL DEFAULT 'queued'
				CHECK (send_status IN ('queued', 'sent',
				                       'failed', 'bounced')),
	scheduled_send_time	timestamptz NOT NULL,
	actual_send_time	timestamptz,
	-- What went out (or would have): rendered by the sender.
	to_email		text,
	subject			text,
	body			text,
	failure_reason		text CHECK (length(failure_reason) <= 1000),
	attempts		integer NOT NULL DEFAULT 0,
	next_attempt_at		timestamptz,
	claimed_at		timestamptz,
	claimed_by		text,
	sendgrid_message_id	text,
	delivered_at		timestamptz,
	opened_at		timestamptz,
	first_click_at		timestamptz,
	open_count		integer NOT NULL DEFAULT 0,
	click_count		integer NOT NULL DEFAULT 0,
	bounce_type		text CHECK (bounce_type IN ('hard', 'soft', 'blocked')),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (enrollment_id, step_number)
);
-- The sender's scan: queued, unclaimed, due.
CREATE INDEX email_sends_queued ON email_sends (scheduled_send_time)
	WHERE send_status = 'queued';
CREATE INDEX email_sends_lead ON email_sends (lead_id, created_at DESC);
CREATE INDEX email_sends_campaign ON email_sends (campaign_id, created_at);
CREATE INDEX email_sends_created ON email_sends (created_at);
CREATE INDEX email_sends_actual ON email_sends (actual_send_time);

-- SendGrid's events, exactly once: event_hash is the event's sg_event_id
-- (or, for an event without one, a digest of the event), unique, so the
-- re-sends SendGrid makes for a day are dropped on arrival. An event for a
-- send minicrm does not know is kept with email_send_id NULL.
CREATE TABLE email_events (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email_send_id		uuid REFERENCES email_sends(id) ON DELETE SET NULL,
	organization_id		uuid,
	lead_id			uuid,
	campaign_id		uuid,
	event_type		text NOT NULL CHECK (event_type ~ '^[a-z_]{1,40}$'),
	event_hash		text NOT NULL UNIQUE
				CHECK (length(event_hash) BETWEEN 1 AND 200),
	sg_message_id		text,
	email			text,
	url			text,
	reason			text,
	bounce_type		text,
	event_timestamp		timestamptz NOT NULL,
	payload			jsonb NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_events_send ON email_events (email_send_id, event_type);
CREATE INDEX email_events_type_time ON email_events (event_type, event_timestamp);
CREATE INDEX email_events_created ON email_events (created_at);

CREATE TABLE campaign_analytics (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id		uuid NOT NULL,
	campaign_id		uuid NOT NULL REFERENCES nurture_campaigns(id)
				ON DELETE CASCADE,
	analytics_date		date NOT NULL,
	emails_sent_today	integer NOT NULL DEFAULT 0,
	emails_delivered_today	integer NOT NULL DEFAULT 0,
	unique_opens_today	integer NOT NULL DEFAULT 0,
	unique_clicks_today	integer NOT NULL DEFAULT 0,
	bounces_today		integer NOT NULL DEFAULT 0,
	unsubscribes_today	integer NOT NULL DEFAULT 0,
	spam_reports_today	integer NOT NULL DEFAULT 0,
	-- Percentages, 0–100, two decimals, as the runbook reads them.
	delivery_rate		numeric(7,2),
	open_rate		numeric(7,2),
	click_rate		numeric(7,2),
	bounce_rate		numeric(7,2),
	unsubscribe_rate	numeric(7,2),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (campaign_id, analytics_date)
);

-- The runbook's workflows are minicrm's jobs; each run is a row here
-- under the workflow's name ('Lead Nurture - Message Scheduler', …), so
-- the runbook's "workflow stopped" query sees them.
CREATE TABLE workflow_executions (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workflow_name		text NOT NULL CHECK (length(workflow_name) <= 100),
	status			text NOT NULL DEFAULT 'running'
				CHECK (status IN ('running', 'success', 'error')),
	items_processed		integer NOT NULL DEFAULT 0,
	error_message		text CHECK (length(error_message) <= 2000),
	started_at		timestamptz NOT NULL DEFAULT now(),
	finished_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_executions_name ON workflow_executions
	(workflow_name, created_at DESC);

CREATE TABLE workflow_errors (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workflow_name		text NOT NULL CHECK (length(workflow_name) <= 100),
	execution_id		bigint REFERENCES workflow_executions(id)
				ON DELETE SET NULL,
	error_message		text NOT NULL CHECK (length(error_message) <= 2000),
	context			jsonb NOT NULL DEFAULT '{}',
	created_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_errors_created ON workflow_errors (created_at);

-- The runbook's "pause sender workflow": one row per switch. The sender
-- pauses itself when SendGrid refuses the API key (401/403).
CREATE TABLE nurture_control (
	name			text PRIMARY KEY
				CHECK (name IN ('scheduler', 'sender')),
	paused			boolean NOT NULL DEFAULT false,
	reason			text NOT NULL DEFAULT ''
				CHECK (length(reason) <= 500),
	changed_by		text NOT NULL DEFAULT '',
	changed_at		timestamptz NOT NULL DEFAULT now()
);
INSERT INTO nurture_control (name) VALUES ('scheduler'), ('sender');

-- Enrol leads (of the campaign's client) into a campaign, its first step
-- due start + the step's delay. A lead already in the campaign (in any
-- state) is left as it is; a lead of another client, one opted out of
-- e-mail or campaigns, one whose e-mail is missing or marked invalid is
-- not enrolled. Returns the three counts; the caller checked the campaign.
CREATE FUNCTION nurture_enroll(p_campaign uuid, p_leads uuid[],
	p_start timestamptz, p_by text,
	OUT enrolled integer, OUT already integer, OUT refused integer)
LANGUAGE plpgsql AS $$
DECLARE
	org		uuid;
	first_delay	integer;
	asked		integer;
	eligible	integer;
BEGIN
	SELECT c.organization_id, s.delay_minutes INTO org, first_delay
	FROM nurture_campaigns c
	JOIN nurture_campaign_steps s ON s.campaign_id = c.id
	WHERE c.id = p_campaign AND c.status <> 'archived'
	ORDER BY s.step_number LIMIT 1;
	IF org IS NULL THEN
		RAISE EXCEPTION 'campaign % has no steps or is archived', p_campaign
		      USING ERRCODE = 'check_violation';
	END IF;
	SELECT count(DISTINCT x) INTO asked FROM unnest(p_leads) x;
	WITH ok AS (
		SELECT l.id FROM leads l
		LEFT JOIN lead_preferences p ON p.lead_id = l.id
		WHERE l.id = ANY (p_leads) AND l.client_id = org
		  AND NOT l.opted_out
		  AND NOT coalesce(p.email_opt_out, false)
		  AND l.email IS NOT NULL AND l.email <> ''
		  AND coalesce(l.metadata->>'email_invalid', 'false') <> 'true'
	), ins AS (
		INSERT INTO lead_campaign_enrollments AS e (organization_id,
		    lead_id, campaign_id, next_send_at, enrolled_by, enrolled_at)
		SELECT org, ok.id, p_campaign,
		       p_start + make_interval(mins => first_delay), p_by, now()
		FROM ok ORDER BY ok.id
		ON CONFLICT (lead_id, campaign_id) DO NOTHING
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM ins)
	INTO eligible, enrolled;
	already := eligible - enrolled;
	refused := asked - eligible;
END $$;

GRANT SELECT, INSERT, UPDATE ON nurture_campaigns, nurture_campaign_steps,
	lead_campaign_enrollments, email_sends, lead_preferences,
	campaign_analytics, nurture_control TO minicrm_app;
GRANT DELETE ON nurture_campaign_steps TO minicrm_app;
GRANT SELECT, INSERT ON email_events, workflow_errors TO minicrm_app;
GRANT SELECT, INSERT, UPDATE ON workflow_executions TO minicrm_app;
GRANT EXECUTE ON FUNCTION nurture_enroll(uuid, uuid[], timestamptz, text)
	TO minicrm_app;
