#!/usr/bin/env bash
# run.sh BENCH_BINARY - benchmark our mustache engine against mustache.js on
# the same page (bench/mustache/templates + data.json), in the same run:
# renders per CPU-second of each process (robust when the machine is shared;
# wall-clock rates are printed too) and the ratio (target: ours >= 5x), a byte-for-byte
# comparison of the two pages, and the memory check (1,000,000 renders of the
# compiled page must not allocate or grow).  Installs node, npm and the
# `mustache` package (into bench/mustache/node_modules) when missing; run as
# root for the apt-get step.
# Environment: BENCH_SECONDS (3), BENCH_MEMORY_RENDERS (1000000),
# MUSTACHE_BENCH_MIN_RATIO (5).  Exit 1 if a check fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh BENCH_BINARY}
seconds=${BENCH_SECONDS:-3}
renders=${BENCH_MEMORY_RENDERS:-1000000}
min_ratio=${MUSTACHE_BENCH_MIN_RATIO:-5}
out=build/bench
mkdir -p "$out"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "bench-mustache: installing nodejs and npm"
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench-mustache: node/npm missing and not root: apt-get install nodejs npm" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y nodejs npm >/dev/null 2>&1 ||
		{ apt-get update >/dev/null && apt-get install -y nodejs npm >/dev/null; }
fi
if [ ! -f "$here/node_modules/mustache/package.json" ]; then
	echo "bench-mustache: npm install mustache"
	(cd "$here" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

echo "== mustache: timeline page, 100 rows, partials, escaped values"
ours=$("$bin" "$here" "$seconds" "$renders" "$out/mustache-ours.html")
js=$(node "$here/bench.js" "$here" "$seconds" "$out/mustache-js.html")
val() { printf '%s\n%s\n' "$ours" "$js" | awk -v k="$1" '$1 == k { print $2 }'; }

ok=1
if cmp -s "$out/mustache-ours.html" "$out/mustache-js.html"; then
	same="identical ($(val ours_bytes) bytes)"
else
	same="DIFFERENT (diff $out/mustache-ours.html $out/mustache-js.html)"
	ok=0
fi
ratio=$(awk -v a="$(val ours_per_sec)" -v b="$(val js_per_sec)" 'BEGIN { printf "%.1f", a / b }')
printf '%-36s %8s renders/s of CPU (%s/s wall clock)\n' "ours (C, json-c)" \
	"$(val ours_per_sec)" "$(val ours_wall_per_sec)"
printf '%-36s %8s renders/s of CPU (%s/s wall clock)\n' \
	"mustache.js $(val js_version) (node $(node --version))" \
	"$(val js_per_sec)" "$(val js_wall_per_sec)"
printf '%-36s %8sx (target >= %s)\n' "ratio" "$ratio" "$min_ratio"
printf '%-36s %s\n' "pages" "$same"
if awk -v r="$ratio" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
	echo "ratio BELOW TARGET"
	ok=0
fi
if [ "$renders" -gt 0 ]; then
	printf '%-36s %s renders in %ss of CPU: %s engine allocations (counting %s), heap %s -> %s bytes, RSS %s -> %s (at 10%%) -> %s kB: %s\n' \
		"memory" "$(val mem_renders)" "$(val mem_seconds)" "$(val mem_allocs_during)" \
		"$(val mem_alloc_counting)" "$(val mem_heap_before)" "$(val mem_heap_after)" \
		"$(val mem_rss_kb_before)" "$(val mem_rss_kb_at_10pct)" "$(val mem_rss_kb_after)" \
		"$(val mem_verdict)"
	[ "$(val mem_verdict)" = flat ] || ok=0
fi
[ "$ok" = 1 ] || { echo "bench-mustache: FAILED"; exit 1; }
