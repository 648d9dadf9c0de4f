#!/usr/bin/env bash
# run.sh VERSION — docs/n8n's workflows imported into a real n8n VERSION
# (default: package.json's) and run against the instance lib.sh names, the
# way an operator wires them: the sub-workflow write-to-activity-log.json
# called by example-caller.json (one sub-workflow execution per event),
# its Settings node pointed at minicrm through tests/n8n/proxy.js (which
# can answer 503, drop a reply, or be stopped), and $env blocked as n8n
# 2.x blocks it by default. make test-n8n runs it for every tested version.
#   1. the portal up: logged once, with the credential's key; again, once;
#   2. three events in one execution, the second's reply lost after its
#      commit: retried, each logged once;
#   3. refused (400): not retried, kept as 'refused' through the API, not
#      replayed by itself; the retry-queue API then unreachable: fails;
#   4. a 5xx: queued pending through the API, then replayed once; no
#      answer at all: 3 tries (timeouts), then queued pending;
#   5. the portal unreachable: queued by the Postgres node as minicrm_n8n,
#      once (run again, still one row), replayed once;
#   6. the key revoked: not retried, the caller's execution fails with the
#      reason, nothing logged or queued.
# n8n is installed once per version (~1.6 GB each from npm) into
# $MINICRM_N8N_HOME (default ~/.cache/minicrm/n8n-VERSION), install scripts
# off (isolated-vm needs a newer Node than Debian's), sqlite3 (the one
# native module this needs) built from source.
# Against a dev instance: MINICRM_PORT=.. MINICRM_CONF=.. MINICRM_VAR=.. bash tests/n8n/run.sh 2.8.4
source "$(dirname "$0")/../http/lib.sh"
here=$TOP/tests/n8n
version=${1:-$(jq -r .dependencies.n8n "$here/package.json")}
major=${version%%.*}
home=${MINICRM_N8N_HOME:-$HOME/.cache/minicrm/n8n-$version}
deps() { jq -S '{dependencies, overrides}' "$1" 2>/dev/null; }

node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || {
	echo "n8n $version needs Node.js 20.19 or newer; this is $(node --version)" >&2; exit 1; }
jq --arg v "$version" '.dependencies.n8n = $v' "$here/package.json" >"$TMP/package.json"
if [ ! -x "$home/node_modules/.bin/n8n" ] || [ "$(deps "$TMP/package.json")" != "$(deps "$home/package.json")" ]; then
	echo "installing n8n $version into $home (once; a few minutes)"
	# sqlite3 builds against the installed Node's headers, not ones
	# node-gyp would download (nodejs.org is not reachable here).
	[ -d /usr/include/node ] && export npm_config_nodedir=${npm_config_nodedir:-/usr}
	mkdir -p "$home" && cp "$TMP/package.json" "$home/" &&
	(cd "$home" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error &&
	 npm rebuild sqlite3 --loglevel=error) >"$TMP/install.log" 2>&1 || {
		tail -n 20 "$TMP/install.log"; echo "n8n could not be installed" >&2; exit 1; }
fi
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# n8n's own state (sqlite) lives and dies with this run. $env is blocked
# (2.x's default) on every version: the workflow must not need it. Its own
# task-runner broker port, so that it never meets another n8n's.
export N8N_USER_FOLDER=$TMP/n8n N8N_ENCRYPTION_KEY=minicrm-test-$$-$RANDOM
export N8N_BLOCK_ENV_ACCESS_IN_NODE=true N8N_RUNNERS_BROKER_PORT=$(free_port)
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
export N8N_LOG_LEVEL=info NODE_NO_WARNINGS=1
# 1.123.x evaluates expressions in isolated-vm by default, which is not
# built here (install scripts off): the legacy engine, and no task runner.
# 2.x has neither setting (it ignores both) nor needs them.
[ "$major" -lt 2 ] && export N8N_EXPRESSION_ENGINE=legacy N8N_RUNNERS_ENABLED=false
n8n() { "$home/node_modules/.bin/n8n" "$@"; }

