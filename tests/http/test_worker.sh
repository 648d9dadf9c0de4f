#!/usr/bin/env bash
# The worker and its jobs: alerts to a Slack-compatible webhook (a local
# receiver started here) — once per condition, not once per run, with a
# "cleared" message; a webhook that is down never fails the job and loses
# nothing; the advisory lock makes a second run of a job skip; the worker
# runs its jobs on their schedules and stops cleanly on SIGTERM.
source "$(dirname "$0")/lib.sh"

HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" &
HOOK_PID=$!
LOCK_PID=
trap 'kill $HOOK_PID $LOCK_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
# The path is the secret part of a real webhook URL: it must never be logged.
export ALERT_WEBHOOK_URL="http://127.0.0.1:$(cat "$HOOK/port")/services/T0/B0/sekrit-$$"
record_secret "/services/T0/B0/sekrit-$$" "/hooks/sekrit"

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
received() { lines "$HOOK/received"; }
refused() { lines "$HOOK/refused"; }
last_text() { tail -n 1 "$HOOK/received" | jq -r .text; }
# run_job NAME: one run from the CLI; its exit status in RC, its log kept.
run_job() { "$TOP/bin/minicrm" job run "$1" 2>>"$TMP/jobs.log"; RC=$?; }
dead_row() {
	sql "INSERT INTO retry_queue (payload, workflow, execution_id, lead_id, event_type, error, attempts, state)
	     VALUES ('{}', 'UYSP-Kajabi-SMS-Scheduler', '$1', 'rec$1', 'MESSAGE_SENT', '$2', 5, 'dead') RETURNING id"
}

# --- the instance's worker: make run started one; it stops on SIGTERM -----
WPID=$(cat "$MINICRM_VAR/run/worker.pid" 2>/dev/null)
check "instance.sh up started a worker" kill -0 "$WPID"
check "...which logs one line per job run" grep -q 'job compact: folded' "$MINICRM_VAR/log/worker.log"
kill -TERM "$WPID"
for _ in $(seq 50); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
check "on SIGTERM the idle worker exits within 5 s" bash -c "! kill -0 $WPID 2>/dev/null"
check "...saying so" grep -q 'worker stopped by a signal' "$MINICRM_VAR/log/worker.log"
# From here on the jobs run only from this test: start from no alert state.
sql "DELETE FROM alert_state; UPDATE retry_queue SET state = 'discarded' WHERE state = 'pending';
     UPDATE retry_queue SET dead_alerted_at = now() WHERE state IN ('dead', 'refused');
     UPDATE api_keys SET last_refused_at = now() - interval '2 hours' WHERE last_refused_at IS NOT NULL" >/dev/null

# --- the queue above 20: one alert over several runs, then one "cleared" --
sql "INSERT INTO retry_queue (payload, workflow, state, next_attempt_at, created_at)
     SELECT '{}', 'wt-backlog', 'pending', now() + interval '1 day', now() - interval '2 hours'
     FROM generate_series(1, 21)" >/dev/null
for i in 1 2 3; do run_job alerts; done
expect_eq "$RC" 0 "the alerts job succeeds"
expect_eq "$(received)" 1 "21 pending events: one alert over three runs"
check "it gives the count" grep -q '21 events pending' <<<"$(last_text)"
check "and the oldest's age" grep -q 'oldest waiting 2 h 0[0-9] min' <<<"$(last_text)"
check "the webhook got Slack's JSON shape" jq -e 'keys == ["text"]' "$HOOK/received"
sql "INSERT INTO retry_queue (payload, workflow, state, next_attempt_at)
     SELECT '{}', 'wt-backlog', 'pending', now() + interval '1 day' FROM generate_series(1, 30)" >/dev/null
run_job alerts
expect_eq "$(received)" 1 "the queue growing further does not alert again"
sql "UPDATE retry_queue SET state = 'discarded' WHERE workflow = 'wt-backlog'" >/dev/null
run_job alerts
run_job alerts
expect_eq "$(received)" 2 "back under 20: one cleared message over two runs"
check "it says the queue is back" grep -q 'Retry queue back to 0 pending' <<<"$(last_text)"
check "and when the alert was raised" grep -q 'raised [0-9-]* [0-9:]* UTC)' <<<"$(last_text)"

