#!/usr/bin/env bash
# The nurture e-mail sender (job nurture-sender, "Lead Nurture - Email
# Sender") against the SendGrid stand-in (tests/http/sendgrid_standin.py):
# queued sends (inserted here, as the scheduler would) are rendered and
# sent; 202 → sent with SendGrid's message id and EMAIL_SENT in the lead's
# timeline; a token without a value → failed naming it, nothing sent; 400
# → failed with SendGrid's reason; 500 and timeouts → retried later with
# back-off, failed after five attempts; 429 → waits for the reset, sends;
# 401 → the sender pauses itself, one alert, nothing more sent until it is
# resumed; the rate cap; a send is never sent twice (two runs at once, a
# row another sender holds or claimed and never settled); opted-out
# leads; paused campaigns; sandbox mode; runs in workflow_executions.
source "$(dirname "$0")/lib.sh"

S=$$
SG_KEY="SG.test-key-$S.secret"
record_secret "$SG_KEY" "SG.revoked-$S.secret" "/nurture-secret-path"
SGDIR=$TMP/sg HOOK=$TMP/hook
mkdir -p "$SGDIR" "$HOOK"
python3 "$TOP/tests/http/sendgrid_standin.py" "$SGDIR" --key "$SG_KEY" & SG_PID=$!
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" & HOOK_PID=$!
OTHER_PID=
trap 'kill $SG_PID $HOOK_PID $OTHER_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$SGDIR/port" ] && [ -f "$HOOK/port" ] && break; sleep 0.1; done
SG=http://127.0.0.1:$(cat "$SGDIR/port")
export SENDGRID_API_URL=$SG SENDGRID_API_KEY=$SG_KEY SENDGRID_TIMEOUT=2
export NURTURE_ALERT_WEBHOOK=http://127.0.0.1:$(cat "$HOOK/port")/nurture-secret-path
export N8N_MAX_EMAILS_PER_MINUTE=0
unset SENDGRID_SANDBOX

alerts() { if [ -f "$HOOK/received" ]; then wc -l <"$HOOK/received"; else echo 0; fi; }
received() { curl -sS "$SG/_received"; }
# got FILTER: what the stand-in received, through jq -r
got() { received | jq -r "$1"; }
# sender [VAR=value...]: one run of the job; its log line in $TMP/log,
# all its output appended to $TMP/all.log; RC its exit status. (The
# instance's worker runs the job too, without a key: a run that finds the
# lock taken by it, exit 3, is tried again.)
sender() {
	local try
	for try in 1 2 3 4 5; do
		env "$@" "$TOP/bin/minicrm" job run nurture-sender >"$TMP/log" 2>&1; RC=$?
		cat "$TMP/log" >>"$TMP/all.log"
		[ "$RC" = 3 ] || break
		sleep 0.2
	done
}
send_col() { sql "SELECT $2 FROM email_sends WHERE id = '$1'"; }

minicrm client create "ns$S" >/dev/null
ORG=$(sql "SELECT id FROM clients WHERE slug = 'ns$S'")
# Other tests' active campaigns wait while this one counts what goes out
# (their queued e-mails are not this test's), and run again after.
HELD=$(sql "SELECT coalesce(string_agg(quote_literal(id), ','), 'NULL') FROM nurture_campaigns WHERE status = 'active'")
sql "UPDATE nurture_campaigns SET status = 'paused' WHERE id IN ($HELD)" >/dev/null
trap 'sql "UPDATE nurture_campaigns SET status = '"'"'active'"'"' WHERE id IN ($HELD)" >/dev/null; kill $SG_PID $HOOK_PID $OTHER_PID 2>/dev/null; rm -rf "$TMP"' EXIT
# lead EXT EMAIL FIRST LAST METADATA → its id
lead() {
	sql "INSERT INTO leads (client_id, external_id, first_name, last_name, email, metadata)
	     VALUES ('$ORG', '$1', nullif('$3', ''), nullif('$4', ''), '$2', '$5') RETURNING id" | head -n 1
}
# campaign NAME SUBJECT BODY → its id (one step; from the campaign's sender)
campaign() {
	local id
	id=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email, from_name)
	     VALUES ('$ORG', '$1', 'news@acme.example', 'Acme News') RETURNING id" | head -n 1)
	sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template)
	     VALUES ('$id', 1, \$s\$$2\$s\$, \$b\$$3\$b\$)" >/dev/null
	echo "$id"
}
# queue CAMPAIGN LEAD [WHEN]: enrolled and its step 1 queued, due WHEN
# (default now) → the send's id
queue() {
	sql "WITH e AS (INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, current_step, status)
	         VALUES ('$ORG', '$2', '$1', 1, 'completed') RETURNING id)
	     INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, scheduled_send_time)
	     SELECT '$ORG', e.id, '$2', '$1', 1, ${3:-now()} FROM e RETURNING id" | head -n 1
}
# done_with CAMPAIGN: its rows never come due again in later sections
done_with() { sql "UPDATE nurture_campaigns SET status = 'paused' WHERE id = '$1'" >/dev/null; }

