#!/usr/bin/env bash
# The nurture alerts (job nurture-alerts): the runbook's detection queries,
# each alerted once while its condition holds, however many runs see it,
# and "resolved" once when it clears — failure rate over 10 % in 5 minutes,
# scheduler or sender silent for 15 minutes while it has work (a fresh
# install does not alert), e-mails queued over an hour, low engagement per
# campaign, high unsubscribe rate.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
# On exit this test's campaigns go (with their enrolments, sends and
# analytics), its event too, and the job runs once more so no condition it
# raised stays raised for the next test.
S=$$
C=00000000-0000-0000-0000-000000000000
OTHERS=NULL
T_START=$(sql "SELECT now()")
cleanup() {
	sql "DELETE FROM email_events WHERE event_hash LIKE 'na$S-%';
	     DELETE FROM nurture_campaigns WHERE organization_id = '$C';
	     DELETE FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Email Sender' AND started_at >= '$T_START';
	     UPDATE nurture_campaigns SET status = 'active' WHERE id IN ($OTHERS)" >/dev/null
	ALERT_WEBHOOK_URL=$HOOKURL NURTURE_ALERT_WEBHOOK=$HOOKURL minicrm job run nurture-alerts 2>/dev/null
	kill $HOOK_PID 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
HOOKURL="http://127.0.0.1:$(cat "$HOOK/port")/services/nurture"
# The "nurture:" conditions go to NURTURE_ALERT_WEBHOOK, or without it to
# ALERT_WEBHOOK_URL: both point at the receiver here.
job() { ALERT_WEBHOOK_URL=$HOOKURL NURTURE_ALERT_WEBHOOK=$HOOKURL minicrm job run nurture-alerts 2>>"$TMP/jobs.log"; RC=$?; }
got() { if [ -f "$HOOK/received" ]; then grep -c "$1" "$HOOK/received"; else echo 0; fi; }
all() { got '[Nn]urture'; }
# runs N: the job N times; the messages it sent must not grow after the first.
runs() { local i; for i in $(seq "$1"); do job; done; }

minicrm client create "na$S" >/dev/null
C=$(sql "SELECT id FROM clients WHERE slug = 'na$S'")
# The conditions are global: this test starts from a quiet state — no
# nurture condition raised, no recorded scheduler or sender run, other
# tests' campaigns paused while it runs (restored on exit), both switches
# on.
OTHERS=$(sql "SELECT coalesce(string_agg(quote_literal(id), ','), 'NULL') FROM nurture_campaigns WHERE status = 'active'")
sql "DELETE FROM alert_state WHERE condition LIKE 'nurture:%';
     DELETE FROM workflow_executions WHERE workflow_name IN ('Lead Nurture - Message Scheduler', 'Lead Nurture - Email Sender');
     UPDATE nurture_campaigns SET status = 'paused' WHERE id IN ($OTHERS);
     UPDATE nurture_control SET paused = false" >/dev/null
campaign() {
	sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$C', '$1', 'team@example.com') RETURNING id"
}
CA=$(campaign "Alerts $S")
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template) VALUES ('$CA', 1, 'Hi', 'Hello')" >/dev/null
# leads N PREFIX: N leads of the client, each enrolled in CA (completed,
# so they give the scheduler no work) with a send of step 1 queued
# (scheduled in 10 minutes); prints nothing.
leads() {
	sql "WITH l AS (INSERT INTO leads (client_id, external_id, email) SELECT '$C', '$2' || i, '$2' || i || '@example.com' FROM generate_series(1, $1) i RETURNING id),
	     e AS (INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, status, current_step) SELECT '$C', id, '$CA', 'completed', 1 FROM l RETURNING id, lead_id)
	     INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, scheduled_send_time)
	     SELECT '$C', id, lead_id, '$CA', 1, now() + interval '10 minutes' FROM e" >/dev/null
}
sends() { sql "SELECT count(*) FROM email_sends es JOIN leads l ON l.id = es.lead_id WHERE l.external_id LIKE '$1%' AND l.client_id = '$C'"; }
where() { echo "email_sends.id IN (SELECT es.id FROM email_sends es JOIN leads l ON l.id = es.lead_id WHERE l.external_id LIKE '$1%' AND l.client_id = '$C')"; }

# --- a fresh install: nothing to do, nothing alerted -------------------------
job
expect_eq "$RC" 0 "minicrm job run nurture-alerts exits 0"
expect_eq "$(all)" 0 "no enrolment, no queued e-mail, no runs: no alert (a fresh install is quiet)"
check "its log line" grep -q 'job nurture-alerts: 0 conditions holding, 0 changed' "$TMP/jobs.log"

