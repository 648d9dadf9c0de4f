#!/usr/bin/env bash
# SendGrid's Event Webhook, POST /api/webhooks/sendgrid (the runbook's
# "Lead Nurture - Event Tracker"): without a configured key, unsigned,
# signed by another key, tampered, stale or future posts get 401 and write
# nothing; a body that is no JSON array gets 400 and writes nothing; a
# signed batch is stored once however often SendGrid re-sends it (the
# runbook's dedupe query: unique = total); delivered, open, click, bounce
# (hard, blocked), dropped, deferred, unsubscribe, group unsubscribe and
# spam report change the send, the lead, its enrolments and its timeline
# (the portal's lead page shows them, escaped); hostile strings are stored
# verbatim; events for unknown sends are kept; an event refused alone is a
# workflow_errors row; a 768 KB batch of 2,500 events is accepted; 503
# while the database is down, then it stores again.
source "$(dirname "$0")/lib.sh"

S=$$
URL=/api/webhooks/sendgrid
TRACKER="Lead Nurture - Event Tracker"

# Keys: SendGrid's (P-256, made with openssl), another P-256 key.
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/sendgrid.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/other.pem" 2>/dev/null
PUB=$(openssl pkey -in "$TMP/sendgrid.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
check "a P-256 key pair" test -n "$PUB"

# post FILE [TIMESTAMP] [KEY]: the file as SendGrid posts it (its content
# type and user agent), signed over the timestamp's text and the raw body.
post() {
	local ts=${2:-$(date +%s)} key=${3:-$TMP/sendgrid.pem} sig
	sig=$( (printf '%s' "$ts"; cat "$1") | openssl dgst -sha256 -sign "$key" | base64 -w0)
	request POST $URL -H 'Content-Type: application/json;charset=utf-8' \
		-H 'User-Agent: SendGrid Event API' \
		-H "X-Twilio-Email-Event-Webhook-Signature: $sig" \
		-H "X-Twilio-Email-Event-Webhook-Timestamp: $ts" --data-binary @"$1"
}
events() { sql "SELECT count(*) FROM email_events"; }
runs() { sql "SELECT count(*) FROM workflow_executions WHERE workflow_name = '$TRACKER'"; }
nothing_written() {
	expect_eq "$(events)/$(runs)" "$1" "$2: nothing written (events/runs)"
}

# --- the data: one client, a campaign, a lead per kind of event ----------
minicrm client create "nw$S" >/dev/null
CID=$(sql "SELECT id FROM clients WHERE slug = 'nw$S'")
CAMP=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES ('$CID', 'Welcome $S', 'team@example.com') RETURNING id")
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template) VALUES ('$CAMP', 1, 'Hello <b>{{first_name}}</b>', 'Hi'), ('$CAMP', 2, 'Again', 'Hi')" >/dev/null
KINDS="engaged hard blocked dropped deferred unsub group spam"
for k in $KINDS; do
	sql "INSERT INTO leads (client_id, external_id, first_name, email) VALUES ('$CID', '$k$S', '$k', '$k$S@example.com')" >/dev/null
done
lead() { sql "SELECT id FROM leads WHERE client_id = '$CID' AND external_id = '$1$S'"; }
sql "SELECT enrolled FROM nurture_enroll('$CAMP', ARRAY(SELECT id FROM leads WHERE client_id = '$CID'), now() + interval '1 day', 'test')" >/dev/null
for k in $KINDS; do
	sql "INSERT INTO email_sends (id, organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status, scheduled_send_time, actual_send_time, to_email, subject)
	     SELECT md5('$k$S')::uuid, '$CID', e.id, e.lead_id, e.campaign_id, 1, 'sent', now(), now(), '$k$S@example.com', 'Hello <b>$k</b>'
	     FROM lead_campaign_enrollments e WHERE e.lead_id = '$(lead "$k")'" >/dev/null
done
send() { sql "SELECT md5('$1$S')::uuid"; }
E0=$(events); R0=$(runs)

