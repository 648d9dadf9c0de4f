#!/usr/bin/env bash
# bench/deenroll.sh — `make bench-deenroll` (issue 12, "Speed").
#
# On a throw-away instance:
#   1. 100 clients, 1,000,000 leads, 100,000 of them at the end of their
#      campaign (bench/deenroll_data.sql), built once into a template
#      database; each measurement runs on a fresh copy of it (CREATE
#      DATABASE … TEMPLATE), so all start from identical data;
#   2. the set-based floor: one statement doing the run's updates and
#      inserts for every client at once (bench/deenroll_floor.sql);
#   3. one full run as the job does it: `minicrm deenroll` (bin/minicrm,
#      or BENCH_CLI; its wall time and max RSS) with its default two
#      workers (DE_ENROLLMENT_WORKERS) and with one, and the same batches by
#      SQL (tests/deenroll_loop.sql); 2 and 3 take turns
#      BENCH_DEENROLL_ROUNDS times (2), and the best of each is compared;
#   4. the CLI's memory with 10,000 and with 100,000 finished leads;
#   5. ingest through nginx of MESSAGE_SENT with campaign and step (each
#      moves a lead) against plain MESSAGE_SENT, single events and batches
#      of 1,000, to show what the progress trigger costs.
# Each run is checked: every finished lead completed, one lead-log row and
# one CAMPAIGN_COMPLETED event each, no drift. Targets: the run at most 2x
# the floor and under 10 s; memory flat.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
out=$top/bench/out/deenroll
rm -rf "$out"; mkdir -p "$out"

source "$top/bench/lib.sh"
bench_instance "${MINICRM_BENCH_PORT:-19380}"
KEY=$(bin/minicrm apikey create --name bench 2>/dev/null)
export KEY
CLI=${BENCH_CLI:-$top/bin/minicrm}
{ "$CLI" 2>&1 || true; } | grep -q "minicrm deenroll" || CLI=

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

# fresh NAME: a copy of the template, checkpointed, so no run pays for
# another's dirty pages.
fresh() {
	superuser "DROP DATABASE IF EXISTS $1" >/dev/null
	superuser "CREATE DATABASE $1 OWNER minicrm_owner TEMPLATE deenroll_tpl STRATEGY FILE_COPY" >/dev/null
	superuser "CHECKPOINT" >/dev/null
}
# verify NAME FINISHED: the run completed them all, logged and evented each
verify() {
	local got
	got=$(psql "$(owner_url "$1")" -qAtX -c "SELECT
	    (SELECT count(*) FROM leads WHERE completed_at IS NOT NULL) || ' ' ||
	    (SELECT count(*) FROM de_enrollment_lead_log) || ' ' ||
	    (SELECT count(*) FROM lead_activity_log WHERE event_type = 'CAMPAIGN_COMPLETED') || ' ' ||
	    (SELECT count(*) FROM leads l JOIN campaigns c ON l.campaign_link_id = c.id
	     WHERE l.is_active AND l.completed_at IS NULL
	       AND l.current_message_position >= jsonb_array_length(c.messages)) || ' ' ||
	    (SELECT campaigns_recalculate())")
	if [ "$got" != "$2 $2 $2 0 0" ]; then
		say "!! $1: completed, logged, evented, stuck, drift = $got (wanted $2 $2 $2 0 0)"
		return 1
	fi
}

: > "$out/summary.txt"
say "minicrm de-enrollment benchmark — $(date -u +%FT%TZ), $(nproc) cores"

# --- 1. the data, once
superuser "CREATE DATABASE deenroll_tpl OWNER minicrm_owner" >/dev/null
DATABASE_URL=$(owner_url deenroll_tpl) bin/minicrm migrate up >/dev/null
t0=$(now_ms)
psql "$(owner_url deenroll_tpl)" -qX -f bench/deenroll_data.sql >/dev/null
psql "$(owner_url deenroll_tpl)" -qX -c "VACUUM ANALYZE clients, campaigns, leads, lead_activity_log, activity_counts"
LOAD=$(( $(now_ms) - t0 ))
read -r LEADS FINISHED <<<"$(psql "$(owner_url deenroll_tpl)" -qAtX -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE current_message_position >= 5) FROM leads")"
say "data: $LEADS leads of 100 clients, $FINISHED finished, built in $(secs "$LOAD") s (set-based, vacuumed)"

