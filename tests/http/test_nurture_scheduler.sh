#!/usr/bin/env bash
# The nurture scheduler ("Lead Nurture - Message Scheduler", job
# nurture-scheduler): due enrolments become queued email_sends rows once
# each, due at the enrolment's next_send_at; the enrolment moves on by the
# next step's delay and is completed 'finished' after its last step;
# opted-out and invalid leads are completed, not queued; paused campaigns
# and a paused scheduler queue nothing; the runbook's "overdue" query is 0
# after a run; each run is a workflow_executions row; two schedulers at
# once never queue a step twice nor miss one. Then the analytics updater
# (job nurture-analytics, minicrm nurture analytics): the runbook's
# rollup, idempotent.
source "$(dirname "$0")/lib.sh"

S=$$
minicrm client create "ns$S" >/dev/null
C=$(sql "SELECT id FROM clients WHERE slug = 'ns$S'")
SCHED='Lead Nurture - Message Scheduler'

# campaign NAME STATUS DELAYS...: a campaign with one step per delay
# (minutes), numbered from 1; its id.
campaign() {
	local name=$1 status=$2 id n=0
	shift 2
	id=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, status, from_email)
	     VALUES ('$C', '$name', '$status', 'team@example.com') RETURNING id")
	for d in "$@"; do
		n=$((n + 1))
		sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes)
		     VALUES ('$id', $n, 'Step $n for {{first_name}}', 'Hello {{first_name}}', $d)" >/dev/null
	done
	echo "$id"
}
# lead EXTERNAL_ID [EMAIL]: a lead of the client; its id.
lead() {
	sql "INSERT INTO leads (client_id, external_id, first_name, email)
	     VALUES ('$C', '$1', 'Ann', $( [ "${2-x}" = NULL ] && echo NULL || echo "'${2:-$1@example.com}'")) RETURNING id"
}
# enrol CAMPAIGN LEAD AGO: an enrolment due AGO ago (an interval); its id.
enrol() {
	sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at)
	     VALUES ('$C', '$2', '$1', now() - interval '$3') RETURNING id"
}
run_job() { minicrm job run nurture-scheduler 2>>"$TMP/jobs.log"; RC=$?; }
sends() { sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$1'"; }
state() { sql "SELECT status || ' ' || current_step || ' ' || coalesce(completion_reason, '-') FROM lead_campaign_enrollments WHERE id = '$1'"; }

# Other tests may leave due enrolments (the instance's worker does not run
# the scheduler): their campaigns are paused while this test runs, so the
# counts below are this test's and their enrolments are left as they are
# (restored on exit); the scheduler switch must be on.
OTHERS=$(sql "SELECT coalesce(string_agg(quote_literal(id), ','), 'NULL') FROM nurture_campaigns WHERE status = 'active'")
sql "UPDATE nurture_campaigns SET status = 'paused' WHERE id IN ($OTHERS);
     UPDATE nurture_control SET paused = false WHERE name = 'scheduler'" >/dev/null
# On exit, this test's campaigns go (with their enrolments, sends and
# analytics: a later test's sender must not find them queued) and the
# others' are active again.
cleanup() {
	sql "DELETE FROM email_events WHERE event_hash LIKE 'ns$S-%';
	     DELETE FROM nurture_campaigns WHERE organization_id = '$C';
	     UPDATE nurture_campaigns SET status = 'active' WHERE id IN ($OTHERS)" >/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# --- a three-step campaign: 0, 60 minutes, a day ---------------------------
A=$(campaign "Welcome $S" active 0 60 1440)
for i in 1 2 3 4 5; do
	L[$i]=$(lead "a$i")
	E[$i]=$(enrol "$A" "${L[$i]}" "$i minutes")
done
OPT=$(lead opt); sql "UPDATE leads SET opted_out = true WHERE id = '$OPT'" >/dev/null
PREF=$(lead pref); sql "INSERT INTO lead_preferences (lead_id, organization_id, email_opt_out) VALUES ('$PREF', '$C', true)" >/dev/null
BAD=$(lead bad); sql "UPDATE leads SET metadata = '{\"email_invalid\": true}' WHERE id = '$BAD'" >/dev/null
NOMAIL=$(lead nomail NULL)
EOPT=$(enrol "$A" "$OPT" '1 minute'); EPREF=$(enrol "$A" "$PREF" '1 minute')
EBAD=$(enrol "$A" "$BAD" '1 minute'); ENOMAIL=$(enrol "$A" "$NOMAIL" '1 minute')
LATER=$(lead later)
ELATER=$(sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at)
	VALUES ('$C', '$LATER', '$A', now() + interval '1 hour') RETURNING id")
# A paused campaign's due enrolment waits.
P=$(campaign "Paused $S" paused 0)
EP=$(enrol "$P" "$(lead p1)" '5 minutes')
DUE_BEFORE=$(sql "SELECT string_agg(id || '=' || next_send_at, ',' ORDER BY id) FROM lead_campaign_enrollments WHERE campaign_id = '$A' AND lead_id IN ('${L[1]}', '${L[2]}', '${L[3]}', '${L[4]}', '${L[5]}')")
T0=$(sql "SELECT now()")

run_job
expect_eq "$RC" 0 "minicrm job run nurture-scheduler exits 0"
check "it logs what it did" grep -q 'job nurture-scheduler: done: 9 due, 9 enrolments taken in 1 batches, 5 sends queued, 0 finished, 2 completed unsubscribed, 2 invalid e-mail' "$TMP/jobs.log"
expect_eq "$(sends "$A")" 5 "five sends queued: one per deliverable lead"
expect_eq "$(sql "SELECT count(*) FROM email_sends s JOIN lead_campaign_enrollments e ON e.id = s.enrollment_id
	WHERE s.campaign_id = '$A' AND s.step_number = 1 AND s.send_status = 'queued' AND s.lead_id = e.lead_id
	AND s.organization_id = '$C' AND s.claimed_at IS NULL AND s.attempts = 0")" 5 \
	"each: step 1, queued, unclaimed, for the enrolment's lead and client"
expect_eq "$(sql "SELECT string_agg(enrollment_id || '=' || scheduled_send_time, ',' ORDER BY enrollment_id) FROM email_sends WHERE campaign_id = '$A'")" \
	"$DUE_BEFORE" "each send is due at its enrolment's next_send_at"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$A' AND status = 'active' AND current_step = 1
	AND next_send_at = updated_at + interval '60 minutes' AND updated_at >= '$T0'")" 5 \
	"the five enrolments: at step 1, due again step 2's delay (60 min) later"
expect_eq "$(state "$EOPT")" "completed 0 unsubscribed" "an opted-out lead's enrolment: completed 'unsubscribed'"
expect_eq "$(state "$EPREF")" "completed 0 unsubscribed" "...and one opted out in lead_preferences"
expect_eq "$(state "$EBAD")" "completed 0 invalid_email" "a lead marked email_invalid: completed 'invalid_email'"
expect_eq "$(state "$ENOMAIL")" "completed 0 invalid_email" "a lead without an e-mail: the same"
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE lead_id IN ('$OPT', '$PREF', '$BAD', '$NOMAIL')")" 0 "...and nothing queued for them"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE id IN ('$EOPT', '$EBAD') AND completed_at IS NOT NULL AND next_send_at IS NULL")" 2 \
	"completed enrolments have completed_at and no next_send_at"
expect_eq "$(state "$ELATER")" "active 0 -" "an enrolment due in an hour is left alone"
expect_eq "$(state "$EP")$(sends "$P")" "active 0 -0" "a paused campaign's due enrolment waits, nothing queued"
expect_eq "$(sql "SELECT status || ' ' || items_processed || ' ' || (finished_at IS NOT NULL) || ' ' || (error_message IS NULL)
	FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T0'")" "success 9 true true" \
	"the run is a workflow_executions row: success, 9 enrolments, closed"

# --- the next steps: delays respected, completion after the last ----------
run_job
expect_eq "$(sends "$A")" 5 "a second run at once queues nothing (step 2 is an hour away)"
sql "UPDATE lead_campaign_enrollments SET next_send_at = now() - interval '2 minutes' WHERE campaign_id = '$A' AND status = 'active' AND current_step = 1" >/dev/null
T1=$(sql "SELECT now()")
run_job
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$A' AND step_number = 2 AND scheduled_send_time < '$T1'")" 5 "an hour later: step 2 queued for the five"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$A' AND status = 'active' AND current_step = 2
	AND next_send_at = updated_at + interval '1440 minutes'")" 5 "...and the enrolments due a day later (step 3's delay)"
sql "UPDATE lead_campaign_enrollments SET next_send_at = now() - interval '1 minute' WHERE campaign_id = '$A' AND status = 'active' AND current_step = 2" >/dev/null
run_job
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$A' AND step_number = 3")" 5 "a day later: step 3 queued"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$A' AND status = 'completed' AND completion_reason = 'finished'
	AND current_step = 3 AND next_send_at IS NULL AND completed_at IS NOT NULL")" 5 "after the last step the five are completed 'finished'"
run_job
expect_eq "$(sends "$A")" 15 "nothing more: 15 sends, three steps for five leads"
expect_eq "$(sql "SELECT count(*) FROM (SELECT enrollment_id, step_number FROM email_sends WHERE campaign_id = '$A' GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 \
	"no step queued twice"

# --- steps need not be numbered without gaps --------------------------------
G=$(campaign "Gaps $S" active 0)
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes) VALUES ('$G', 3, 'Three', 'x', 0)" >/dev/null
EG=$(enrol "$G" "$(lead g1)" '1 minute')
run_job
expect_eq "$(sql "SELECT string_agg(step_number::text, ',' ORDER BY step_number) FROM email_sends WHERE enrollment_id = '$EG'")" "1,3" \
	"steps 1 and 3 (no 2): both queued, in order (step 3's delay 0: the same run)"
expect_eq "$(state "$EG")" "completed 3 finished" "...then finished"

# --- the scheduler switch paused: nothing queued, the run still recorded --
EW=$(enrol "$A" "$(lead w1)" '1 minute')
sql "UPDATE nurture_control SET paused = true, reason = 'test' WHERE name = 'scheduler'" >/dev/null
T2=$(sql "SELECT now()")
run_job
expect_eq "$RC" 0 "paused: the job still succeeds"
check "its log line says paused" grep -q 'job nurture-scheduler: paused' "$TMP/jobs.log"
expect_eq "$(state "$EW")$(sql "SELECT count(*) FROM email_sends WHERE enrollment_id = '$EW'")" "active 0 -0" "paused: the due enrolment is not queued"
expect_eq "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T2' AND status = 'success'")" 1 \
	"...and the run is recorded (the runbook's 'workflow stopped' query stays quiet)"
OUT=$(minicrm nurture schedule); RC=$?
expect_eq "$RC" 3 "minicrm nurture schedule while paused exits 3"
check "...saying paused" grep -q '^nurture schedule: paused' <<<"$OUT"
sql "UPDATE nurture_control SET paused = false WHERE name = 'scheduler'" >/dev/null
sql "UPDATE nurture_campaigns SET status = 'active' WHERE id = '$P'" >/dev/null
OUT=$(minicrm nurture schedule); RC=$?
expect_eq "$RC" 0 "resumed: minicrm nurture schedule exits 0"
check "...with its counts" grep -q '^nurture schedule: done, 2 due, 2 enrolments taken in 1 batches, 2 sends queued' <<<"$OUT"
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE enrollment_id IN ('$EW', '$EP')")" 2 "the waiting enrolment and the resumed campaign's are queued"

# The runbook's morning check: nothing overdue after a run.
OVERDUE=$(sql "SELECT 
  COUNT(*) as active_enrollments,
  COUNT(*) FILTER (WHERE next_send_at <= NOW()) as overdue,
  COUNT(*) FILTER (WHERE next_send_at <= NOW() + INTERVAL '1 hour') as due_soon
FROM lead_campaign_enrollments
WHERE status = 'active';" | cut -d'|' -f2)
expect_eq "$OVERDUE" "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE status = 'active' AND next_send_at <= now() AND organization_id <> '$C'")" \
	"the runbook's active-enrolments query: overdue = 0 (but other tests' paused campaigns')"

# --- two schedulers at once: no step twice, none missed ---------------------
T=$(campaign "Twins $S" active 0 0 0)
sql "INSERT INTO leads (client_id, external_id, first_name, email)
     SELECT '$C', 'twin-' || i, 'T', 'twin' || i || '@example.com' FROM generate_series(1, 4000) i" >/dev/null
sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at)
     SELECT '$C', id, '$T', now() - interval '1 minute' * (random() * 100) FROM leads WHERE client_id = '$C' AND external_id LIKE 'twin-%'" >/dev/null
T3=$(sql "SELECT now()")
NURTURE_SCHEDULER_BATCH=50 minicrm job run nurture-scheduler 2>"$TMP/twin-job.log" & P1=$!
NURTURE_SCHEDULER_BATCH=50 minicrm nurture schedule >"$TMP/twin1" 2>&1 & P2=$!
NURTURE_SCHEDULER_BATCH=50 minicrm nurture schedule >"$TMP/twin2" 2>&1 & P3=$!
sleep 0.3
NURTURE_SCHEDULER_BATCH=50 minicrm job run nurture-scheduler 2>"$TMP/twin-job2.log"; RC4=$?
wait $P1; RC1=$?; wait $P2; RC2=$?; wait $P3; RC3=$?
expect_eq "$RC1 $RC2 $RC3" "0 0 0" "three schedulers at once (the job and two CLI runs) all succeed"
check "a second job run while the first holds the job's lock skips (3), or ran after it (0)" test "$RC4" = 3 -o "$RC4" = 0
expect_eq "$(sends "$T")" 12000 "every step of the 4000 enrolments queued: 12000 sends"
expect_eq "$(sql "SELECT count(*) FROM (SELECT enrollment_id, step_number FROM email_sends WHERE campaign_id = '$T' GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 \
	"no step queued twice"
expect_eq "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$T' AND status = 'completed' AND completion_reason = 'finished' AND current_step = 3")" 4000 \
	"every enrolment finished"
expect_eq "$(sql "SELECT sum(items_processed) FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T3' AND status = 'success'")" 12000 \
	"the runs' items add up to the 12000 steps taken: none taken twice"
expect_eq "$(sql "SELECT count(*) FILTER (WHERE items_processed > 0) >= 2 FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T3'")" t \
	"the work was split between at least two runs"

# --- time up, a signal, a terminal, a failing batch, the worker ---------------
M=$(campaign "Many $S" active 0 60)
sql "INSERT INTO leads (client_id, external_id, email) SELECT '$C', 'many-' || i, 'm' || i || '@example.com' FROM generate_series(1, 3000) i;
     INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at)
     SELECT '$C', id, '$M', now() - interval '1 minute' FROM leads WHERE client_id = '$C' AND external_id LIKE 'many-%'" >/dev/null
