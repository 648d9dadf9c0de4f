#!/usr/bin/env bash
# The nurture dashboard, send queue, switches and workflow errors pages:
# the runbook's KPI table computed from email_sends / email_events /
# workflow_executions and coloured by its targets and thresholds, over a
# window and per client; the rate charts (SVG); the morning health check;
# campaign analytics and its CSV; the send queue's states, filters, failure
# reasons, CSV and its release / mark-sent actions; pausing and resuming the
# sender and scheduler (nurture_control), the sender's own pause shown at
# the top; workflow errors and their CSV. Everything hostile (subjects,
# failure reasons, SendGrid payloads, campaign names) is shown escaped.
# Viewers read; only admins post, with the CSRF token.
source "$(dirname "$0")/lib.sh"

ADMIN=nurture-$$@example.com
check "log in" login "$ADMIN" "nurture-password-$$"
ADMIN_ID=$(sql "SELECT id FROM admin_users WHERE email = '$ADMIN'")
C=nu$$
C2=nv$$
sql "INSERT INTO clients (slug, name) VALUES ('$C', 'Nurture pages'), ('$C2', 'Other client')" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = '$C'")
CID2=$(sql "SELECT id FROM clients WHERE slug = '$C2'")
XSS='<script>alert(1)</script>'
IMG='"><img src=x onerror=alert(3)>'

# The switches as they were (restored at the end); both paused meanwhile,
# so that no scheduler or sender of the instance's worker touches the rows
# below (the switch tests resume them last).
control() { sql "SELECT paused || '|' || reason || '|' || changed_by FROM nurture_control WHERE name = '$1'"; }
ORIG=$(sql "SELECT string_agg(format('(%L, %L, %L, %L)', name, paused, reason, changed_by), ',') FROM nurture_control")
sql "UPDATE nurture_control SET paused = true, reason = 'held by test_nurture_pages', changed_by = 'test_nurture_pages'" >/dev/null
# The switches as they were, and this test's campaigns gone (with their
# queued e-mails, which a later test's sender would otherwise send).
restore() {
	sql "UPDATE nurture_control c SET paused = o.paused::boolean, reason = o.reason, changed_by = o.changed_by FROM (VALUES $ORIG) o(name, paused, reason, changed_by) WHERE c.name = o.name" >/dev/null
	[ -n "${CAMP:-}" ] && sql "DELETE FROM nurture_campaigns WHERE id IN ('$CAMP', '${CAMP2:-$CAMP}')" >/dev/null
	return 0
}

# --- the data ---------------------------------------------------------------
CAMP=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CID', 'Welcome $XSS', 'hello@example.com') RETURNING id" | head -n 1)
CAMP2=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CID2', 'Elsewhere', 'x@example.com') RETURNING id" | head -n 1)
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template) SELECT '$CAMP', g, 'Step ' || g, 'Hi {{first_name}}' FROM generate_series(1, 40) g" >/dev/null
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template) VALUES ('$CAMP2', 1, 'Hello', 'Hi')" >/dev/null
L1=$(sql "INSERT INTO leads (client_id, external_id, first_name, last_name, email) VALUES ('$CID', 'nl1-$$', 'Ann', 'Lee', 'ann@example.com') RETURNING id" | head -n 1)
L2=$(sql "INSERT INTO leads (client_id, external_id, first_name, email) VALUES ('$CID', 'nl2-$$', 'Bob', 'bob@example.com') RETURNING id" | head -n 1)
L3=$(sql "INSERT INTO leads (client_id, external_id, first_name, email) VALUES ('$CID2', 'nl3-$$', 'Cid', 'cid@example.com') RETURNING id" | head -n 1)
# Ann is overdue, Bob due within the hour; Cid is another client's.
E1=$(sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at) VALUES ('$CID', '$L1', '$CAMP', now() - interval '5 minutes') RETURNING id" | head -n 1)
E2=$(sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at) VALUES ('$CID', '$L2', '$CAMP', now() + interval '30 minutes') RETURNING id" | head -n 1)
E3=$(sql "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, status, completion_reason) VALUES ('$CID2', '$L3', '$CAMP2', 'completed', 'finished') RETURNING id" | head -n 1)
# Yesterday noon (UTC, the portal's days): the runbook's morning check
# counts e-mails created then.
TODAY="(now() AT TIME ZONE 'UTC')::date"
Y="(($TODAY - 1 + time '12:00') AT TIME ZONE 'UTC')"
send() { # step status [column=value ...]: one of Ann's e-mails
	local step=$1 status=$2 cols='' vals=''
	shift 2
	[[ " $* " == *" scheduled_send_time="* ]] || set -- "$@" "scheduled_send_time=now()"
	for cv in "$@"; do cols+=", ${cv%%=*}"; vals+=", ${cv#*=}"; done
	sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, to_email$cols) VALUES ('$CID', '$E1', '$L1', '$CAMP', $step, '$status', 'ann@example.com'$vals) RETURNING id" | head -n 1
}
# 20 e-mails out yesterday (created, due, sent 2 minutes apart): 18 sent
# and delivered, 8 of them opened; 2 bounced (hard).
sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, created_at, scheduled_send_time, actual_send_time, to_email, subject, delivered_at, opened_at, bounce_type)
     SELECT '$CID', '$E1', '$L1', '$CAMP', g, CASE WHEN g <= 18 THEN 'sent' ELSE 'bounced' END,
            $Y - interval '3 minutes', $Y - interval '2 minutes', $Y, 'ann@example.com', 'Step ' || g,
            CASE WHEN g <= 18 THEN $Y + interval '1 minute' END,
            CASE WHEN g <= 8 THEN $Y + interval '2 hours' END,
            CASE WHEN g > 18 THEN 'hard' END
     FROM generate_series(1, 20) g" >/dev/null