# cli_run NAME [WORKERS] → sets CLI_MS, CLI_RSS (MB)
cli_run() {
	DE_ENROLLMENT_WORKERS=${2:-2} \
	MINICRM_APP_DATABASE_URL=$(app_url "$1") DATABASE_URL=$(owner_url "$1") \
		/usr/bin/time -o "$out/time-$1.txt" -f '%e %M' "$CLI" deenroll \
		> "$out/cli-$1.txt" 2>&1
	read -r CLI_S CLI_KB < "$out/time-$1.txt"
	CLI_MS=$(awk -v s="$CLI_S" 'BEGIN { printf "%d", s * 1000 }')
	CLI_RSS=$(awk -v kb="$CLI_KB" 'BEGIN { printf "%.1f", kb / 1024 }')
}
leads_per_s() { awk -v n="$FINISHED" -v ms="$1" 'BEGIN { printf "%.0f", n / ms * 1000 }'; }
min() { printf '%s\n' "$@" | sort -n | head -n 1; }

# --- 2. and 3. the floor, the run by SQL and the CLI, in turns: on a
# shared machine the load moves during a run, so each is measured ROUNDS
# times, alternating, and the best of each compared.
ROUNDS=${BENCH_DEENROLL_ROUNDS:-2}
FLOORS=() LOOPS=() RUNS=() RUNS1=()
for ((k = 1; k <= ROUNDS; k++)); do
	fresh deenroll_floor
	t0=$(now_ms)
	psql "$(owner_url deenroll_floor)" -qX -f bench/deenroll_floor.sql >/dev/null
	FLOORS+=($(( $(now_ms) - t0 )))
	verify deenroll_floor "$FINISHED"
	say "round $k: floor (one statement, every client):        $(secs "${FLOORS[-1]}") s"

	fresh deenroll_sql
	t0=$(now_ms)
	psql "$(app_url deenroll_sql)" -qX -v ON_ERROR_STOP=1 -v client= -v batch=100 -f tests/deenroll_loop.sql >/dev/null
	LOOPS+=($(( $(now_ms) - t0 )))
	verify deenroll_sql "$FINISHED"
	read -r BATCHES <<<"$(psql "$(owner_url deenroll_sql)" -qAtX -c "SELECT sum(batches) FROM de_enrollment_runs")"
	say "round $k: run by SQL ($BATCHES batches of 100, each committed): $(secs "${LOOPS[-1]}") s"

	if [ -n "$CLI" ]; then
		fresh deenroll_cli
		cli_run deenroll_cli
		verify deenroll_cli "$FINISHED"
		RUNS+=("$CLI_MS") RSS100=$CLI_RSS
		say "round $k: minicrm deenroll (all 100 clients, 2 workers): $(secs "$CLI_MS") s, max RSS $CLI_RSS MB"

		fresh deenroll_cli
		cli_run deenroll_cli 1
		verify deenroll_cli "$FINISHED"
		RUNS1+=("$CLI_MS")
		say "round $k: minicrm deenroll (one worker):                $(secs "$CLI_MS") s, max RSS $CLI_RSS MB"
	fi