# The batch: what SendGrid posts about these sends (custom_args at the
# top level), one event without sg_event_id, one for a send we never
# made, hostile strings.
T=1764000000
HOSTILE=$'<script>alert("x")</script> \' OR 1=1; DROP TABLE email_events; -- \\ é😀 \u2028 {{first_name}} %s'
python3 - "$TMP/batch.json" "$S" "$T" "$HOSTILE" <<'PY'
import json, sys, hashlib
path, s, t, hostile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def send(k): return str(__import__('uuid').UUID(hashlib.md5((k + s).encode()).hexdigest()))
def ev(k, event, dt, eid, **kw):
    e = {"email": k + s + "@example.com", "timestamp": t + dt, "event": event,
         "sg_message_id": "msg-" + k + s + ".filter0001", "smtp-id": "<" + k + s + "@example.com>",
         "category": ["nurture"], "email_send_id": send(k), "lead_id": "x", "campaign_id": "y", "step": "1"}
    if eid: e["sg_event_id"] = eid + s
    e.update(kw)
    return e
batch = [
    ev("engaged", "processed", 0, "p1"),
    ev("engaged", "delivered", 10, "d1", response="250 OK"),
    ev("engaged", "open", 60, "o1", useragent="Mozilla", ip="10.0.0.1"),
    ev("engaged", "open", 120, "o2"),
    ev("engaged", "click", 180, "c1", url="https://example.com/a?b=1&c=<2>"),
    ev("hard", "bounce", 20, "b1", type="bounce", reason="550 5.1.1 no such user", status="5.1.1"),
    ev("blocked", "bounce", 20, "b2", type="blocked", reason="554 blocked by policy"),
    ev("dropped", "dropped", 5, "x1", reason="Bounced Address"),
    ev("deferred", "deferred", 30, "f1", response="450 try later", attempt="1"),
    ev("unsub", "unsubscribe", 300, "u1"),
    ev("group", "group_unsubscribe", 300, "g1", asm_group_id=7),
    ev("spam", "spamreport", 400, "s1"),
    ev("engaged", "open", 500, None, reason=hostile, url=hostile, hostile={"k": [hostile, 1.5, None, True]}),
    dict(ev("nobody", "delivered", 10, "n1"), email_send_id="00000000-0000-0000-0000-000000000000"),
    dict(ev("nobody", "open", 10, "n2"), email_send_id="not-a-uuid"),
]
json.dump(batch, open(path, "w"), ensure_ascii=False)
PY
NB=15

# --- no key configured: every post is refused -----------------------------
post "$TMP/batch.json"
expect_status 401 "without SENDGRID_WEBHOOK_PUBLIC_KEY a signed post is refused"
expect_json '.errors[0].field == "SENDGRID_WEBHOOK_PUBLIC_KEY" and (.error | test("no SendGrid webhook public key is configured"))' "the answer names the missing setting"
nothing_written "$E0/$R0" "no key"

# The instance with SendGrid's public key, as SendGrid shows it (base64
# DER), in its environment: the programs read it at start.
SENDGRID_WEBHOOK_PUBLIC_KEY=$PUB "$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "the instance restarts with the key" grep -q "running at" "$TMP/up.log"

# --- what is not SendGrid's gets 401 and writes nothing --------------------
request POST $URL -H 'Content-Type: application/json' --data-binary @"$TMP/batch.json"
expect_status 401 "unsigned"
expect_json '.errors[0].field == "X-Twilio-Email-Event-Webhook-Signature" and (.error | test("unsigned"))' "unsigned: the answer says so"
check "no WWW-Authenticate for an API key on the webhook" bash -c '! grep -qi "^WWW-Authenticate" <<<"$0"' "$HEADERS"
post "$TMP/batch.json" "" "$TMP/other.pem"
expect_status 401 "signed by another key"
expect_json '.error | test("does not match")' "...the signature does not match"
cp "$TMP/batch.json" "$TMP/tampered.json"
TS=$(date +%s)
SIG=$( (printf '%s' "$TS"; cat "$TMP/batch.json") | openssl dgst -sha256 -sign "$TMP/sendgrid.pem" | base64 -w0)
sed -i 's/"open"/"click"/' "$TMP/tampered.json"
request POST $URL -H 'Content-Type: application/json' -H "X-Twilio-Email-Event-Webhook-Signature: $SIG" \
	-H "X-Twilio-Email-Event-Webhook-Timestamp: $TS" --data-binary @"$TMP/tampered.json"