SUBJECT='Welcome {{first_name}}, from {{campaign_name}}'
TBODY='<p>Hi {{first_name}} at {{company}}!</p>{{#plan}}<p>Plan: {{plan}}</p>{{/plan}}{{^plan}}<p>No plan yet.</p>{{/plan}}'

# --- 202: sent, with SendGrid's message id, in the lead's timeline --------
C1=$(campaign "Welcome & onboarding $S" "$SUBJECT" "$TBODY")
ADA=$(lead ada "ada-$S@example.com" Ada Lovelace '{"company": "Babbage & Sons <Ltd>", "plan": false}')
SEND=$(queue "$C1" "$ADA")
LATER=$(queue "$(campaign "Later $S" "x" "y")" "$ADA" "now() + interval '1 hour'")
sender
expect_eq "$RC" 0 "a run exits 0"
check "its log line counts one sent" grep -q "job nurture-sender: 1 sent, 0 failed, 0 to retry later" "$TMP/log"
expect_eq "$(send_col "$SEND" "send_status || ' ' || attempts || ' ' || (actual_send_time IS NOT NULL) || ' ' || (claimed_at IS NOT NULL)")" \
	"sent 1 true true" "the send: sent, one attempt, actual_send_time and its claim kept"
expect_eq "$(got 'length')" 1 "the stand-in received one request"
expect_eq "$(send_col "$SEND" sendgrid_message_id)" "$(got '.[0].message_id')" "sendgrid_message_id is the X-Message-Id SendGrid answered"
expect_eq "$(got '.[0].authorization')" "Bearer $SG_KEY" "the key went in the Authorization header"
expect_eq "$(got '.[0].body.personalizations[0].to[0].email')" "ada-$S@example.com" "to: the lead's address"
expect_eq "$(got '.[0].body.from | .email + " / " + .name')" "news@acme.example / Acme News" "from: the campaign's address and name"
expect_eq "$(got '.[0].body.subject')" "Welcome Ada, from Welcome & onboarding $S" "the subject, rendered as plain text (no &amp;)"
expect_eq "$(got '.[0].body.content[0].type')" "text/html" "the body goes as text/html"
expect_eq "$(got '.[0].body.content[0].value')" "<p>Hi Ada at Babbage &amp; Sons &lt;Ltd&gt;!</p><p>No plan yet.</p>" \
	"the body: lead data HTML-escaped, a false value's section as its fallback"
expect_eq "$(got '.[0].body.custom_args | [.email_send_id, .lead_id, .campaign_id, .step] | join(" ")')" "$SEND $ADA $C1 1" \
	"custom_args: the send, lead, campaign and step"
expect_eq "$(got '.[0].body.custom_args | [.[] | type] | unique | join(",")')" "string" "...all strings"
expect_eq "$(got '.[0].body | has("mail_settings")')" false "no sandbox mode unless SENDGRID_SANDBOX=1"
expect_eq "$(send_col "$SEND" "to_email || ' | ' || subject || ' | ' || body")" \
	"ada-$S@example.com | Welcome Ada, from Welcome & onboarding $S | <p>Hi Ada at Babbage &amp; Sons &lt;Ltd&gt;!</p><p>No plan yet.</p>" \
	"what went out is kept on the row"