# One sent 10 days ago (outside the 7-day window, inside the 30-day one),
# one failed yesterday (the morning check's failed), the queue's states,
# failures with reasons that try XSS, and another client's delivered one.
send 21 sent "created_at=now() - interval '10 days'" "actual_send_time=now() - interval '10 days'" "delivered_at=now() - interval '10 days'" "opened_at=now() - interval '10 days'" >/dev/null
send 22 failed "created_at=$Y" "failure_reason='SendGrid 400: invalid to address'" >/dev/null
STUCK=$(send 23 queued "scheduled_send_time=now() - interval '2 hours'")
FRESH=$(send 24 queued "scheduled_send_time=now() + interval '1 hour'")
UNSETTLED=$(send 25 queued "claimed_at=now() - interval '10 minutes'" "claimed_by='sender-host:4242'" "attempts=1" "subject='Unsettled $IMG'")
UNSETTLED2=$(send 26 queued "claimed_at=now() - interval '20 minutes'" "claimed_by='sender-host:4242'" "attempts=1")
SENDING=$(send 27 queued "claimed_at=now() - interval '1 minute'" "claimed_by='sender-host:4243'" "attempts=1")
send 28 failed "failure_reason='personalization: no value for {{company}}'" >/dev/null
send 29 failed "failure_reason='personalization: no value for {{company}}'" >/dev/null
XSSFAIL=$(send 30 failed "failure_reason='$XSS'" "subject='$IMG'")
sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time, actual_send_time, delivered_at) VALUES ('$CID2', '$E3', '$L3', '$CAMP2', 1, 'sent', $Y, $Y, $Y)" >/dev/null
# One unsubscribe yesterday (of 20 sent: 5 %), with a payload that tries XSS.
sql "INSERT INTO email_events (email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, event_timestamp, payload) SELECT id, organization_id, lead_id, campaign_id, 'unsubscribe', 'nurture-pages-$$', $Y + interval '3 hours', jsonb_build_object('reason', '$XSS') FROM email_sends WHERE enrollment_id = '$E1' AND step_number = 1" >/dev/null
# Runs: the scheduler 3 of 3 (and one running now, not counted), the
# sender 9 of 10; errors today, one with hostile text and payload.
SCHED='Lead Nurture - Message Scheduler'
SENDER='Lead Nurture - Email Sender'
sql "INSERT INTO workflow_executions (workflow_name, status, started_at, finished_at, created_at) SELECT '$SCHED', 'success', now() - g * interval '1 hour', now() - g * interval '1 hour', now() - g * interval '1 hour' FROM generate_series(1, 3) g" >/dev/null
sql "INSERT INTO workflow_executions (workflow_name, status) VALUES ('$SCHED', 'running')" >/dev/null
sql "INSERT INTO workflow_executions (workflow_name, status, started_at, finished_at, created_at) SELECT '$SENDER', 'success', now() - g * interval '1 hour', now() - g * interval '1 hour', now() - g * interval '1 hour' FROM generate_series(2, 10) g" >/dev/null
RUN=$(sql "INSERT INTO workflow_executions (workflow_name, status, started_at, finished_at, created_at, error_message) VALUES ('$SENDER', 'error', now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour', 'SendGrid 500') RETURNING id" | head -n 1)
sql "INSERT INTO workflow_errors (workflow_name, execution_id, error_message, context) VALUES ('$SENDER', $RUN, 'SendGrid said $XSS', jsonb_build_object('response', '$IMG')), ('$SENDER', NULL, 'timeout', '{}'), ('$SCHED', NULL, 'lock wait', '{}')" >/dev/null
# Analytics: yesterday's row for the campaign (the runbook's rates).
sql "INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today, emails_delivered_today, unique_opens_today, unique_clicks_today, bounces_today, unsubscribes_today, delivery_rate, open_rate, click_rate, bounce_rate, unsubscribe_rate) VALUES ('$CID', '$CAMP', $TODAY - 1, 200, 190, 80, 3, 20, 1, 95.00, 40.00, 1.50, 10.00, 0.50), ('$CID', '$CAMP', $TODAY - 40, 10, 10, 1, 1, 0, 0, 100, 10, 10, 0, 0), ('$CID2', '$CAMP2', $TODAY - 1, 1, 1, 0, 0, 0, 0, 100, 0, 0, 0, 0)" >/dev/null

