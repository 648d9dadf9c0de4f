#!/usr/bin/env bash
# bench/nurture_webhook.sh — `make bench-nurture-webhook` (issue 13, "Runbook
# and speed"): SendGrid's Event Webhook taking in SendGrid-sized batches.
#
# On a throw-away instance with a SendGrid public key configured:
#   1. 10,000 leads, each enrolled with one sent e-mail (set-based SQL);
#   2. BENCH_BATCHES (20) batches of 1,000 events as SendGrid posts them
#      (~480 KB each: delivered, open, click, processed, deferred, a few
#      bounces and unsubscribes, custom_args naming the send), each signed
#      over timestamp + body with openssl;
#   3. the webhook: every batch POSTed through nginx, signature checked,
#      stored and applied (sends, leads, timelines), one at a time and
#      then again as SendGrid's re-sends (all duplicates); then on a fresh
#      set of events with two posts at a time;
#   4. the floor, in the same run: a plain INSERT of the same rows (the
#      email_events rows the webhook wrote, copied aside) into an emptied
#      email_events, one transaction per 1,000 rows, by psql.
# Reported: events/s of each and the ratio to the floor.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/bench/out/nurture_webhook
rm -rf "$out"; mkdir -p "$out"
BATCHES=${BENCH_BATCHES:-20}
PER=1000

say() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }
now_ms() { date +%s%3N; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n / ms * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
: > "$out/summary.txt"

# SendGrid's key pair; the instance starts with the public half.
openssl ecparam -name prime256v1 -genkey -noout -out "$out/sendgrid.pem" 2>/dev/null
SENDGRID_WEBHOOK_PUBLIC_KEY=$(openssl pkey -in "$out/sendgrid.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
export SENDGRID_WEBHOOK_PUBLIC_KEY MINICRM_WORKER=0
source "$top/bench/lib.sh"
bench_instance "${MINICRM_BENCH_PORT:-19420}"
psqlo() { psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }
say "minicrm SendGrid webhook benchmark — $(date -u +%FT%TZ), $(nproc) cores"

# --- 1. the data
psqlo >/dev/null <<'SQL'
INSERT INTO clients (slug, name) VALUES ('bench', 'Bench');
INSERT INTO leads (client_id, external_id, first_name, email)
SELECT c.id, 'lead' || g, 'Lead ' || g, 'lead' || g || '@example.com'
FROM clients c, generate_series(1, 10000) g WHERE c.slug = 'bench';
INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email)
SELECT id, 'Bench', 'team@example.com' FROM clients WHERE slug = 'bench';
INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template)
SELECT id, s, 'Step ' || s, 'Hi {{first_name}}' FROM nurture_campaigns, generate_series(1, 3) s;
SELECT enrolled FROM nurture_enroll((SELECT id FROM nurture_campaigns),
	ARRAY(SELECT id FROM leads WHERE external_id LIKE 'lead%'), now() + interval '1 day', 'bench');
INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number,
	send_status, scheduled_send_time, actual_send_time, to_email, subject)
SELECT organization_id, id, lead_id, campaign_id, 1, 'sent', now(), now(), 'x@example.com', 'Step 1'
FROM lead_campaign_enrollments;
VACUUM ANALYZE leads, email_sends, lead_campaign_enrollments;
SQL
psqlo -c "SELECT id FROM email_sends" > "$out/sends.txt"
say "data: $(wc -l < "$out/sends.txt") leads, each enrolled with one sent e-mail"

# --- 2. the batches: prefix a (sequential) and b (two at a time)
python3 - "$out" "$BATCHES" "$PER" <<'PY'
import json, random, sys, time
out, batches, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sends = open(out + "/sends.txt").read().split()
rnd = random.Random(13)
kinds = ["delivered"] * 30 + ["open"] * 35 + ["click"] * 15 + ["processed"] * 12 + \
        ["deferred"] * 6 + ["bounce"] + ["unsubscribe"]