expect_eq "$(sql "SELECT count(*) || ' ' || min(source) || ' ' || min(channel) || ' ' || min(idempotency_key) || ' ' || min(metadata->>'email_send_id') || ' ' || min(metadata->>'step') || ' ' || min(client_id::text)
	FROM lead_activity_log WHERE lead_id = '$ADA' AND event_type = 'EMAIL_SENT'")" \
	"1 nurture email nurture:$SEND:sent $SEND 1 $ORG" "one EMAIL_SENT row: source nurture, keyed by the send, the client's"
expect_eq "$(send_col "$LATER" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL)")" "queued 0 true" "a send scheduled later waits"
check "log in to the portal" login "sender-$S@example.com" "sender-password-$S"
browse GET "/leads/$ADA"
expect_status 200 "the lead's page"
check "its timeline shows EMAIL_SENT" grep -q '<td class="event-type">EMAIL_SENT</td>' <<<"$BODY"
check "...with the subject" grep -q "Sent &quot;Welcome Ada, from Welcome &amp; onboarding $S&quot;" <<<"$BODY"
expect_eq "$(sql "SELECT status || ' ' || items_processed || ' ' || (finished_at IS NOT NULL) FROM workflow_executions
	WHERE workflow_name = 'Lead Nurture - Email Sender' ORDER BY id DESC LIMIT 1")" "success 1 true" \
	"the run is in workflow_executions under the runbook's name: success, 1 item"
sender
expect_eq "$(got 'length')" 1 "a second run sends nothing again"
check "...and says so" grep -q "0 sent, 0 failed.*drained" "$TMP/log"
done_with "$C1"

# --- a token without a value: failed, naming it; nothing goes out ----------
C2=$(campaign "Tokens $S" "Hello {{first_name}}" "$TBODY")
BOB=$(lead bob "bob-$S@example.com" Bob "" '{"plan": "gold"}')
EVE=$(lead eve "eve-$S@example.com" "" "" '{"company": "Evil Corp"}')
SB=$(queue "$C2" "$BOB"); SE=$(queue "$C2" "$EVE")
sender
expect_eq "$(send_col "$SB" "send_status || ' | ' || failure_reason")" "failed | personalization: no value for {{company}}" \
	"bob has no company: failed, the reason names the token"
expect_eq "$(send_col "$SE" "send_status || ' | ' || failure_reason")" "failed | personalization: no value for {{first_name}}" \
	"eve has no first name: failed, naming it"
expect_eq "$(got 'length')" 1 "nothing was sent to SendGrid for them"
expect_eq "$(sql "SELECT count(*) || ' ' || min(message) FROM lead_activity_log WHERE lead_id = '$BOB' AND event_type = 'EMAIL_FAILED' AND idempotency_key = 'nurture:$SB:failed'")" \
	"1 Not sent (Tokens $S, step 1): personalization: no value for {{company}}" "bob's timeline: EMAIL_FAILED with the reason"
expect_eq "$(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = 'Lead Nurture - Email Sender' AND context->>'email_send_id' IN ('$SB', '$SE') AND error_message LIKE 'personalization: no value for {{%'")" 2 \
	"each failure is a workflow_errors row of the run"
done_with "$C2"

# --- 400: failed with SendGrid's reason -------------------------------------
C3=$(campaign "Refusals $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
S400=$(queue "$C3" "$(lead r400 "sg400-$S@example.com" Rita "" '{}')")
sender
expect_eq "$(send_col "$S400" "send_status || ' | ' || failure_reason || ' | ' || attempts || ' | ' || (sendgrid_message_id IS NULL)")" \
	"failed | SendGrid refused it (HTTP 400): The from address does not match a verified Sender Identity. | 1 | true" \
	"400: failed with SendGrid's errors[].message"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key = 'nurture:$S400:failed' AND event_type = 'EMAIL_FAILED'")" 1 "...and EMAIL_FAILED"

# --- 500 and timeouts: back to the queue, later; failed after 5 attempts -----
S500=$(queue "$C3" "$(lead r500 "sg500-$S@example.com" Sam "" '{}')")
SLOW=$(queue "$C3" "$(lead slow "sgslow-$S@example.com" Sue "" '{}')")
N=$(got 'length')
sender SENDGRID_TIMEOUT=1
check "the log line counts two to retry" grep -q "0 sent, 0 failed, 2 to retry later" "$TMP/log"
expect_eq "$(send_col "$S500" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL) || ' ' || (next_attempt_at BETWEEN now() + interval '50 seconds' AND now() + interval '61 seconds') || ' | ' || failure_reason")" \
	"queued 1 true true | SendGrid: HTTP 500: internal server error" "500: queued again, unclaimed, due in a minute, the attempt counted, the error kept"
