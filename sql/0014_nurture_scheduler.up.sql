-- 0014: the nurture scheduler ("Lead Nurture - Message Scheduler") and the
-- analytics updater ("Lead Nurture - Analytics Updater") as SQL functions
-- the worker's jobs call (src/domain/nurture_schedule.c,
-- nurture_analytics.c; docs/worker.md).
--
-- The scheduler turns due enrolments into queued email_sends rows, a batch
-- per statement: the batch is taken FOR UPDATE SKIP LOCKED (two schedulers
-- at once split the due enrolments, never share one), and
-- UNIQUE (enrollment_id, step_number) is the backstop — a step is queued
-- once whatever happens.

-- One batch: at most p_batch due enrolments (status 'active', next_send_at
-- passed, their campaign 'active', the scheduler switch not paused), the
-- oldest first, in one statement:
--   - a lead that opted out (leads.opted_out, lead_preferences) is
--     completed 'unsubscribed', one whose e-mail is missing or marked
--     invalid (metadata.email_invalid, the runbook's bounce fix) is
--     completed 'invalid_email': nothing is queued for them;
--   - the others get their next step queued (the first step after
--     current_step; steps need not be numbered without gaps), due at the
--     enrolment's next_send_at; the enrolment moves to that step and is
--     due again the next step's delay after now (the step was queued now:
--     a scheduler that was down does not send the steps it missed back to
--     back), or is completed 'finished' when that was the last step (or
--     no step is left).
-- Returns how many enrolments it took, and what became of them.
--
-- Nested loops only: a batch is at most 10,000 rows, each found by its
-- key. Left to itself the planner hashed the whole enrolments table for
-- the UPDATE (and, from 5,000 rows, the whole leads table for the lead
-- checks) in every batch: 45 of a batch's 137 ms at 100,000 enrolments,
-- and growing with the tables (bench/nurture_scheduler.sh).
--
-- The batch's commit does not wait for its WAL flush: a crash loses the
-- batch whole (its sends and its enrolments' moves together), and the
-- next run takes the same enrolments again; the run's closing row
-- (workflow_executions) is committed synchronously and flushes every batch
-- before it.
CREATE FUNCTION nurture_schedule_batch(p_batch integer,
	OUT taken integer, OUT queued integer, OUT finished integer,
	OUT unsubscribed integer, OUT invalid_email integer)
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
BEGIN
	PERFORM set_config('synchronous_commit', 'off', true);
	WITH due AS (
		SELECT e.id, e.organization_id, e.lead_id, e.campaign_id,
		       e.current_step, e.next_send_at
		FROM lead_campaign_enrollments e
		JOIN nurture_campaigns c ON c.id = e.campaign_id
		WHERE e.status = 'active' AND e.next_send_at <= now()
		  AND c.status = 'active'
		  AND NOT EXISTS (SELECT FROM nurture_control n
		                  WHERE n.name = 'scheduler' AND n.paused)
		ORDER BY e.next_send_at
		LIMIT p_batch
		FOR UPDATE OF e SKIP LOCKED
	), judged AS (
		SELECT d.*, s.step_number AS step, s2.delay_minutes AS next_delay,
		       CASE WHEN l.opted_out OR coalesce(p.email_opt_out, false)
		            THEN 'unsubscribed'
		            WHEN l.email IS NULL OR l.email = ''
		              OR coalesce(l.metadata->>'email_invalid', 'false')
		                 = 'true'
		            THEN 'invalid_email' END AS stop
		FROM due d
		JOIN leads l ON l.id = d.lead_id
		LEFT JOIN lead_preferences p ON p.lead_id = d.lead_id
		LEFT JOIN LATERAL (SELECT x.step_number
			FROM nurture_campaign_steps x
			WHERE x.campaign_id = d.campaign_id
			  AND x.step_number > d.current_step
			ORDER BY x.step_number LIMIT 1) s ON true
		LEFT JOIN LATERAL (SELECT x.delay_minutes
			FROM nurture_campaign_steps x
			WHERE x.campaign_id = d.campaign_id
			  AND x.step_number > s.step_number
			ORDER BY x.step_number LIMIT 1) s2 ON true
	), ins AS (
		INSERT INTO email_sends (organization_id, enrollment_id, lead_id,
		    campaign_id, step_number, scheduled_send_time)
		SELECT j.organization_id, j.id, j.lead_id, j.campaign_id, j.step,
		       j.next_send_at
		FROM judged j
		WHERE j.stop IS NULL AND j.step IS NOT NULL
		ON CONFLICT (enrollment_id, step_number) DO NOTHING
		RETURNING 1
	), moved AS (
		UPDATE lead_campaign_enrollments e SET
			current_step = CASE WHEN j.stop IS NULL AND j.step IS NOT NULL
			                    THEN j.step ELSE e.current_step END,
			status = CASE WHEN j.stop IS NULL AND j.next_delay IS NOT NULL
			              THEN 'active' ELSE 'completed' END,
			next_send_at = CASE WHEN j.stop IS NULL
			                     AND j.next_delay IS NOT NULL
			                    THEN now() + make_interval(mins => j.next_delay)
			                    END,
			completion_reason = CASE
				WHEN j.stop IS NOT NULL THEN j.stop
				WHEN j.next_delay IS NULL THEN 'finished' END,
			completed_at = CASE WHEN j.stop IS NOT NULL
			                      OR j.next_delay IS NULL THEN now() END,
			updated_at = now()
		FROM judged j
		WHERE e.id = j.id
		RETURNING e.status, e.completion_reason
	)
	SELECT count(*)::integer,
	       (SELECT count(*) FROM ins)::integer,
	       count(*) FILTER (WHERE completion_reason = 'finished')::integer,
	       count(*) FILTER (WHERE completion_reason = 'unsubscribed')::integer,
	       count(*) FILTER (WHERE completion_reason = 'invalid_email')::integer
	INTO taken, queued, finished, unsubscribed, invalid_email
	FROM moved;
END $$;

-- The due enrolments a run would take now (for the CLI's progress and the
-- job's summary): the same conditions as a batch, without the locks.
CREATE FUNCTION nurture_schedule_due() RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT count(*)
	FROM lead_campaign_enrollments e
	JOIN nurture_campaigns c ON c.id = e.campaign_id
	WHERE e.status = 'active' AND e.next_send_at <= now()
	  AND c.status = 'active'
$$;

-- The runbook's daily rollup (Issue 5) into campaign_analytics for one
-- day, idempotent: run twice, the same rows. Per campaign, over the sends
-- that went out that day (DATE(actual_send_time), as the runbook counts):
-- sent, delivered (delivered_at), unique opens and clicks (leads, as the
-- runbook counts them), bounces (send_status 'bounced'); and the day's
-- SendGrid unsubscribe and spamreport events (DATE(event_timestamp)), by
-- the event's campaign or its send's. Rates are percentages of the sends
-- (NULL when none went out). The day is the session's (as DATE() counts
-- it), written as a range so the indexes on actual_send_time and
-- (event_type, event_timestamp) serve it. A campaign with a row for that day and no
-- activity any more gets zeros, so a rerun after a correction is exact.
-- Returns the rows written.
CREATE FUNCTION nurture_analytics_update(p_date date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	WITH sends AS (
		SELECT es.campaign_id,
		       count(DISTINCT es.id) AS sent,
		       count(DISTINCT es.id) FILTER (WHERE es.delivered_at IS NOT NULL)
		           AS delivered,
		       count(DISTINCT CASE WHEN es.opened_at IS NOT NULL
		                           THEN es.lead_id END) AS opens,
		       count(DISTINCT CASE WHEN es.first_click_at IS NOT NULL
		                           THEN es.lead_id END) AS clicks,
		       count(DISTINCT es.id) FILTER (WHERE es.send_status = 'bounced')
		           AS bounces
		FROM email_sends es
		WHERE es.actual_send_time >= p_date
		  AND es.actual_send_time < p_date + 1
		GROUP BY es.campaign_id
	), events AS (
		SELECT coalesce(ev.campaign_id, es.campaign_id) AS campaign_id,
		       count(*) FILTER (WHERE ev.event_type = 'unsubscribe')
		           AS unsubscribes,
		       count(*) FILTER (WHERE ev.event_type = 'spamreport')
		           AS spam_reports
		FROM email_events ev
		LEFT JOIN email_sends es ON es.id = ev.email_send_id
		WHERE ev.event_type IN ('unsubscribe', 'spamreport')
		  AND ev.event_timestamp >= p_date
		  AND ev.event_timestamp < p_date + 1
		GROUP BY 1
	), campaigns AS (
		SELECT campaign_id FROM sends
		UNION SELECT campaign_id FROM events WHERE campaign_id IS NOT NULL
		UNION SELECT campaign_id FROM campaign_analytics
		      WHERE analytics_date = p_date
	), up AS (
		INSERT INTO campaign_analytics AS ca (organization_id, campaign_id,
		    analytics_date, emails_sent_today, emails_delivered_today,
		    unique_opens_today, unique_clicks_today, bounces_today,
		    unsubscribes_today, spam_reports_today, delivery_rate,
		    open_rate, click_rate, bounce_rate, unsubscribe_rate,
		    updated_at)
		SELECT nc.organization_id, nc.id, p_date,
		       coalesce(s.sent, 0), coalesce(s.delivered, 0),
		       coalesce(s.opens, 0), coalesce(s.clicks, 0),
		       coalesce(s.bounces, 0), coalesce(e.unsubscribes, 0),
		       coalesce(e.spam_reports, 0),
		       round(s.delivered * 100.0 / NULLIF(s.sent, 0), 2),
		       round(s.opens * 100.0 / NULLIF(s.sent, 0), 2),
		       round(s.clicks * 100.0 / NULLIF(s.sent, 0), 2),
		       round(s.bounces * 100.0 / NULLIF(s.sent, 0), 2),
		       round(coalesce(e.unsubscribes, 0) * 100.0
		             / NULLIF(s.sent, 0), 2),
		       now()
		FROM campaigns k
		JOIN nurture_campaigns nc ON nc.id = k.campaign_id
		LEFT JOIN sends s ON s.campaign_id = k.campaign_id
		LEFT JOIN events e ON e.campaign_id = k.campaign_id
		ON CONFLICT (campaign_id, analytics_date) DO UPDATE SET
			emails_sent_today = EXCLUDED.emails_sent_today,
			emails_delivered_today = EXCLUDED.emails_delivered_today,
			unique_opens_today = EXCLUDED.unique_opens_today,
			unique_clicks_today = EXCLUDED.unique_clicks_today,
			bounces_today = EXCLUDED.bounces_today,
			unsubscribes_today = EXCLUDED.unsubscribes_today,
			spam_reports_today = EXCLUDED.spam_reports_today,
			delivery_rate = EXCLUDED.delivery_rate,
			open_rate = EXCLUDED.open_rate,
			click_rate = EXCLUDED.click_rate,
			bounce_rate = EXCLUDED.bounce_rate,
			unsubscribe_rate = EXCLUDED.unsubscribe_rate,
			updated_at = now()
		RETURNING 1
	)
	SELECT count(*) INTO n FROM up;
	RETURN n;
END $$;

GRANT EXECUTE ON FUNCTION nurture_schedule_batch(integer),
	nurture_schedule_due(), nurture_analytics_update(date) TO minicrm_app;