t = int(time.time()) - 3600
for prefix in "ab":
    for b in range(batches):
        evs = []
        for i in range(per):
            s = rnd.choice(sends)
            k = rnd.choice(kinds)
            e = {"email": "lead@example.com", "timestamp": t + i, "event": k,
                 "smtp-id": "<%s@example.com>" % s,
                 "sg_event_id": "%s-%03d-%04d-ZGVsaXZlcmVkLTAtMjQ0OTk1NjQtWkRH" % (prefix, b, i),
                 "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.%d" % i,
                 "category": ["nurture", "bench"], "email_send_id": s,
                 "lead_id": "lead", "campaign_id": "campaign", "step": "1"}
            if k == "click":
                e["url"] = "https://example.com/offer?utm_source=nurture&n=%d" % i
            if k in ("open", "click"):
                e["useragent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
                e["ip"] = "192.0.2.%d" % (i % 250)
            if k == "bounce":
                e.update(type="bounce", reason="550 5.1.1 user unknown", status="5.1.1")
            if k == "deferred":
                e.update(response="450 4.2.1 try again later", attempt="1")
            if k == "delivered":
                e.update(response="250 2.0.0 OK", tls=1)
            evs.append(e)
        json.dump(evs, open("%s/%s%03d.json" % (out, prefix, b), "w"))
PY
SIZE=$(stat -c %s "$out/a000.json")
say "batches: 2 x $BATCHES of $PER events, $((SIZE / 1024)) KB each"

# sign FILE: its signature file, over a fresh timestamp and the body.
sign() {
	local ts
	ts=$(date +%s)
	printf '%s' "$ts" > "$1.ts"
	(printf '%s' "$ts"; cat "$1") | openssl dgst -sha256 -sign "$out/sendgrid.pem" | base64 -w0 > "$1.sig"
}
# post FILE: POST it, signed; the answer in FILE.answer, a non-200 noted.
post() {
	local code
	code=$(curl -sS -o "$1.answer" -w '%{http_code}' -X POST "$BASE/api/webhooks/sendgrid" \
		-H 'Content-Type: application/json' \
		-H "X-Twilio-Email-Event-Webhook-Signature: $(cat "$1.sig")" \
		-H "X-Twilio-Email-Event-Webhook-Timestamp: $(cat "$1.ts")" \
		--data-binary @"$1")
	[ "$code" = 200 ] || echo "$1: $code $(head -c 200 "$1.answer")" >> "$out/failures.txt"
}
stored() { cat "$out"/$1*.json.answer | jq -s 'map(.stored) | add'; }
dups() { cat "$out"/$1*.json.answer | jq -s 'map(.duplicates) | add'; }
: > "$out/failures.txt"
for f in "$out"/[ab]*.json; do sign "$f"; done
N=$((BATCHES * PER))

# --- 3. the webhook
t0=$(now_ms)
for f in "$out"/a*.json; do post "$f"; done
WEB=$(( $(now_ms) - t0 ))
say "webhook, one post at a time:  $N events in $WEB ms = $(rate "$N" "$WEB") events/s ($(stored a) stored; $((WEB / BATCHES)) ms a post)"
for f in "$out"/a*.json; do sign "$f"; done
t0=$(now_ms)
for f in "$out"/a*.json; do post "$f"; done
DUP=$(( $(now_ms) - t0 ))
say "webhook, the same re-sent:    $N events in $DUP ms = $(rate "$N" "$DUP") events/s ($(dups a) duplicates, nothing applied)"
t0=$(now_ms)
( for f in "$out"/b*[02468].json; do post "$f"; done ) &
P1=$!
( for f in "$out"/b*[13579].json; do post "$f"; done ) &
P2=$!
wait $P1 $P2
WEB2=$(( $(now_ms) - t0 ))
say "webhook, two posts at a time: $N events in $WEB2 ms = $(rate "$N" "$WEB2") events/s ($(stored b) stored)"
if [ -s "$out/failures.txt" ]; then say "!! some posts failed:"; cat "$out/failures.txt" | tee -a "$out/summary.txt"; fi
TOTAL=$(psqlo -c "SELECT count(*) FROM email_events")
TL=$(psqlo -c "SELECT count(*) FROM lead_activity_log WHERE source = 'sendgrid'")
say "check: $TOTAL email_events (want $((2 * N))), $TL timeline rows"

# --- 4. the floor: the same rows, plain INSERTs of 1,000, one transaction each
psqlo >/dev/null <<'SQL'
CREATE TABLE floor_src AS SELECT row_number() OVER (ORDER BY id) AS n, * FROM email_events WHERE event_hash LIKE 'a-%';
TRUNCATE email_events;
SQL
for ((b = 0; b < BATCHES; b++)); do
	echo "INSERT INTO email_events (email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, sg_message_id, email, url, reason, bounce_type, event_timestamp, payload) SELECT email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, sg_message_id, email, url, reason, bounce_type, event_timestamp, payload FROM floor_src WHERE n > $((b * PER)) AND n <= $(((b + 1) * PER));"
done > "$out/floor.sql"
t0=$(now_ms)
psqlo -f "$out/floor.sql" >/dev/null
FLOOR=$(( $(now_ms) - t0 ))
say "floor, plain INSERT of the same rows: $N events in $FLOOR ms = $(rate "$N" "$FLOOR") events/s"
say "ratio: webhook one at a time $(ratio "$WEB" "$FLOOR")x the floor's time; re-sends $(ratio "$DUP" "$FLOOR")x; two at a time $(ratio "$WEB2" "$FLOOR")x"
