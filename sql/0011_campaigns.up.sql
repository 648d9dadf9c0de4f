-- 0011 campaigns: SMS campaigns per client and the lead's place in one,
-- with the de-enrollment SOP's table and column names (its SQL runs
-- unchanged against them).
--
-- Where the numbers come from:
--   * A lead moves through campaigns by events in its timeline. The
--     trigger lead_activity_log_progress applies, in the transaction that
--     stores them, CAMPAIGN_ENROLLED (into a campaign, or moved to another),
--     CAMPAIGN_DE_ENROLLED (removed), MESSAGE_SENT with the campaign and
--     step (its position), OPTED_OUT and BOOKING_CONFIRMED. An event is
--     applied once because it is stored once (idempotency); a replayed
--     enrolment older than the lead's last campaign change and a step the
--     lead has passed change nothing.
--   * A campaign's four counts follow its leads: a statement trigger on
--     leads adds what each UPDATE or DELETE changed, per campaign, in the
--     same statement. So they stay exact whichever path changes a lead —
--     an event, the de-enrollment job, an operator's UPDATE — and
--     the SOP's drift query returns no rows. Inserting leads does not move
--     them: an operator loading campaigns and leads from an old system
--     gives the counts in the campaign's INSERT (the SOP's example), or
--     runs `minicrm campaigns recalc` afterwards.
--
-- A lead's own counts are per journey: enrolling sets position and
-- messages_received to 0, and the journey that ended is appended to
-- campaign_history.

INSERT INTO event_types (name, description) VALUES
	('CAMPAIGN_COMPLETED', 'The lead received every message of its campaign')
ON CONFLICT (name) DO NOTHING;

CREATE TABLE campaigns (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	client_id		uuid NOT NULL REFERENCES clients(id),
	name			text NOT NULL
				CHECK (length(name) BETWEEN 1 AND 200),
	description		text NOT NULL DEFAULT '',
	-- The steps, in order: [{"body": "…", "delay_hours": 24}, …]. A lead
	-- has finished when its position reaches the array's length.
	messages		jsonb NOT NULL DEFAULT '[]'
				CHECK (jsonb_typeof(messages) = 'array'),
	is_active		boolean NOT NULL DEFAULT true,
	active_leads_count	integer NOT NULL DEFAULT 0,
	completed_leads_count	integer NOT NULL DEFAULT 0,
	opted_out_count		integer NOT NULL DEFAULT 0,
	booked_count		integer NOT NULL DEFAULT 0,
	deactivated_at		timestamptz,
	last_enrollment_at	timestamptz,
	-- Created by an enrolment event that named a campaign minicrm did
	-- not know (by name); its steps are the event's total_steps.
	auto_discovered		boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (client_id, name),
	UNIQUE (id, client_id)		/* leads point at both */
);

ALTER TABLE leads
	ADD COLUMN campaign_link_id		uuid,
	ADD COLUMN current_message_position	integer NOT NULL DEFAULT 0
		CHECK (current_message_position >= 0),
	ADD COLUMN messages_received		integer NOT NULL DEFAULT 0
		CHECK (messages_received >= 0),
	ADD COLUMN is_active			boolean NOT NULL DEFAULT true,
	ADD COLUMN completed_at			timestamptz,
	ADD COLUMN campaign_history		jsonb NOT NULL DEFAULT '[]'
		CHECK (jsonb_typeof(campaign_history) = 'array'),
	ADD COLUMN opted_out			boolean NOT NULL DEFAULT false,
	ADD COLUMN opted_out_at			timestamptz,
	ADD COLUMN enrolled_at			timestamptz,
	ADD COLUMN booked_at			timestamptz,
	-- occurred_at of the last enrolment or removal applied: an older one
	-- arriving late (a replay) does not undo a newer one.
	ADD COLUMN campaign_event_at		timestamptz,
	ADD CONSTRAINT leads_campaign_fk FOREIGN KEY (campaign_link_id, client_id)
		REFERENCES campaigns (id, client_id);

