#!/usr/bin/env bash
# GET /metrics (docs/observability.md): Prometheus' text format that
# Debian's promtool accepts, served to loopback (or with a token, and then
# only with the right one); requests counted by program, route and status,
# latency histograms that are cumulative and agree with their counts, the
# group commit's batches, the database's errors and reconnects, the retry
# queue, the jobs' runs, e-mail and de-enrollment figures, each process's
# memory; and the counts survive a kill -9 of the request process.
source "$(dirname "$0")/lib.sh"

KEY=$(new_key "metrics-$$")
W=metrics-$$

# scrape: the exposition into $TMP/metrics (the status in STATUS).
scrape() {
	request GET /metrics "$@"
	printf '%s\n' "$BODY" >"$TMP/metrics"
}
# value 'name{labels}': the sample's value in the last scrape, or "none".
value() {
	awk -v s="$1" 'index($0, s " ") == 1 { print $2; found = 1 } END { if (!found) print "none" }' "$TMP/metrics"
}
# count 'name{labels}': value, with a missing sample as 0 (a baseline).
count() {
	local v
	v=$(value "$1")
	[ "$v" = none ] && v=0
	printf '%s\n' "$v"
}
post_event() {
	request POST /api/internal/log-activity -H "x-api-key: $KEY" \
		-H 'Content-Type: application/json' --data "$1"
}
INGEST='minicrm_http_requests_total{program="api",route="/api/internal/log-activity",status="201"}'
HIST='minicrm_http_request_duration_seconds'
HL='program="api",route="/api/internal/log-activity"'

# --- the format, from loopback -------------------------------------------
scrape
expect_status 200 "GET /metrics from loopback is served"
expect_header '^Content-Type: text/plain; version=0\.0\.4' "in the text exposition format 0.0.4"
expect_header '^X-Request-Id: [0-9a-f]{32}' "nginx returns its request id"
check "promtool check metrics accepts the live scrape" promtool check metrics <"$TMP/metrics"
# promtool only warns (exit 0) on some problems: none may be printed.
expect_eq "$(promtool check metrics <"$TMP/metrics" 2>&1)" "" "...without a single lint warning"
for p in api admin worker; do
	expect_eq "$(value "minicrm_up{program=\"$p\"}")" 1 "$p is up"
done
rss=$(value 'minicrm_process_resident_memory_bytes{program="api",process="child"}')
check "the api request process's resident memory is there (> 1 MB: $rss)" test "${rss%.*}" -gt 1000000
rss=$(value 'minicrm_process_resident_memory_bytes{program="worker",process="child"}')
check "so is the worker process's ($rss)" test "${rss%.*}" -gt 1000000
expect_eq "$(value minicrm_database_up)" 1 "the database figures are there"

# --- the example scrape config and the alerting rules -----------------------
D=$TOP/dist/prometheus
mkdir -p "$TMP/prom"
cp "$D/minicrm-rules.yml" "$D/minicrm-rules.test.yml" "$TMP/prom/"
# The config names a token file that must exist for a full check.
sed "s#/etc/prometheus/minicrm.token#$TMP/prom/minicrm.token#" "$D/minicrm.yml" >"$TMP/prom/minicrm.yml"
echo example-token >"$TMP/prom/minicrm.token"
check "promtool check config accepts dist/prometheus/minicrm.yml (and its rules)" promtool check config "$TMP/prom/minicrm.yml"
check "promtool check rules accepts dist/prometheus/minicrm-rules.yml" promtool check rules "$D/minicrm-rules.yml"
check "the rules' unit tests pass (promtool test rules)" bash -c 'cd "$1" && promtool test rules minicrm-rules.test.yml' _ "$TMP/prom"
# Every metric the rules use is one /metrics has (a renamed metric would
# silently never alert).
for m in $(grep -oE 'minicrm_[a-z0-9_]+' "$D/minicrm-rules.yml" | sort -u); do
	check "the rules' $m is served" grep -qE "^# TYPE ${m%_bucket} " "$TMP/metrics"
done

# --- requests: counters move ----------------------------------------------
before=$(count "$INGEST")
before_count=$(count "${HIST}_count{$HL}")
for i in 1 2 3; do
	post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-$i\",\"source\":\"$W\",\"idempotency_key\":\"$W-$i\"}"