expect_status 401 "a body changed after signing"
request POST $URL -H 'Content-Type: application/json' -H "X-Twilio-Email-Event-Webhook-Signature: $SIG" \
	-H "X-Twilio-Email-Event-Webhook-Timestamp: $((TS + 1))" --data-binary @"$TMP/batch.json"
expect_status 401 "a timestamp changed after signing"
request POST $URL -H 'Content-Type: application/json' -H "X-Twilio-Email-Event-Webhook-Signature: AAAA$SIG" \
	-H "X-Twilio-Email-Event-Webhook-Timestamp: $TS" --data-binary @"$TMP/batch.json"
expect_status 401 "a changed signature"
post "$TMP/batch.json" $(($(date +%s) - 700))
expect_status 401 "a timestamp 700 s old (max age 600)"
expect_json '.errors[0].field == "X-Twilio-Email-Event-Webhook-Timestamp" and (.error | test("too old"))' "...is too old"
post "$TMP/batch.json" $(($(date +%s) + 700))
expect_status 401 "a timestamp 700 s ahead"
expect_json '.error | test("future")' "...is in the future"
post "$TMP/batch.json" "yesterday"
expect_status 401 "a timestamp that is no number"
nothing_written "$E0/$R0" "refused signatures"

# --- a signed body that is no JSON array: 400, nothing written -------------
printf '[{"event":"open","email":"a@b","timestamp":1},' >"$TMP/cut.json"
post "$TMP/cut.json"
expect_status 400 "malformed JSON"
expect_json '.errors[0].field == "body" and (.error | test("JSON"))' "...named as the body's problem"
printf '{"event":"open","email":"a@b","timestamp":1}' >"$TMP/object.json"
post "$TMP/object.json"
expect_status 400 "an object, not an array"
expect_json '.error == "the body must be a JSON array of SendGrid events"' "...says an array is wanted"
nothing_written "$E0/$R0" "bad bodies"
request POST $URL -H 'Content-Type: text/plain' --data-binary @"$TMP/batch.json"
expect_status 415 "text/plain: 415"
request GET $URL
expect_status 405 "GET: 405"

# --- the batch, signed: stored, applied --------------------------------------
post "$TMP/batch.json"
expect_status 200 "a signed batch: 200"
expect_json ".received == $NB and .stored == $NB and .duplicates == 0 and .unknown_sends == 2 and .refused == 0 and .errors == []" "every event stored, two for unknown sends"
expect_eq "$(($(events) - E0))" "$NB" "$NB rows in email_events"
expect_eq "$(sql "SELECT count(*) FROM email_events WHERE email_send_id IS NULL AND event_hash IN ('n1$S', 'n2$S')")" 2 "the events for unknown sends are kept, without a send"
expect_eq "$(sql "SELECT count(*) FROM email_events WHERE event_hash LIKE 'sha256:%' AND email_send_id = '$(send engaged)'")" 1 "the event without sg_event_id is keyed by its digest"
expect_eq "$(sql "SELECT status || ' ' || items_processed FROM workflow_executions WHERE workflow_name = '$TRACKER' ORDER BY id DESC LIMIT 1")" "success $NB" "one workflow_executions row for the post"

# Re-sent three times (SendGrid re-sends for a day): nothing new.
for i in 1 2 3; do
	post "$TMP/batch.json"
	expect_status 200 "re-sent ($i): 200"
	expect_json ".stored == 0 and .duplicates == $NB" "re-sent ($i): every event a duplicate"