done
FLOOR=$(min "${FLOORS[@]}") LOOP=$(min "${LOOPS[@]}")
say "best of $ROUNDS: floor $(secs "$FLOOR") s; run by SQL $(secs "$LOOP") s ($(ratio "$LOOP" "$FLOOR")x, $(leads_per_s "$LOOP") leads/s)"
if [ -n "$CLI" ]; then
	RUN=$(min "${RUNS[@]}")
	RUN1=$(min "${RUNS1[@]}")
	say "best of $ROUNDS: minicrm deenroll $(secs "$RUN") s ($(ratio "$RUN" "$FLOOR")x the floor, $(leads_per_s "$RUN") leads/s); one worker $(secs "$RUN1") s ($(ratio "$RUN1" "$FLOOR")x)"

	# --- 4. memory: 10,000 finished leads instead of 100,000
	fresh deenroll_10k
	psql "$(owner_url deenroll_10k)" -qX -c "UPDATE leads SET current_message_position = 4, messages_received = 4
	    WHERE current_message_position = 5 AND substr(external_id, 6)::integer % 100 <> 0" -c "VACUUM ANALYZE leads" >/dev/null
	cli_run deenroll_10k
	verify deenroll_10k $((FINISHED / 10))
	say "minicrm deenroll, 10,000 finished leads:     $(secs "$CLI_MS") s, max RSS $CLI_RSS MB (100,000: $RSS100 MB)"
else
	RUN=$LOOP
	say "minicrm deenroll: not in this build (set BENCH_CLI); the run by SQL stands for it"
fi
for db in deenroll_floor deenroll_sql deenroll_cli deenroll_10k; do superuser "DROP DATABASE IF EXISTS $db" >/dev/null; done

# --- 5. ingest: campaign steps against plain MESSAGE_SENT
psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<-'SQL'
	INSERT INTO campaigns (client_id, name, messages)
	SELECT id, 'Bench drip', (SELECT jsonb_agg(jsonb_build_object('body', s)) FROM generate_series(1, 10) s)
	FROM clients WHERE slug = 'default';
	INSERT INTO leads (client_id, external_id, campaign_link_id, enrolled_at)
	SELECT c.client_id, 'bench-' || i, c.id, now() FROM campaigns c, generate_series(1, 100000) i
	WHERE c.name = 'Bench drip';
	SELECT campaigns_recalculate();
	VACUUM ANALYZE leads;
SQL
settle() { psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE leads" -c "VACUUM ANALYZE activity_counts" -c "VACUUM ANALYZE campaigns"; }
# wrk_eps NAME CONNS CAMPAIGN BATCH → EPS (events/s), P99
wrk_eps() {
	local log="$out/wrk-$1.txt"
	settle
	CAMPAIGN=$3 BATCH=$4 wrk -t 2 -c "$2" -d "${SECONDS_PER_RUN}s" --latency -s bench/ingest_campaign.lua "$BASE" > "$log" 2>&1
	EPS=$(awk -v b="$4" '/^Requests\/sec/ { printf "%.0f", $2 * b }' "$log")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
	grep -q "unexpected status" "$log" && say "!! $1: some requests failed, see $log"
	printf '%-44s %8s events/s   p99 %7s ms\n' "$1" "$EPS" "$P99" | tee -a "$out/summary.txt"
}
wrk_eps "single MESSAGE_SENT, plain (16 conns)" 16 0 1;            PLAIN1=$EPS
wrk_eps "single MESSAGE_SENT, campaign step (16 conns)" 16 1 1;    CAMP1=$EPS
wrk_eps "batches of 1000, plain (4 conns)" 4 0 1000;               PLAINB=$EPS
wrk_eps "batches of 1000, campaign steps (4 conns)" 4 1 1000;      CAMPB=$EPS
MOVED=$(psql "$OWNER_URL" -qAtX -c "SELECT count(*) FROM leads WHERE current_message_position > 0")

{
echo
echo "de-enrollment of $FINISHED finished leads among $LEADS: run $(secs "$RUN") s, floor $(secs "$FLOOR") s, ratio $(ratio "$RUN" "$FLOOR")x"
echo "targets: at most 2x the floor (got $(ratio "$RUN" "$FLOOR")x), under 10 s (got $(secs "$RUN") s), memory flat (${RSS100:-n/a} MB at 100,000 vs ${CLI_RSS:-n/a} MB at 10,000)"
echo "ingest with campaign steps / plain: single $(ratio "$CAMP1" "$PLAIN1")x, batches $(ratio "$CAMPB" "$PLAINB")x ($MOVED leads moved by the steps)"
} | tee -a "$out/summary.txt"
