#!/usr/bin/env bash
# test-sanitized.sh — what `make test-sanitized` runs: the programs
# themselves (api.fcgi, admin.fcgi, the worker and the CLI), built with
# AddressSanitizer and UndefinedBehaviorSanitizer, serve every HTTP test of
# make test; any report of either (a bad read or write, a use after free,
# undefined behaviour, memory lost by the time a program exits) fails the
# run. The unit tests already run under both in make test; this puts the
# servers under them, with real requests through nginx.
#
# The build happens in a copy of the tree (tracked files) under /tmp, so
# the tree's own build is left alone.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
copy=$(mktemp -d /tmp/minicrm-sanitized.XXXXXX)
reports=$copy/reports
mkdir -p "$reports"
trap 'rm -rf "$copy"' EXIT

git -C "$top" ls-files -z | (cd "$top" && xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$copy"
cd "$copy"
echo "== building the programs with ASan and UBSan in $copy"
CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
LDFLAGS='-fsanitize=address,undefined' make -s all >"$copy/build.log" 2>&1 || {
	cat "$copy/build.log"; exit 1; }

source "$copy/scripts/throwaway.sh"
top=$copy	# throwaway.sh's instance.sh is the copy's
throwaway_start "${MINICRM_TEST_PORT:-18680}"
trap 'throwaway_cleanup; rm -rf "$copy"' EXIT
cp -r templates "$MINICRM_VAR/templates"
export MINICRM_TEMPLATES=$MINICRM_VAR/templates REPLAY_INTERVAL=0 DEENROLL_INTERVAL=0 MINICRM_SANITIZED=1
# Every sanitized process writes its reports to a file of its own.
export ASAN_OPTIONS=detect_leaks=1:log_path=$reports/asan
export UBSAN_OPTIONS=print_stacktrace=1:log_path=$reports/ubsan
throwaway_up || exit 1

failed=()
# Given test files (as scripts/test.sh takes them), just those.
if [ $# -gt 0 ]; then tests=("$@"); else tests=(tests/http/test_*.sh); fi
for t in "${tests[@]}"; do
	printf '\n== %s (sanitized programs)\n' "$t"
	bash "$t" || failed+=("$t")
done
# Stop the programs now: a leak is reported when a program exits.
"$copy/scripts/instance.sh" down >/dev/null 2>&1
sleep 1

echo
n=$(find "$reports" -type f | wc -l)
if [ "$n" -gt 0 ]; then
	echo "FAILED: $n sanitizer reports:"
	for f in "$reports"/*; do echo "--- $f"; head -n 40 "$f"; done
	failed+=("sanitizer reports")
fi
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "every HTTP test passed against the sanitized programs; no sanitizer report"