# --- the dashboard --------------------------------------------------------------
kpi() { grep -o "<tr class=\"kpi level-[a-z]*\" id=\"kpi-$1\">.*</tr>" <<<"$BODY"; }
browse GET "/nurture?client=$C"
expect_status 200 "the nurture dashboard"
check "the layout has a Nurture link" grep -q '<a href="/nurture">Nurture</a>' <<<"$BODY"
check "delivery: 18 of 20 = 90 %, not < 90 %: warn" grep -q 'level-warn" id="kpi-delivery"><td class="name">Email Delivery Rate</td><td class="value level-warn" title="warn">90 % <span class="level">warn</span></td><td class="target">&gt; 95 %</td><td class="alert-if">&lt; 90 %</td><td class="detail">18 delivered of 20 sent</td>' <<<"$(kpi delivery)"
check "open: 8 of 20 = 40 %: ok" grep -q 'level-ok" id="kpi-open">.*40 % .*&gt; 30 %.*&lt; 20 %.*8 opened of 20 sent' <<<"$(kpi open)"
check "click: 0 of 20: bad" grep -q 'level-bad" id="kpi-click">.*0 % .*&gt; 5 %.*&lt; 2 %' <<<"$(kpi click)"
check "unsubscribe: 1 of 20 = 5 %: bad" grep -q 'level-bad" id="kpi-unsubscribe">.*5 % .*&lt; 0.5 %.*&gt; 1 %.*1 unsubscribes of 20 sent' <<<"$(kpi unsubscribe)"
check "bounce: 2 of 20 = 10 %, not > 10 %: warn" grep -q 'level-warn" id="kpi-bounce">.*10 % .*&lt; 5 %.*&gt; 10 %' <<<"$(kpi bounce)"
check "the scheduler's target and threshold" grep -q 'id="kpi-scheduler">.*&gt; 99 %.*&lt; 95 %' <<<"$(kpi scheduler)"
check "the sender's target and threshold" grep -q 'id="kpi-sender">.*&gt; 98 %.*&lt; 95 %' <<<"$(kpi sender)"
check "seven rows, the runbook's order" test "$(grep -o 'id="kpi-[a-z]*"' <<<"$BODY" | tr '\n' ' ')" = 'id="kpi-delivery" id="kpi-open" id="kpi-click" id="kpi-unsubscribe" id="kpi-bounce" id="kpi-scheduler" id="kpi-sender" '
# The run rates are every client's, and other tests' runs (and the
# worker's) count too: the page's counts are checked against the table,
# read before and after it (a run recorded meanwhile makes them differ:
# then only the judgement is checked), and its judgement against the
# runbook's bounds, recomputed here from its counts.
runs() { sql "SELECT count(*) FILTER (WHERE status = 'success') || ' successful of ' || count(*) || ' runs' FROM workflow_executions WHERE workflow_name = '$1' AND created_at >= now() - interval '7 days' AND (status <> 'running' OR started_at < now() - interval '1 hour')"; }
judge() { # ok value, runs, target bp, alert bp -> the level the runbook gives
	local ok=$1 n=$2 target=$3 alert=$4 bp
	[ "$n" -eq 0 ] && { echo none; return; }
	bp=$(( (20000 * ok + n) / (2 * n) ))
	if [ "$bp" -gt "$target" ]; then echo ok; elif [ "$bp" -lt "$alert" ]; then echo bad; else echo warn; fi
}
for w in "scheduler|$SCHED|9900|9500" "sender|$SENDER|9800|9500"; do
	IFS='|' read -r key name target alert <<<"$w"
	before=$(runs "$name")
	browse GET "/nurture?client=$C"
	after=$(runs "$name")
	shown=$(kpi "$key" | sed -n 's/.*<td class="detail">\([0-9]*\) successful of \([0-9]*\) runs<.*/\1 \2/p')
	level=$(kpi "$key" | sed -n 's/.*<tr class="kpi level-\([a-z]*\)".*/\1/p')
	read -r ok n <<<"$shown"
	[ "$before" = "$after" ] && check "$key: the runs counted are the table's ($before)" test "$ok successful of $n runs" = "$before"
	check "$key: the page's runs include this test's" test "${n:-0}" -ge 3
	check "$key: judged as the runbook's table reads ($shown: $level)" test "$level" = "$(judge "${ok:-0}" "${n:-0}" "$target" "$alert")"
done
check "a run still running for less than an hour is not counted (the scheduler's: $(runs "$SCHED"))" test "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = '$SCHED' AND status = 'running' AND started_at > now() - interval '1 hour'")" -ge 1
browse GET "/nurture?client=$C&days=30"
check "30 days: the e-mail of 10 days ago counts (19 of 21 delivered)" grep -q '19 delivered of 21 sent' <<<"$(kpi delivery)"
check "...the window menu says 30" grep -q '<option value="30" selected>' <<<"$BODY"
ALL="SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL) || ' delivered of ' || count(*) || ' sent' FROM email_sends WHERE send_status IN ('sent', 'bounced') AND actual_send_time >= now() - interval '7 days'"
before=$(sql "$ALL")
browse GET "/nurture"
after=$(sql "$ALL")
check "every client: the other client's e-mail counts too (at least 19 of 21)" grep -q '<td class="detail">\(19\|[2-9][0-9]\|[0-9]\{3,\}\) delivered of \(2[1-9]\|[3-9][0-9]\|[0-9]\{3,\}\) sent</td>' <<<"$(kpi delivery)"
[ "$before" = "$after" ] && check "...every client's e-mails, as the table has them ($before)" grep -q "<td class=\"detail\">$before</td>" <<<"$(kpi delivery)"
browse GET "/nurture?client=$C2"
check "the other client alone: 1 of 1 delivered, ok" grep -q 'level-ok" id="kpi-delivery">.*1 delivered of 1 sent' <<<"$(kpi delivery)"
check "...nothing opened: bad" grep -q 'level-bad" id="kpi-open"' <<<"$BODY"
browse GET "/nurture?client=nosuch$$"
expect_status 400 "an unknown client is 400"
browse GET "/nurture?days=5"
expect_status 400 "a window that is not offered is 400"
browse GET "/nurture?days=x"
expect_status 400 "a window that is no number is 400"

