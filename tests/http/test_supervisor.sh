#!/usr/bin/env bash
# A crashed program comes back by itself. api.fcgi, admin.fcgi and the
# worker each run as a master (src/http/supervisor.h) that owns the socket and
# restarts its child: kill -9 of the api's request process under steady
# load is an outage of well under a second, and no acknowledged event is
# lost or stored twice (the clients re-send with their idempotency keys,
# as n8n's Retry On Fail does); the admin portal and the worker come back
# the same way; a child that keeps dying is restarted with a back-off, not
# in a spin; SIGTERM to the masters stops everything and leaves no orphan,
# and a master killed outright takes its child with it.
#
# The figures measured are printed with the checks (and in the summary
# line starting "outage:"), so that a run's log keeps them.
source "$(dirname "$0")/lib.sh"

RUN=$MINICRM_VAR/run
LOG=$MINICRM_VAR/log
W=sup-$$
KEY=$(new_key "supervisor-$$")
KILLER_PID=
CLIENT_PIDS=()
trap 'kill $KILLER_PID ${CLIENT_PIDS[*]} 2>/dev/null; rm -rf "$TMP"' EXIT

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
master() { cat "$RUN/$1.pid"; }
# The child of the master in $RUN/NAME.pid (empty if it has none).
child_of() { pgrep -P "$(master "$1")" 2>/dev/null | head -n 1; }
# wait_child NAME OLD: up to 5 s for a child other than OLD; prints it.
wait_child() {
	local c
	for _ in $(seq 100); do
		c=$(child_of "$1")
		[ -n "$c" ] && [ "$c" != "$2" ] && { echo "$c"; return 0; }
		sleep 0.05
	done
	return 1
}
# A zombie has exited: here PID 1 may reap the processes instance.sh
# started (they outlive its shell) only seconds later.
gone() { [ ! -r "/proc/$1/stat" ] || grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
running() { [ -n "$1" ] && ! gone "$1"; }
# same_master NAME PID: the PID file still names PID, which still runs.
same_master() { test "$(master "$1")" = "$2" && running "$2"; }
# wait_gone SECONDS PID...: true once every PID has exited.
wait_gone() {
	local t=$1 p left
	shift
	for _ in $(seq $((t * 20))); do
		left=0
		for p in "$@"; do gone "$p" || left=1; done
		[ $left -eq 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# --- api.fcgi under load: kill -9 the request process ---------------------
# Each client posts events one after another, re-sending each until it is
# answered 2xx (with the same idempotency key), until $TMP/stop exists; it
# logs one line per answer: the time in ms, the status, the key.
client() {
	local c=$1 i=0 key status deadline=$((SECONDS + 20))
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		key=$W-c$c-$i
		while :; do
			status=$(curl -s -o /dev/null -w '%{http_code}' -m 10 \
				-X POST "$BASE/api/internal/log-activity" \
				-H "x-api-key: $KEY" -H 'Content-Type: application/json' \
				--data "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$key\",\"source\":\"$W\",\"idempotency_key\":\"$key\"}")
			printf '%s %s %s\n' "$(now_ms)" "$status" "$key"
			case $status in 2??) break ;; esac
			[ $SECONDS -lt $deadline ] || return 1
			sleep 0.02
		done
	done
}

MASTER=$(master api)
OLD=$(child_of api)
check "api.fcgi's master runs a request process (pid ${OLD:-none})" test -n "$OLD"
# Before the supervisor there is no child: kill the one process there is,
# so that the checks below measure what that costs.
[ -n "$OLD" ] || OLD=$MASTER
CLIENTS=4
for c in $(seq $CLIENTS); do
	client "$c" >"$TMP/client$c.log" &
	CLIENT_PIDS+=($!)
done
sleep 2
T_KILL=$(now_ms)
kill -9 "$OLD"
NEW=$(wait_child api "$OLD")
check "a new request process replaced the killed one ($OLD -> ${NEW:-none})" test -n "$NEW"
for _ in $(seq 100); do curl -fsS -o /dev/null "$BASE/healthz" && break; sleep 0.05; done
sleep 2
touch "$TMP/stop"
ok_clients=0
for p in "${CLIENT_PIDS[@]}"; do wait "$p" && ok_clients=$((ok_clients + 1)); done
CLIENT_PIDS=()
expect_eq "$ok_clients" $CLIENTS "every client got every one of its events answered 2xx in the end"
check "the master, still the pid file's process, did not exit" same_master api "$MASTER"
check "the socket is still there, and answers" bash -c "test -S '$RUN/api.sock' && curl -fsS -o /dev/null '$BASE/healthz'"
check "the master logged the death and the new pid" grep -qE "request process $OLD killed by signal 9 \(Killed\) after [0-9.]+ s; restarted as $NEW\$" "$LOG/api.log"

T_END=$(now_ms)
cat "$TMP"/client*.log >"$TMP/answers"
SENT=$(awk '{print $3}' "$TMP/answers" | sort -u | wc -l)
ACKED=$(awk '$2 ~ /^2/ {print $3}' "$TMP/answers" | sort -u)
N_ACKED=$(grep -c . <<<"$ACKED")
FAILED_ANSWERS=$(awk '$2 !~ /^2/' "$TMP/answers" | wc -l)
# The longest wait between two 2xx answers (any client), before the kill
# and from the kill on: the outage as the clients saw it (up to the end of
# the load if nothing was answered after the kill).
gaps() { awk '$2 ~ /^2/ {print $1}' "$TMP/answers" | sort -n | awk -v k="$T_KILL" -v end="$T_END" -v mode="$1" '
	NR > 1 && (mode == "before" ? $1 < k : $1 >= k) && $1 - prev > max { max = $1 - prev }
	$1 >= k { after = 1 }
	{ prev = $1 }
	END { if (mode == "after" && !after) max = end - prev; print max + 0 }'; }
GAP_BEFORE=$(gaps before)
GAP_KILL=$(gaps after)
LATER_OK=$(awk -v k="$T_KILL" '$2 ~ /^2/ && $1 >= k + 1000' "$TMP/answers" | wc -l)
printf 'outage: longest gap between 2xx answers %s ms after the kill -9 (%s ms before it); %s 2xx from 1 s after it on; %s non-2xx answers re-sent; %s events\n' \
	"$GAP_KILL" "$GAP_BEFORE" "$LATER_OK" "$FAILED_ANSWERS" "$SENT"
check "under load ($SENT events from $CLIENTS clients), the longest gap between answers across the kill is under 3 s (${GAP_KILL} ms; ${GAP_BEFORE} ms before it)" test "$GAP_KILL" -lt 3000
check "...and the load was served on after it ($LATER_OK events answered 2xx from 1 s after the kill on)" test "$LATER_OK" -gt 0
sql "SELECT idempotency_key || ' ' || count(*) FROM lead_activity_log WHERE source = '$W' GROUP BY idempotency_key" | sort >"$TMP/stored"
expect_eq "$(awk '$2 != 1' "$TMP/stored" | wc -l)" 0 "no event is stored twice"
expect_eq "$(comm -23 <(sort <<<"$ACKED") <(awk '{print $1}' "$TMP/stored") | wc -l)" 0 "every acknowledged event ($N_ACKED) is stored"
expect_eq "$(wc -l <"$TMP/stored"):$N_ACKED" "$SENT:$SENT" "all $SENT events sent are acknowledged and stored once"

# --- admin.fcgi: kill -9, /login answers again ------------------------------
MASTER=$(master admin)
OLD=$(child_of admin)
check "admin.fcgi's master runs a request process (pid ${OLD:-none})" test -n "$OLD"
[ -n "$OLD" ] || OLD=$MASTER
T0=$(now_ms)
kill -9 "$OLD"
NEW=$(wait_child admin "$OLD")
for _ in $(seq 100); do request GET /login; [ "$STATUS" = 200 ] && break; sleep 0.02; done
MS=$(($(now_ms) - T0))
printf 'outage: admin.fcgi answered /login again %s ms after the kill -9\n' "$MS"
expect_status 200 "after kill -9 of admin.fcgi's request process, /login answers again"
check "...within 3 s (${MS} ms)" test "$MS" -lt 3000
check "in a new request process ($OLD -> ${NEW:-none})" test -n "$NEW"
check "the master logged it" grep -qE "request process $OLD killed by signal 9 \(Killed\) after [0-9.]+ s; restarted as $NEW\$" "$LOG/admin.log"
RELOADS=$(grep -c 'SIGHUP: reloading' "$LOG/admin.log")
check "make reload signals the master" "$TOP/scripts/instance.sh" reload
for _ in $(seq 40); do [ "$(grep -c 'SIGHUP: reloading' "$LOG/admin.log")" -gt "$RELOADS" ] && break; sleep 0.05; done
check "...which passes SIGHUP on to the new request process" test "$(grep -c 'SIGHUP: reloading' "$LOG/admin.log")" -gt "$RELOADS"
check "which keeps running" running "$NEW"

# --- the worker: kill -9 its worker process, jobs run again ----------------
MASTER=$(master worker)
OLD=$(child_of worker)
check "the worker's master runs a worker process (pid ${OLD:-none})" test -n "$OLD"
[ -n "$OLD" ] || OLD=$MASTER
RUNS=$(grep -c 'job compact:' "$LOG/worker.log")
T0=$(now_ms)
kill -9 "$OLD"
NEW=$(wait_child worker "$OLD")
check "a new worker process replaced the killed one ($OLD -> ${NEW:-none})" test -n "$NEW"
check "the worker's master, still the pid file's process, did not exit" same_master worker "$MASTER"
for _ in $(seq 100); do [ "$(grep -c 'job compact:' "$LOG/worker.log")" -gt "$RUNS" ] && break; sleep 0.05; done
MS=$(($(now_ms) - T0))
printf 'outage: the worker ran its jobs again within %s ms of the kill -9\n' "$MS"
check "...and runs the jobs again (a new 'job compact:' line)" test "$(grep -c 'job compact:' "$LOG/worker.log")" -gt "$RUNS"
check "the master logged it" grep -qE "worker process $OLD killed by signal 9 \(Killed\) after [0-9.]+ s; restarted as $NEW\$" "$LOG/worker.log"

# --- a crash loop: restarted with a back-off, not in a spin ----------------
# For 6 s, kill every request process of api.fcgi as soon as it appears.
RESTARTS=$(grep -c 'restarted as' "$LOG/api.log")
MASTER=$(master api)
(
	end=$((SECONDS + 6))
	while [ $SECONDS -lt $end ]; do
		pkill -9 -P "$MASTER" 2>/dev/null
		sleep 0.01
	done
) &
KILLER_PID=$!
wait "$KILLER_PID"
KILLER_PID=
N=$(($(grep -c 'restarted as' "$LOG/api.log") - RESTARTS))
# The back-off (0, 0.25, 0.5, 1, 2, 4 s) allows 5 or 6 starts in 6 s.
check "a request process killed as soon as it starts, for 6 s, is restarted $N times: from 3 (it keeps coming back) to 8 (a back-off, not a spin)" test "$N" -ge 3 -a "$N" -le 8
check "the master says it is backing off" grep -qE 'request process [0-9]+ killed by signal 9 \(Killed\) after [0-9.]+ s; restarting in [0-9.]+ s \([0-9]+ deaths within 10 s of starting in a row\)' "$LOG/api.log"
T0=$(now_ms)
for _ in $(seq 200); do curl -fsS -o /dev/null "$BASE/readyz" && break; sleep 0.05; done
MS=$(($(now_ms) - T0))
check "once the killing stops, the API is back within the longest back-off ($MS ms)" curl -fsS -o /dev/null "$BASE/readyz"
check "the master, still the pid file's process, did not exit" same_master api "$MASTER"

# --- the master killed outright: its child does not stay behind -----------
MASTER=$(master api)
CHILD=$(child_of api)
kill -9 "$MASTER"
child_follows() { test -n "$CHILD" && wait_gone 2 "$MASTER" "$CHILD"; }
check "kill -9 of api.fcgi's master: its request process (${CHILD:-none}) exits within 2 s" child_follows
"$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "instance.sh up starts it again" curl -fsS -o /dev/null "$BASE/readyz"

# --- SIGTERM to the masters stops everything, no orphan --------------------
PIDS=()
for p in api admin worker; do
	PIDS+=("$(master $p)" $(pgrep -P "$(master $p)"))
done
T0=$(now_ms)
for p in api admin worker; do kill -TERM "$(master $p)"; done
wait_gone 5 "${PIDS[@]}"
MS=$(($(now_ms) - T0))
printf 'stop: the three masters and their children exited %s ms after SIGTERM\n' "$MS"
# Under the sanitizers each process checks its heap for leaks as it exits.
LIMIT=2000
[ "${MINICRM_SANITIZED:-0}" != 1 ] || LIMIT=5000
check "SIGTERM to the three masters: they and their three children (${PIDS[*]}) exit within $LIMIT ms (${MS} ms)" test ${#PIDS[@]} -eq 6 -a "$MS" -lt $LIMIT
check "...no request process of this instance is left" bash -c "! pgrep -f '$RUN/(api|admin)\\.sock'"
check "the masters removed their sockets" bash -c "! test -e '$RUN/api.sock' && ! test -e '$RUN/admin.sock'"
check "the worker said it stopped" grep -q 'worker stopped by a signal' "$LOG/worker.log"
"$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
check "instance.sh up starts everything again" curl -fsS -o /dev/null "$BASE/readyz"

finish
