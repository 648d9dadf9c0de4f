#!/usr/bin/env bash
# PostgreSQL goes away while the API is up: requests get 503 with
# Retry-After (n8n retries, then the retry queue), /health says so, the
# liveness probe stays up, and when PostgreSQL is back the API works again
# without restarting anything.
source "$(dirname "$0")/lib.sh"

KEY=$(new_key restart-test)
post() { request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' --data "$1"; }
api_pid=$(cat "$MINICRM_VAR/run/api.pid")

# Warm every worker's connection and key cache, so the outage hits live
# connections rather than fresh ones.
for i in $(seq 40); do post "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"warm-$i\"}"; done
expect_status 201 "events are logged before the outage"

pg_control stop
for i in $(seq 20); do
	post "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"down-$$-$i\",\"idempotency_key\":\"down-$$-$i\"}"
	[ "$STATUS" = 503 ] || break
done
expect_status 503 "while the database is down, every event gets 503"
expect_header '^Retry-After: [0-9]+' "503 carries Retry-After"
expect_json '.error | test("database")' "the 503 body says the database is unavailable"
request GET /health
expect_status 503 "/health reports the database down"
request GET /readyz
expect_status 503 "/readyz reports not ready"
request GET /api/internal/activity-health
expect_status 503 "activity-health answers 503 without a database"
request GET /healthz
expect_status 200 "the liveness probe stays up"
check "the API process did not exit" kill -0 "$api_pid"

pg_control start
# The first request on each worker finds its old connection dead and opens
# a new one before sending anything: no request fails after the restart.
ok=0
for i in $(seq 60); do
	post "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"back-$$-$i\",\"idempotency_key\":\"back-$$-$i\"}"
	[ "$STATUS" = 201 ] && ok=$((ok + 1))
done
expect_eq "$ok" 60 "after the database is back, all 60 events are logged at once"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key LIKE 'back-$$-%'")" 60 "...and stored"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log WHERE idempotency_key LIKE 'down-$$-%'")" 0 "nothing answered 503 was stored"
request GET /health
expect_status 200 "/health is healthy again"
expect_eq "$(cat "$MINICRM_VAR/run/api.pid")" "$api_pid" "the same API process served throughout"
check "the API process is still the one started" kill -0 "$api_pid"

finish