done
expect_eq "$(($(events) - E0))" "$NB" "still $NB rows in email_events"
expect_eq "$(sql "SELECT COUNT(*) = COUNT(DISTINCT event_hash) FROM email_events WHERE DATE(created_at) = CURRENT_DATE")" t \
	"the runbook's dedupe check: unique_events = total_events"
expect_eq "$(sql "SELECT count(*) FROM (SELECT email_send_id, event_type, COUNT(*) FROM email_events WHERE email_send_id IS NOT NULL AND event_hash NOT LIKE 'sha256:%' GROUP BY email_send_id, event_type HAVING COUNT(*) > 1 AND event_type <> 'open') d")" 0 \
	"the runbook's Issue 2 query: no duplicate events from the re-sends"

# The sends.
row() { sql "SELECT $2 FROM email_sends WHERE id = '$(send "$1")'"; }
expect_eq "$(row engaged "send_status || ' ' || delivered_at || ' ' || opened_at || ' ' || open_count || ' ' || first_click_at || ' ' || click_count")" \
	"sent 2025-11-24 16:00:10+00 2025-11-24 16:01:00+00 3 2025-11-24 16:03:00+00 1" \
	"delivered, open (first time, counted 3x), click (first time, once) on the send — not counted again by the re-sends"
expect_eq "$(row hard "send_status || ' ' || bounce_type || ' ' || failure_reason")" "bounced hard bounced (hard): 550 5.1.1 no such user" "a bounce: bounced, hard, with the reason"
expect_eq "$(row blocked "send_status || ' ' || bounce_type")" "bounced blocked" "SendGrid's type blocked: bounced, blocked"
expect_eq "$(row dropped "send_status || ' ' || failure_reason")" "failed dropped: Bounced Address" "dropped: failed, with the reason"
expect_eq "$(row deferred "send_status || ' ' || coalesce(bounce_type, '-') || ' ' || coalesce(failure_reason, '-')")" "sent - -" "deferred: the send is unchanged"
expect_eq "$(sql "SELECT bounce_type || ' ' || reason FROM email_events WHERE event_hash = 'f1$S'")" "soft 450 try later" "...the event is kept, soft, with SendGrid's response"

# The leads and their enrolments.
meta() { sql "SELECT coalesce(metadata->>'email_invalid', '-') || ' ' || opted_out FROM leads WHERE id = '$(lead "$1")'"; }
enrol() { sql "SELECT status || ' ' || coalesce(completion_reason, '-') || ' ' || (next_send_at IS NULL) FROM lead_campaign_enrollments WHERE lead_id = '$(lead "$1")'"; }
pref() { sql "SELECT coalesce((SELECT email_opt_out || ' ' || opt_out_reason FROM lead_preferences WHERE lead_id = '$(lead "$1")'), '-')"; }
expect_eq "$(meta hard)" "true false" "a hard bounce marks metadata.email_invalid"
expect_eq "$(enrol hard)" "completed invalid_email true" "...and completes the lead's enrolment: invalid_email"
expect_eq "$(meta blocked)" "- false" "a blocked bounce does not mark the address invalid"
expect_eq "$(enrol blocked)" "active - false" "...nor end the enrolment"
expect_eq "$(meta unsub)" "- true" "unsubscribe: the lead is opted out"
expect_eq "$(pref unsub)" "true sendgrid: unsubscribe" "...of e-mail too (lead_preferences)"
expect_eq "$(enrol unsub)" "completed unsubscribed true" "...and its enrolment completed: unsubscribed"
expect_eq "$(meta group)" "- true" "group unsubscribe: opted out"
expect_eq "$(enrol group)" "completed unsubscribed true" "...enrolment completed: unsubscribed"
expect_eq "$(meta spam)" "- true" "spam report: opted out"
expect_eq "$(pref spam)" "true sendgrid: spam report" "...of e-mail, with the reason"
expect_eq "$(enrol spam)" "completed spam_report true" "...enrolment completed: spam_report"
expect_eq "$(enrol engaged)" "active - false" "opens and clicks leave the enrolment on its way"
expect_eq "$(pref engaged)" "-" "...and the lead's preferences alone"
expect_eq "$(sql "SELECT status FROM lead_campaign_enrollments WHERE lead_id = '$(lead spam)'" )" completed "the scheduler will not queue the next step for the spam reporter"
expect_eq "$(sql "SELECT enrolled || ' ' || refused FROM nurture_enroll('$CAMP', ARRAY['$(lead unsub)'::uuid, '$(lead hard)'::uuid], now(), 'test')")" "0 2" \
	"enrolling the unsubscribed and the bounced lead again is refused"