OUT=$(NURTURE_SCHEDULER_MAX_RUNTIME=1 NURTURE_SCHEDULER_BATCH=10 minicrm nurture schedule); RC=$?
expect_eq "$RC" 3 "time up with enrolments left: exit 3"
check "...the line says partial after one batch on each of its two connections" grep -q '^nurture schedule: partial, 3000 due, 20 enrolments taken in 2 batches, 20 sends queued' <<<"$OUT"
expect_eq "$(sends "$M")" 20 "only those batches were queued"
if command -v script >/dev/null; then
	NURTURE_SCHEDULER_BATCH=100 script -qec "'$TOP/bin/minicrm' nurture schedule" /dev/null >"$TMP/tty" 2>&1
	check "on a terminal: a progress line, rewritten in place" grep -q $'\r.*of 2980 due enrolments taken, [0-9]* sends queued' "$TMP/tty"
	check "...and the summary line" grep -q 'nurture schedule: done, 2980 due, 2980 enrolments taken in [0-9]* batches' "$TMP/tty"
else
	minicrm nurture schedule >/dev/null
fi
expect_eq "$(sends "$M")" 3000 "the rest queued by the next run"
sql "UPDATE lead_campaign_enrollments SET next_send_at = now() - interval '1 minute' WHERE campaign_id = '$M'" >/dev/null
T5=$(sql "SELECT now()")
NURTURE_SCHEDULER_BATCH=10 "$TOP/bin/minicrm" nurture schedule >"$TMP/sig" 2>&1 & SIGPID=$!
for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$M' AND step_number = 2")" -gt 20 ] && break; sleep 0.05; done
kill -TERM $SIGPID; wait $SIGPID; RC=$?
expect_eq "$RC" 3 "SIGTERM: exit 3 (partial)"
check "...after whole batches" grep -q '^nurture schedule: partial' "$TMP/sig"
expect_eq "$(sql "SELECT status || ' ' || (items_processed % 10) FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T5'")" "success 0" \
	"the run is recorded, whole batches of 10"
