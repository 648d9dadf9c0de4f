#!/usr/bin/env bash
# bench/test_mode.sh — what test mode (sql 0018) costs the ingest path.
#
# 0018 changed log_activity_batch(), the one statement the group commit
# runs: each row's is_test is read and stored, a new lead takes its flag
# (GROUP BY instead of DISTINCT), and a probe of the leads_test index
# decides whether a live event must make a test lead live. The count
# triggers skip test rows. On one throw-away instance, in one run, with
# pgbench (-M prepared) at 16 clients, rounds alternating so noise hits
# every variant alike:
#   before       0001's log_activity_batch (the statement as it was up to
#                0017), created here under another name, on the same tables
#   after        the 0018 function, live events
#   after+tl     the same with 1,000 test leads in the table, so the probe
#                finds some and the live-lead update runs on every call
#   after-test   the 0018 function, every event a test one
# each with 1 event per call (a single POST), 100 (a group commit) and
# 1,000 (a batch POST).
# Prints calls/s and events/s, and each variant's ratio to "before".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
CLIENTS=16
out=$top/bench/out/test_mode
rm -rf "$out"; mkdir -p "$out"

source "$top/bench/lib.sh"
bench_instance 19550
CLIENT=$(psql "$OWNER_URL" -qAtX -c "SELECT id FROM clients WHERE slug = 'default'")

# "before": 0001's function, as it ran until 0018, under its own name.
python3 - "$top/sql/0001_core.up.sql" >"$out/before.sql" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
s = src.index('CREATE FUNCTION log_activity_batch(')
b = src.index('$$', src.index('$$', s) + 2)
print(src[s:src.index(';', b) + 1].replace('log_activity_batch(',
    'bench_log_activity_batch_0017(', 1))
EOF
psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 -f "$out/before.sql" \
	-c "GRANT EXECUTE ON FUNCTION bench_log_activity_batch_0017(jsonb) TO PUBLIC"

# script FUNCTION EVENTS IS_TEST → a pgbench script: EVENTS new events
# for random leads of 100,000, in one call of FUNCTION.
script() {
	local f=$out/$1-$2-$3.pgbench flag="'{}'::jsonb"
	# (not '{"is_test":true}': pgbench reads ":true" as a variable)
	[ "$3" = t ] && flag="jsonb_build_object('is_test', true)"
	{
		echo '\set n random(1, 100000)'
		printf "SELECT ord, id, duplicate FROM %s((SELECT jsonb_agg(jsonb_build_object('client_id', :client::uuid, 'lead_id', 'bench-' || ((:n + g) %% 100000), 'event_type', 'MESSAGE_SENT', 'source', 'bench', 'message', 'hello from pgbench') || %s) FROM generate_series(1, %d) g));\n" \
			"$1" "$flag" "$2"
	} >"$f"
	echo "$f"
}

settle() { psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE leads" -c "VACUUM ANALYZE activity_counts" -c "VACUUM ANALYZE activity_counts_hourly" >/dev/null; }
testleads() { # on|off: 1,000 test leads in the table, or none
	psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 -c "UPDATE leads SET is_test = false WHERE is_test" >/dev/null
	[ "$1" = on ] && psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 -c "INSERT INTO leads (client_id, external_id, is_test) SELECT '$CLIENT', 'bench-test-lead-' || g, true FROM generate_series(1, 1000) g ON CONFLICT (client_id, external_id) DO UPDATE SET is_test = true" >/dev/null
	return 0
}
# run NAME FUNCTION EVENTS IS_TEST → calls/s into R[NAME-EVENTS]
declare -A R
run() {
	local f tps
	f=$(script "$2" "$3" "$4")
	settle
	pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" \
		-D client="$CLIENT" -f "$f" "$APP_URL" >"$out/pgbench-$1-$3.txt" 2>&1
	tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$out/pgbench-$1-$3.txt")
	R[$1-$3]=$(( ${R[$1-$3]:-0} + tps ))
}

echo "minicrm test-mode ingest benchmark — $(date -u +%FT%TZ), $(nproc) cores, $CLIENTS clients, ${SECONDS_PER_RUN}s x $ROUNDS rounds per variant" | tee "$out/summary.txt"
# Warm-up: the leads exist before any measured run.
run warm log_activity_batch 100 f
for round in $(seq 1 "$ROUNDS"); do
	for events in 1 100 1000; do
		testleads off
		run before bench_log_activity_batch_0017 "$events" f
		run after log_activity_batch "$events" f
		run after-test log_activity_batch "$events" t
		testleads on
		run after+tl log_activity_batch "$events" f
		testleads off
	done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
for events in 1 100 1000; do
	for v in before after after+tl after-test; do
		cps=$(( R[$v-$events] / ROUNDS ))
		printf '%-11s %3d event(s)/call %8d calls/s %9d events/s   %sx before\n' \
			"$v" "$events" "$cps" "$((cps * events))" \
			"$(ratio "${R[$v-$events]}" "${R[before-$events]}")"
	done
done
echo "(before = 0001's log_activity_batch on the same tables and triggers; the"
echo " is_test column's default costs nothing per row: PostgreSQL 11+ stores it"
echo " in the catalog, so adding it rewrote nothing)"
} | tee -a "$out/summary.txt"