# The timelines.
tl() { sql "SELECT string_agg(event_type, ' ' ORDER BY occurred_at, id) FROM lead_activity_log WHERE lead_id = '$(lead "$1")' AND source = 'sendgrid'"; }
expect_eq "$(tl engaged)" "EMAIL_DELIVERED EMAIL_OPENED EMAIL_OPENED EMAIL_CLICKED EMAIL_OPENED" "the engaged lead's timeline: delivered, opened, clicked (processed is not shown)"
expect_eq "$(tl hard)" "EMAIL_BOUNCED" "bounce in the timeline"
expect_eq "$(tl dropped)" "EMAIL_DROPPED" "dropped in the timeline"
expect_eq "$(tl deferred)" "EMAIL_DEFERRED" "deferred in the timeline"
expect_eq "$(tl unsub)" "EMAIL_UNSUBSCRIBED OPTED_OUT" "unsubscribe and the opt-out in the timeline"
expect_eq "$(tl spam)" "EMAIL_SPAM_REPORT OPTED_OUT" "spam report and the opt-out in the timeline"
expect_eq "$(sql "SELECT idempotency_key || ' ' || channel || ' ' || (metadata->>'email_send_id') || ' ' || (metadata->>'campaign_id') || ' ' || (metadata->>'step') || ' ' || (metadata->>'url') FROM lead_activity_log WHERE lead_id = '$(lead engaged)' AND event_type = 'EMAIL_CLICKED'")" \
	"sendgrid:c1$S email $(send engaged) $CAMP 1 https://example.com/a?b=1&c=<2>" "a click's row: the key, the send, campaign, step and url"
expect_eq "$(sql "SELECT metadata->>'reason' FROM lead_activity_log WHERE lead_id = '$(lead hard)'")" "550 5.1.1 no such user" "a bounce's row carries the reason"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = 'sendgrid' AND client_id = '$CID'")" 15 "each event in a timeline once, whatever the re-sends"

# Hostile strings: stored verbatim, shown escaped.
HASH=$(sql "SELECT event_hash FROM email_events WHERE event_hash LIKE 'sha256:%' AND email_send_id = '$(send engaged)'")
expect_eq "$(sql "SELECT reason FROM email_events WHERE event_hash = '$HASH'")" "$HOSTILE" "a hostile reason is stored verbatim"
expect_eq "$(sql "SELECT url FROM email_events WHERE event_hash = '$HASH'")" "$HOSTILE" "...and a hostile url"
expect_eq "$(sql "SELECT payload->'hostile'->'k'->>0 FROM email_events WHERE event_hash = '$HASH'")" "$HOSTILE" "...and inside the payload"
expect_eq "$(sql "SELECT (payload->>'lead_id') || (payload->>'step') || (payload->'hostile'->'k'->>1) FROM email_events WHERE event_hash = '$HASH'")" "x11.5" "custom args and numbers are kept as sent"
check "log in" login "nw-$S@example.com" "nurture-webhook-$S"
browse GET "/leads/$(lead engaged)?tz=UTC"
expect_status 200 "the engaged lead's page"
check "the timeline shows EMAIL_OPENED" grep -q '<td class="event-type">EMAIL_OPENED</td>' <<<"$BODY"
check "...and EMAIL_CLICKED" grep -q '<td class="event-type">EMAIL_CLICKED</td>' <<<"$BODY"
check "the hostile url is escaped on the page" grep -q '&lt;script&gt;alert(' <<<"$BODY"
check "...never raw" bash -c '! grep -q "<script>alert" <<<"$0"' "$BODY"