expect_eq "$(( $(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$M' AND step_number = 2") + $(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$M' AND status = 'active'") ))" 3000 \
	"each enrolment either finished with step 2 queued or still waiting: none half-done"
# A batch that fails: the run is an error with its reason, the batches
# before it kept.
sql "CREATE FUNCTION ns_refuse_$S() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
	IF NEW.campaign_id = '$M' THEN RAISE EXCEPTION 'ns: sends of this campaign cannot be queued'; END IF;
	RETURN NEW;
     END \$\$;
     CREATE TRIGGER ns_refuse_$S BEFORE INSERT ON email_sends FOR EACH ROW EXECUTE FUNCTION ns_refuse_$S()" >/dev/null
T6=$(sql "SELECT now()")
minicrm job run nurture-scheduler 2>"$TMP/fail.log"; RC=$?
expect_eq "$RC" 1 "a batch that fails: the job fails (exit 1)"
check "its log line says why" grep -q 'job nurture-scheduler: failed: failed: .*ns: sends of this campaign cannot be queued' "$TMP/fail.log"
expect_eq "$(sql "SELECT status || ' ' || (error_message LIKE '%cannot be queued%') FROM workflow_executions WHERE workflow_name = '$SCHED' AND started_at >= '$T6'")" "error true" \
	"the run is recorded as an error"
expect_eq "$(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = '$SCHED' AND created_at >= '$T6' AND error_message LIKE '%cannot be queued%'")" 1 \
	"...and in workflow_errors"
