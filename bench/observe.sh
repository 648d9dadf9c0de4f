#!/usr/bin/env bash
# bench/observe.sh — what `make bench-observe` runs: the cost of
# observability (issue 14) on the ingest path. Every request now takes two
# clock readings, a few atomic additions in shared memory (metrics.h) and
# writes one log line; the group commit counts its batches.
#
# On one throw-away instance, single-event POSTs through nginx with wrk
# (keep-alive, as bench/ingest.sh), alternating the api.fcgi of this tree
# with the one built from BASE_REF (default: the commit this branch left
# main at, 6845d25), on the same socket, database and nginx; ROUNDS rounds
# of each (default 3) at CONNS connections (default 16), BENCH_SECONDS each
# (default 10). Prints each run and the ratio of the medians (this tree /
# base): 1.00 is no cost; the machine is shared, so runs vary by a few %.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BASE_REF=${BASE_REF:-6845d25}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
out=$top/bench/out
mkdir -p "$out"

# The base program, built from BASE_REF in a folder of its own.
base=$(mktemp -d /tmp/minicrm-bench-base.XXXXXX)
git archive "$BASE_REF" | tar -x -C "$base"
echo "building api.fcgi at $BASE_REF…"
make -s -C "$base" cgi-bin/api.fcgi >/dev/null

source "$top/bench/lib.sh"
bench_instance 19380
trap 'throwaway_cleanup; rm -rf "$base"' EXIT
KEY=$(bin/minicrm apikey create --name bench 2>/dev/null)
export KEY
settle() { psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE leads" -c "VACUUM ANALYZE activity_counts"; }

# use PROGRAM: restart api.fcgi (its master) from PROGRAM on the socket.
use() {
	local pidfile=$MINICRM_VAR/run/api.pid
	kill "$(cat "$pidfile")"
	while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.1; done
	rm -f "$MINICRM_VAR/run/api.sock"
	nohup "$1" --socket "$MINICRM_VAR/run/api.sock" >>"$MINICRM_VAR/log/api.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "api.fcgi did not start from $1" >&2
	return 1
}

run() {
	local log=$out/observe-$1-$2.txt
	settle
	# A new process opens its connections and prepares its statements
	# on its first requests: not part of what is measured.
	wrk -t 2 -c "$CONNS" -d 2s -s bench/ingest.lua "$BASE" >/dev/null 2>&1
	wrk -t 2 -c "$CONNS" -d "${SECONDS_PER_RUN}s" --latency -s bench/ingest.lua "$BASE" >"$log" 2>&1
	if grep -q "Non-2xx" "$log"; then echo "!! $1: some requests failed, see $log"; fi
	awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$log"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "observability's cost on ingest — $(date -u +%FT%TZ), $(nproc) cores, $CONNS conns, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds" | tee "$out/observe.txt"
new=() old=()
for r in $(seq "$ROUNDS"); do
	use "$base/cgi-bin/api.fcgi"
	old+=("$(run base "$r")")
	use "$top/cgi-bin/api.fcgi"
	new+=("$(run tree "$r")")
	printf 'round %d: base %s req/s, this tree %s req/s\n' "$r" "${old[-1]}" "${new[-1]}" | tee -a "$out/observe.txt"
done
m_old=$(median "${old[@]}")
m_new=$(median "${new[@]}")
echo "median: base $m_old req/s, this tree $m_new req/s; ratio $(awk -v a="$m_new" -v b="$m_old" 'BEGIN { printf "%.3f", a / b }') (target >= 0.97)" | tee -a "$out/observe.txt"
