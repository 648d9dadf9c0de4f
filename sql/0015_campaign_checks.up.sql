-- 0015 campaign checks: what tests/http/test_runbook_deenroll.sh and
-- bench/deenroll.sh found in 0011 and 0012.
--
-- 1. The campaign triggers plan their own joins. They fire inside
-- log_activity_batch(), whose SET enable_nestloop = off (for its own joins
-- between the batch's rows) applies to everything it runs, triggers
-- included: the progress trigger's lead lock and its UPDATE of the leads
-- each became a hash join over a sequential scan of every lead — 60 ms
-- per event with 200,000 leads instead of 2, a tenth of the plain ingest
-- rate with campaign steps (bench/deenroll.sh). Their own setting puts the
-- index lookups back (campaign_counts_follow_update's is in 2).
ALTER FUNCTION campaign_progress_rows() SET enable_nestloop = on;
ALTER FUNCTION campaign_counts_follow_delete() SET enable_nestloop = on;

-- 2. The counts trigger sums per campaign in SQL, and hands
-- campaign_counts_add() one element per campaign instead of one JSON
-- object per changed lead: 2.2 s -> 0.5 s of a 100,000-lead completion
-- (bench/deenroll.sh's floor), the same sums.
CREATE OR REPLACE FUNCTION campaign_counts_follow_update() RETURNS trigger
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

-- 3. A journey completed once more after a restore does not wedge its
-- client's de-enrollment.
--
-- The SOP's rollback restores leads from a backup (is_active, completed_at,
-- campaign_history) but keeps the log: the append-only timeline keeps each
-- CAMPAIGN_COMPLETED event, and without a `migrate down` the lead log keeps
-- its rows. The restored leads are finished and active again, and the
-- next batch completed them again with the same event key (lead, campaign,
-- enrolment) and the same lead-log key: a unique violation, the whole
-- batch rolled back, and since batches go in lead-id order, every run of
-- that client failed from then on
-- (tests/http/test_runbook_deenroll.sh, "a run after the restore").
--
-- Now the lead is completed again (its state, its journey, the counts),
-- and the event and lead-log row that journey already has stand: a
-- journey has one completion event and one log row, so the SOP's
-- duplicate query stays empty. Two runs still never share a lead (SKIP
-- LOCKED); a double completion would still show as two completed
-- journeys in campaign_history, which the concurrency test checks.

CREATE OR REPLACE FUNCTION process_de_enrollment_batch(p_run_id uuid, p_client_id uuid,
    p_batch_size integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_done	integer;
BEGIN
	-- The batch's commit does not wait for its WAL to reach the disk (5.
	-- below): the run's own closing commit does, and that flushes every
	-- batch before it.
	PERFORM set_config('synchronous_commit', 'off', true);
	WITH batch AS (
		SELECT * FROM get_leads_for_de_enrollment(p_client_id, p_batch_size)
	), l AS (
		SELECT l.*, b.total_messages
		FROM leads l JOIN batch b ON b.lead_id = l.id
	), log AS (
		INSERT INTO de_enrollment_lead_log (run_id, lead_id, client_id,
		    campaign_id, messages_received, current_message_position,
		    total_messages, enrolled_at)
		SELECT p_run_id, l.id, l.client_id, l.campaign_link_id,
		    l.messages_received, l.current_message_position,
		    l.total_messages, l.enrolled_at
		FROM l
		ON CONFLICT DO NOTHING
		RETURNING lead_id
	), ev AS (
		INSERT INTO lead_activity_log (client_id, lead_id, event_type,
		    occurred_at, source, idempotency_key, channel, message,
		    metadata)
		SELECT l.client_id, l.id, 'CAMPAIGN_COMPLETED', now(),
		    'minicrm-deenroll',
		    'deenroll:' || l.id || ':' || l.campaign_link_id || ':' ||
		        coalesce(l.enrolled_at::text, '-'),
		    'sms', 'Completed ' || c.name || ' after ' ||
		        l.messages_received || ' messages',
		    jsonb_build_object('campaign_id', l.campaign_link_id,
		        'campaign', c.name, 'run_id', p_run_id,
		        'messages_received', l.messages_received,
		        'total_messages', l.total_messages)
		FROM l JOIN campaigns c ON c.id = l.campaign_link_id
		ON CONFLICT DO NOTHING
		RETURNING lead_id
	), upd AS (
		UPDATE leads t
		SET is_active = false, completed_at = now(),
		    campaign_history = t.campaign_history || jsonb_build_array(
		        jsonb_build_object(
		            'campaign_id', t.campaign_link_id,
		            'campaign_name', c.name,
		            'enrolled_at', t.enrolled_at,
		            'ended_at', now(),
		            'outcome', 'completed',
		            'messages_received', t.messages_received,
		            'position', t.current_message_position,
		            'total_messages', l.total_messages,
		            'booked', t.booked_at IS NOT NULL,
		            'run_id', p_run_id)),
		    updated_at = now()
		FROM l JOIN campaigns c ON c.id = l.campaign_link_id
		WHERE t.id = l.id
		RETURNING t.id
	)
	SELECT count(*) INTO v_done FROM upd;

	UPDATE de_enrollment_runs
	SET leads_evaluated = leads_evaluated + v_done,
	    leads_de_enrolled = leads_de_enrolled + v_done,
	    batches = batches + 1
	WHERE id = p_run_id;
	RETURN v_done;
END
$$
SET jit = off;

-- 4. Moving leads between campaigns cannot deadlock. Moving a lead takes a
-- key-share lock on its new campaign (the leads' foreign key) when its
-- row is updated, one lead after another; the counts trigger then locked
-- the campaigns FOR UPDATE, which conflicts with key share. Two
-- transactions moving leads of the same client's campaigns (an API batch
-- of enrolments, the portal's) each held the key share of one campaign
-- and waited for the other's FOR UPDATE of the other: "deadlock
-- detected", the portal's enrolment or the n8n batch refused
-- (tests/http/test_deenroll_concurrency.sh: in three of four runs; none
-- in four since).
-- The counts and the recalculation now lock FOR NO KEY UPDATE.
CREATE OR REPLACE FUNCTION campaign_counts_add(p_rows jsonb) RETURNS void
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

CREATE OR REPLACE FUNCTION campaigns_recalculate(p_client uuid DEFAULT NULL)
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

-- 5. A batch's commit is asynchronous (set in process_de_enrollment_batch,
-- for its transaction only). A run is about a thousand batches of 100, each
-- committed; waiting for each WAL flush was part of what the run paid over
-- the set-based floor (bench/deenroll.sh). Safe: a batch's changes (the
-- leads, their log rows, events and counts) are one transaction, so a
-- crash loses a batch whole, and its leads are simply completed by the
-- next run; the run row is closed by a synchronous commit, after which
-- every batch of the run is on disk (the WAL is flushed in order).