sql "DROP TRIGGER ns_refuse_$S ON email_sends; DROP FUNCTION ns_refuse_$S()" >/dev/null
# The worker runs the job on its own.
NURTURE_SCHEDULER_INTERVAL=1 REPLAY_INTERVAL=0 ALERT_INTERVAL=0 HEALTH_INTERVAL=0 COMPACT_INTERVAL=0 PRUNE_INTERVAL=0 DEENROLL_INTERVAL=0 DEENROLL_CLEANUP_INTERVAL=0 NURTURE_ANALYTICS_INTERVAL=0 NURTURE_ALERTS_INTERVAL=0 \
	"$TOP/bin/minicrm" worker 2>"$TMP/worker.log" & WPID=$!
for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$M' AND status = 'active'")" = 0 ] && break; sleep 0.1; done
kill -TERM $WPID; wait $WPID 2>/dev/null
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$M' AND step_number = 2")" 3000 "the worker's nurture-scheduler job queued the rest"
check "it logs the job's line" grep -q 'job nurture-scheduler: done: ' "$TMP/worker.log"

# --- the analytics updater -------------------------------------------------
# Step 1 of the Welcome campaign went out yesterday: 5 sends, 4 delivered,
# 2 opened (one lead twice), 1 clicked, 1 bounced; one unsubscribe and one
# spam report yesterday; step 2 went out today. (The sixth lead's step 1,
# queued later, has not gone out.)
FIVE="'${L[1]}', '${L[2]}', '${L[3]}', '${L[4]}', '${L[5]}'"
sql "UPDATE email_sends SET send_status = 'sent', actual_send_time = current_date - 1 + time '10:00',
	delivered_at = CASE WHEN lead_id <> '${L[5]}' THEN current_date - 1 + time '10:01' END,
	opened_at = CASE WHEN lead_id IN ('${L[1]}', '${L[2]}') THEN current_date - 1 + time '11:00' END,
	first_click_at = CASE WHEN lead_id = '${L[1]}' THEN current_date - 1 + time '11:05' END
     WHERE campaign_id = '$A' AND step_number = 1 AND lead_id IN ($FIVE);
     UPDATE email_sends SET send_status = 'bounced', bounce_type = 'hard' WHERE campaign_id = '$A' AND step_number = 1 AND lead_id = '${L[5]}';
     UPDATE email_sends SET send_status = 'sent', actual_send_time = now() WHERE campaign_id = '$A' AND step_number = 2;
     INSERT INTO email_events (email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, event_timestamp, payload)
     SELECT id, organization_id, lead_id, campaign_id, 'unsubscribe', 'ns$S-u', current_date - 1 + time '12:00', '{}' FROM email_sends
      WHERE campaign_id = '$A' AND step_number = 1 AND lead_id = '${L[3]}';
     INSERT INTO email_events (email_send_id, event_type, event_hash, event_timestamp, payload)
     SELECT id, 'spamreport', 'ns$S-s', current_date - 1 + time '13:00', '{}' FROM email_sends
      WHERE campaign_id = '$A' AND step_number = 1 AND lead_id = '${L[4]}'" >/dev/null
