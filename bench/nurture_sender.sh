#!/usr/bin/env bash
# bench/nurture_sender.sh — `make bench-nurture-sender` (issue 13, "Runbook
# and speed"): the nurture e-mail sender's throughput with the rate cap
# lifted (N8N_MAX_EMAILS_PER_MINUTE=0), against the SendGrid stand-in
# (tests/http/sendgrid_standin.py, --quiet: it counts, keeps nothing).
#
# On a throw-away instance, BENCH_ROUNDS (2) rounds, taking turns:
#   1. the floor: the stand-in's own ceiling, wrk posting the same request
#      (a rendered e-mail's JSON, Authorization header) for BENCH_SECONDS
#      (10) on one connection, one request at a time — as the sender calls
#      it — and, for scale, on four connections;
#   2. BENCH_SENDS (5,000) queued sends of 5,000 leads (set-based SQL, as
#      the scheduler would queue them; a 1.5 KB HTML step with five tokens
#      from the lead's columns and metadata), sent by one run of `minicrm
#      job run nurture-sender`: claimed, rendered, posted over its four
#      connections, settled with EMAIL_SENT in each lead's timeline; with
#      the default batch (16) and with NURTURE_SENDER_BATCH=BENCH_BATCH
#      (100). Checked: every send sent with a message id, one EMAIL_SENT
#      each, the stand-in received each once.
# Reported: sends/s, the best of each, and the ratios to the ceilings.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
N=${BENCH_SENDS:-5000}
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
out=$top/bench/out/nurture_sender
rm -rf "$out"; mkdir -p "$out/sg"

# The instance's worker must not send the bench's e-mails itself.
export NURTURE_SENDER_INTERVAL=0
source "$top/bench/lib.sh"
bench_instance "${MINICRM_BENCH_PORT:-19410}"
python3 tests/http/sendgrid_standin.py "$out/sg" --key bench-key --quiet & SG_PID=$!
trap 'kill $SG_PID 2>/dev/null; throwaway_cleanup' EXIT
for _ in $(seq 50); do [ -f "$out/sg/port" ] && break; sleep 0.1; done
SG=http://127.0.0.1:$(cat "$out/sg/port")

