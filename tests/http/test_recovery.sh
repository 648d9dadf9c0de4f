#!/usr/bin/env bash
# The SOP's recovery, without an operator: the portal goes down, n8n keeps
# queueing events through its direct INSERT (as minicrm_n8n), the portal
# comes back, and the worker replays the queue by itself — every event
# logged exactly once, the ones logged before the outage not again, the
# queue left with nothing pending. And SIGTERM in the middle of a long
# replay stops it within seconds with no row half-processed.
source "$(dirname "$0")/lib.sh"

W=recov-$$
KEY=$(new_key "recovery-$$")
N8N_URL=$(sed -n "s/^MINICRM_N8N_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
n8n_sql() { psql "$N8N_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
event() { printf '{"event_type":"MESSAGE_SENT","lead_id":"rec%s-%s","source":"%s","execution_id":"%s"%s}' "$W" "$1" "$W" "$1" "${2:+,\"idempotency_key\":\"$W-$1\"}"; }
logged() { sql "SELECT count(*) FROM lead_activity_log WHERE source = '$W'"; }
pending() { sql "SELECT count(*) FROM retry_queue WHERE workflow = '$W' AND state = 'pending'"; }

# Five events logged before the outage (n8n will queue them again).
for i in 1 2 3 4 5; do
	request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$(event "old$i" key)"
done
expect_status 201 "events are logged before the outage"

# --- the outage: the FastCGI programs stop --------------------------------
for p in api admin; do kill "$(cat "$MINICRM_VAR/run/$p.pid")"; done
for _ in $(seq 50); do
	kill -0 "$(cat "$MINICRM_VAR/run/api.pid")" 2>/dev/null ||
		kill -0 "$(cat "$MINICRM_VAR/run/admin.pid")" 2>/dev/null || break
	sleep 0.1
done
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$(event down key)"
check "the API is down (status $STATUS)" test "$STATUS" -ge 500

# n8n's error branch falls back to the database: 200 new events (half with
# an idempotency key, half without) and the five already logged.
VALUES=$(for i in $(seq 200); do
	if [ $((i % 2)) -eq 0 ]; then k=key; else k=; fi
	printf "('%s', '%s', '%s', 'ECONNREFUSED'),\n" "$(event "$i" $k)" "$W" "$i"
done; for i in 1 2 3 4 5; do printf "('%s', '%s', 'old%s', 'ECONNREFUSED'),\n" "$(event "old$i" key)" "$W" "$i"; done)
check "minicrm_n8n queues 205 events with the documented INSERT" n8n_sql "INSERT INTO retry_queue (payload, workflow, execution_id, error) VALUES ${VALUES%,} ON CONFLICT DO NOTHING"
expect_eq "$(pending)" 205 "205 rows pending"
BEFORE=$(logged)
expect_eq "$BEFORE" 5 "the log holds only the five from before"

# --- the portal comes back: instance.sh up restarts the programs and the
# worker, whose first round replays the queue ---------------------------
# (make test runs its worker with REPLAY_INTERVAL=0, so that no replay
# meets the other tests; this one is the worker as make run starts it.)
REPLAY_INTERVAL=900 "$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "instance.sh up brings the API back" curl -fsS "$BASE/readyz"
for _ in $(seq 300); do [ "$(pending)" -eq 0 ] && break; sleep 0.1; done
expect_eq "$(pending)" 0 "the worker emptied the queue by itself"
expect_eq "$(logged)" 205 "exactly 200 new events in the log"
expect_eq "$(sql "SELECT count(*) FROM (SELECT execution_id FROM lead_activity_log WHERE source = '$W' GROUP BY execution_id HAVING count(*) > 1) d")" 0 "none of them twice"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = '$W' AND idempotency_key NOT LIKE '$W-%'")" 100 "...including the 100 sent without an idempotency key"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$W' AND state = 'done'")" 205 "every row is done"
check "the worker logged the replay: 200 logged, 5 duplicates" grep -qE 'job replay: 205 taken, 200 logged, 5 duplicates, 0 failed' "$MINICRM_VAR/log/worker.log"
"$TOP/bin/minicrm" job run replay 2>/dev/null
expect_eq "$?:$(logged)" "0:205" "replaying again stores nothing"

# --- SIGTERM during a long replay --------------------------------------
# The instance's worker stays out of it (it replays at start only).
L=long-$$
sql "INSERT INTO retry_queue (payload, workflow, error)
     SELECT format('{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$L-%s\",\"source\":\"$L\"}', i), '$L', 'HTTP 503'
     FROM generate_series(1, 4000) i" >/dev/null
"$TOP/bin/minicrm" job run replay 2>"$TMP/long.log" &
J=$!
for _ in $(seq 200); do
	[ "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$L' AND state = 'done'")" -gt 0 ] && break
	sleep 0.05
done
# SIGTERM, and again and again until it exits (an impatient operator, a
# supervisor): each signal lands in some database call of the batch being
# finished, and none may turn into "database unavailable" (a zero-timeout
# poll fails with EINTR when a signal arrives; 4 runs in 10 failed so
# before db.c asked again).
T0=$(date +%s%N)
while kill -TERM "$J" 2>/dev/null; do :; done
wait "$J"
RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$RC" 0 "SIGTERM mid-replay (sent until it exits): job run replay exits 0"
check "...within 3 s (took ${MS} ms)" test "$MS" -lt 3000
DONE=$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$L' AND state = 'done'")
check "it had replayed part of the queue ($DONE of 4000)" test "$DONE" -gt 0 -a "$DONE" -lt 4000
check "and says it was interrupted" grep -q 'job replay: .*interrupted' "$TMP/long.log"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = '$L'")" "$DONE" "no row half-processed: one event per done row"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$L' AND state = 'pending' AND attempts = 0")" $((4000 - DONE)) "the rest pending, untouched"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$L' AND state = 'done' AND log_id IS NULL")" 0 "every done row points at its event"
"$TOP/bin/minicrm" job run replay 2>/dev/null
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE source = '$L'"):$(sql "SELECT count(*) FROM retry_queue WHERE workflow = '$L' AND state <> 'done'")" "4000:0" "the next run finishes it: 4000 events, once each"

# Back to the test run's own worker, which never replays by itself.
"$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1

finish