-- The de-enrollment job's batch: a client's active leads per campaign from
-- a position on, so finding those that reached the end is a range scan
-- per campaign however many leads are still on their way.
CREATE INDEX leads_in_campaign ON leads
	(client_id, campaign_link_id, current_message_position, id)
	WHERE is_active AND completed_at IS NULL AND campaign_link_id IS NOT NULL;
-- A campaign's leads in id order: its page and CSV export are keyset
-- ranges of it (a generic plan otherwise walked the primary key filtering
-- by campaign: 7.5 s to export a campaign of 10,000 among 1,000,000
-- leads, 0.06 s with it); the recalculation and the drift check read it
-- by campaign.
CREATE INDEX leads_campaign ON leads (campaign_link_id, id)
	WHERE campaign_link_id IS NOT NULL;

-- Add per-campaign deltas (a JSON array of {c: campaign, a: active,
-- d: completed, o: opted out, b: booked, e: latest enrolment}) to the
-- campaigns' counts, which count leads as the SOP's recalculation does.
-- FOR NO KEY UPDATE, not FOR UPDATE: moving a lead takes a key-share lock
-- on its new campaign (the leads' foreign key), and FOR UPDATE conflicts
-- with it — two transactions moving leads between one client's campaigns
-- deadlocked in three of four concurrency runs
-- (tests/http/test_deenroll_concurrency.sh).
CREATE FUNCTION campaign_counts_add(p_rows jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	-- Campaign rows are locked in id order, after every lead lock of the
	-- statement, so two writers cannot wait on each other here; FOR NO
	-- KEY UPDATE (what the UPDATE below takes anyway), so the key-share
	-- locks that moving a lead takes on its new campaign (the leads'
	-- foreign key), in whatever order, never wait on these or these on
	-- them.
	PERFORM 1 FROM campaigns
	WHERE id IN (SELECT (r->>'c')::uuid FROM jsonb_array_elements(p_rows) r)
	ORDER BY id FOR NO KEY UPDATE;
	UPDATE campaigns c
	SET active_leads_count = c.active_leads_count + d.active,
	    completed_leads_count = c.completed_leads_count + d.completed,
	    opted_out_count = c.opted_out_count + d.opted_out,
	    booked_count = c.booked_count + d.booked,
	    last_enrollment_at = greatest(c.last_enrollment_at, d.enrolled),
	    updated_at = now()
	FROM (SELECT (r->>'c')::uuid AS id, sum((r->>'a')::int) AS active,
	             sum((r->>'d')::int) AS completed,
	             sum((r->>'o')::int) AS opted_out,
	             sum((r->>'b')::int) AS booked,
	             max((r->>'e')::timestamptz) AS enrolled
	      FROM jsonb_array_elements(p_rows) r GROUP BY 1) d
	WHERE c.id = d.id
	  AND (d.active <> 0 OR d.completed <> 0 OR d.opted_out <> 0
	       OR d.booked <> 0 OR d.enrolled > c.last_enrollment_at
	       OR (d.enrolled IS NOT NULL AND c.last_enrollment_at IS NULL));
END
$$;

CREATE FUNCTION campaign_counts_follow_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_rows	jsonb;
BEGIN
	SELECT jsonb_agg(jsonb_build_object('c', g.c, 'a', g.a, 'd', g.d,
	    'o', g.o, 'b', g.b, 'e', g.e))
	INTO v_rows
	FROM (SELECT x.c, sum(x.a) AS a, sum(x.d) AS d, sum(x.o) AS o,
	             sum(x.b) AS b, max(x.e) AS e
	      FROM new_rows n JOIN old_rows p ON p.id = n.id
	      CROSS JOIN LATERAL (VALUES
	          (p.campaign_link_id, -(p.is_active AND NOT p.opted_out)::int,
	           -(p.completed_at IS NOT NULL)::int, -p.opted_out::int,
	           -(p.booked_at IS NOT NULL)::int, NULL::timestamptz),
	          (n.campaign_link_id, (n.is_active AND NOT n.opted_out)::int,
	           (n.completed_at IS NOT NULL)::int, n.opted_out::int,
	           (n.booked_at IS NOT NULL)::int,
	           CASE WHEN n.enrolled_at IS DISTINCT FROM p.enrolled_at
	                THEN n.enrolled_at END)) AS x(c, a, d, o, b, e)
	      WHERE x.c IS NOT NULL
	        AND (n.campaign_link_id, n.is_active, n.opted_out,
	             n.completed_at IS NULL, n.booked_at IS NULL, n.enrolled_at)
	            IS DISTINCT FROM
	            (p.campaign_link_id, p.is_active, p.opted_out,
	             p.completed_at IS NULL, p.booked_at IS NULL, p.enrolled_at)
	      GROUP BY x.c) g;
	IF v_rows IS NOT NULL THEN
		PERFORM campaign_counts_add(v_rows);
	END IF;
	RETURN NULL;
END
$$
SET enable_nestloop = on;

CREATE FUNCTION campaign_counts_follow_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_rows	jsonb;
BEGIN
	SELECT jsonb_agg(jsonb_build_object('c', campaign_link_id,
	    'a', -(is_active AND NOT opted_out)::int,
	    'd', -(completed_at IS NOT NULL)::int, 'o', -opted_out::int,
	    'b', -(booked_at IS NOT NULL)::int, 'e', NULL))
	INTO v_rows
	FROM old_rows WHERE campaign_link_id IS NOT NULL;
	IF v_rows IS NOT NULL THEN
		PERFORM campaign_counts_add(v_rows);
	END IF;
	RETURN NULL;
END
$$
SET enable_nestloop = on;

CREATE TRIGGER leads_campaign_counts AFTER UPDATE ON leads
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_follow_update();
CREATE TRIGGER leads_campaign_counts_delete AFTER DELETE ON leads
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_follow_delete();

-- The journey a lead is on, as campaign_history keeps it once it ends.
CREATE FUNCTION campaign_journey(l leads, p_outcome text, p_ended timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'campaign_id', l.campaign_link_id,
	    'campaign_name', (SELECT name FROM campaigns WHERE id = l.campaign_link_id),
	    'enrolled_at', l.enrolled_at,
	    'ended_at', p_ended,
	    'outcome', p_outcome,
	    'messages_received', l.messages_received,
	    'position', l.current_message_position,
	    'total_messages', (SELECT jsonb_array_length(messages) FROM campaigns
	                       WHERE id = l.campaign_link_id),
	    'booked', l.booked_at IS NOT NULL)
$$;

-- The campaign an event names, for its client: metadata.campaign_id (a
-- uuid), or metadata.campaign (a name). An enrolment naming an unknown
-- campaign by name creates it (auto_discovered) with total_steps steps.
-- NULL if the event names none, or one of another client.
CREATE FUNCTION campaign_of_event(p_client uuid, p_meta jsonb,
    p_discover boolean) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	v_id	uuid;
	v_name	text := p_meta->>'campaign';
	v_steps	integer;
BEGIN
	IF p_meta->>'campaign_id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN
		SELECT id INTO v_id FROM campaigns
		WHERE id = (p_meta->>'campaign_id')::uuid AND client_id = p_client;
		RETURN v_id;
	END IF;
	IF v_name IS NULL OR length(v_name) NOT BETWEEN 1 AND 200 THEN
		RETURN NULL;
	END IF;
	SELECT id INTO v_id FROM campaigns
	WHERE client_id = p_client AND name = v_name;
	IF v_id IS NOT NULL OR NOT p_discover THEN
		RETURN v_id;
	END IF;
	v_steps := CASE WHEN p_meta->>'total_steps' ~ '^[0-9]{1,4}$'
	                THEN (p_meta->>'total_steps')::integer ELSE 0 END;
	INSERT INTO campaigns (client_id, name, messages, auto_discovered)
	VALUES (p_client, v_name,
	    coalesce((SELECT jsonb_agg(jsonb_build_object('step', s))
	              FROM generate_series(1, v_steps) s), '[]'), true)
	ON CONFLICT (client_id, name) DO NOTHING;
	SELECT id INTO v_id FROM campaigns
	WHERE client_id = p_client AND name = v_name;
	RETURN v_id;
END
$$;

-- One enrolment, removal, opt-out or booking, on a lead its caller has
-- locked. Returns nothing; what changed shows on the lead.
CREATE FUNCTION campaign_apply_event(p_lead uuid, p_type text,
    p_client uuid, p_meta jsonb, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	l		leads;
	v_campaign	uuid;
	v_in_campaign	boolean;
BEGIN
	SELECT * INTO l FROM leads WHERE id = p_lead;
	v_in_campaign := l.campaign_link_id IS NOT NULL AND l.is_active
	    AND l.completed_at IS NULL;

	IF p_type = 'CAMPAIGN_ENROLLED' THEN
		v_campaign := campaign_of_event(p_client, p_meta, true);
		IF v_campaign IS NULL OR l.opted_out
		   OR p_at <= l.campaign_event_at
		   OR (v_in_campaign AND l.campaign_link_id = v_campaign) THEN
			RETURN;
		END IF;
		UPDATE leads SET
		    campaign_history = CASE WHEN v_in_campaign
		        THEN campaign_history || jsonb_build_array(
		            campaign_journey(l, 'moved', p_at))
		        ELSE campaign_history END,
		    campaign_link_id = v_campaign, current_message_position = 0,
		    messages_received = 0, is_active = true, completed_at = NULL,
		    booked_at = NULL, enrolled_at = p_at, campaign_event_at = p_at,
		    updated_at = now()
		WHERE id = p_lead;
	ELSIF p_type = 'CAMPAIGN_DE_ENROLLED' THEN
		v_campaign := campaign_of_event(p_client, p_meta, false);
		IF NOT v_in_campaign OR p_at <= l.campaign_event_at
		   OR (v_campaign IS NOT NULL AND v_campaign <> l.campaign_link_id) THEN
			RETURN;
		END IF;
		UPDATE leads SET
		    campaign_history = campaign_history || jsonb_build_array(
		        campaign_journey(l, 'removed', p_at)),
		    campaign_link_id = NULL, is_active = false,
		    campaign_event_at = p_at, updated_at = now()
		WHERE id = p_lead;
	ELSIF p_type = 'OPTED_OUT' THEN
		IF l.opted_out THEN
			RETURN;
		END IF;
		UPDATE leads SET
		    campaign_history = CASE WHEN v_in_campaign
		        THEN campaign_history || jsonb_build_array(
		            campaign_journey(l, 'opted_out', p_at))
		        ELSE campaign_history END,
		    opted_out = true, opted_out_at = p_at, is_active = false,
		    updated_at = now()
		WHERE id = p_lead;
	ELSIF p_type = 'BOOKING_CONFIRMED' THEN
		IF l.campaign_link_id IS NULL OR l.booked_at IS NOT NULL THEN
			RETURN;
		END IF;
		UPDATE leads SET booked_at = p_at, updated_at = now()
		WHERE id = p_lead;
	END IF;
END
$$;

-- The events of one INSERT into the log that move leads, applied in the
-- same transaction. The campaign triggers set their own enable_nestloop:
-- they fire inside log_activity_batch(), whose enable_nestloop = off (for
-- its joins between the batch's rows) would otherwise reach them, and
-- their lead lookups became hash joins over every lead (60 ms a step
-- event with 200,000 leads instead of 2; bench/deenroll.sh). Leads are locked in id order first (as
-- log_activity_batch creates them), so two batches cannot deadlock on
-- them; campaign rows are locked after, by the leads trigger.
CREATE FUNCTION campaign_progress_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	e	record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM new_rows
	               WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                   'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT',
	                   'BOOKING_CONFIRMED')
	                  OR (event_type = 'MESSAGE_SENT'
	                      AND metadata ? 'step')) THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM leads
	WHERE id IN (SELECT lead_id FROM new_rows
	             WHERE event_type IN ('CAMPAIGN_ENROLLED',
	                 'CAMPAIGN_DE_ENROLLED', 'OPTED_OUT', 'BOOKING_CONFIRMED')
	                OR (event_type = 'MESSAGE_SENT' AND metadata ? 'step'))
	ORDER BY id FOR UPDATE;

	-- Enrolments, removals, opt-outs and bookings are few: one at a time,
	-- in the order they happened.
	FOR e IN SELECT lead_id, event_type, client_id, metadata, occurred_at
	         FROM new_rows
	         WHERE event_type IN ('CAMPAIGN_ENROLLED', 'CAMPAIGN_DE_ENROLLED',
	             'OPTED_OUT', 'BOOKING_CONFIRMED')
	         ORDER BY lead_id, occurred_at, id
	LOOP
		PERFORM campaign_apply_event(e.lead_id, e.event_type, e.client_id,
		    e.metadata, e.occurred_at);
	END LOOP;

	-- Messages are most of the traffic: one statement for the batch. A
	-- step moves the lead only forward, only in the campaign it is on;
	-- each step past the lead's position counts one message received.
	UPDATE leads l
	SET current_message_position = greatest(l.current_message_position,
	        (SELECT max(s) FROM unnest(m.steps) s)),
	    messages_received = l.messages_received +
	        (SELECT count(*) FROM unnest(m.steps) s
	         WHERE s > l.current_message_position),
	    updated_at = now()
	FROM (SELECT r.lead_id, r.campaign, array_agg(DISTINCT r.step) AS steps
	      FROM (SELECT lead_id, (metadata->>'step')::integer AS step,
	                   campaign_of_event(client_id, metadata, false) AS campaign
	            FROM new_rows
	            WHERE event_type = 'MESSAGE_SENT'
	              AND metadata->>'step' ~ '^[0-9]{1,6}$') r
	      WHERE r.campaign IS NOT NULL
	      GROUP BY r.lead_id, r.campaign) m
	WHERE l.id = m.lead_id AND l.campaign_link_id = m.campaign
	  AND l.is_active AND l.completed_at IS NULL
	  AND (SELECT max(s) FROM unnest(m.steps) s) > l.current_message_position;
	RETURN NULL;
END
$$
SET enable_nestloop = on;

CREATE TRIGGER lead_activity_log_progress AFTER INSERT ON lead_activity_log
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION campaign_progress_rows();

-- The SOP's stats fix, for one client or all: the counts from the leads.
-- Returns the campaigns it changed.
CREATE FUNCTION campaigns_recalculate(p_client uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_changed	integer;
BEGIN
	WITH actual AS (
		SELECT c.id,
		    count(l.id) FILTER (WHERE l.is_active AND NOT l.opted_out) AS a,
		    count(l.id) FILTER (WHERE l.completed_at IS NOT NULL) AS d,
		    count(l.id) FILTER (WHERE l.opted_out) AS o,
		    count(l.id) FILTER (WHERE l.booked_at IS NOT NULL) AS b
		FROM campaigns c LEFT JOIN leads l ON l.campaign_link_id = c.id
		WHERE p_client IS NULL OR c.client_id = p_client
		GROUP BY c.id
	), locked AS (
		SELECT c.id FROM campaigns c JOIN actual USING (id)
		ORDER BY c.id FOR NO KEY UPDATE OF c
	), upd AS (
		UPDATE campaigns c
		SET active_leads_count = a.a, completed_leads_count = a.d,
		    opted_out_count = a.o, booked_count = a.b, updated_at = now()
		FROM actual a
		WHERE c.id = a.id AND c.id IN (SELECT id FROM locked)
		  AND (c.active_leads_count, c.completed_leads_count,
		       c.opted_out_count, c.booked_count)
		      IS DISTINCT FROM (a.a, a.d, a.o, a.b)
		RETURNING c.id
	)
	SELECT count(*) INTO v_changed FROM upd;
	RETURN v_changed;
END
$$;

GRANT SELECT, INSERT, UPDATE ON campaigns TO minicrm_app;
GRANT EXECUTE ON FUNCTION campaign_counts_add(jsonb),
	campaign_counts_follow_update(), campaign_counts_follow_delete(),
	campaign_journey(leads, text, timestamptz),
	campaign_of_event(uuid, jsonb, boolean),
	campaign_apply_event(uuid, text, uuid, jsonb, timestamptz),
	campaign_progress_rows(), campaigns_recalculate(uuid) TO minicrm_app;