# minicrm as n8n reaches it: through the proxy, on a port of its own.
PROXY_PORT=$(free_port) PROXY_PID=
proxy_start() {
	node "$here/proxy.js" "$PROXY_PORT" "$BASE" "$TMP/proxy.log" & PROXY_PID=$!
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
proxy_stop() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" && wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }
trap 'proxy_stop; rm -rf "$TMP"' EXIT
check "the test's proxy to minicrm starts" proxy_start

# The two credentials the workflow names, as an operator would fill them:
# an API key, and the n8n login that make run wrote (minicrm_n8n: the
# instance's <prefix>_n8n).
KEYNAME=n8n-real-$$-$major
credentials() {
	local n8n_url
	n8n_url=$(sed -n "s/^MINICRM_N8N_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
	jq -n --arg key "$1" --arg pw "$(sed -n "s/^N8N_PASSWORD='\(.*\)'$/\1/p" "$MINICRM_CONF")" \
		--arg host "$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$n8n_url")" \
		--arg db "$(sed -n 's|^postgresql://[^/]*/\([^?]*\).*|\1|p' <<<"$n8n_url")" \
		--arg user "$(sed -n 's|^postgresql://\([^:@/]*\).*|\1|p' <<<"$n8n_url")" '[
		{ id: "minicrm-internal-api-key", name: "minicrm Internal API Key", type: "httpHeaderAuth",
		  data: { name: "x-api-key", value: $key } },
		{ id: "minicrm-retry-queue-db", name: "minicrm retry queue (minicrm_n8n)", type: "postgres",
		  data: { host: $host, port: 5432, database: $db, user: $user, password: $pw, ssl: "disable" } }
	]' >"$TMP/credentials.json"
}
credentials "$(new_key "$KEYNAME")"
# The sub-workflow as an operator sets it up: its Settings node's URL.
# (And the log request's timeout down from 10 s to 2, for the test's sake.)
jq --arg url "http://127.0.0.1:$PROXY_PORT" '.id = "minicrmWriteToLog" |
	(.nodes[] | select(.name == "Settings") | .parameters.assignments.assignments[0].value) = $url |
	(.nodes[] | select(.name == "Log Activity") | .parameters.options.timeout) = 2000' \
	"$TOP/docs/n8n/write-to-activity-log.json" >"$TMP/workflow.json"

check "n8n $version imports the credentials" n8n import:credentials --input="$TMP/credentials.json"
check "n8n $version imports docs/n8n/write-to-activity-log.json" n8n import:workflow --input="$TMP/workflow.json"

SRC=n8n-real-$major
# ev TAG LEAD [TYPE]: one event as the caller builds it.
ev() { jq -nc --arg t "${3:-MESSAGE_SENT}" --arg lead "$2" --arg src "$SRC" --arg x "n8n-$1" \
	'{event_type: $t, lead_id: $lead, source: $src, execution_id: $x, message: "written by n8n"}'; }
# run TAG EVENT...: docs/n8n/example-caller.json with these events, imported
# and run as n8n's CLI runs it; its output in $TMP/TAG.out, exit in RC.
run() {
	local tag=$1; shift
	jq --argjson events "$(jq -sc '{events: .}' <<<"$*")" '.id = "minicrmTestCaller" |
		(.nodes[] | select(.name == "Events") | .parameters.jsonOutput) = ($events | tojson) |
		(.nodes[] | select(.name == "Write to Activity Log") | .parameters.workflowId) =
			{"__rl": true, "mode": "id", "value": "minicrmWriteToLog"}' \
		"$TOP/docs/n8n/example-caller.json" >"$TMP/caller.json"
	n8n import:workflow --input="$TMP/caller.json" >"$TMP/$tag.import" 2>&1 || { RC=99; cat "$TMP/$tag.import" >"$TMP/$tag.out"; return; }
	n8n execute --id minicrmTestCaller >"$TMP/$tag.out" 2>&1
	RC=$?
}
succeeded() { [ "$RC" = 0 ] && grep -q '"lastNodeExecuted": "Write to Activity Log"' "$TMP/$1.out"; }
logged() { sql "SELECT count(*) FROM lead_activity_log l JOIN leads d ON d.id = l.lead_id WHERE l.source = '$SRC' AND l.execution_id = 'n8n-$1' ${2:+AND d.external_id = '$2'}"; }
queued() { sql "SELECT count(*) FROM retry_queue WHERE workflow = '$SRC' AND execution_id = 'n8n-$1' $2"; }
sent() { grep -c "^POST /api/internal/$1 $2 " "$TMP/proxy.log"; }
R=$$-$major