browse GET "/nurture?client=$C"
YDAY=$(sql "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 day', 'YYYY-MM-DD')")
check "five rate charts, drawn as SVG" test "$(grep -c '<svg class="chart" viewBox="0 0 672 190" role="img"' <<<"$BODY")" = 5
check "the open-rate chart" grep -q '<figure class="rate-chart" id="chart-open">' <<<"$BODY"
check "...yesterday's bar: 40 %, 8 of 20" grep -qF "<title>$YDAY: 40 % (8 opened of 20 sent)</title>" <<<"$BODY"
check "...its bar 40 % of the highest day's (100 %, 10 days ago)" grep -qF '<rect class="t0" x="6" y="96" width="36" height="64"/>' <<<"$BODY"
check "...which fills the chart" grep -qF '<rect class="t0" x="6" y="0" width="36" height="160"/>' <<<"$BODY"
check "...and says so" grep -qF '<figcaption>Open rate <small>(the highest day: 100 %)</small></figcaption>' <<<"$BODY"
check "the delivery chart: 90 % yesterday" grep -qF "<title>$YDAY: 90 % (18 delivered of 20 sent)</title>" <<<"$BODY"
check "the bounce chart says 10 %" grep -qF "<title>$YDAY: 10 % (2 bounced of 20 sent)</title>" <<<"$BODY"
check "the unsubscribe chart says 5 %" grep -qF "<title>$YDAY: 5 % (1 unsubscribes of 20 sent)</title>" <<<"$BODY"
check "a day without e-mail has no rate" grep -qF ': no e-mail sent</title>' <<<"$BODY"

