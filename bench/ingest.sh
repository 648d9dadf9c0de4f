#!/usr/bin/env bash
# bench/ingest.sh — what `make bench` runs for the ingest API (issue 2).
#
# On a throw-away instance (its own cluster, nginx and FastCGI programs):
#   1. the database's ceiling: pgbench running the API's own statement
#      (log_activity_batch, -M prepared) at 16 and 64 clients;
#   2. single-event POSTs through nginx with wrk at 16 and 64 connections,
#      keep-alive and Connection: close (n8n's way);
#   3. batches of 1,000 events;
#   4. activity-health with 1,000,000 events logged in the last 48 hours;
#   5. the resident memory of each FastCGI process after it all.
# Prints requests/s, p50 and p99, and the ratios against the ceiling.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
out=$top/bench/out
rm -rf "$out"; mkdir -p "$out"

source "$top/bench/lib.sh"
bench_instance 19080
KEY=$(bin/minicrm apikey create --name bench 2>/dev/null)
CLIENT=$(psql "$OWNER_URL" -qAtX -c "SELECT id FROM clients WHERE slug = 'default'")
export KEY

# wrk_run NAME CONNECTIONS SCRIPT|URL... → sets RPS P50 P99, appends a row
wrk_run() {
	local name=$1 conns=$2 log="$out/wrk-$1-$2.txt"
	shift 2
	wrk -t 2 -c "$conns" -d "${SECONDS_PER_RUN}s" --latency "$@" > "$log" 2>&1
	RPS=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$log")
	P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
	if grep -q "unexpected status\|Non-2xx" "$log"; then
		echo "!! $name: some requests failed, see $log"
	fi
	printf '%-34s %5s conns %10s req/s   p50 %7s ms   p99 %7s ms\n' "$name" "$conns" "$RPS" "$P50" "$P99" | tee -a "$out/summary.txt"
}

# pgbench_run CLIENTS → sets RPS P50 P99 (from the per-transaction log)
pgbench_run() {
	local conns=$1 dir
	dir=$(mktemp -d)
	(cd "$dir" && pgbench -n -M prepared -c "$conns" -j 2 -T "$SECONDS_PER_RUN" \
		-D client="$CLIENT" -f "$top/bench/log_activity.pgbench" -l --log-prefix=pgb \
		"$APP_URL" > "$out/pgbench-$conns.txt" 2>&1)
	RPS=$(awk '/^tps = / { printf "%.0f", $3 }' "$out/pgbench-$conns.txt")
	cat "$dir"/pgb* | awk '{ print $3 }' | sort -n > "$dir/lat"
	P50=$(awk -v n="$(wc -l < "$dir/lat")" 'NR == int(n * 0.50) + 1 { printf "%.2f", $1 / 1000 }' "$dir/lat")
	P99=$(awk -v n="$(wc -l < "$dir/lat")" 'NR == int(n * 0.99) + 1 { printf "%.2f", $1 / 1000 }' "$dir/lat")
	rm -rf "$dir"
	printf '%-34s %5s conns %10s req/s   p50 %7s ms   p99 %7s ms\n' "pgbench ceiling (same statement)" "$conns" "$RPS" "$P50" "$P99" | tee -a "$out/summary.txt"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

: > "$out/summary.txt"
echo "minicrm ingest benchmark — $(date -u +%FT%TZ), $(nproc) cores, ${SECONDS_PER_RUN}s per run" | tee -a "$out/summary.txt"
curl -fsS -o /dev/null -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	-d '{"event_type":"MESSAGE_SENT","lead_id":"warm"}' "$BASE/api/internal/log-activity"

# Each run starts from a vacuumed log, so one run's autovacuum (after
# hundreds of thousands of inserts) does not land in the next one's numbers.
settle() { psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE leads" -c "VACUUM ANALYZE activity_counts"; }

declare -A R
for c in 16 64; do
	settle; pgbench_run "$c";                           R[pg$c]=$RPS
	settle
	wrk_run "ingest keep-alive" "$c" -s bench/ingest.lua "$BASE";          R[ka$c]=$RPS; R[ka${c}p99]=$P99
	CLOSE=1 wrk_run "ingest Connection: close" "$c" -s bench/ingest.lua "$BASE"; R[cl$c]=$RPS
done
SINGLE_REQUESTS=$(awk '/requests in/ { s += $1 } END { print s }' "$out"/wrk-ingest*.txt)
SINGLE_RSS=$(rss api)
settle
wrk_run "batches of 1000 events" 4 -s bench/batch.lua "$BASE"
BATCH_EPS=$((RPS * 1000))

echo "loading 1,000,000 events over the last 48 hours for activity-health…"
psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 -v client="$CLIENT" -f bench/health_data.sql
# One statement of a million rows is a bench artefact (real events trickle
# in): let its vacuum and statistics finish before measuring.
psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE activity_counts" -c "VACUUM ANALYZE activity_counts_hourly"
wrk_run "activity-health (1M events in 48h)" 4 "$BASE/api/internal/activity-health"
HEALTH_P99=$P99
wrk_run "activity-health (1M events in 48h)" 16 "$BASE/api/internal/activity-health"

total=$(awk '/requests in/ { s += $1 } END { print s }' "$out"/wrk-*.txt)
API_RSS=$(rss api)
ADMIN_RSS=$(rss admin)

{
echo
echo "resident memory of api.fcgi after $SINGLE_REQUESTS single-event requests: ${SINGLE_RSS} MB (target < 20 MB)"
echo "  after everything ($total requests, with 1 MiB batches): api.fcgi ${API_RSS} MB, admin.fcgi ${ADMIN_RSS} MB"
echo "ratios against the pgbench ceiling (same statement, same database):"
for c in 16 64; do
	echo "  $c conns: keep-alive $(ratio "${R[ka$c]}" "${R[pg$c]}")x   Connection: close $(ratio "${R[cl$c]}" "${R[pg$c]}")x"
done
echo "targets: keep-alive >= 0.7x ceiling at 64 conns (got $(ratio "${R[ka64]}" "${R[pg64]}")x), p99 < 25 ms (got ${R[ka64p99]} ms);"
echo "         batches >= 50000 events/s (got $BATCH_EPS); activity-health p99 < 5 ms (got $HEALTH_P99 ms at 4 conns)"
} | tee -a "$out/summary.txt"