# 2.x calls only a published sub-workflow from a CLI, trigger or schedule
# execution, and an import unpublishes it. 1.x has no publishing.
if [ "$major" -ge 2 ]; then
	run "$R-unpublished" "$(ev "$R-unpublished" "rec-$R-unpublished")"
	check "2.x: the sub-workflow not published, the caller fails" grep -q 'not active' "$TMP/$R-unpublished.out"
	check "n8n publish:workflow publishes it" n8n publish:workflow --id=minicrmWriteToLog
fi

# 1. The portal is up.
run "$R-up" "$(ev "$R-up" "rec-$R-up")"
check "up: the caller's execution succeeds" succeeded "$R-up"
expect_eq "$(logged "$R-up")" 1 "up: the event is in the log once, with its execution id"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log l JOIN api_keys k ON k.id = l.api_key_id WHERE l.execution_id = 'n8n-$R-up' AND k.name = '$KEYNAME'")" 1 "...sent with the Header Auth credential's key"
expect_eq "$(queued "$R-up" "")" 0 "...and nothing is queued"
run "$R-up" "$(ev "$R-up" "rec-$R-up")"
expect_eq "$(logged "$R-up")" 1 "the same execution run again stores nothing twice"

# 2. Three events, one sub-workflow execution each; the second one's reply
#    is lost after it was committed: Retry On Fail sends it again.
run "$R-three" "$(ev "$R-three" "rec-$R-1")" "$(ev "$R-three" "rec-$R-drop-first-2")" "$(ev "$R-three" "rec-$R-3")"
check "three events: the caller's execution succeeds" succeeded "$R-three"
expect_eq "$(sent log-activity "rec-$R-drop-first-2")" 2 "the second event's reply lost: it is sent again"
expect_eq "$(logged "$R-three" "rec-$R-drop-first-2")" 1 "...and stored once"
expect_eq "$(logged "$R-three")" 3 "all three are in the log, once each"
expect_eq "$(queued "$R-three" "")" 0 "...and nothing is queued"

# 3. log-activity refuses the event (400): kept for review, not replayed.
run "$R-refused" "$(ev "$R-refused" "rec-$R-refused" NOT_A_TYPE)"
check "refused: the caller's execution succeeds (the event is kept)" succeeded "$R-refused"
expect_eq "$(sent log-activity "rec-$R-refused")" 1 "refused: sent once, not retried"
expect_eq "$(logged "$R-refused")" 0 "refused: nothing logged"
expect_eq "$(queued "$R-refused" "AND state = 'refused' AND api_key_id IS NOT NULL AND error LIKE 'log-activity: HTTP 400 %is not a known event type%'")" 1 "refused: kept through the retry-queue API as 'refused', with the refusal"
minicrm replay >/dev/null 2>&1
expect_eq "$(queued "$R-refused" "AND state = 'refused' AND attempts = 0")" 1 "minicrm replay does not replay it by itself"