check "morning: 21 e-mails created yesterday" grep -q '<dd id="morning-emails">21</dd>' <<<"$BODY"
check "...18 sent" grep -q '<dd id="morning-successful">18</dd>' <<<"$BODY"
check "...1 failed: not under 1 %, marked" grep -q '<dd id="morning-failed" class="past">1</dd>' <<<"$BODY"
check "...an average delay of 120 s, marked" grep -q '<dd id="morning-delay"><span class="past">120 s</span></dd>' <<<"$BODY"
check "...2 active enrolments" grep -q '<dd id="morning-active">2</dd>' <<<"$BODY"
check "...1 overdue, marked" grep -q '<dd id="morning-overdue" class="past">1</dd>' <<<"$BODY"
check "...2 due within the hour" grep -q '<dd id="morning-due-soon">2</dd>' <<<"$BODY"
ERRS=$(sql "SELECT count(*) FROM workflow_errors WHERE created_at >= (now() AT TIME ZONE 'UTC')::date AT TIME ZONE 'UTC'")
SERRS=$(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = '$SENDER' AND created_at >= (now() AT TIME ZONE 'UTC')::date AT TIME ZONE 'UTC'")
check "...today's workflow errors (every client's: $ERRS, 3 of them this test's), marked" grep -q "<dd id=\"morning-errors\" class=\"past\"><a href=\"/nurture/errors\">$ERRS</a></dd>" <<<"$BODY"
check "...by workflow: the sender's $SERRS" grep -q "$SENDER</a></td><td class=\"count\">$SERRS</td>" <<<"$(grep -A8 'id="errors-today"' <<<"$BODY")"

check "analytics: yesterday's row, the campaign name escaped" grep -qF "<td class=\"campaign\"><a href=\"/nurture/sends?campaign=$CAMP\">Welcome &lt;script&gt;alert(1)&lt;/script&gt;</a>" <<<"$BODY"
ROW=$(grep -A1 "campaign=$CAMP\">Welcome" <<<"$BODY" | tail -n 1)
check "...its rates judged: delivery 95 % warn, open 40 % ok, click 1.5 % bad, bounce 10 % warn, unsubscribe 0.5 % warn" grep -qF '<td class="rate delivery level-warn">95 %</td><td class="rate open level-ok">40 %</td><td class="rate click level-bad">1.5 %</td><td class="rate bounce level-warn">10 %</td><td class="rate unsubscribe level-warn">0.5 %</td>' <<<"$ROW"
check "...not the row of 40 days ago (outside the window)" test "$(grep -c 'class="analytics"' <<<"$BODY")" = 1
check "no raw script anywhere" bash -c '! grep -qF "<script>alert" <<<"$0"' "$BODY"
check "the switches: both, held paused by this test" test "$(grep -c 'class="switch paused"' <<<"$BODY")" = 2
check "an admin sees the resume forms" grep -q 'action="/nurture/sender/resume"' <<<"$BODY"
CSRF=$(field csrf)

request GET "/nurture/analytics.csv?client=$C&days=90" -b "$JAR"
expect_status 200 "the analytics CSV"
expect_header '^Content-Type: text/csv' "...is CSV"
expect_header 'attachment; filename="nurture-analytics.csv"' "...a download"
expect_header "^Content-Security-Policy: default-src 'none'" "...that runs nothing"
check "...header row" grep -q '^analytics_date,client,campaign_id,campaign_name,emails_sent_today,emails_delivered_today,unique_opens_today,unique_clicks_today,bounces_today,unsubscribes_today,spam_reports_today,delivery_rate,open_rate,click_rate,bounce_rate,unsubscribe_rate,updated_at' <<<"$BODY"
check "...yesterday's row with its rates" grep -qF "$(sql "SELECT ($TODAY - 1)::text"),$C,$CAMP,Welcome $XSS,200,190,80,3,20,1,0,95.00,40.00,1.50,10.00,0.50," <<<"$BODY"
check "...90 days: the older row too, newest first" test "$(grep -c ",$CAMP," <<<"$BODY")" = 2
check "...not the other client's" bash -c '! grep -q "$0" <<<"$1"' "$CAMP2" "$BODY"

# --- the send queue -------------------------------------------------------------
browse GET "/nurture/sends?client=$C"
expect_status 200 "the send queue"
check "5 queued" grep -q "<dd id=\"count-queued\"><a href=\"/nurture/sends?state=queued&amp;client=$C\">5</a></dd>" <<<"$BODY"
check "1 stuck, marked" grep -q "<dd id=\"count-stuck\" class=\"past\"><a href=\"/nurture/sends?state=stuck&amp;client=$C\">1</a></dd>" <<<"$BODY"
check "2 claimed and never settled, marked" grep -q "<dd id=\"count-unsettled\" class=\"past\"><a href=\"/nurture/sends?state=unsettled&amp;client=$C\">2</a></dd>" <<<"$BODY"
DAYFAILED=$(sql "SELECT count(*) FROM email_sends WHERE organization_id = '$CID' AND send_status = 'failed' AND created_at >= now() - interval '1 day'")
check "the last day's failures ($DAYFAILED)" grep -q "<dd id=\"count-failed\"><a href=\"/nurture/sends?state=failed&amp;client=$C\">$DAYFAILED</a></dd>" <<<"$BODY"
FAILROWS=$(grep -A8 'id="failures"' <<<"$BODY")
check "failures by reason: the missing token twice, first" grep -qF '<tr class="failure"><td class="reason">personalization: no value for {{company}}</td><td class="count">2</td></tr>' <<<"$(grep -m1 'class="failure"' <<<"$FAILROWS")"
check "...the hostile reason escaped" grep -qF '<td class="reason">&lt;script&gt;alert(1)&lt;/script&gt;</td><td class="count">1</td>' <<<"$FAILROWS"
check "the first page lists 30 e-mails (sends of this client)" test "$(grep -c '<tr class="send state-' <<<"$BODY")" = 30
check "the stuck one is marked stuck" grep -q "<tr class=\"send state-stuck\" id=\"send-$STUCK\">" <<<"$BODY"
check "the one due later is queued" grep -q "<tr class=\"send state-queued\" id=\"send-$FRESH\">" <<<"$BODY"
check "the one claimed a minute ago is sending (no action)" grep -q "<tr class=\"send state-sending\" id=\"send-$SENDING\">" <<<"$BODY"
check "...and offers nothing" bash -c '! grep -q "$0/release" <<<"$1"' "$SENDING" "$BODY"
check "the unsettled one offers release and mark sent" grep -q "action=\"/nurture/sends/$UNSETTLED/release\"" <<<"$BODY"
check "...its subject escaped" grep -qF 'Unsettled &quot;&gt;&lt;img src=x onerror=alert(3)&gt;' <<<"$BODY"
check "...the claim and who made it" grep -q "id=\"send-$UNSETTLED\">.*sender-host:4242" <<<"$BODY"
check "no raw img tag" bash -c '! grep -qF "<img src=x" <<<"$0"' "$BODY"
check "the lead links to its page" grep -q "<a href=\"/leads/$L1\">Ann Lee</a>" <<<"$BODY"
browse GET "/nurture/sends?state=unsettled&client=$C"
check "state=unsettled: the two unsettled" test "$(grep -c '<tr class="send state-unsettled"' <<<"$BODY")" = 2
check "...nothing else" test "$(grep -c '<tr class="send ' <<<"$BODY")" = 2
browse GET "/nurture/sends?state=stuck&client=$C"
check "state=stuck: the runbook's Issue 1 rows (due over an hour ago, queued)" test "$(grep -c '<tr class="send ' <<<"$BODY")" = 1
browse GET "/nurture/sends?state=failed&client=$C"
check "state=failed: all 4" test "$(grep -c '<tr class="send state-failed"' <<<"$BODY")" = 4
browse GET "/nurture/sends?state=bounced&client=$C"
check "state=bounced: 2, with their type" test "$(grep -c 'bounce: hard' <<<"$BODY")" = 2
browse GET "/nurture/sends?state=sent&campaign=$CAMP2"
check "campaign filter: the other campaign's one sent" test "$(grep -c '<tr class="send state-sent"' <<<"$BODY")" = 1
check "...the campaign menu selects it" grep -q "<option value=\"$CAMP2\" selected>$C2: Elsewhere</option>" <<<"$BODY"
browse GET "/nurture/sends?state=sent&client=$C2"
check "client filter: the other client's one" test "$(grep -c '<tr class="send ' <<<"$BODY")" = 1
browse GET "/nurture/sends?state=nonsense"
expect_status 400 "an unknown state is 400"
browse GET "/nurture/sends?campaign=x"
expect_status 400 "a malformed campaign is 400"
browse GET "/nurture/sends?before=x"
expect_status 400 "a malformed page marker is 400"
browse GET "/nurture/sends?client=nosuch"
expect_status 400 "an unknown client is 400"

# Paging: 60 more e-mails of Bob's, pages of 50, newest first.
sql "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time, actual_send_time, created_at) SELECT '$CID', '$E2', '$L2', '$CAMP', g, 'sent', now(), now(), now() - g * interval '1 second' FROM generate_series(1, 40) g" >/dev/null
browse GET "/nurture/sends?client=$C&state=sent"
check "the first page: 50" test "$(grep -c '<tr class="send ' <<<"$BODY")" = 50
NEXT=$(grep -o 'href="[^"]*" *rel="next"\|rel="next" href="[^"]*"' <<<"$BODY" | sed 's/.*href="\([^"]*\)".*/\1/; s/&amp;/\&/g')
browse GET "$NEXT"
check "the next page: the other 9 (19 + 40 sent)" test "$(grep -c '<tr class="send ' <<<"$BODY")" = 9
check "...no further page" bash -c '! grep -q "rel=\"next\"" <<<"$0"' "$BODY"
check "...a link to the newest" grep -q 'class="first-page"' <<<"$BODY"

request GET "/nurture/sends/export.csv?client=$C&state=failed" -b "$JAR"
expect_status 200 "the sends CSV"
expect_header '^Content-Type: text/csv' "...is CSV"
expect_header 'attachment; filename="nurture-sends.csv"' "...a download"
check "...header row" grep -q '^id,created_at,scheduled_send_time,actual_send_time,state,client,campaign_id,campaign_name,step_number,lead_id,lead_name,to_email,subject,attempts,failure_reason,bounce_type,claimed_at,claimed_by,sendgrid_message_id,delivered_at,opened_at,first_click_at,next_attempt_at' <<<"$BODY"
check "...the 4 failed" test "$(grep -c ',failed,' <<<"$BODY")" = 4
check "...the hostile one quoted as text" grep -qF "$XSSFAIL," <<<"$BODY"
check "...its subject quoted (it has a quote)" grep -qF '"""><img src=x onerror=alert(3)>"' <<<"$BODY"
check "...the reason with its token" grep -qF 'personalization: no value for {{company}}' <<<"$BODY"
request GET "/nurture/sends/export.csv?state=nonsense" -b "$JAR"
expect_status 400 "the CSV refuses an unknown state"
request GET "/nurture/sends/export.csv?client=$C" -b "$JAR"
check "the CSV of every state has every e-mail of the client (70)" test "$(tail -n +2 <<<"$BODY" | grep -c .)" = 70

# Release and mark sent.
events_sent() { sql "SELECT count(*) FROM lead_activity_log WHERE lead_id = '$L1' AND event_type = 'EMAIL_SENT'"; }
browse POST "/nurture/sends/$UNSETTLED/release" --data-urlencode "csrf=wrong"
expect_status 403 "release without the CSRF token is refused"
check "...still claimed" test "$(sql "SELECT claimed_at IS NOT NULL FROM email_sends WHERE id = '$UNSETTLED'")" = t
browse POST "/nurture/sends/$SENDING/release" --data-urlencode "csrf=$CSRF"
expect_status 409 "a send claimed a minute ago (its sender may be in the call) is not released"
check "...still claimed" test "$(sql "SELECT claimed_by FROM email_sends WHERE id = '$SENDING'")" = sender-host:4243
browse POST "/nurture/sends/$UNSETTLED/release" --data-urlencode "csrf=$CSRF"
expect_status 303 "release the unsettled one"
expect_header '^Location: /nurture/sends\?state=unsettled&done=released' "...back to the unsettled"
check "...unclaimed, queued: the sender sends it again" test "$(sql "SELECT send_status || '|' || (claimed_at IS NULL) || '|' || (claimed_by IS NULL) FROM email_sends WHERE id = '$UNSETTLED'")" = "queued|true|true"
browse POST "/nurture/sends/$UNSETTLED/release" --data-urlencode "csrf=$CSRF"
expect_status 409 "released twice: 409"
browse POST "/nurture/sends/$FRESH/mark-sent" --data-urlencode "csrf=$CSRF"
expect_status 409 "an unclaimed queued one cannot be marked sent"
check "...still queued" test "$(sql "SELECT send_status FROM email_sends WHERE id = '$FRESH'")" = queued
BEFORE=$(events_sent)
browse POST "/nurture/sends/$UNSETTLED2/mark-sent" --data-urlencode "csrf=$CSRF"
expect_status 303 "mark the other unsettled one sent"
check "...sent, at its claim" test "$(sql "SELECT send_status || '|' || (actual_send_time = claimed_at) FROM email_sends WHERE id = '$UNSETTLED2'")" = "sent|true"
check "...one EMAIL_SENT event in the lead's timeline, with the actor" test "$(sql "SELECT (metadata->>'email_send_id') || '|' || (metadata->>'actor') || '|' || (metadata->>'actor_id') || '|' || idempotency_key FROM lead_activity_log WHERE lead_id = '$L1' AND event_type = 'EMAIL_SENT'")" = "$UNSETTLED2|$ADMIN|$ADMIN_ID|nurture:$UNSETTLED2:sent"
check "...one more event" test "$(events_sent)" = $((BEFORE + 1))
browse POST "/nurture/sends/$UNSETTLED2/mark-sent" --data-urlencode "csrf=$CSRF"
expect_status 409 "marked twice: 409"
browse POST "/nurture/sends/00000000-0000-4000-8000-000000000000/release" --data-urlencode "csrf=$CSRF"
expect_status 409 "an unknown send: 409, nothing to release"
browse POST "/nurture/sends/not-a-uuid/release" --data-urlencode "csrf=$CSRF"
expect_status 404 "a malformed send id is 404"
browse GET "/nurture/sends?state=unsettled&client=$C&done=released"
check "the page says what happened" grep -q 'id="flash">Released: the sender will send it again.' <<<"$BODY"
check "...and no unsettled e-mail is left" grep -q '<p class="empty">No e-mail matches.</p>' <<<"$BODY"

# --- workflow errors -------------------------------------------------------------
browse GET /nurture/errors
expect_status 200 "the workflow errors"
E_XSS=$(sql "SELECT max(id) FROM workflow_errors WHERE execution_id = $RUN")
E_TIMEOUT=$(sql "SELECT max(id) FROM workflow_errors WHERE workflow_name = '$SENDER' AND error_message = 'timeout'")
E_LOCK=$(sql "SELECT max(id) FROM workflow_errors WHERE workflow_name = '$SCHED' AND error_message = 'lock wait'")
check "this test's three errors are listed" test "$(grep -c "<tr class=\"werror\" id=\"error-\($E_XSS\|$E_TIMEOUT\|$E_LOCK\)\">" <<<"$BODY")" = 3
check "the message escaped" grep -qF '<td class="message">SendGrid said &lt;script&gt;alert(1)&lt;/script&gt;</td>' <<<"$BODY"
check "the SendGrid payload escaped" grep -qF '&quot;&gt;&lt;img src=x onerror=alert(3)&gt;' <<<"$BODY"
check "...never raw" bash -c '! grep -qF "<img src=x" <<<"$0" && ! grep -qF "<script>alert" <<<"$0"' "$BODY"
check "the run it belongs to" grep -q "<td class=\"execution\">$RUN</td>" <<<"$BODY"
check "newest first" test "$(grep -o 'id="error-[0-9]*"' <<<"$BODY" | tr -dc '0-9\n' | sort -rn | tr '\n' ' ')" = "$(grep -o 'id="error-[0-9]*"' <<<"$BODY" | tr -dc '0-9\n' | tr '\n' ' ')"
browse GET "/nurture/errors?workflow=$(jq -rn --arg s "$SCHED" '$s|@uri')"
check "filtered by workflow: the scheduler's error" grep -q "id=\"error-$E_LOCK\"" <<<"$BODY"
check "...not the sender's" bash -c '! grep -q "id=\"error-$0\"" <<<"$1"' "$E_XSS" "$BODY"
check "...only the scheduler's" bash -c '! grep -q "<td class=\"workflow\">$0</td>" <<<"$1"' "$SENDER" "$BODY"
browse GET "/nurture/errors?workflow=nonsense"
expect_status 400 "an unknown workflow is 400"
request GET "/nurture/errors.csv?workflow=$(jq -rn --arg s "$SENDER" '$s|@uri')" -b "$JAR"
expect_status 200 "the errors CSV"
expect_header 'attachment; filename="nurture-errors.csv"' "...a download"
check "...header row" grep -q '^id,created_at,workflow_name,execution_id,error_message,context' <<<"$BODY"
check "...the sender's two of this test" test "$(grep -c "^\($E_XSS\|$E_TIMEOUT\),[^,]*,$SENDER," <<<"$BODY")" = 2
check "...not the scheduler's" bash -c '! grep -q "^$0," <<<"$1"' "$E_LOCK" "$BODY"
check "...the payload as JSON text, quoted" grep -qF '"{""response"": ""\""><img src=x onerror=alert(3)>""}"' <<<"$BODY"

