#!/usr/bin/env bash
# run-each.sh [--valgrind] PROGRAM... — run test programs, report each,
# exit non-zero if any failed. A test program's exit code is its verdict.
set -u
vg=()
if [ "${1:-}" = "--valgrind" ]; then
	shift
	vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect)
fi
failed=0
for t in "$@"; do
	if out=$("${vg[@]}" "$t" 2>&1); then
		printf 'ok   %s\n' "$t"
	else
		printf 'FAIL %s\n%s\n' "$t" "$out" | head -n 60
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ] || { echo "$failed test program(s) failed"; exit 1; }