# 3b. Refused, and the retry-queue API unreachable right after: the
#     Postgres node could only queue it to be replayed blindly. It fails.
run "$R-refdown" "$(ev "$R-refdown" "rec-$R-refused-down")"
check "refused, then no retry queue: the caller's execution fails" test "$RC" -ne 0
check "...saying what happened" grep -q 'could not log nor queue the event for lead rec-'"$R"'-refused-down' "$TMP/$R-refdown.out"
expect_eq "$(queued "$R-refdown" "")" 0 "...and the database did not queue it"

# 4. log-activity answers 503: queued pending through the API, replayed.
run "$R-503" "$(ev "$R-503" "rec-$R-answer-503")"
check "5xx: the caller's execution succeeds" succeeded "$R-503"
expect_eq "$(queued "$R-503" "AND state = 'pending' AND api_key_id IS NOT NULL AND error LIKE 'log-activity: HTTP 503 %'")" 1 "5xx: queued through the retry-queue API, pending"
check "the replay logs it" minicrm replay --id "$(sql "SELECT id FROM retry_queue WHERE execution_id = 'n8n-$R-503'")"
expect_eq "$(logged "$R-503")" 1 "...once"

# 4b. log-activity never answers: timed out 3 times, then queued.
run "$R-hang" "$(ev "$R-hang" "rec-$R-hang")"
check "timeout: the caller's execution succeeds" succeeded "$R-hang"
expect_eq "$(sent log-activity "rec-$R-hang")" 3 "timeout: tried 3 times"
expect_eq "$(queued "$R-hang" "AND state = 'pending' AND api_key_id IS NOT NULL")" 1 "timeout: queued pending through the retry-queue API"

# 5. The portal is unreachable: the Postgres node inserts as minicrm_n8n.
proxy_stop
run "$R-down" "$(ev "$R-down" "rec-$R-down")"
check "down: the caller's execution succeeds" succeeded "$R-down"
expect_eq "$(queued "$R-down" "AND state = 'pending' AND api_key_id IS NULL AND error LIKE 'portal unreachable: %ECONNREFUSED%'")" 1 "down: queued once, by the Postgres node's INSERT"
run "$R-down" "$(ev "$R-down" "rec-$R-down")"
expect_eq "$(queued "$R-down" "")" 1 "the same execution failing again is still one row"
check "the proxy is back" proxy_start
check "the replay logs it once the portal is back" minicrm replay --id "$(sql "SELECT id FROM retry_queue WHERE execution_id = 'n8n-$R-down'")"
expect_eq "$(logged "$R-down")" 1 "...exactly once"