expect_eq "$(send_col "$SLOW" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL) || ' ' || (next_attempt_at > now() + interval '50 seconds') || ' | ' || failure_reason")" \
	"queued 1 true true | SendGrid: no answer from 127.0.0.1 within 1 s" "a timeout: the same"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key IN ('nurture:$S500:failed', 'nurture:$SLOW:failed')")" 0 "no EMAIL_FAILED for a retry"
sender
expect_eq "$(got 'length')" $((N + 2)) "a run at once does not call again before the back-off"
sql "UPDATE email_sends SET next_attempt_at = now() WHERE id = '$S500'" >/dev/null
sender
expect_eq "$(send_col "$S500" "send_status || ' ' || attempts || ' ' || (next_attempt_at BETWEEN now() + interval '290 seconds' AND now() + interval '301 seconds')")" \
	"queued 2 true" "the second 500: due in five minutes"
sql "UPDATE email_sends SET next_attempt_at = now(), attempts = 4 WHERE id = '$S500'" >/dev/null
sender
expect_eq "$(send_col "$S500" "send_status || ' ' || attempts || ' | ' || failure_reason")" \
	"failed 5 | SendGrid: HTTP 500: internal server error (after 5 attempts)" "the fifth: failed, saying so"
done_with "$C3"

# --- 429: waits for X-RateLimit-Reset, then sends the same e-mail -----------
C4=$(campaign "Limits $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
S429=$(queue "$C4" "$(lead r429 "sg429-$S@example.com" Lim "" '{}')")
N=$(got 'length')
T0=$(date +%s%N)
sender
T1=$(date +%s%N)
expect_eq "$(send_col "$S429" "send_status || ' ' || attempts")" "sent 1" "429 then 202: sent, one attempt"
expect_eq "$(got "[.[] | select(.body.custom_args.email_send_id == \"$SEND\" or .body.custom_args.email_send_id == \"$S429\") | select(.body.custom_args.email_send_id == \"$S429\") | .status] | join(\",\")")" "429,202" \
	"the stand-in: a 429, then the same e-mail again, accepted"
check "the run waited for the reset (at least a second)" test $(( (T1 - T0) / 1000000 )) -ge 1000
check "its log line counts the 429" grep -q "1 sent, 0 failed, 0 to retry later, 1 rate-limited answers" "$TMP/log"
S429B=$(queue "$C4" "$(lead r429b "plain429-$S@example.com" Lou "" '{}')")
curl -sS -X POST "$SG/_control" -d '{"mode": "429", "count": 5, "reset_in": 600}' >/dev/null
sender
expect_eq "$(send_col "$S429B" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL) || ' ' || (next_attempt_at > now() + interval '500 seconds')")" \
	"queued 0 true true" "a reset ten minutes away: given back, due then, no attempt counted"
check "the run ended rather than wait" grep -q "rate limited by SendGrid: SendGrid: rate limited (HTTP 429); the rest waits for the next run" "$TMP/log"
curl -sS -X POST "$SG/_control" -d '{"mode": "ok"}' >/dev/null
done_with "$C4"

# --- 401: the sender pauses itself, alerts once, sends nothing more ---------
C5=$(campaign "Keys $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
K1=$(queue "$C5" "$(lead k1 "k1-$S@example.com" Kim "" '{}')")
K2=$(queue "$C5" "$(lead k2 "k2-$S@example.com" Kai "" '{}')")
N=$(got 'length')
# One connection: the calls go one at a time, so the first refusal stops
# the rest (with more, the calls already in flight are refused together).
sender SENDGRID_API_KEY="SG.revoked-$S.secret" NURTURE_SENDER_CONNECTIONS=1
expect_eq "$RC" 0 "a refused key: the run itself did its job (exit 0)"
expect_eq "$(got 'length')" $((N + 1)) "one call: the first e-mail's, refused; the second never called"
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE id IN ('$K1', '$K2') AND send_status = 'queued' AND claimed_at IS NULL AND attempts = 0")" 2 \
	"both e-mails queued again, unclaimed, no attempt counted"
expect_eq "$(sql "SELECT paused || ' | ' || reason || ' | ' || changed_by FROM nurture_control WHERE name = 'sender'")" \
	"true | SendGrid refused the API key (HTTP 401): the sender is paused until an operator resumes it | nurture-sender" \
	"the sender switch is paused, the reason names the status"
expect_eq "$(alerts)" 1 "one alert, to NURTURE_ALERT_WEBHOOK"
check "...saying the key was refused and the sender paused" grep -q "SendGrid refused the API key (HTTP 401)" "$HOOK/received"
expect_eq "$(sql "SELECT status || ' | ' || error_message FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Email Sender' ORDER BY id DESC LIMIT 1")" \
	"error | SendGrid refused the API key (HTTP 401): the sender is paused until an operator resumes it" "the run is recorded as an error"
RUNS=$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Email Sender'")
sender
expect_eq "$(got 'length')" $((N + 1)) "paused, with the right key now: nothing sent"
check "the log line says it is paused" grep -q "paused: the sender is paused" "$TMP/log"
expect_eq "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = 'Lead Nurture - Email Sender'")" "$RUNS" "a paused sender records no run"
sender SENDGRID_API_KEY="SG.revoked-$S.secret"
expect_eq "$(alerts)" 1 "still one alert"
sql "UPDATE nurture_control SET paused = false, reason = 'key rotated', changed_by = 'test' WHERE name = 'sender'" >/dev/null
sender
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE id IN ('$K1', '$K2') AND send_status = 'sent' AND attempts = 1")" 2 "resumed: both sent"
expect_eq "$(alerts)" 2 "the condition cleared: one more message"
check "...saying it is resolved" grep -q "Resolved: SendGrid accepts the nurture sender's API key again" "$HOOK/received"
check "the webhook's secret path and the keys are in no log line" bash -c "! grep -q -e 'nurture-secret-path' -e 'SG.test-key' -e 'SG.revoked' '$TMP/all.log'"
done_with "$C5"

# --- the rate cap: at most N8N_MAX_EMAILS_PER_MINUTE in any minute ----------
# (The e-mails sent above, and any other test's left in the window — the
# cap counts the whole account's — are moved an hour back: the window
# starts empty.)
sql "UPDATE email_sends SET actual_send_time = actual_send_time - interval '1 hour' WHERE organization_id = '$ORG' OR actual_send_time > now() - interval '2 minutes'" >/dev/null
C6=$(campaign "Capped $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
for i in 1 2 3 4 5; do queue "$C6" "$(lead "cap$i" "cap$i-$S@example.com" "Cap$i" "" '{}')" >/dev/null; done
capsent() { sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$C6' AND send_status = 'sent'"; }
sender N8N_MAX_EMAILS_PER_MINUTE=3
expect_eq "$(capsent)" 3 "cap 3: three of five sent"
check "the run says the cap ended it" grep -q "rate cap: N8N_MAX_EMAILS_PER_MINUTE (3) reached; the rest waits for the next run" "$TMP/log"
sender N8N_MAX_EMAILS_PER_MINUTE=3
expect_eq "$(capsent)" 3 "a second run within the minute sends none (the window counts the earlier run's)"
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$C6' AND send_status = 'queued' AND claimed_at IS NULL AND attempts = 0")" 2 \
	"the other two wait, unclaimed, no attempt counted"
sql "UPDATE email_sends SET actual_send_time = actual_send_time - interval '61 seconds' WHERE campaign_id = '$C6'" >/dev/null
sender N8N_MAX_EMAILS_PER_MINUTE=3
expect_eq "$(capsent)" 5 "a minute later: the last two"
sender N8N_MAX_EMAILS_PER_MINUTE=100
check "the default-sized cap does not get in the way" grep -q "drained" "$TMP/log"
done_with "$C6"

# --- never twice: two runs at once, a row another sender holds -------------
C7=$(campaign "Crowd $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
sql "INSERT INTO leads (client_id, external_id, first_name, email)
     SELECT '$ORG', 'crowd' || i, 'Crowd' || i, 'crowd' || i || '-$S@example.com' FROM generate_series(1, 60) i" >/dev/null
sql "WITH e AS (INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, current_step, status)
         SELECT '$ORG', id, '$C7', 1, 'completed' FROM leads WHERE client_id = '$ORG' AND external_id LIKE 'crowd%' RETURNING id, lead_id)
     INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, scheduled_send_time)
     SELECT '$ORG', e.id, e.lead_id, '$C7', 1, now() FROM e" >/dev/null
HELD=$(sql "SELECT string_agg(quote_literal(id), ',') FROM (SELECT id FROM email_sends WHERE campaign_id = '$C7' ORDER BY scheduled_send_time, id LIMIT 5) h")
HELD_JSON=$(sql "SELECT json_agg(id) FROM email_sends WHERE id IN ($HELD)")
# Another sender, mid-claim: it holds five rows for 3 s, then claims them
# and never settles them (it died during its calls).
psql "$OWNER_URL" -qAtX -c "BEGIN" -c "SELECT id FROM email_sends WHERE id IN ($HELD) FOR UPDATE" -c "SELECT pg_sleep(3)" \
	-c "UPDATE email_sends SET claimed_at = now(), claimed_by = 'other-host:1', attempts = attempts + 1 WHERE id IN ($HELD)" -c "COMMIT" >/dev/null & OTHER_PID=$!
sleep 0.5
curl -sS -X POST "$SG/_control" -d '{"mode": "slow", "delay": 0.02}' >/dev/null
T0=$(date +%s%N)
env "$TOP/bin/minicrm" job run nurture-sender >"$TMP/twin1" 2>&1 & T1=$!
"$TOP/bin/minicrm" job run nurture-sender >"$TMP/twin2" 2>&1; RC2=$?
wait $T1; RC1=$?
T1=$(date +%s%N)
wait $OTHER_PID; OTHER_PID=
curl -sS -X POST "$SG/_control" -d '{"mode": "ok"}' >/dev/null
check "two runs at once: one skipped (the job's lock) or both ran in turn" grep -q -e "skipped: another run holds its lock" -e "drained" "$TMP/twin2"
check "the rows another sender held did not hold the run up (it did not wait the 3 s)" test $(( (T1 - T0) / 1000000 )) -lt 2900
sender
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE campaign_id = '$C7' AND send_status = 'sent'")" 55 "the 55 others sent"
expect_eq "$(got "[.[] | select(.body.subject | startswith(\"Hi Crowd\")) | .body.custom_args.email_send_id] | length")" 55 "the stand-in received 55"
expect_eq "$(got "[.[] | select(.body.subject | startswith(\"Hi Crowd\")) | .body.custom_args.email_send_id] | unique | length")" 55 "...each once"
expect_eq "$(sql "SELECT count(*) FROM email_sends WHERE id IN ($HELD) AND send_status = 'queued' AND claimed_by = 'other-host:1'")" 5 \
	"the five claimed by the other sender and never settled are not sent again"
expect_eq "$(got "[.[] | select(.body.custom_args.email_send_id as \$i | $HELD_JSON | index(\$i))] | length")" 0 \
	"...none of them reached the stand-in"
done_with "$C7"

# --- what must not go: opted out, invalid address, paused campaign ---------
C8=$(campaign "Care $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
OPT=$(lead opt "opt-$S@example.com" Otto "" '{}')
sql "UPDATE leads SET opted_out = true WHERE id = '$OPT'" >/dev/null
BAD=$(lead bad "bad-$S@example.com" Bea "" '{"email_invalid": true}')
SO=$(queue "$C8" "$OPT"); SBAD=$(queue "$C8" "$BAD")
C9=$(campaign "Paused $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
SP=$(queue "$C9" "$(lead pz "pz-$S@example.com" Pat "" '{}')")
done_with "$C9"
N=$(got 'length')
sender
expect_eq "$(send_col "$SO" "send_status || ' | ' || failure_reason")" "failed | not sent: the lead opted out of e-mail" "an opted-out lead: failed, not sent"
expect_eq "$(send_col "$SBAD" "send_status || ' | ' || failure_reason")" "failed | not sent: the lead's e-mail address is marked invalid" "an invalid address: failed, not sent"
expect_eq "$(send_col "$SP" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL)")" "queued 0 true" "a paused campaign's send waits, unclaimed"
expect_eq "$(got 'length')" "$N" "none of them reached SendGrid"
done_with "$C8"

# --- sandbox mode, and no key at all -----------------------------------------
C10=$(campaign "Sandbox $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
SS=$(queue "$C10" "$(lead sbx "sbx-$S@example.com" Sandy "" '{}')")
sender SENDGRID_SANDBOX=1
expect_eq "$(got "[.[] | select(.body.custom_args.email_send_id == \"$SS\")][0].body.mail_settings.sandbox_mode.enable")" true \
	"SENDGRID_SANDBOX=1: mail_settings.sandbox_mode.enable"
SN=$(queue "$C10" "$(lead nokey "nokey-$S@example.com" Nell "" '{}')")
sender SENDGRID_API_KEY=
expect_eq "$RC" 0 "without SENDGRID_API_KEY: exit 0"
check "...saying nothing was sent and why" grep -q "nothing sent: SENDGRID_API_KEY is not set" "$TMP/log"
expect_eq "$(send_col "$SN" "send_status || ' ' || attempts || ' ' || (claimed_at IS NULL)")" "queued 0 true" "...the send untouched"
done_with "$C10"

# --- SIGTERM: the calls in flight finish and are settled, the rest given back
C11=$(campaign "Stop $S" "Hi {{first_name}}" "<p>{{first_name}}</p>")
for i in $(seq 20); do queue "$C11" "$(lead "stop$i" "stop$i-$S@example.com" "Stop$i" "" '{}')" >/dev/null; done
curl -sS -X POST "$SG/_control" -d '{"mode": "slow", "delay": 1}' >/dev/null
"$TOP/bin/minicrm" job run nurture-sender >"$TMP/log" 2>&1 & STOPPER=$!
sleep 1.3
kill -TERM $STOPPER; wait $STOPPER; RC=$?
curl -sS -X POST "$SG/_control" -d '{"mode": "ok"}' >/dev/null
expect_eq "$RC" 0 "SIGTERM during a run: exit 0"
check "the run says it was stopped" grep -q "stopped: stopped by a signal" "$TMP/log"
read -r SENT BACK HELD <<<"$(sql "SELECT count(*) FILTER (WHERE send_status = 'sent'),
	count(*) FILTER (WHERE send_status = 'queued' AND claimed_at IS NULL AND attempts = 0),
	count(*) FILTER (WHERE send_status = 'queued' AND claimed_at IS NOT NULL)
	FROM email_sends WHERE campaign_id = '$C11'" | tr '|' ' ')"
check "the calls in flight were sent and settled ($SENT), not all twenty" test "$SENT" -ge 4 -a "$SENT" -lt 20
expect_eq "$((SENT + BACK)) $HELD" "20 0" "the rest given back, never called (no attempt counted); nothing left claimed"
expect_eq "$(got "[.[] | select(.body.subject | startswith(\"Hi Stop\"))] | length")" "$SENT" "the stand-in received exactly the ones sent"
done_with "$C11"

# --- the worker runs it -------------------------------------------------------
check "minicrm job list names it" bash -c "'$TOP/bin/minicrm' job list | grep -q 'nurture-sender'"

# --- nothing ever went out with a template token in it -----------------------
expect_eq "$(received | jq '[.[] | select((.body.subject + .body.content[0].value) | contains("{{"))] | length')" 0 \
	"no request to SendGrid carried a literal {{"

finish
