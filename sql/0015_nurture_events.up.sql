-- 0015: SendGrid's Event Webhook into minicrm — the runbook's "Lead
-- Nurture - Event Tracker" (docs/api.md, POST /api/webhooks/sendgrid).
--
-- api.fcgi checks the post's signature and each event's shape, then hands
-- the events it accepted to nurture_events_store() as one jsonb array: one
-- statement, one transaction, so a 2xx means all of it is committed and a
-- failure leaves nothing behind (SendGrid posts the batch again).
--
--   * email_events: each event once. event_hash is its sg_event_id, or
--     for an event without one 'sha256:' and the digest of its canonical
--     jsonb text; SendGrid's re-sends (a day of them) conflict and are
--     dropped. An event whose email_send_id (our custom_arg) names no send
--     is kept, with email_send_id, lead and campaign NULL.
--   * Only the events stored now (not the re-sent ones) change anything:
--     the send (delivered_at; opened_at and first_click_at the first time,
--     open_count and click_count; a bounce makes it 'bounced' with
--     bounce_type hard, or blocked for SendGrid's type "blocked"; a drop
--     makes it 'failed' with the reason; a deferral changes nothing), the
--     lead (a hard bounce sets metadata.email_invalid; an unsubscribe,
--     group unsubscribe or spam report opts it out of e-mail in
--     lead_preferences and of everything through an OPTED_OUT event, which
--     the campaigns trigger of 0011 applies), its open enrolments
--     (completed: invalid_email, unsubscribed, spam_report), and its
--     timeline (an EMAIL_* row in lead_activity_log, idempotency key
--     'sendgrid:<event_hash>', source 'sendgrid').
--   * Each post is one workflow_executions row; the events api.fcgi
--     refused (p_rejected: [{index, field, message, event}]) are
--     workflow_errors rows of it, so the runbook's error query shows them.
--
-- Rows are locked in a fixed order (the events by hash, then the sends,
-- then the leads, by id) so that two posts at once wait for each other
-- instead of deadlocking.

