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
#      then again as SendGrid's re-sends (all duplicates); then a fresh
#      set with two posts at a time; and what reading a post and checking
#      its signature cost alone (a signature that does not match: 401);
#   4. the floor, in the same run: a plain INSERT of the same rows (the
#      email_events rows the webhook wrote, copied aside) into a table
#      shaped as email_events (its indexes, checks, identity, and the
#      foreign key to email_sends), one transaction per 1,000 rows, by psql.
# 3 and 4 take turns BENCH_ROUNDS times (2) on fresh events — the machine's
# load moves during a run — and the best of each is compared.
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

# --- 2. the batches: for each round r, a<r> (one at a time) and b<r>
# (two at a time)
ROUNDS=${BENCH_ROUNDS:-2}
python3 - "$out" "$BATCHES" "$PER" "$ROUNDS" <<'PY'
import json, random, sys, time
out, batches, per, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sends = open(out + "/sends.txt").read().split()
rnd = random.Random(13)
kinds = ["delivered"] * 30 + ["open"] * 35 + ["click"] * 15 + ["processed"] * 12 + \
        ["deferred"] * 6 + ["bounce"] + ["unsubscribe"]
t = int(time.time()) - 3600
for prefix in ["%s%d" % (p, r) for r in range(1, rounds + 1) for p in "ab"]:
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
        json.dump(evs, open("%s/%s-%03d.json" % (out, prefix, b), "w"))
PY
SIZE=$(stat -c %s "$out/a1-000.json")
N=$((BATCHES * PER))
say "batches: $ROUNDS rounds of 2 x $BATCHES posts of $PER events, $((SIZE / 1024)) KB each"

# sign FILE [SKEW]: FILE.sig over a fresh timestamp (FILE.ts) and the body.
sign() {
	local ts
	ts=$(date +%s)
	printf '%s' "$ts" > "$1.ts"
	(printf '%s' "$ts"; cat "$1") | openssl dgst -sha256 -sign "$out/sendgrid.pem" | base64 -w0 > "$1.sig"
}
# posts WANT CONNS SKEW FILE...: POST them, signed, on CONNS keep-alive
# connections (bench/nurture_webhook_post.py); the wall time in ms. A
# status other than WANT is noted in failures.txt.
posts() {
	python3 "$top/bench/nurture_webhook_post.py" "$BASE/api/webhooks/sendgrid" "$@" 2>>"$out/failures.txt"
}
sum() { cat "$out"/$1-*.json.answer | jq -s "map(.$2) | add"; }
: > "$out/failures.txt"
min() { printf '%s\n' "$@" | sort -n | head -n 1; }

psqlo >/dev/null <<'SQL'
CREATE TABLE floor_events (LIKE email_events INCLUDING ALL);
ALTER TABLE floor_events ADD FOREIGN KEY (email_send_id)
	REFERENCES email_sends (id) ON DELETE SET NULL;
SQL
SIGS=() WEBS=() DUPS=() WEB2S=() FLOORS=()
for ((r = 1; r <= ROUNDS; r++)); do
	for f in "$out"/[ab]$r-*.json; do sign "$f"; done
	# --- 3. the webhook
	SIGS+=($(posts 401 1 -1 "$out"/a$r-*.json))
	WEBS+=($(posts 200 1 0 "$out"/a$r-*.json))
	say "round $r: webhook, one post at a time:  $(rate "$N" "${WEBS[-1]}") events/s ($(sum a$r stored) stored; $((WEBS[-1] / BATCHES)) ms a post; reading and checking the signature alone $((SIGS[-1] / BATCHES)) ms)"
	for f in "$out"/a$r-*.json; do sign "$f"; done
	DUPS+=($(posts 200 1 0 "$out"/a$r-*.json))
	say "round $r: webhook, the same re-sent:    $(rate "$N" "${DUPS[-1]}") events/s ($(sum a$r duplicates) duplicates, nothing applied)"
	WEB2S+=($(posts 200 2 0 "$out"/b$r-*.json))
	say "round $r: webhook, two posts at a time: $(rate "$N" "${WEB2S[-1]}") events/s ($(sum b$r stored) stored)"

	# --- 4. the floor: the same rows, plain INSERTs of 1,000, one
	# transaction each
	psqlo >/dev/null <<-SQL
		TRUNCATE floor_events;
		SET client_min_messages = warning; DROP TABLE IF EXISTS floor_src;
		CREATE TABLE floor_src AS SELECT row_number() OVER (ORDER BY id) AS n, *
		FROM email_events WHERE event_hash LIKE 'a$r-%';
		CREATE INDEX ON floor_src (n);
		VACUUM ANALYZE floor_src, floor_events;
	SQL
	for ((b = 0; b < BATCHES; b++)); do
		echo "INSERT INTO floor_events (email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, sg_message_id, email, url, reason, bounce_type, event_timestamp, payload) SELECT email_send_id, organization_id, lead_id, campaign_id, event_type, event_hash, sg_message_id, email, url, reason, bounce_type, event_timestamp, payload FROM floor_src WHERE n > $((b * PER)) AND n <= $(((b + 1) * PER));"
	done > "$out/floor.sql"
	t0=$(now_ms)
	psqlo -f "$out/floor.sql" >/dev/null
	FLOORS+=($(( $(now_ms) - t0 )))
	say "round $r: floor, plain INSERT of the same rows: $(rate "$N" "${FLOORS[-1]}") events/s ($(psqlo -c "SELECT count(*) FROM floor_events") rows)"
done
if [ -s "$out/failures.txt" ]; then say "!! some posts failed:"; tee -a "$out/summary.txt" < "$out/failures.txt"; fi
TOTAL=$(psqlo -c "SELECT count(*) FROM email_events")
TL=$(psqlo -c "SELECT count(*) FROM lead_activity_log WHERE source = 'sendgrid'")
say "check: $TOTAL email_events (want $((2 * ROUNDS * N))), $TL timeline rows, $(psqlo -c "SELECT count(*) FROM workflow_executions") workflow runs"

WEB=$(min "${WEBS[@]}") DUP=$(min "${DUPS[@]}") WEB2=$(min "${WEB2S[@]}") FLOOR=$(min "${FLOORS[@]}") SIG=$(min "${SIGS[@]}")
say "best of $ROUNDS: floor $(rate "$N" "$FLOOR") events/s; webhook $(rate "$N" "$WEB") events/s ($(ratio "$WEB" "$FLOOR")x the floor's time), two at a time $(rate "$N" "$WEB2") events/s ($(ratio "$WEB2" "$FLOOR")x), re-sends $(rate "$N" "$DUP") events/s ($(ratio "$DUP" "$FLOOR")x); a post of $PER read and signature-checked alone: $((SIG / BATCHES)) ms"