# --- the signature is over the bytes as sent: whitespace, CRLF, raw UTF-8,
# and a chunked upload (nginx passes the body on unchanged)
printf '[ \r\n {"email":"w@example.com", "timestamp":%s,\t"event":"open","sg_event_id":"ws1%s","note":"\xc3\xa9\xe2\x80\xa8"}\r\n]\r\n  ' "$T" "$S" >"$TMP/ws.json"
post "$TMP/ws.json"
expect_status 200 "a body with CRLF, tabs, raw UTF-8 and trailing blanks verifies"
expect_json '.stored == 1' "...and is stored"
printf '[{"email":"w@example.com","timestamp":%s,"event":"open","sg_event_id":"ws2%s"}]' "$T" "$S" >"$TMP/chunked.json"
TS=$(date +%s)
SIG=$( (printf '%s' "$TS"; cat "$TMP/chunked.json") | openssl dgst -sha256 -sign "$TMP/sendgrid.pem" | base64 -w0)
request POST $URL -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	-H "X-Twilio-Email-Event-Webhook-Signature: $SIG" -H "X-Twilio-Email-Event-Webhook-Timestamp: $TS" \
	--data-binary @"$TMP/chunked.json"
expect_status 200 "a chunked upload verifies"
expect_json '.stored == 1' "...and is stored"

# --- an event refused alone; the others stored -------------------------------
python3 - "$TMP/mixed.json" "$S" "$T" <<'PY'
import json, sys
path, s, t = sys.argv[1], sys.argv[2], int(sys.argv[3])
good = {"email": "m@example.com", "timestamp": t, "event": "delivered", "sg_event_id": "m1" + s}
text = "[" + json.dumps(good) + ',{"email":"m@example.com","timestamp":"soon","event":"Open!","sg_event_id":"m2' + s + '"}' \
     + ',{"email":"m@example.com","timestamp":' + str(t) + ',"event":"open","reason":"a\\u0000b","sg_event_id":"m3' + s + '"}' \
     + ',{"email":"m@example.com","timestamp":' + str(t) + ',"event":"open","event":"click","sg_event_id":"m4' + s + '"}' + ",42]"
open(path, "w").write(text)
PY
ERR0=$(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = '$TRACKER'")
post "$TMP/mixed.json"
expect_status 200 "a batch with bad events: 200 (SendGrid cannot fix one event)"
expect_json '.received == 5 and .stored == 1 and .refused == 4' "one stored, four refused"
expect_json '[.errors[] | select(.index == 1) | .field] == ["event", "timestamp"]' "event 1: its name and timestamp named"
expect_json '[.errors[] | .index] | unique == [1, 2, 3, 4]' "each bad event named by its index"
expect_json '.errors[] | select(.index == 2) | .message | test("NUL")' "a NUL in a string is named"
expect_json '.errors[] | select(.index == 3) | .message | test("more than once")' "a repeated key is named"
expect_eq "$(sql "SELECT count(*) FROM email_events WHERE event_hash LIKE 'm_$S'")" 1 "only the good event is stored"
expect_eq "$(($(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = '$TRACKER'") - ERR0))" 5 "the refusals are workflow_errors rows of the run"
expect_eq "$(sql "SELECT count(*) FROM workflow_errors WHERE workflow_name = '$TRACKER' AND context->>'event' LIKE '%\"Open!\"%' AND execution_id IS NOT NULL")" 2 "...with the event's text and the run"