CREATE FUNCTION nurture_events_store(p_events jsonb,
	p_rejected jsonb DEFAULT '[]',
	OUT received integer, OUT stored integer, OUT duplicates integer,
	OUT unknown_sends integer, OUT execution_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_started	timestamptz := clock_timestamp();
	v_new		bigint[];
	v_leads		bigint[];
	v_sends		uuid[];
BEGIN
	received := jsonb_array_length(p_events);

	WITH ev AS (
		SELECT e, coalesce(e->>'sg_event_id', 'sha256:' ||
		           encode(sha256(convert_to(e::text, 'UTF8')), 'hex'))
		           AS hash,
		       CASE WHEN e->>'email_send_id' ~*
		            '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
		            THEN (e->>'email_send_id')::uuid END AS send_ref
		FROM jsonb_array_elements(p_events) e
	), ins AS (
		INSERT INTO email_events AS x (email_send_id, organization_id,
		    lead_id, campaign_id, event_type, event_hash, sg_message_id,
		    email, url, reason, bounce_type, event_timestamp, payload)
		SELECT s.id, s.organization_id, s.lead_id, s.campaign_id,
		    ev.e->>'event', ev.hash, ev.e->>'sg_message_id',
		    ev.e->>'email', ev.e->>'url',
		    coalesce(ev.e->>'reason', ev.e->>'response'),
		    CASE ev.e->>'event'
		        WHEN 'bounce' THEN CASE WHEN ev.e->>'type' = 'blocked'
		                                THEN 'blocked' ELSE 'hard' END
		        WHEN 'deferred' THEN 'soft' END,
		    to_timestamp((ev.e->>'timestamp')::bigint), ev.e
		FROM ev
		LEFT JOIN LATERAL (SELECT s.id, s.organization_id, s.lead_id,
		                          s.campaign_id
		                   FROM email_sends s WHERE s.id = ev.send_ref
		                   OFFSET 0) s ON true
		ORDER BY ev.hash
		ON CONFLICT (event_hash) DO NOTHING
		RETURNING x.id, x.email_send_id, x.lead_id, x.event_type,
		    x.bounce_type
	)
	-- What the rest needs from the new events, in this one pass: their
	-- ids, the sends they name, the few that change a lead.
	SELECT coalesce(array_agg(ins.id), '{}'),
	       count(*) FILTER (WHERE ins.email_send_id IS NULL),
	       array_agg(DISTINCT ins.email_send_id)
	           FILTER (WHERE ins.email_send_id IS NOT NULL),
	       array_agg(ins.id) FILTER (WHERE ins.lead_id IS NOT NULL
	           AND (ins.event_type IN ('unsubscribe', 'group_unsubscribe',
	                                   'spamreport')
	                OR (ins.event_type = 'bounce'
	                    AND ins.bounce_type = 'hard')))
	INTO v_new, unknown_sends, v_sends, v_leads
	FROM ins;
	stored := cardinality(v_new);
	duplicates := received - stored;

	IF stored > 0 THEN
		PERFORM nurture_events_apply(v_new, coalesce(v_sends, '{}'),
		    coalesce(v_leads, '{}'));
	END IF;

	INSERT INTO workflow_executions (workflow_name, status,
	    items_processed, started_at, finished_at)
	VALUES ('Lead Nurture - Event Tracker', 'success', received,
	    v_started, clock_timestamp())
	RETURNING id INTO execution_id;
	INSERT INTO workflow_errors (workflow_name, execution_id,
	    error_message, context)
	SELECT 'Lead Nurture - Event Tracker', execution_id,
	    left('event ' || (r->>'index') || ' refused: ' ||
	         coalesce(r->>'field', 'event') || ' ' ||
	         coalesce(r->>'message', ''), 2000),
	    jsonb_build_object('index', r->'index', 'field', r->'field',
	        'message', r->'message', 'event', r->'event')
	FROM jsonb_array_elements(coalesce(p_rejected, '[]')) r;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

-- What the events p_ids (email_events rows just stored) change: their
-- sends (p_sends), leads, enrolments and timelines (see above). p_leads:
-- those of them that change a lead (a hard bounce, an opt-out), a few in
-- a thousand, so the statements for them read only these.
CREATE FUNCTION nurture_events_apply(p_ids bigint[], p_sends uuid[],
	p_leads bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM email_sends WHERE id = ANY (p_sends)
	ORDER BY id FOR NO KEY UPDATE;
	IF cardinality(p_leads) > 0 THEN
		PERFORM 1 FROM leads
		WHERE id IN (SELECT lead_id FROM email_events
		             WHERE id = ANY (p_leads))
		ORDER BY id FOR UPDATE;
	END IF;

	-- The sends: several events of one send in one post are one change.
	UPDATE email_sends s
	SET delivered_at = coalesce(s.delivered_at, a.delivered),
	    opened_at = coalesce(s.opened_at, a.opened),
	    open_count = s.open_count + a.opens,
	    first_click_at = coalesce(s.first_click_at, a.clicked),
	    click_count = s.click_count + a.clicks,
	    send_status = CASE WHEN a.bounce IS NOT NULL THEN 'bounced'
	                       WHEN a.dropped IS NOT NULL
	                            AND s.send_status <> 'bounced' THEN 'failed'
	                       ELSE s.send_status END,
	    bounce_type = coalesce(a.bounce, s.bounce_type),
	    failure_reason = CASE
	        WHEN a.bounce IS NOT NULL THEN left('bounced (' || a.bounce ||
	            '): ' || coalesce(a.bounce_reason, 'no reason given'), 1000)
	        WHEN a.dropped IS NOT NULL AND s.send_status <> 'bounced'
	            THEN left('dropped: ' || a.dropped, 1000)
	        ELSE s.failure_reason END,
	    updated_at = now()
	FROM (SELECT email_send_id AS id,
	          min(event_timestamp) FILTER (WHERE event_type = 'delivered')
	              AS delivered,
	          min(event_timestamp) FILTER (WHERE event_type = 'open')
	              AS opened,
	          count(*) FILTER (WHERE event_type = 'open') AS opens,
	          min(event_timestamp) FILTER (WHERE event_type = 'click')
	              AS clicked,
	          count(*) FILTER (WHERE event_type = 'click') AS clicks,
	          -- hard outranks blocked
	          max(bounce_type) FILTER (WHERE event_type = 'bounce')
	              AS bounce,
	          (array_agg(reason ORDER BY bounce_type DESC, event_timestamp)
	              FILTER (WHERE event_type = 'bounce'))[1] AS bounce_reason,
	          (array_agg(coalesce(reason, 'no reason given')
	              ORDER BY event_timestamp)
	              FILTER (WHERE event_type = 'dropped'))[1] AS dropped
	      FROM email_events
	      WHERE id = ANY (p_ids) AND email_send_id IS NOT NULL
	      GROUP BY email_send_id) a
	WHERE s.id = a.id
	  AND (a.delivered IS NOT NULL OR a.opens > 0 OR a.clicks > 0
	       OR a.bounce IS NOT NULL OR a.dropped IS NOT NULL);

	-- A hard bounce or an opt-out: a few events in a thousand, and most
	-- posts have none (then the timelines below are all that is left).
	IF cardinality(p_leads) > 0 THEN
		-- A hard bounce: the address is no good (the runbook's Issue
		-- 3 fix).
		UPDATE leads l
		SET metadata = jsonb_set(l.metadata, '{email_invalid}', 'true'),
		    updated_at = now()
		WHERE l.id IN (SELECT lead_id FROM email_events
		               WHERE id = ANY (p_leads) AND event_type = 'bounce')
		  AND l.metadata->'email_invalid' IS DISTINCT FROM 'true'::jsonb;

		-- Unsubscribed or reported spam: no more e-mail, from any
		-- campaign.
		INSERT INTO lead_preferences AS p (lead_id, organization_id,
		    email_opt_out, opted_out_at, opt_out_reason, updated_at)
		SELECT DISTINCT ON (x.lead_id) x.lead_id, l.client_id, true,
		    x.event_timestamp,
		    CASE x.event_type
		        WHEN 'spamreport' THEN 'sendgrid: spam report'
		        WHEN 'group_unsubscribe' THEN 'sendgrid: group unsubscribe'
		        ELSE 'sendgrid: unsubscribe' END,
		    now()
		FROM email_events x JOIN leads l ON l.id = x.lead_id
		WHERE x.id = ANY (p_leads) AND x.event_type <> 'bounce'
		ORDER BY x.lead_id, x.event_timestamp
		ON CONFLICT (lead_id) DO UPDATE
		SET email_opt_out = true, opted_out_at = EXCLUDED.opted_out_at,
		    opt_out_reason = EXCLUDED.opt_out_reason, updated_at = now()
		WHERE NOT p.email_opt_out;

		-- Their open enrolments end, with the first reason that came.
		UPDATE lead_campaign_enrollments e
		SET status = 'completed', completion_reason = r.reason,
		    completed_at = now(), next_send_at = NULL, updated_at = now()
		FROM (SELECT DISTINCT ON (lead_id) lead_id,
		          CASE event_type WHEN 'bounce' THEN 'invalid_email'
		                          WHEN 'spamreport' THEN 'spam_report'
		                          ELSE 'unsubscribed' END AS reason
		      FROM email_events WHERE id = ANY (p_leads)
		      ORDER BY lead_id, event_timestamp) r
		WHERE e.lead_id = r.lead_id AND e.status IN ('active', 'paused');
	END IF;

	-- The leads' timelines, and OPTED_OUT for the campaigns trigger.
	INSERT INTO lead_activity_log (client_id, lead_id, event_type,
	    occurred_at, source, idempotency_key, channel, message, metadata)
	SELECT l.client_id, x.lead_id, t.log_type, x.event_timestamp,
	    'sendgrid', 'sendgrid:' || x.event_hash || t.key_suffix, 'email',
	    left(t.label || coalesce(CASE
	        WHEN x.event_type = 'click' THEN ' ' || x.url
	        WHEN x.event_type IN ('bounce', 'dropped', 'deferred')
	            THEN coalesce(' (' || x.bounce_type || ')', '') ||
	                 coalesce(': ' || x.reason, '')
	        ELSE NULL END, '') ||
	        coalesce(' — ' || s.subject, ''), 2000),
	    jsonb_strip_nulls(jsonb_build_object(
	        'email_send_id', x.email_send_id, 'campaign_id', x.campaign_id,
	        'step', s.step_number, 'subject', s.subject,
	        'sendgrid_event', x.event_type, 'event_hash', x.event_hash,
	        'url', x.url, 'reason', x.reason,
	        'bounce_type', x.bounce_type))
	FROM email_events x
	JOIN email_sends s ON s.id = x.email_send_id
	JOIN leads l ON l.id = x.lead_id
	JOIN (VALUES
	    ('delivered', 'EMAIL_DELIVERED', '', 'Delivered'),
	    ('open', 'EMAIL_OPENED', '', 'Opened'),
	    ('click', 'EMAIL_CLICKED', '', 'Clicked'),
	    ('bounce', 'EMAIL_BOUNCED', '', 'Bounced'),
	    ('dropped', 'EMAIL_DROPPED', '', 'Dropped by SendGrid'),
	    ('deferred', 'EMAIL_DEFERRED', '', 'Deferred'),
	    ('unsubscribe', 'EMAIL_UNSUBSCRIBED', '', 'Unsubscribed'),
	    ('group_unsubscribe', 'EMAIL_UNSUBSCRIBED', '',
	     'Unsubscribed (group)'),
	    ('spamreport', 'EMAIL_SPAM_REPORT', '', 'Reported as spam'),
	    ('unsubscribe', 'OPTED_OUT', ':opted_out',
	     'Opted out: unsubscribed from e-mail'),
	    ('group_unsubscribe', 'OPTED_OUT', ':opted_out',
	     'Opted out: unsubscribed from e-mail'),
	    ('spamreport', 'OPTED_OUT', ':opted_out',
	     'Opted out: reported an e-mail as spam'))
	    AS t (sendgrid_event, log_type, key_suffix, label)
	    ON t.sendgrid_event = x.event_type
	WHERE x.id = ANY (p_ids) AND x.lead_id IS NOT NULL
	ORDER BY 1, 6
	ON CONFLICT (client_id, idempotency_key)
	   WHERE idempotency_key IS NOT NULL DO NOTHING;
END
$$
SET jit = off
SET max_parallel_workers_per_gather = 0;

GRANT EXECUTE ON FUNCTION nurture_events_store(jsonb, jsonb),
	nurture_events_apply(bigint[], uuid[], bigint[]) TO minicrm_app;