# --- a dead event: one alert with the SOP's fields and its last error -----
ID=$(dead_row "exec-$$" "event_type: unknown type <!channel>")
run_job alerts
run_job alerts
expect_eq "$(received)" 3 "a dead row: one alert over two runs"
TEXT=$(last_text)
check "it names the workflow" grep -q 'Workflow: UYSP-Kajabi-SMS-Scheduler' <<<"$TEXT"
check "the execution" grep -q "Execution: exec-$$" <<<"$TEXT"
check "the lead" grep -q "Lead: recexec-$$" <<<"$TEXT"
check "the event" grep -q 'Event: MESSAGE_SENT' <<<"$TEXT"
check "the last error, with Slack markup escaped" grep -q 'Last error: event_type: unknown type &lt;!channel&gt;' <<<"$TEXT"
check "and how to replay it" grep -q "minicrm replay --id $ID" <<<"$TEXT"
expect_eq "$(sql "SELECT dead_alerted_at IS NOT NULL FROM retry_queue WHERE id = $ID")" t "the row records its alert"
# A burst of dead rows is one summary, not a flood.
for i in $(seq 12); do dead_row "burst-$$-$i" "HTTP 500" >/dev/null; done
run_job alerts
expect_eq "$(received)" 4 "12 rows dead at once: one summary alert"
check "it counts them" grep -q '12 events went dead' <<<"$(last_text)"
expect_eq "$(sql "SELECT count(*) FROM retry_queue WHERE state = 'dead' AND dead_alerted_at IS NULL")" 0 "...and marks them all alerted"

# --- the webhook answers 500: the job succeeds, the alert waits -----------
touch "$HOOK/fail"
ID=$(dead_row "down-$$" "timeout")
sql "INSERT INTO retry_queue (payload, workflow, state, next_attempt_at)
     SELECT '{}', 'wt-backlog2', 'pending', now() + interval '1 day' FROM generate_series(1, 25)" >/dev/null
run_job alerts
expect_eq "$RC" 0 "the webhook answering 500 does not fail the job"
check "the webhook was tried" test "$(refused)" -ge 1
expect_eq "$(received)" 4 "nothing was delivered"
expect_eq "$(sql "SELECT dead_alerted_at IS NULL FROM retry_queue WHERE id = $ID")" t "the dead row stays not alerted"
run_job alerts
expect_eq "$(sql "SELECT pending_send::text || ' ' || (last_error LIKE '%HTTP 500%')::text FROM alert_state WHERE condition = 'retry_queue_backlog'")" "true true" "the queue alert waits, with the webhook's error"
check "the log names the webhook's host" grep -q "alert NOT sent (127.0.0.1: HTTP 500" "$TMP/jobs.log"
check "...but never its secret path" bash -c "! grep -q sekrit '$TMP/jobs.log'"
rm "$HOOK/fail"
run_job alerts
expect_eq "$(received)" 6 "the webhook back: the dead alert and the queue alert arrive on the next run"
check "the dead row's alert came" grep -q "Execution: down-$$" "$HOOK/received"
check "the queue's alert came" grep -q '25 events pending' "$HOOK/received"
run_job alerts
expect_eq "$(received)" 6 "...once"

# --- no webhook listening at all: fails fast, the job still succeeds ------
ID=$(dead_row "refused-$$" "timeout")
T0=$(date +%s%N)
ALERT_WEBHOOK_URL=http://127.0.0.1:1/hooks/sekrit run_job alerts
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$RC" 0 "a webhook refusing connections does not fail the job"
check "...nor holds it up (took ${MS} ms)" test "$MS" -lt 5000
expect_eq "$(sql "SELECT dead_alerted_at IS NULL FROM retry_queue WHERE id = $ID")" t "the alert is kept for later"
run_job alerts
check "and sent once the webhook is reachable" grep -q "Execution: refused-$$" "$HOOK/received"
sql "UPDATE retry_queue SET state = 'discarded' WHERE workflow = 'wt-backlog2'" >/dev/null
run_job alerts
check "the queue's cleared message follows" grep -q 'Retry queue back to 0 pending' <<<"$(last_text)"

# --- no events in the last hour inside business hours: one alert ---------
# Business hours around the clock, and the last two hours' counts put aside.
export MINICRM_BUSINESS_DAYS=1-7 MINICRM_BUSINESS_HOURS=0-24
sql "CREATE TABLE wt_counts AS SELECT * FROM activity_counts WHERE bucket >= now() - interval '2 hours';
     DELETE FROM activity_counts WHERE bucket >= now() - interval '2 hours';
     CREATE TABLE wt_hourly AS SELECT * FROM activity_counts_hourly WHERE bucket >= now() - interval '3 hours';
     DELETE FROM activity_counts_hourly WHERE bucket >= now() - interval '3 hours'" >/dev/null
