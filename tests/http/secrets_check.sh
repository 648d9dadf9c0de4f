#!/usr/bin/env bash
# secrets_check.sh — the suite's last step (scripts/test.sh runs it after
# every HTTP and browser test): no log of the instance holds any key or
# password the tests made. The tests record each one in
# $MINICRM_VAR/secrets.txt (record_secret in lib.sh, recordSecret in
# tests/browser/portal.test.mjs); this greps every file under
# $MINICRM_VAR/log (nginx's access and error logs, api.log, admin.log,
# worker.log) and PostgreSQL's log for each, as a fixed string.
#
#   secrets_check.sh [--require]   --require: fail if nothing was recorded
#                                  (the whole suite always records some)
# Not named test_*.sh: it must run after the others, not among them.
source "$(dirname "$0")/lib.sh"

SECRETS=$MINICRM_VAR/secrets.txt
if [ ! -s "$SECRETS" ]; then
	if [ "${1:-}" = --require ]; then
		fail "the tests recorded their secrets" "$SECRETS is missing or empty"
	else
		echo "no secrets recorded by these tests: nothing to look for"
	fi
	finish
	exit
fi

# nginx writes its access log in 64 KiB buffers, flushed every second.
sleep 1.5

logs=()
while IFS= read -r -d '' f; do logs+=("$f"); done < <(
	find "$MINICRM_VAR/log" "$(readlink -f "$MINICRM_VAR/pg")/log" -type f -print0 2>/dev/null | sort -z)
check "there are logs to read (nginx-access.log among them)" test -s "$MINICRM_VAR/log/nginx-access.log"

sort -u "$SECRETS" | awk 'length($0) >= 8' >"$TMP/secrets"
n=$(wc -l <"$TMP/secrets")

# One pass over the logs for all the secrets at once; what matched, by file.
# A secret is named by its first 4 characters and its length, never whole.
: >"$TMP/found"
[ ${#logs[@]} -gt 0 ] && grep -HoF -f "$TMP/secrets" -- "${logs[@]}" 2>/dev/null | sort -u >"$TMP/found"
for f in "${logs[@]}"; do
	hits=$(grep -F -- "$f:" "$TMP/found" | cut -d: -f2- | sort -u)
	if [ -z "$hits" ]; then pass; continue; fi
	hint=$(while IFS= read -r s; do
		printf '%s… (%d chars, %d lines) ' "${s:0:4}" "${#s}" "$(grep -cF -- "$s" "$f")"
	done <<<"$hits")
	fail "$f holds $(wc -l <<<"$hits") of the tests' secrets" "$hint"
done
printf '%s: %d secrets looked for in %d logs\n' "$(basename "$0")" "$n" "${#logs[@]}"
finish