done
expect_status 201 "three events are logged"
post_event '{"event_type":"NO_SUCH_TYPE"}'
expect_status 400 "and one refused"
scrape
expect_eq "$(value "$INGEST")" $((before + 3)) "three 201s of /api/internal/log-activity are counted"
check "the 400 is counted apart" test "$(value 'minicrm_http_requests_total{program="api",route="/api/internal/log-activity",status="400"}')" -ge 1
expect_eq "$(value "${HIST}_count{$HL}")" $((before_count + 4)) "the latency histogram counted all four"
# Cumulative: each bucket holds at least the one before; +Inf is _count.
awk -v p="${HIST}_bucket{$HL,le=" 'index($0, p) == 1 { if ($2 < last) bad = 1; last = $2; n++ } END { exit !(n > 2 && !bad) }' "$TMP/metrics"
check "its buckets never go down" test $? -eq 0
expect_eq "$(value "${HIST}_bucket{$HL,le=\"+Inf\"}")" "$(value "${HIST}_count{$HL}")" "its +Inf bucket equals its count"
sum=$(value "${HIST}_sum{$HL}")
check "its sum is positive seconds ($sum)" awk -v s="$sum" 'BEGIN { exit !(s > 0 && s < 600) }'
check "the group commit's batches are counted" test "$(value 'minicrm_group_commit_batch_size_count{program="api"}')" -ge 3
check "with the events they held" test "$(value 'minicrm_group_commit_batch_size_sum{program="api"}')" -ge 3

request GET /login
expect_status 200 "the portal's login page answers"
request GET "/leads/no-such-lead-$$"
scrape
check "admin.fcgi's requests are counted by route" test "$(value 'minicrm_http_requests_total{program="admin",route="/login",status="200"}')" -ge 1
check "by the route's pattern, never the path (no ids, no secrets)" bash -c '! grep -q "no-such-lead" "$1"' _ "$TMP/metrics"
request GET "/nothing-here-$$"
request GET "/api/nothing-here-$$?api_key=$KEY"
scrape
check "paths no route matches are one label, (unmatched)" test "$(value 'minicrm_http_requests_total{program="api",route="(unmatched)",status="404"}')" -ge 1
check "no path or query string reaches the metrics" bash -c '! grep -qE "nothing-here|mcrm_" "$1"' _ "$TMP/metrics"

# --- the retry queue -------------------------------------------------------
pending=$(count 'minicrm_retry_queue_rows{state="pending"}')
request POST /api/internal/retry-queue -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	--data '{"payload":{"event_type":"MESSAGE_SENT","lead_id":"rec'$W'q"},"workflow":"'$W'","execution_id":"1","error":"timeout"}'
expect_status 201 "a failed event is queued"
sql "UPDATE retry_queue SET created_at = now() - interval '2 hours' WHERE workflow = '$W'" >/dev/null
scrape
expect_eq "$(value 'minicrm_retry_queue_rows{state="pending"}')" $((pending + 1)) "the retry queue's pending rows count it"
check "the oldest pending row's age is at least its 2 hours" awk -v a="$(value 'minicrm_retry_queue_oldest_age_seconds{state="pending"}')" 'BEGIN { exit !(a >= 7200) }'
sql "UPDATE retry_queue SET state = 'discarded' WHERE workflow = '$W'" >/dev/null

# --- jobs ----------------------------------------------------------------
runs=$(count 'minicrm_job_runs_total{job="prune"}')
t0=$(date +%s)
minicrm job run prune 2>/dev/null
scrape
expect_eq "$(value 'minicrm_job_runs_total{job="prune"}')" $((runs + 1)) "a run of the prune job is counted"
check "its last success is now" awk -v t="$(value 'minicrm_job_last_success_timestamp_seconds{job="prune"}')" -v t0="$t0" 'BEGIN { exit !(t >= t0 - 1) }'
expect_eq "$(value 'minicrm_job_duration_seconds_count{job="prune"}')" $((runs + 1)) "its duration summary counts the run"
failures=$(count 'minicrm_job_failures_total{job="prune"}')
# A failed run: the job's SECURITY DEFINER function is gone for a moment.
sql "ALTER FUNCTION retry_queue_prune(interval, integer) RENAME TO retry_queue_prune_away" >/dev/null
minicrm job run prune 2>/dev/null
sql "ALTER FUNCTION retry_queue_prune_away(interval, integer) RENAME TO retry_queue_prune" >/dev/null
scrape
expect_eq "$(value 'minicrm_job_failures_total{job="prune"}')" $((failures + 1)) "a failed run is counted as a failure"
check "and its time" test "$(value 'minicrm_job_last_failure_timestamp_seconds{job="prune"}' | cut -d. -f1)" -ge $((t0 - 1))