# --- the switches ---------------------------------------------------------------
browse POST /nurture/sender/resume --data-urlencode "csrf=wrong"
expect_status 403 "resuming without the CSRF token is refused"
check "...the sender stays paused" test "$(control sender)" = "true|held by test_nurture_pages|test_nurture_pages"
browse POST /nurture/sender/resume --data-urlencode "csrf=$CSRF"
expect_status 303 "resume the sender (no reason needed)"
expect_header '^Location: /nurture\?done=sender-resumed#switches' "...back to the dashboard"
check "...running, by this admin" test "$(control sender)" = "false||portal:$ADMIN"
browse POST /nurture/sender/pause --data-urlencode "csrf=wrong" --data-urlencode "reason=x"
expect_status 403 "pausing without the CSRF token is refused"
check "...the sender runs on" test "$(control sender)" = "false||portal:$ADMIN"
browse POST /nurture/sender/pause --data-urlencode "csrf=$CSRF"
expect_status 400 "a pause needs a reason"
check "...nothing changed" test "$(control sender)" = "false||portal:$ADMIN"
browse POST /nurture/sender/pause --data-urlencode "csrf=$CSRF" --data-urlencode "reason=$(printf 'x%.0s' {1..501})"
expect_status 400 "a reason over 500 characters is refused"
check "...nothing changed" test "$(control sender)" = "false||portal:$ADMIN"
browse POST /nurture/sender/pause --data-urlencode "csrf=$CSRF" --data-urlencode "reason=SendGrid is down $XSS"
expect_status 303 "pause the sender"
expect_header '^Location: /nurture\?done=sender-paused#switches' "...back to the dashboard"
check "nurture_control: paused, the reason, who" test "$(control sender)" = "true|SendGrid is down $XSS|portal:$ADMIN"
check "...the scheduler untouched" test "$(control scheduler)" = "true|held by test_nurture_pages|test_nurture_pages"
browse GET "/nurture?done=sender-paused"
check "the page says so" grep -q 'id="flash">The sender is paused.' <<<"$BODY"
check "...and shows why at the top, escaped" grep -qF '<p class="alert paused" role="alert" id="sender-paused"><strong>The sender is paused:</strong> <span class="reason">SendGrid is down &lt;script&gt;alert(1)&lt;/script&gt;</span>' <<<"$BODY"
check "...with who" grep -q "id=\"sender-paused\">.*portal:$ADMIN" <<<"$BODY"
check "...and offers to resume it" grep -q 'action="/nurture/sender/resume"' <<<"$BODY"
browse POST /nurture/scheduler/resume --data-urlencode "csrf=$CSRF" --data-urlencode "reason=go"
expect_status 303 "resume the scheduler"
check "...running" test "$(control scheduler)" = "false|go|portal:$ADMIN"
browse POST /nurture/scheduler/pause --data-urlencode "csrf=$CSRF" --data-urlencode "reason=migration"
expect_status 303 "pause the scheduler"
check "...paused" test "$(control scheduler)" = "true|migration|portal:$ADMIN"
browse GET /nurture
check "...shown at the top" grep -q '<p class="alert paused" role="alert" id="scheduler-paused"><strong>The scheduler is paused:</strong> <span class="reason">migration</span>' <<<"$BODY"
# The sender pauses itself on a revoked key (as nurture_set_paused does).
sql "UPDATE nurture_control SET paused = true, reason = 'SendGrid answered 401: the API key was refused', changed_by = 'nurture-sender', changed_at = now() WHERE name = 'sender'" >/dev/null
browse GET /nurture
check "the sender's own pause is shown prominently, with its reason" grep -qF '<p class="alert paused" role="alert" id="sender-paused"><strong>The sender is paused (it paused itself):</strong> <span class="reason">SendGrid answered 401: the API key was refused</span>' <<<"$BODY"
browse POST /nurture/sender/resume --data-urlencode "csrf=$CSRF" --data-urlencode "reason=new key installed"
check "...resumed from the portal" test "$(control sender)" = "false|new key installed|portal:$ADMIN"
browse GET /nurture
check "...the banner is gone" bash -c '! grep -q "id=\"sender-paused\"" <<<"$0"' "$BODY"

