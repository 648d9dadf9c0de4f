#!/usr/bin/env bash
# test.sh — what `make test` runs: the unit tests (plain, under ASan/UBSan,
# under valgrind), then a throw-away instance on a free port with every
# HTTP test against it (nginx -> FastCGI -> PostgreSQL), then tear-down.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

failed=()
step() {
	local name=$1; shift
	printf '\n== %s\n' "$name"
	if "$@"; then return 0; fi
	failed+=("$name")
}

free_port() {
	local p
	for p in $(seq 18080 18999); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

MINICRM_VAR=$(mktemp -d /tmp/minicrm-test.XXXXXX)
MINICRM_PORT=$(free_port)
export MINICRM_VAR MINICRM_PORT
export MINICRM_CONF=$MINICRM_VAR/minicrm.conf
cleanup() {
	scripts/instance.sh down >/dev/null 2>&1 || true
	[ -L "$MINICRM_VAR/pg" ] && rm -rf "$(readlink "$MINICRM_VAR/pg")"
	rm -rf "$MINICRM_VAR"
}
trap cleanup EXIT

step "unit tests" make -s unit
step "unit tests under ASan and UBSan" make -s unit-san
step "unit tests under valgrind" make -s unit-valgrind

printf '\n== starting a test instance in %s on port %s\n' "$MINICRM_VAR" "$MINICRM_PORT"
if scripts/instance.sh up > "$MINICRM_VAR/up.log" 2>&1; then
	for t in tests/http/test_*.sh; do
		step "$t" bash "$t"
	done
else
	cat "$MINICRM_VAR/up.log"
	failed+=("instance start")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	for f in "$MINICRM_VAR"/log/*.log; do
		[ -f "$f" ] && { echo "--- $f (last lines)"; tail -n 20 "$f"; }
	done
	exit 1
fi
echo "all tests passed"
