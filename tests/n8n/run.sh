#!/usr/bin/env bash
# run.sh — docs/n8n/write-to-activity-log.json imported into a real n8n and
# run, three ways (make test-n8n):
#   1. the portal is up: the event is logged, once, with its execution id;
#   2. log-activity refuses it: the error branch queues it through the
#      retry-queue API, with the refusal as its error;
#   3. the portal is unreachable: both requests fail and the Postgres node
#      INSERTs it as minicrm_n8n; run again, still one row; `minicrm
#      replay` then logs it.
# Not part of `make test`: n8n is 1.6 GB from npm. It is installed once, in
# $MINICRM_N8N_HOME (default ~/.cache/minicrm/n8n-VERSION), with install
# scripts off (isolated-vm needs a newer Node than Debian's) and sqlite3,
# the one native module this needs, built from source.
# Against a dev instance: MINICRM_PORT=.. MINICRM_CONF=.. MINICRM_VAR=.. bash tests/n8n/run.sh
source "$(dirname "$0")/../http/lib.sh"
here=$TOP/tests/n8n
version=$(jq -r .dependencies.n8n "$here/package.json")
home=${MINICRM_N8N_HOME:-$HOME/.cache/minicrm/n8n-$version}

node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || {
	echo "n8n $version needs Node.js 20.19 or newer; this is $(node --version)" >&2; exit 1; }
if [ ! -x "$home/node_modules/.bin/n8n" ] || ! cmp -s "$here/package.json" "$home/package.json"; then
	echo "installing n8n $version into $home (once; a few minutes)"
	# sqlite3 builds against the installed Node's headers, not ones
	# node-gyp would download (nodejs.org is not reachable here).
	[ -d /usr/include/node ] && export npm_config_nodedir=${npm_config_nodedir:-/usr}
	mkdir -p "$home" && cp "$here/package.json" "$home/" &&
	(cd "$home" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error &&
	 npm rebuild sqlite3 --loglevel=error) >"$TMP/install.log" 2>&1 || {
		tail -n 20 "$TMP/install.log"; echo "n8n could not be installed" >&2; exit 1; }
fi

# n8n's own state (sqlite) lives and dies with this run.
export N8N_USER_FOLDER=$TMP/n8n N8N_ENCRYPTION_KEY=minicrm-test-$$-$RANDOM
export N8N_EXPRESSION_ENGINE=legacy N8N_RUNNERS_ENABLED=false
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false N8N_BLOCK_ENV_ACCESS_IN_NODE=false
export N8N_LOG_LEVEL=info NODE_NO_WARNINGS=1
n8n() { "$home/node_modules/.bin/n8n" "$@"; }

# The two credentials the workflow names, as an operator would fill them:
# an API key, and the minicrm_n8n login that make run wrote.
KEY=$(new_key "n8n-real-$$")
n8n_url=$(sed -n "s/^MINICRM_N8N_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
jq -n --arg key "$KEY" --arg pw "$(sed -n "s/^N8N_PASSWORD='\(.*\)'$/\1/p" "$MINICRM_CONF")" \
	--arg host "$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$n8n_url")" \
	--arg db "$(sed -n 's|^postgresql://[^/]*/\([^?]*\).*|\1|p' <<<"$n8n_url")" '[
	{ id: "minicrm-internal-api-key", name: "minicrm Internal API Key", type: "httpHeaderAuth",
	  data: { name: "x-api-key", value: $key } },
	{ id: "minicrm-retry-queue-db", name: "minicrm retry queue (minicrm_n8n)", type: "postgres",
	  data: { host: $host, port: 5432, database: $db, user: "minicrm_n8n", password: $pw, ssl: "disable" } }
]' >"$TMP/credentials.json"
jq '.id = "minicrmWriteToLog"' "$TOP/docs/n8n/write-to-activity-log.json" >"$TMP/workflow.json"

check "n8n $version imports the credentials" n8n import:credentials --input="$TMP/credentials.json"
check "n8n imports docs/n8n/write-to-activity-log.json" n8n import:workflow --input="$TMP/workflow.json"
check "and the test's caller workflow" n8n import:workflow --input="$here/caller.json"

# run TAG TYPE URL: the caller, as n8n's CLI runs it; its output in $TMP/TAG.
run() {
	TEST_RUN=$1 TEST_EVENT_TYPE=$2 MINICRM_URL=$3 \
		n8n execute --id minicrmTestCaller >"$TMP/$1.out" 2>&1
}
ended_with() { grep -q "\"lastNodeExecuted\": \"Write to Activity Log\"" "$TMP/$1.out" && grep -q '"status": "success"' "$TMP/$1.out"; }
logged() { sql "SELECT count(*) FROM lead_activity_log WHERE source = 'n8n-real' AND execution_id = 'n8n-$1'"; }
queued() { sql "SELECT count(*) FROM retry_queue WHERE workflow = 'n8n-real' AND execution_id = 'n8n-$1' AND state = 'pending' $2"; }
R=$$

# 1. The portal is up.
run "$R-up" MESSAGE_SENT "$BASE"
check "up: the run succeeds" ended_with "$R-up"
expect_eq "$(logged "$R-up")" 1 "up: the event is in the log once, with its execution id"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log l JOIN api_keys k ON k.id = l.api_key_id WHERE l.execution_id = 'n8n-$R-up' AND k.name = 'n8n-real-$$'")" 1 "...sent with the Header Auth credential's key"
expect_eq "$(queued "$R-up" "")" 0 "...and nothing is queued"
run "$R-up" MESSAGE_SENT "$BASE"
expect_eq "$(logged "$R-up")" 1 "the same execution run again stores nothing twice"

# 2. log-activity refuses the event: the error output queues it via the API.
run "$R-refused" NOT_A_TYPE "$BASE"
check "refused: the run still succeeds (the event is safe)" ended_with "$R-refused"
expect_eq "$(logged "$R-refused")" 0 "refused: nothing logged"
expect_eq "$(queued "$R-refused" "AND api_key_id IS NOT NULL AND error LIKE '%is not a known event type%'")" 1 "refused: queued through the retry-queue API with the refusal as its error"

# 3. The portal is unreachable: the Postgres node inserts as minicrm_n8n.
down=http://127.0.0.1:9	# nothing listens on the discard port here
run "$R-down" MESSAGE_SENT "$down"
check "down: the run still succeeds" ended_with "$R-down"
expect_eq "$(queued "$R-down" "AND api_key_id IS NULL AND error LIKE 'portal unreachable: %ECONNREFUSED%'")" 1 "down: queued by the Postgres node's INSERT"
run "$R-down" MESSAGE_SENT "$down"
expect_eq "$(queued "$R-down" "")" 1 "the same execution failing again is still one row"
check "the replay logs it once the portal is back" minicrm replay --id "$(sql "SELECT id FROM retry_queue WHERE execution_id = 'n8n-$R-down'")"
expect_eq "$(logged "$R-down")" 1 "...exactly once"

for f in "$TMP"/*.out; do
	[ "$FAILED" -gt 0 ] && { echo "--- $f"; tail -n 30 "$f"; }
done
finish
