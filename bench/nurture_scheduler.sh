#!/usr/bin/env bash
# bench/nurture_scheduler.sh — `make bench-nurture-scheduler` (issue 13,
# "Runbook and speed": the runbook's target is 1,000 enrolments in under
# 10 s; ours is 100,000).
#
# On a throw-away instance:
#   1. 100,000 due enrolments (bench/nurture_scheduler_data.sql: 10
#      clients, 100 campaigns of three steps, 100,000 leads), built once
#      into a template database; each measurement runs on a fresh copy of
#      it, so all start from identical data;
#   2. the set-based floor: one INSERT … SELECT of the same 100,000 sends
#      and one UPDATE of the enrolments (bench/nurture_scheduler_floor.sql);
#   3. one run as the worker does it: `minicrm job run nurture-scheduler`
#      (its wall time and max RSS), NURTURE_SCHEDULER_BATCH (1,000) at a
#      time, each batch committed, on its default two connections
#      (NURTURE_SCHEDULER_WORKERS) and on one;
#   2 and 3 take turns BENCH_NURTURE_ROUNDS times (2) and the best of each
#   is compared. Each result is checked: 100,000 sends, one per enrolment,
#   step 1, due at the enrolment's time; none due left. Target: the run
#   under 10 s; its ratio to the floor reported.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/bench/out/nurture_scheduler
rm -rf "$out"; mkdir -p "$out"

source "$top/bench/lib.sh"
bench_instance "${MINICRM_BENCH_PORT:-19430}"
CLI=${BENCH_CLI:-$top/bin/minicrm}

as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
superuser() {
	as_postgres psql -h "$(readlink -f "$MINICRM_VAR/pg")/run" -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"
}
owner_url() { printf '%s' "${OWNER_URL/\/minicrm\?//$1?}"; }
app_url() { printf '%s' "${APP_URL/\/minicrm\?//$1?}"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
say() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }
min() { printf '%s\n' "$@" | sort -n | head -n 1; }

fresh() {
	superuser "DROP DATABASE IF EXISTS $1" >/dev/null
	superuser "CREATE DATABASE $1 OWNER minicrm_owner TEMPLATE nurture_tpl STRATEGY FILE_COPY" >/dev/null
	superuser "CHECKPOINT" >/dev/null
}
# verify NAME: every due enrolment queued once, step 1, at its time
verify() {
	local got
	got=$(psql "$(owner_url "$1")" -qAtX -c "SELECT
	    (SELECT count(*) FROM email_sends) || ' ' ||
	    (SELECT count(DISTINCT enrollment_id) FROM email_sends WHERE step_number = 1) || ' ' ||
	    (SELECT count(*) FROM email_sends s JOIN lead_campaign_enrollments e ON e.id = s.enrollment_id
	     WHERE e.current_step = 1 AND e.next_send_at > s.scheduled_send_time) || ' ' ||
	    (SELECT count(*) FROM lead_campaign_enrollments WHERE status = 'active' AND next_send_at <= now())")
	if [ "$got" != "$DUE $DUE $DUE 0" ]; then
		say "!! $1: sends, enrolments queued, moved on, still due = $got (wanted $DUE $DUE $DUE 0)"
		return 1
	fi
}

: > "$out/summary.txt"
say "minicrm nurture scheduler benchmark — $(date -u +%FT%TZ), $(nproc) cores"

superuser "CREATE DATABASE nurture_tpl OWNER minicrm_owner" >/dev/null
DATABASE_URL=$(owner_url nurture_tpl) bin/minicrm migrate up >/dev/null
t0=$(now_ms)
psql "$(owner_url nurture_tpl)" -qX -f bench/nurture_scheduler_data.sql >/dev/null
LOAD=$(( $(now_ms) - t0 ))
DUE=$(psql "$(owner_url nurture_tpl)" -qAtX -c "SELECT count(*) FROM lead_campaign_enrollments WHERE status = 'active' AND next_send_at <= now()")
say "data: $DUE due enrolments in 100 campaigns of 10 clients, built in $(secs "$LOAD") s (set-based, vacuumed)"

ROUNDS=${BENCH_NURTURE_ROUNDS:-2}
FLOORS=() RUNS=() RUNS1=()
for ((k = 1; k <= ROUNDS; k++)); do
	fresh nurture_floor
	t0=$(now_ms)
	psql "$(owner_url nurture_floor)" -qX -f bench/nurture_scheduler_floor.sql >/dev/null
	FLOORS+=($(( $(now_ms) - t0 )))
	verify nurture_floor
	say "round $k: floor (one INSERT … SELECT and one UPDATE):    $(secs "${FLOORS[-1]}") s"

	for workers in 2 1; do
		fresh nurture_run
		NURTURE_SCHEDULER_WORKERS=$workers NURTURE_SCHEDULER_MAX_RUNTIME=600000 \
		MINICRM_APP_DATABASE_URL=$(app_url nurture_run) DATABASE_URL=$(owner_url nurture_run) \
			/usr/bin/time -o "$out/time.txt" -f '%e %M' "$CLI" job run nurture-scheduler \
			> "$out/run-$k-$workers.txt" 2>&1
		read -r RUN_S RUN_KB < "$out/time.txt"
		MS=$(awk -v s="$RUN_S" 'BEGIN { printf "%d", s * 1000 }')
		if [ "$workers" = 2 ]; then RUNS+=("$MS"); else RUNS1+=("$MS"); fi
		RSS=$(awk -v kb="$RUN_KB" 'BEGIN { printf "%.1f", kb / 1024 }')
		verify nurture_run
		BATCHES=$(grep -o 'in [0-9]* batches' "$out/run-$k-$workers.txt" | grep -o '[0-9]*' || echo '?')
		say "round $k: minicrm job run nurture-scheduler, $workers connection(s) ($BATCHES batches): $(secs "$MS") s, max RSS $RSS MB"
	done
done
FLOOR=$(min "${FLOORS[@]}") RUN=$(min "${RUNS[@]}") RUN1=$(min "${RUNS1[@]}")
for db in nurture_floor nurture_run; do superuser "DROP DATABASE IF EXISTS $db" >/dev/null; done

{
echo
echo "nurture scheduler, $DUE due enrolments: run $(secs "$RUN") s, floor $(secs "$FLOOR") s, ratio $(ratio "$RUN" "$FLOOR")x (best of $ROUNDS); one connection $(secs "$RUN1") s ($(ratio "$RUN1" "$FLOOR")x)"
echo "target: under 10 s (got $(secs "$RUN") s; $(awk -v n="$DUE" -v ms="$RUN" 'BEGIN { printf "%.0f", n / ms * 1000 }') enrolments/s)"
} | tee -a "$out/summary.txt"