# --- SendGrid's size: 2,500 events, ~768 KB, in one post -------------------
python3 - "$TMP/big.json" "$S" "$T" <<'PY'
import json, sys, hashlib, uuid
path, s, t = sys.argv[1], sys.argv[2], int(sys.argv[3])
send = str(uuid.UUID(hashlib.md5(("engaged" + s).encode()).hexdigest()))
# SendGrid's batches reach ~768 KB: pad the ids to get there.
pad = 0
for attempt in range(2):
  evs = []
  for i in range(2500):
    evs.append({"email": "engaged%s@example.com" % s, "timestamp": t + 1000 + i,
                "event": ["delivered", "open", "click", "processed", "deferred"][i % 5],
                "sg_event_id": "big-%s-%06d-%s" % (s, i, "x" * pad),
                "sg_message_id": "msg-big-%d.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC1BC-%d" % (i, i),
                "email_send_id": send if i % 2 else "unknown", "lead_id": "l", "campaign_id": "c", "step": "1",
                "url": "https://example.com/%d" % i, "useragent": "Mozilla/5.0", "category": ["nurture", "welcome"]})
  pad = max(0, (768 * 1024 - len(json.dumps(evs))) // 2500)
json.dump(evs, open(path, "w"))
PY
SIZE=$(stat -c %s "$TMP/big.json")
check "the big batch is 700-1000 KB ($SIZE bytes)" test "$SIZE" -gt 700000 -a "$SIZE" -lt 1000000
E1=$(events)
post "$TMP/big.json"
expect_status 200 "2,500 events in one post: 200"
expect_json '.received == 2500 and .stored == 2500 and .unknown_sends == 1250' "all 2,500 stored (1,250 for an unknown send)"
expect_eq "$(($(events) - E1))" 2500 "2,500 more rows"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/huge.json"
post "$TMP/huge.json"
expect_status 413 "over 1 MiB: 413"

# --- the same batch four times at once (SendGrid retrying while the first
# post is still in flight): each event stored once, no deadlock.
python3 - "$TMP/race.json" "$S" "$T" <<'PY'
import json, sys, hashlib, uuid
path, s, t = sys.argv[1], sys.argv[2], int(sys.argv[3])
kinds = ["delivered", "open", "click", "deferred", "bounce"]
sends = [str(uuid.UUID(hashlib.md5((k + s).encode()).hexdigest())) for k in ("engaged", "blocked", "dropped", "deferred")]
json.dump([{"email": "r@example.com", "timestamp": t + i, "event": kinds[i % 5], "type": "blocked",
            "sg_event_id": "race-%s-%d" % (s, i), "email_send_id": sends[i % 4]} for i in range(400)], open(path, "w"))
PY
E2=$(events)
for i in 1 2 3 4; do
	# each its own answer files (request writes $TMP/body)
	(R=$TMP; TMP=$R/r$i; mkdir -p "$TMP"; post "$R/race.json" "" "$R/sendgrid.pem"; echo "$STATUS $BODY" >"$R/race.$i") &
done
wait
expect_eq "$(cat "$TMP"/race.? | cut -d' ' -f1 | sort | uniq -c | tr -s ' ')" " 4 200" "four posts of one batch at once: all 200"
expect_eq "$(cat "$TMP"/race.? | cut -d' ' -f2- | jq -s 'map(.stored) | add')/$(cat "$TMP"/race.? | cut -d' ' -f2- | jq -s 'map(.duplicates) | add')" "400/1200" \
	"...400 stored once between them, 1,200 duplicates"
expect_eq "$(($(events) - E2))" 400 "400 more rows, not 1,600"

# --- the database down: 503, SendGrid retries; then stored ---------------
printf '[{"email":"d@example.com","timestamp":%s,"event":"delivered","sg_event_id":"down%s"}]' "$T" "$S" >"$TMP/down.json"
pg_control stop
post "$TMP/down.json"
expect_status 503 "the database down: 503"
expect_header '^Retry-After: 5' "...with Retry-After"
pg_control start
for _ in $(seq 50); do request GET /readyz; [ "$STATUS" = 200 ] && break; sleep 0.1; done
post "$TMP/down.json"
expect_status 200 "the retry after the database is back: 200"
expect_json '.stored == 1' "...stored"

finish