# 5b. docs/n8n/de-enrollment.json ("Campaign De-enrollment V2 -
#     Multi-Client"), its Settings pointed at minicrm and at a local alert
#     receiver: "Execute workflow" runs de-enrollment through the API (as
#     every 15 minutes would); a client whose batch fails raises the run
#     branch's alert; the hourly branch (the manual trigger wired to it)
#     reads the health and alerts on a warning.
HOOK=$TMP/hook
mkdir -p "$HOOK"
python3 "$TOP/tests/http/webhook_receiver.py" "$HOOK" & HOOK_PID=$!
trap 'proxy_stop; kill $HOOK_PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -f "$HOOK/port" ] && break; sleep 0.1; done
hooked() { if [ -f "$HOOK/received" ]; then wc -l <"$HOOK/received"; else echo 0; fi; }
D=n8n-de-$$-$major
minicrm client create "$D" >/dev/null
DC=$(sql "SELECT id FROM clients WHERE slug = '$D'")
sql "INSERT INTO campaigns (client_id, name, messages) VALUES ('$DC', 'Welcome', '[{}, {}]')" >/dev/null
stuck_leads() {
	sql "INSERT INTO leads (client_id, external_id, campaign_link_id, current_message_position)
	     SELECT '$DC', '$1-' || i, (SELECT id FROM campaigns WHERE client_id = '$DC'), 2
	     FROM generate_series(1, $2) i" >/dev/null
}
de_stuck() { sql "SELECT de_enrollment_stuck_leads('$DC')"; }
# deen TAG [FIRST NODE]: the workflow imported and executed as n8n's CLI
# executes it (1.x from the manual trigger an operator clicks, 2.x from a
# trigger of its choosing), every trigger wired to FIRST NODE.
deen() {
	jq --arg url "$BASE" --arg hook "http://127.0.0.1:$(cat "$HOOK/port")/services/T0/B0/de" \
		--arg first "${2:-Run Task}" '.id = "minicrmDeenroll" |
		(.nodes[] | select(.name == "Settings") | .parameters.assignments.assignments[0].value) = $url |
		(.nodes[] | select(.name == "Settings") | .parameters.assignments.assignments[1].value) = $hook |
		(.connections["When clicking ‘Execute workflow’", "Every 15 minutes", "Every Hour"].main[0][0].node) = $first' \
		"$TOP/docs/n8n/de-enrollment.json" >"$TMP/deenroll.json"
	n8n import:workflow --input="$TMP/deenroll.json" >"$TMP/$1.import" 2>&1 || { RC=99; cp "$TMP/$1.import" "$TMP/$1.out"; return; }
	n8n execute --id minicrmDeenroll >"$TMP/$1.out" 2>&1
	RC=$?
}
expect_eq "$(jq -r .name "$TOP/docs/n8n/de-enrollment.json")" "Campaign De-enrollment V2 - Multi-Client" "de-enrollment: the workflow has the SOP's name"
stuck_leads ok 3
deen "$R-de-run"
expect_eq "$RC" 0 "de-enrollment: the execution succeeds"
expect_eq "$(de_stuck)" 0 "...and the client's finished leads are completed"
expect_eq "$(sql "SELECT status || ' ' || leads_de_enrolled || ' ' || (triggered_by LIKE 'api:key %') FROM de_enrollment_runs WHERE client_id = '$DC'")" "success 3 true" \
	"...in a run the API recorded as n8n's key's"
expect_eq "$(hooked)" 0 "...and no alert"
sql "CREATE FUNCTION n8n_refuse_$$() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
	IF NEW.client_id = '$DC' AND NEW.completed_at IS NOT NULL AND OLD.completed_at IS NULL THEN
		RAISE EXCEPTION 'n8n test: refused';
	END IF;
	RETURN NEW;
     END \$\$;
     CREATE TRIGGER n8n_refuse_$$ BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION n8n_refuse_$$()" >/dev/null
stuck_leads bad 2
deen "$R-de-fail"
expect_eq "$RC" 0 "a client failing: the execution succeeds"
expect_eq "$(hooked)" 1 "...and alerts once"
check "...naming the client and its error" grep -q "client(s) failed: $D: .*n8n test: refused" "$HOOK/received"
deen "$R-de-health" "Health Task"
expect_eq "$RC" 0 "the hourly branch: the execution succeeds"
expect_eq "$(hooked)" 2 "...and alerts on the warning"
check "...with the level and the client's line" bash -c "tail -n 1 '$HOOK/received' | grep -q 'De-enrollment health: warning.*Client $D: 50.0% of runs succeeded'"
sql "DROP TRIGGER n8n_refuse_$$ ON leads; DROP FUNCTION n8n_refuse_$$()" >/dev/null