# --- the scheduler silent while enrolments are active --------------------------
LEAD=$(sql "INSERT INTO leads (client_id, external_id, email) VALUES ('$C', 'active', 'a@example.com') RETURNING id")
sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at) VALUES ('$C', '$LEAD', '$CA', now() + interval '1 day')" >/dev/null
runs 3
expect_eq "$(got 'Message Scheduler has never run')" 1 "an active enrolment and a scheduler that never ran: one alert over three runs"
sql "DELETE FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Message Scheduler'" >/dev/null
minicrm job run nurture-scheduler 2>/dev/null
runs 2
expect_eq "$(got 'Resolved (nurture): Lead Nurture - Message Scheduler runs again')" 1 "the scheduler ran: one resolved message"
sql "UPDATE workflow_executions SET created_at = now() - interval '20 minutes' WHERE workflow_name = 'Lead Nurture - Message Scheduler'" >/dev/null
runs 2
expect_eq "$(got 'Message Scheduler has not run for 20 minutes (alert at 15) while 1 enrolments are active')" 1 \
	"its last run 20 minutes ago: alerted once, with the minutes and the work waiting"
sql "UPDATE nurture_control SET paused = true WHERE name = 'scheduler'" >/dev/null
job
expect_eq "$(got 'Resolved (nurture): Lead Nurture - Message Scheduler')" 2 "the operator paused it: no longer alerted (resolved)"
sql "UPDATE nurture_control SET paused = false WHERE name = 'scheduler'" >/dev/null
minicrm job run nurture-scheduler 2>/dev/null
job
expect_eq "$(got 'Message Scheduler has not run')" 1 "resumed and run: quiet"

# --- the sender silent while e-mails are queued; queued over an hour ---------
leads 3 q
runs 2
expect_eq "$(got 'Email Sender has never run while 3 e-mails are queued')" 1 "queued e-mails and a sender that never ran: one alert"
sql "INSERT INTO workflow_executions (workflow_name, status, created_at) VALUES ('Lead Nurture - Email Sender', 'success', now() - interval '16 minutes')" >/dev/null
job
expect_eq "$(got 'Email Sender has')" 1 "a sender run 16 minutes ago: the condition still holds, no second alert"
sql "INSERT INTO workflow_executions (workflow_name, status) VALUES ('Lead Nurture - Email Sender', 'success')" >/dev/null
job
expect_eq "$(got 'Resolved (nurture): Lead Nurture - Email Sender runs again')" 1 "a fresh sender run: resolved"
sql "UPDATE email_sends SET scheduled_send_time = now() - interval '2 hours' WHERE $(where q)" >/dev/null
runs 3
expect_eq "$(got '3 e-mails are still queued more than an hour after they were due')" 1 "queued two hours past their time: one alert over three runs"
check "the runbook's Issue 1 query agrees" test "$(sql "SELECT COUNT(*) 
FROM email_sends 
WHERE send_status = 'queued' 
  AND scheduled_send_time < NOW() - INTERVAL '1 hour';")" -ge 3
sql "UPDATE email_sends SET send_status = 'sent', actual_send_time = now() - interval '1 day', updated_at = now() - interval '1 day', created_at = now() - interval '1 day' WHERE $(where q)" >/dev/null
job
expect_eq "$(got 'Resolved (nurture): no e-mail is queued more than an hour')" 1 "sent at last: resolved"

# --- the failure rate ------------------------------------------------------------
leads 10 f
sql "UPDATE email_sends SET send_status = CASE WHEN l.external_id IN ('f1', 'f2') THEN 'failed' ELSE 'sent' END,
	updated_at = now(), actual_send_time = CASE WHEN l.external_id IN ('f1', 'f2') THEN NULL ELSE now() END
     FROM leads l WHERE l.id = email_sends.lead_id AND $(where f)" >/dev/null
runs 3
expect_eq "$(got '20.0% of e-mails failed in the last 5 minutes (2 of 10; alert over 10%)')" 1 "2 of 10 failed in 5 minutes: one alert over three runs"
check "the runbook's detection query agrees" test "$(sql "SELECT 
  COUNT(*) FILTER (WHERE send_status = 'failed') * 100.0 / COUNT(*) as failure_rate