now_ms() { date +%s%3N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
say() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }
q() { psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
max() { printf '%s\n' "$@" | sort -g | tail -n 1; }

: > "$out/summary.txt"
say "minicrm nurture sender benchmark — $(date -u +%FT%TZ), $(nproc) cores, $N sends a round"

bin/minicrm client create bench-nurture >/dev/null
q "INSERT INTO leads (client_id, external_id, first_name, last_name, email, metadata)
   SELECT k.id, 'bn-' || i, 'First' || i, 'Last' || i, 'lead' || i || '@bench.example',
          jsonb_build_object('company', 'Company ' || i || ' & Partners', 'city', 'City ' || i % 100)
   FROM clients k, generate_series(1, $N) i WHERE k.slug = 'bench-nurture'"
CAMPAIGN=$(q "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email, from_name)
   SELECT id, 'Bench nurture', 'news@bench.example', 'Bench News' FROM clients WHERE slug = 'bench-nurture' RETURNING id" | head -n 1)
q "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template)
   VALUES ('$CAMPAIGN', 1, 'Welcome {{first_name}}, a note for {{company}}',
   '<html><body><h1>Hello {{first_name}} {{last_name}}</h1>' || repeat('<p>We are glad {{company}} in {{city}} is with us. This paragraph is the kind of copy a nurture e-mail carries, long enough to weigh what a real one weighs.</p>', 8)
   || '<p><a href=\"https://example.com/unsubscribe\">Unsubscribe</a></p></body></html>')"
q "INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, current_step, status)
   SELECT client_id, id, '$CAMPAIGN', 1, 'completed' FROM leads WHERE external_id LIKE 'bn-%'"
# queue: every enrolment's step 1 queued again, due now
queue() {
	q "DELETE FROM lead_activity_log WHERE event_type = 'EMAIL_SENT'" 2>/dev/null || true
	q "TRUNCATE email_sends CASCADE" >/dev/null 2>&1 || q "UPDATE email_sends SET send_status = 'failed' WHERE false"
	q "INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, scheduled_send_time)
	   SELECT organization_id, id, lead_id, campaign_id, 1, now() - interval '1 minute' FROM lead_campaign_enrollments
	   WHERE campaign_id = '$CAMPAIGN'"
	q "VACUUM ANALYZE email_sends" 2>/dev/null || true
	q "VACUUM ANALYZE leads"
	q "VACUUM ANALYZE lead_activity_log"
}

# One rendered e-mail as the sender posts it: the floor's request.
cat >"$out/floor.lua" <<-EOF
	local f = io.open("$out/request.json", "rb")
	local body = f:read("*a")
	f:close()
	wrk.method = "POST"
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer bench-key"
	function response(status, headers, body)
		if status ~= 202 then print("unexpected status " .. status) end
	end
EOF
# floor CONNS → RPS
floor() {
	local log="$out/wrk-c$1.txt"
	wrk -t 1 -c "$1" -d "${SECS}s" -s "$out/floor.lua" "$SG/v3/mail/send" >"$log" 2>&1
	grep -q "unexpected status" "$log" && say "!! the floor got answers other than 202: see $log"
	RPS=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$log")
}

# sender BATCH → SPS (sends/s), RSS (MB): one run over a fresh queue of
# $N, checked
sender() {
	queue
	local t0 ms kb sent ids events got
	t0=$(now_ms)
	N8N_MAX_EMAILS_PER_MINUTE=0 SENDGRID_API_URL=$SG SENDGRID_API_KEY=bench-key \
	MINICRM_APP_DATABASE_URL=$APP_URL NURTURE_SENDER_BATCH=$1 \
		/usr/bin/time -o "$out/time.txt" -f '%e %M' bin/minicrm job run nurture-sender >"$out/run.txt" 2>&1
	ms=$(( $(now_ms) - t0 ))
	cat "$out/run.txt" >>"$out/runs.txt"
	read -r _ kb <"$out/time.txt"
	read -r sent ids events <<<"$(q "SELECT count(*) FILTER (WHERE send_status = 'sent'),
	    count(*) FILTER (WHERE sendgrid_message_id IS NOT NULL),
	    (SELECT count(*) FROM lead_activity_log WHERE event_type = 'EMAIL_SENT')
	    FROM email_sends" | tr '|' ' ')"
	got=$(curl -sS "$SG/_count" | jq .count)
	curl -sS -X POST "$SG/_reset" >/dev/null
	if [ "$sent $ids $events $got" != "$N $N $N $N" ]; then
		say "!! batch $1: sent, message ids, EMAIL_SENT, received = $sent $ids $events $got (wanted $N each); see $out/runs.txt"
		exit 1
	fi
	SPS=$(awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%.0f", n / ms * 1000 }')
	RSS=$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')
	TOOK=$(awk -v ms="$ms" 'BEGIN { printf "%.2f", ms / 1000 }')
}

BIG=${BENCH_BATCH:-100}
FLOORS=() FLOORS4=() RUNS=() RUNSB=()
for ((k = 1; k <= ROUNDS; k++)); do
	sender ""; RUNS+=("$SPS")
	say "round $k: minicrm job run nurture-sender (default batch, 4 connections): $N sent in $TOOK s = $SPS sends/s, max RSS $RSS MB"
	sender "$BIG"; RUNSB+=("$SPS")
	say "round $k: the same, NURTURE_SENDER_BATCH=$BIG:                     $N sent in $TOOK s = $SPS sends/s, max RSS $RSS MB"
	if [ "$k" -eq 1 ]; then
		q "SELECT json_build_object('personalizations', json_build_array(json_build_object('to',
		     json_build_array(json_build_object('email', to_email)))),
		   'from', json_build_object('email', 'news@bench.example', 'name', 'Bench News'),
		   'subject', subject, 'content', json_build_array(json_build_object('type', 'text/html', 'value', body)),
		   'custom_args', json_build_object('email_send_id', id::text, 'lead_id', lead_id::text,
		     'campaign_id', campaign_id::text, 'step', '1'))
		   FROM email_sends ORDER BY id LIMIT 1" >"$out/request.json"
		say "request: $(wc -c <"$out/request.json") bytes of JSON"
	fi
	floor 1; FLOORS+=("$RPS")
	floor 4; FLOORS4+=("$RPS")
	curl -sS -X POST "$SG/_reset" >/dev/null
	say "round $k: floor, the stand-in's ceiling (wrk, same request): ${FLOORS[-1]} req/s on 1 connection, ${FLOORS4[-1]} on 4"
done

RUN=$(max "${RUNS[@]}") RUNB=$(max "${RUNSB[@]}") FLOOR=$(max "${FLOORS[@]}") FLOOR4=$(max "${FLOORS4[@]}")
{
echo
echo "best of $ROUNDS: sender $RUN sends/s (batch $BIG: $RUNB); the stand-in's ceiling $FLOOR req/s on one connection ($FLOOR4 on 4)"
echo "ratio sender / ceiling on one connection: $(ratio "$RUN" "$FLOOR")x (batch $BIG: $(ratio "$RUNB" "$FLOOR")x); / ceiling on 4: $(ratio "$RUN" "$FLOOR4")x ($(ratio "$RUNB" "$FLOOR4")x)"
} | tee -a "$out/summary.txt"