# --- the runbook's "manually trigger Analytics Updater" (Issue 5) ----------------
check "the dashboard offers to update the analytics" grep -q 'id="analytics-update-form"' <<<"$BODY"
REAL=$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$CAMP' AND DATE(actual_send_time) = CURRENT_DATE - 1")
browse POST /nurture/analytics/update --data-urlencode "csrf=wrong"
expect_status 403 "update the analytics without the CSRF token"
check "...yesterday's row is as it was (200 sent)" test "$(sql "SELECT emails_sent_today FROM campaign_analytics WHERE campaign_id = '$CAMP' AND analytics_date = CURRENT_DATE - 1")" = 200
browse POST /nurture/analytics/update --data-urlencode "csrf=$CSRF" --data-urlencode "date=2026-02-30"
expect_status 400 "a day that does not exist is refused"
check "...naming the form it must have" grep -q 'YYYY-MM-DD' <<<"$BODY"
browse POST /nurture/analytics/update --data-urlencode "csrf=$CSRF" --data-urlencode "date="
expect_status 303 "update the analytics now (yesterday and today)"
expect_header '^Location: /nurture\?done=analytics-updated#analytics' "...back to the dashboard's analytics"
check "...yesterday's row now counts the campaign's real e-mails ($REAL)" test "$(sql "SELECT emails_sent_today FROM campaign_analytics WHERE campaign_id = '$CAMP' AND analytics_date = CURRENT_DATE - 1")" = "$REAL"
check "...recorded as a run of the Analytics Updater" test "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Analytics Updater' AND status = 'success' AND created_at > now() - interval '1 minute'")" -ge 1
browse GET "/nurture?done=analytics-updated"
check "...and the page says so" grep -q 'id="flash">The campaign analytics are up to date' <<<"$BODY"