YESTERDAY=$(sql "SELECT current_date - 1")
row() { sql "SELECT concat_ws(' ', emails_sent_today, emails_delivered_today, unique_opens_today, unique_clicks_today,
	bounces_today, unsubscribes_today, spam_reports_today, coalesce(delivery_rate::text, 'null'), coalesce(open_rate::text, 'null'),
	coalesce(click_rate::text, 'null'), coalesce(bounce_rate::text, 'null'), coalesce(unsubscribe_rate::text, 'null'), organization_id)
	FROM campaign_analytics WHERE campaign_id = '$A' AND analytics_date = '$1'"; }
T4=$(sql "SELECT now()")
minicrm job run nurture-analytics 2>>"$TMP/jobs.log"; RC=$?
expect_eq "$RC" 0 "minicrm job run nurture-analytics exits 0"
expect_eq "$(row "$YESTERDAY")" "5 4 2 1 1 1 1 80.00 40.00 20.00 20.00 20.00 $C" \
	"yesterday's row: 5 sent, 4 delivered, 2 opens, 1 click, 1 bounce, 1 unsubscribe, 1 spam report, and the rates"
expect_eq "$(sql "SELECT emails_sent_today || ' ' || unique_opens_today || ' ' || coalesce(open_rate::text, 'null') FROM campaign_analytics WHERE campaign_id = '$A' AND analytics_date = current_date")" \
	"5 0 0.00" "today's row: step 2's five sends, no opens yet"