FROM email_sends
WHERE created_at >= NOW() - INTERVAL '5 minutes';" | cut -d. -f1)" -gt 10
sql "UPDATE email_sends SET created_at = now() - interval '10 minutes', updated_at = now() - interval '10 minutes' WHERE $(where f)" >/dev/null
job
expect_eq "$(got 'Resolved (nurture): the e-mail failure rate is back')" 1 "ten minutes later: resolved"
leads 5 g
sql "UPDATE email_sends SET send_status = 'failed', updated_at = now() WHERE $(where g1)" >/dev/null
sql "UPDATE email_sends SET send_status = 'sent', updated_at = now() WHERE $(where g) AND send_status = 'queued'" >/dev/null
job
expect_eq "$(got 'e-mails failed in the last 5 minutes')" 1 "1 of 5 failed: too few settled to judge, no alert"
sql "UPDATE email_sends SET created_at = now() - interval '10 minutes', updated_at = now() - interval '10 minutes' WHERE $(where g)" >/dev/null

# --- engagement and unsubscribes, from yesterday's figures -----------------------
LOW=$(campaign "Low $S"); FEW=$(campaign "Few $S"); GOOD=$(campaign "Good $S")
sql "INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today, open_rate, click_rate) VALUES
     ('$C', '$LOW', current_date - 1, 25, 12.00, 4.00),
     ('$C', '$FEW', current_date - 1, 10, 0.00, 0.00),
     ('$C', '$GOOD', current_date - 1, 30, 40.00, 6.00)" >/dev/null
runs 2
expect_eq "$(got "low engagement yesterday on campaign .*Low $S")" 1 "a campaign with a 12% open rate over 25 e-mails: one alert"
check "...with its rates" grep -q "Low $S.*open rate 12.00% (alert under 20%), click rate 4.00% (alert under 2%) over 25 e-mails" "$HOOK/received"
expect_eq "$(got "campaign .*Few $S")$(got "campaign .*Good $S")" 00 "10 e-mails are too few to judge; a good campaign is quiet"
check "the runbook's low-engagement query finds the same campaign" grep -q "^$LOW|" <<<"$(sql "SELECT 
  campaign_id,
  campaign_name,
  open_rate,
  click_rate
FROM campaign_analytics ca
JOIN nurture_campaigns nc ON nc.id = ca.campaign_id
WHERE analytics_date = CURRENT_DATE - 1
  AND (open_rate < 20 OR click_rate < 2);")"
sql "UPDATE campaign_analytics SET open_rate = 35.00 WHERE campaign_id = '$LOW'" >/dev/null
job
expect_eq "$(got "Resolved (nurture): campaign .*Low $S")" 1 "its rate back above: resolved"

# 20 e-mails out yesterday (the q and f leads' sends, and five more), one
# unsubscribe: 5 %.
leads 5 u
sql "UPDATE email_sends SET send_status = 'sent', actual_send_time = current_date - 1 + time '09:00', created_at = now() - interval '1 day', updated_at = now() - interval '1 day'
     WHERE $(where q) OR $(where f) OR $(where g) OR $(where u)" >/dev/null
YSENT=$(sql "SELECT COUNT(*) FROM email_sends WHERE DATE(actual_send_time) = CURRENT_DATE - 1")
sql "INSERT INTO email_events (event_type, event_hash, event_timestamp, payload) VALUES ('unsubscribe', 'na$S-1', current_date - 1 + time '10:00', '{}')" >/dev/null
runs 3
expect_eq "$(got "unsubscribe rate .* yesterday (1 of $YSENT e-mails; alert over 1%)")" 1 "one unsubscribe among $YSENT e-mails yesterday: one alert over three runs"
check "the runbook's query agrees" grep -Eq '^1\|[1-9]' <<<"$(sql "SELECT 
  COUNT(*) as unsubscribes_today,
  COUNT(*) * 100.0 / (
    SELECT COUNT(*) FROM email_sends 
    WHERE DATE(actual_send_time) = CURRENT_DATE - 1
  ) as unsubscribe_rate
FROM email_events
WHERE event_type = 'unsubscribe'
  AND DATE(event_timestamp) = CURRENT_DATE - 1;")"
sql "UPDATE email_events SET event_timestamp = current_date - 3 WHERE event_hash = 'na$S-1'" >/dev/null
job
expect_eq "$(got "Resolved (nurture): yesterday's unsubscribe rate")" 1 "no unsubscribe yesterday: resolved"

# --- a webhook that is down: the alert waits, then arrives once ----------------
touch "$HOOK/fail"
sql "UPDATE email_sends SET send_status = 'queued', scheduled_send_time = now() - interval '3 hours' WHERE $(where u)" >/dev/null
job
expect_eq "$RC" 0 "a failing webhook does not fail the job"
rm -f "$HOOK/fail"
runs 2
expect_eq "$(got '5 e-mails are still queued more than an hour')" 1 "the alert kept while the webhook was down arrives once it is back"

finish
