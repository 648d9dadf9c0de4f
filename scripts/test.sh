#!/usr/bin/env bash
# test.sh — what `make test` runs: the unit tests (plain, under ASan/UBSan,
# under valgrind), then a throw-away instance on a free port with every
# HTTP test against it (nginx -> FastCGI -> PostgreSQL), the browser tests
# (Chromium) against the same instance, then a check that no log holds a
# key or password the tests made (tests/http/secrets_check.sh), then
# tear-down.
#
#   scripts/test.sh                          everything (make test)
#   scripts/test.sh tests/http/test_x.sh ... only those HTTP tests, against
#                                            a throw-away instance (no unit
#                                            or browser tests)
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

source "$top/scripts/throwaway.sh"
throwaway_start "${MINICRM_TEST_PORT:-18080}"
# A copy of the templates, which test_admin.sh edits to test the reload.
cp -r "$top/templates" "$MINICRM_VAR/templates"
export MINICRM_TEMPLATES=$MINICRM_VAR/templates
# The instance's worker replays only when a test asks (test_recovery.sh):
# a scheduled replay must not take rows another test is counting.
export REPLAY_INTERVAL=0
# Nor does it de-enroll on its own: test_deenroll.sh counts the runs.
export DEENROLL_INTERVAL=0
# Nor the nurture jobs: their tests count the runs, sends and alerts.
export NURTURE_SCHEDULER_INTERVAL=0 NURTURE_ANALYTICS_INTERVAL=0 NURTURE_ALERTS_INTERVAL=0

only=("$@")
if [ ${#only[@]} -eq 0 ]; then
	step "unit tests" make -s unit
	step "unit tests under ASan and UBSan" make -s unit-san
	step "unit tests under valgrind" make -s unit-valgrind
fi

printf '\n== starting a test instance in %s on port %s\n' "$MINICRM_VAR" "$MINICRM_PORT"
if throwaway_up; then
	if [ ${#only[@]} -gt 0 ]; then
		for t in "${only[@]}"; do step "$t" bash "$t"; done
	else
		for t in tests/http/test_*.sh; do
			step "$t" bash "$t"
		done
		# The portal in Chromium; screenshots land in tests/out/browser.
		step "browser tests (tests/browser)" bash tests/browser/run.sh
	fi
	# Last: no log holds a key or password any test made (each test
	# recorded its own in $MINICRM_VAR/secrets.txt).
	require=()
	[ ${#only[@]} -eq 0 ] && require=(--require)
	step "no secret in any log (tests/http/secrets_check.sh)" \
		bash tests/http/secrets_check.sh "${require[@]}"
else
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