expect_eq "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Analytics Updater' AND started_at >= '$T4' AND status = 'success'")" 1 \
	"the update is an Analytics Updater run"
SNAP=$(sql "SELECT string_agg(campaign_id::text || analytics_date || emails_sent_today || coalesce(open_rate::text, '') || coalesce(click_rate::text, '') || coalesce(unsubscribe_rate::text, ''), ',' ORDER BY campaign_id, analytics_date) FROM campaign_analytics WHERE organization_id = '$C'")
IDS=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM campaign_analytics WHERE organization_id = '$C'")
minicrm job run nurture-analytics 2>>"$TMP/jobs.log"
expect_eq "$(sql "SELECT string_agg(campaign_id::text || analytics_date || emails_sent_today || coalesce(open_rate::text, '') || coalesce(click_rate::text, '') || coalesce(unsubscribe_rate::text, ''), ',' ORDER BY campaign_id, analytics_date) FROM campaign_analytics WHERE organization_id = '$C'")|$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM campaign_analytics WHERE organization_id = '$C'")" \
	"$SNAP|$IDS" "run twice: the same rows, the same figures"
# The runbook's morning check reads them.
check "the runbook's engagement query finds yesterday's row" grep -q "^$A|$YESTERDAY|40.00|20.00|20.00$" <<<"$(sql "SELECT 
  campaign_id,
  analytics_date,
  open_rate,
  click_rate,
  unsubscribe_rate
FROM campaign_analytics
WHERE analytics_date = CURRENT_DATE - 1
ORDER BY campaign_id;")"
# A day on demand; a correction is picked up by running it again.
sql "UPDATE email_sends SET actual_send_time = '2026-03-03 09:00', opened_at = '2026-03-03 10:00' WHERE campaign_id = '$A' AND step_number = 3" >/dev/null
OUT=$(minicrm nurture analytics --date 2026-03-03); RC=$?
expect_eq "$RC" 0 "minicrm nurture analytics --date exits 0"
check "...naming the day" grep -q '^nurture analytics: [0-9]* campaign_analytics rows for 2026-03-03$' <<<"$OUT"
expect_eq "$(row 2026-03-03 | cut -d' ' -f1,3,9)" "5 5 100.00" "that day's row: step 3's five sends, all opened"
sql "UPDATE email_sends SET opened_at = NULL WHERE campaign_id = '$A' AND step_number = 3 AND lead_id = '${L[1]}'" >/dev/null
minicrm nurture analytics --date 2026-03-03 >/dev/null
expect_eq "$(row 2026-03-03 | cut -d' ' -f1,3,9)" "5 4 80.00" "run again after a correction: the row follows"
sql "UPDATE email_sends SET actual_send_time = now() WHERE campaign_id = '$A' AND step_number = 3" >/dev/null
minicrm nurture analytics --date 2026-03-03 >/dev/null
expect_eq "$(row 2026-03-03 | cut -d' ' -f1,3)" "0 0" "...and a day left without sends goes back to zeros, not stale figures"
minicrm nurture analytics --date 2026-02-30 >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "--date of no real day exits 2"
check "...saying why" grep -q 'YYYY-MM-DD' "$TMP/err"
minicrm nurture bogus >/dev/null 2>"$TMP/err"; RC=$?
expect_eq "$RC" 2 "an unknown subcommand exits 2"
check "the usage documents the exit codes" grep -q '5 no such campaign' "$TMP/err"

finish
