# lib.sh — sourced by the HTTP tests. Talks to the instance that
# scripts/test.sh started (MINICRM_PORT, MINICRM_CONF) through nginx.
#
#   request METHOD PATH [curl args...]   sets STATUS, BODY, HEADERS
#   expect_status CODE "what"            expect_json 'jq filter' "what"
#   expect_header 'regex' "what"         check "what" COMMAND...
#   sql "SELECT ..."                     psql as the schema owner
#   finish                               exit 0 if every check passed
#   record_secret SECRET...              for the suite's last check: no log
#                                        may ever hold it (secrets_check.sh)
set -u
: "${MINICRM_PORT:?run through make test}" "${MINICRM_CONF:?run through make test}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE=http://127.0.0.1:$MINICRM_PORT
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
OWNER_URL=$(sed -n "s/^DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")

minicrm() { "$TOP/bin/minicrm" "$@"; }
sql() { psql "$OWNER_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
# Every key and password a test creates goes to $MINICRM_VAR/secrets.txt,
# one a line; after the whole suite tests/http/secrets_check.sh greps every
# log for each. Shorter than 8 characters is not recorded (too likely to
# match by chance).
record_secret() {
	local s
	[ -n "${MINICRM_VAR:-}" ] || return 0
	for s in "$@"; do
		[ ${#s} -ge 8 ] && printf '%s\n' "$s" >>"$MINICRM_VAR/secrets.txt"
	done
	return 0
}
new_key() {
	local key rc
	key=$(minicrm apikey create --name "$1" "${@:2}" 2>/dev/null)
	rc=$?
	record_secret "$key"
	printf '%s\n' "$key"
	return "$rc"
}

request() {
	local method=$1 path=$2
	shift 2
	STATUS=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
		-X "$method" "$BASE$path" "$@" 2>"$TMP/curl.err") || STATUS=000
	BODY=$(cat "$TMP/body" 2>/dev/null)
	HEADERS=$(cat "$TMP/headers" 2>/dev/null)
}

pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && printf '     %s\n' "$2"
	return 0
}

check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then pass; else fail "$what" "command failed: $*"; fi
}

expect_status() {
	if [ "$STATUS" = "$1" ]; then pass; else fail "$2" "status $STATUS, wanted $1; body: ${BODY:0:300}"; fi
}

expect_json() {
	if jq -e "$1" >/dev/null 2>&1 <<<"$BODY"; then pass; else fail "$2" "jq '$1' false on: ${BODY:0:300}"; fi
}

expect_header() {
	if grep -qiE "$1" <<<"$HEADERS"; then pass; else fail "$2" "no header matching $1"; fi
}

expect_eq() {
	if [ "$1" = "$2" ]; then pass; else fail "$3" "got '$1', wanted '$2'"; fi
}

finish() {
	printf '%s: %d checks passed, %d failed\n' "$(basename "$0")" "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ]
}

# Run a command as the cluster's owner (postgres when we are root).
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_ctl on the instance's private cluster: pg_control stop|start
pg_control() {
	local bin data
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	data=$(readlink -f "$MINICRM_VAR/pg")/data
	as_postgres "$bin/pg_ctl" -D "$data" -l "$data/../log/postgres.log" -w -m fast "$1" >/dev/null
}

# psql as the cluster's superuser (peer authentication as postgres).
superuser_sql() {
	as_postgres psql -h "$(readlink -f "$MINICRM_VAR/pg")/run" -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"
}

# The admin portal in a browser's shoes: a cookie jar, and the value of a
# form field in the last page.
JAR=$TMP/cookies
browse() { request "$@" -b "$JAR" -c "$JAR"; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" <<<"$BODY" | head -n 1; }

# login EMAIL PASSWORD: create the user if needed and log in (into $JAR).
login() {
	record_secret "$2"
	printf '%s\n' "$2" | "$TOP/bin/minicrm" user create --email "$1" --role "${3:-admin}" >/dev/null 2>&1
	browse GET /login
	browse POST /login --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "email=$1" --data-urlencode "password=$2"
	[ "$STATUS" = 303 ]
}