# --- e-mail and de-enrollment figures: every status, even at 0 ------------
for s in queued sent failed bounced; do
	check "e-mail sends of the last 24 hours: $s" test "$(value "minicrm_email_sends_24h{status=\"$s\"}")" != none
done
for s in success partial failed; do
	check "de-enrollment runs of the last 24 hours: $s" test "$(value "minicrm_deenroll_runs_24h{status=\"$s\"}")" != none
done

# --- the database goes away and comes back ---------------------------------
errors=$(count 'minicrm_db_errors_total{program="api",kind="unavailable"}')
reconnects=$(count 'minicrm_db_reconnects_total{program="api",outcome="ok"}')
pg_control stop
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-down\"}"
expect_status 503 "without the database an event gets 503"
scrape
expect_status 200 "/metrics still answers without the database"
expect_eq "$(value minicrm_database_up)" 0 "and says the database figures are missing"
check "promtool accepts that scrape too" promtool check metrics <"$TMP/metrics"
pg_control start
for i in $(seq 40); do post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-back$i\"}"; done
expect_status 201 "the database is back"
scrape
check "the lost connections are counted as errors" test "$(value 'minicrm_db_errors_total{program="api",kind="unavailable"}')" -gt "$errors"
check "and the reconnects" test "$(value 'minicrm_db_reconnects_total{program="api",outcome="ok"}')" -gt "$reconnects"

# --- kill -9 of the request process keeps the counts ----------------------
before=$(count "$INGEST")
starts=$(count 'minicrm_child_starts_total{program="api"}')
master=$(cat "$MINICRM_VAR/run/api.pid")
child=$(pgrep -P "$master" | head -n 1)
kill -9 "$child"
for _ in $(seq 100); do
	c=$(pgrep -P "$master" | head -n 1)
	[ -n "$c" ] && [ "$c" != "$child" ] && break
	sleep 0.05
done
for _ in $(seq 100); do
	post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-after\",\"idempotency_key\":\"$W-after-kill\"}"
	[ "$STATUS" = 201 ] && break
	sleep 0.05
done
expect_status 201 "the new request process logs an event"
scrape
expect_eq "$(value "$INGEST")" $((before + 1)) "after kill -9 the count goes on from where it was"
expect_eq "$(value 'minicrm_child_starts_total{program="api"}')" $((starts + 1)) "and the restart is counted"

# --- the token -----------------------------------------------------------
# nginx sees every test request from 127.0.0.1: with loopback not allowed
# (METRICS_ALLOW_LOOPBACK=0) the request is treated as a remote one.
TOKEN=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
record_secret "$TOKEN"
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
METRICS_ALLOW_LOOPBACK=0 METRICS_TOKEN_SHA256=$HASH "$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "the instance restarts with a token and loopback refused" grep -q "running at" "$TMP/up.log"
scrape
expect_status 403 "without the token a remote client is refused"
expect_json '.error | test("loopback")' "and told how to get in"
scrape -H "Authorization: Bearer wrong-$TOKEN"
expect_status 401 "a wrong token is refused"
expect_header '^WWW-Authenticate: Bearer' "with a Bearer challenge"
scrape -H "Authorization: Basic $(printf 'x:%s' "$TOKEN" | base64)"
expect_status 401 "the token under another scheme is refused"
scrape -H "Authorization: Bearer $TOKEN"
expect_status 200 "the right token is served"
check "promtool accepts it" promtool check metrics <"$TMP/metrics"
check "the config holds no token, only its hash" bash -c '! grep -rqF -- "$1" "$2"/*.conf "$2"/run 2>/dev/null' _ "$TOKEN" "$MINICRM_VAR"
"$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "the instance is back to its settings" grep -q "running at" "$TMP/up.log"
scrape
expect_status 200 "loopback is served again"

finish