N=$(received)
run_job health
run_job health
expect_eq "$RC" 0 "the health job succeeds"
expect_eq "$(received)" $((N + 1)) "no events in business hours: one alert over two runs"
check "it says so" grep -q 'No activity events logged in the last hour, inside business hours' <<<"$(last_text)"
MINICRM_BUSINESS_HOURS=0-0 run_job health
expect_eq "$(received)" $((N + 2)) "outside business hours the condition clears"
check "...saying why" grep -q 'business hours are over' <<<"$(last_text)"
run_job health
expect_eq "$(received)" $((N + 3)) "in business hours again: alerted again"
sql "INSERT INTO activity_counts SELECT * FROM wt_counts; DROP TABLE wt_counts;
     INSERT INTO activity_counts_hourly SELECT * FROM wt_hourly; DROP TABLE wt_hourly" >/dev/null
sql "INSERT INTO activity_counts (bucket, shard, client_id, event_type, events)
     SELECT date_trunc('minute', now()), 0, id, 'MESSAGE_SENT', 1 FROM clients WHERE slug = 'default'
     ON CONFLICT (bucket, shard, client_id, event_type) DO UPDATE SET events = activity_counts.events + 1;
     INSERT INTO activity_counts_hourly (bucket, shard, client_id, event_type, events)
     SELECT date_trunc('hour', now()), 0, id, 'MESSAGE_SENT', 1 FROM clients WHERE slug = 'default'
     ON CONFLICT (bucket, shard, client_id, event_type) DO UPDATE SET events = activity_counts_hourly.events + 1" >/dev/null
run_job health
expect_eq "$(received)" $((N + 4)) "an event logged: one cleared message"
check "it says events are logged again" grep -q 'Activity events are logged again' <<<"$(last_text)"
unset MINICRM_BUSINESS_DAYS MINICRM_BUSINESS_HOURS

# --- the advisory lock: a second run of the same job skips ----------------
PGAPPNAME=wt-lock psql "$OWNER_URL" -qAtX -c "SELECT pg_advisory_lock(hashtext('minicrm.job.replay'))" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
LOCK_PID=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
	sleep 0.1
done
run_job replay
expect_eq "$RC" 3 "the replay's lock held elsewhere: job run replay exits 3 (skipped)"
check "...and logs that it skipped" grep -q 'job replay: skipped: another run holds its lock' "$TMP/jobs.log"
run_job compact
expect_eq "$RC" 0 "another job runs meanwhile (one lock per job)"
# The session ends (pg_sleep would outlive its psql): the lock goes with it.
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wt-lock'" >/dev/null
wait "$LOCK_PID" 2>/dev/null; LOCK_PID=
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" -eq 0 ] && break
	sleep 0.1
done
run_job replay
expect_eq "$RC" 0 "the lock released: the replay runs"
"$TOP/bin/minicrm" job run no-such-job 2>/dev/null
expect_eq "$?" 2 "an unknown job is a usage error (2)"

# --- the worker: every job on its schedule; SIGTERM ends it cleanly -------
REPLAY_INTERVAL=900 "$TOP/bin/minicrm" worker 2>"$TMP/worker1.log" &
W=$!
for _ in $(seq 50); do grep -q 'job compact:' "$TMP/worker1.log" && break; sleep 0.1; done
check "the worker runs every job once at start" bash -c "grep -q 'job replay:' '$TMP/worker1.log' && grep -q 'job alerts:' '$TMP/worker1.log' && grep -q 'job health:' '$TMP/worker1.log'"
expect_eq "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0 "between runs the worker holds no job lock"
kill -TERM "$W"; wait "$W"
REPLAY_INTERVAL=1 ALERT_INTERVAL=1 HEALTH_INTERVAL=1 COMPACT_INTERVAL=1 \
	"$TOP/bin/minicrm" worker 2>"$TMP/worker.log" &
W=$!
# Three runs take about 2 s; allow a loaded machine up to 15 s.
for _ in $(seq 150); do [ "$(grep -c 'job replay:' "$TMP/worker.log")" -ge 3 ] && break; sleep 0.1; done
check "with 1 s intervals the replay ran at least three times" test "$(grep -c 'job replay:' "$TMP/worker.log")" -ge 3
check "so did the alerts, health and compaction jobs" bash -c "grep -q 'job alerts:' '$TMP/worker.log' && grep -q 'job health:' '$TMP/worker.log' && grep -q 'job compact:' '$TMP/worker.log'"
T0=$(date +%s%N)
kill -TERM "$W"
wait "$W"
RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$RC" 0 "SIGTERM: the worker exits 0"
check "...within 3 s (took ${MS} ms)" test "$MS" -lt 3000
check "the worker never logged the webhook's path" bash -c "! grep -q sekrit '$TMP/worker.log'"

# Leave the instance as it was: a worker running.
unset ALERT_WEBHOOK_URL
MINICRM_WORKER=1 "$TOP/scripts/instance.sh" up >/dev/null 2>&1
check "instance.sh up starts the worker again" kill -0 "$(cat "$MINICRM_VAR/run/worker.pid")"

finish