# --- a viewer ---------------------------------------------------------------------
JAR=$TMP/viewer
VIEWER=nurture-viewer-$$@example.com
check "a viewer logs in" login "$VIEWER" "viewer-password-$$" viewer
browse GET /nurture
expect_status 200 "a viewer reads the dashboard"
check "...without the switch forms" bash -c '! grep -q "switch-form" <<<"$0"' "$BODY"
VCSRF=$(field csrf)
browse GET "/nurture/sends?state=unsettled&client=$C"
expect_status 200 "a viewer reads the send queue"
browse POST /nurture/sender/pause --data-urlencode "csrf=$VCSRF" --data-urlencode "reason=viewer"
expect_status 403 "a viewer cannot pause the sender"
check "...the sender runs on" test "$(control sender)" = "false|new key installed|portal:$ADMIN"
browse POST "/nurture/sends/$SENDING/mark-sent" --data-urlencode "csrf=$VCSRF"
expect_status 403 "a viewer cannot mark an e-mail sent"
browse POST /nurture/analytics/update --data-urlencode "csrf=$VCSRF"
expect_status 403 "a viewer cannot update the analytics"
check "...nor sees the button" bash -c '! grep -q "analytics-update-form" <<<"$0"' "$(curl -s -b "$JAR" "$BASE/nurture")"
browse GET /nurture/errors
expect_status 200 "a viewer reads the errors"

restore
finish