# 5c. docs/n8n/nurture-enroll.json ("Lead Nurture - Enrollment"), its
#     Settings pointed at minicrm and its example input filled in as an
#     operator would: the leads enrolled once (run again: still once, the
#     execution succeeds with nothing new); an unknown campaign fails the
#     execution with minicrm's reason.
NC=$(sql "INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email)
	  SELECT id, 'n8n nurture $R', 'team@example.test' FROM clients WHERE slug = 'default'
	  RETURNING id" | head -n 1)
sql "INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template, delay_minutes)
     VALUES ('$NC', 1, 'Hello {{first_name}}', '<p>Hi {{first_name}}</p>', 60)" >/dev/null
sql "INSERT INTO leads (client_id, external_id, first_name, email)
     SELECT id, 'n8n-nurture-$R-' || i, 'N' || i, 'n' || i || '.$R@example.test'
     FROM clients, generate_series(1, 2) i WHERE slug = 'default'" >/dev/null
# enrol TAG CAMPAIGN: the workflow imported and executed from its manual
# trigger (2.x: every trigger wired to Example Leads).
enrol() {
	jq --arg url "http://127.0.0.1:$PROXY_PORT" --arg c "$2" --arg r "$R" '.id = "minicrmNurtureEnroll" |
		(.nodes[] | select(.name == "Settings") | .parameters.assignments.assignments[0].value) = $url |
		(.nodes[] | select(.name == "Example Leads") | .parameters.jsonOutput) =
			({campaign_id: $c, external_ids: ["n8n-nurture-\($r)-1", "n8n-nurture-\($r)-2"]} | tojson) |
		(.connections["When Executed by Another Workflow"].main[0][0].node) = "Example Leads"' \
		"$TOP/docs/n8n/nurture-enroll.json" >"$TMP/nurture.json"
	n8n import:workflow --input="$TMP/nurture.json" >"$TMP/$1.import" 2>&1 || { RC=99; cp "$TMP/$1.import" "$TMP/$1.out"; return; }
	n8n execute --id minicrmNurtureEnroll >"$TMP/$1.out" 2>&1
	RC=$?
}
enrolled() { sql "SELECT count(*) FROM lead_campaign_enrollments WHERE campaign_id = '$NC' AND status = 'active' AND enrolled_by LIKE 'api:key %'"; }
expect_eq "$(jq -r .name "$TOP/docs/n8n/nurture-enroll.json")" "Lead Nurture - Enrollment" "nurture: the workflow has the runbook's name"
enrol "$R-nurture" "$NC"
expect_eq "$RC" 0 "nurture: the execution succeeds"
expect_eq "$(enrolled)" 2 "...and both leads are enrolled, by n8n's key"
check "...the execution's output has minicrm's counts" grep -q '"enrolled": 2' "$TMP/$R-nurture.out"
enrol "$R-nurture-again" "$NC"
expect_eq "$RC" 0 "nurture: run again, the execution succeeds"
expect_eq "$(enrolled)" 2 "...and nothing is enrolled twice"
check "...its output says both were already in" grep -q '"already": 2' "$TMP/$R-nurture-again.out"
enrol "$R-nurture-none" "00000000-0000-4000-8000-000000000000"
check "nurture: an unknown campaign fails the execution" test "$RC" -ne 0
check "...with minicrm's reason" grep -q 'minicrm did not enrol the leads: HTTP 404' "$TMP/$R-nurture-none.out"

# 6. n8n's key is revoked: the caller fails, nothing logged nor queued.
minicrm apikey revoke "$KEYNAME" >/dev/null
run "$R-revoked" "$(ev "$R-revoked" "rec-$R-revoked")"
check "revoked key: the caller's execution fails" test "$RC" -ne 0
check "...saying the key was refused" grep -q 'minicrm refused the API key (HTTP 401' "$TMP/$R-revoked.out"
expect_eq "$(sent log-activity "rec-$R-revoked")" 1 "...after one request, not retried"
expect_eq "$(logged "$R-revoked")" 0 "...nothing logged"
expect_eq "$(queued "$R-revoked" "")" 0 "...nothing queued"
expect_eq "$(sql "SELECT refused_count > 0 FROM api_keys WHERE name = '$KEYNAME'")" t "...and minicrm counts the refusal on the revoked key (keys page, alert)"

for f in "$TMP"/*.out; do
	[ "$FAILED" -gt 0 ] && { echo "--- $f"; tail -n 40 "$f"; }
done
[ "$FAILED" -gt 0 ] && { echo "--- proxy.log"; cat "$TMP/proxy.log"; }
printf 'n8n %s: ' "$version"
finish
