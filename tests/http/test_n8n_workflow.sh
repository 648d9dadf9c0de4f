#!/usr/bin/env bash
# docs/n8n/write-to-activity-log.json and example-caller.json: valid JSON
# n8n can import, with the current node versions and their names in the
# 2.x UI; no $env (blocked by default in n8n 2.x); Retry On Fail on the log
# request for connection errors and timeouts only (HTTP statuses come back
# as data); its routing — 2xx logged, 401/403 stop, 5xx/unreachable
# queued, other 4xx kept as refused, anything else a visible failure —
# evaluated here for each case; the caller running it once per item; and
# the INSERT its Postgres node runs works as minicrm_n8n. make test-n8n
# runs both in a real n8n.
source "$(dirname "$0")/lib.sh"

WF=$TOP/docs/n8n/write-to-activity-log.json
CALLER=$TOP/docs/n8n/example-caller.json
j() { jq -e "$1" "$WF" >/dev/null 2>&1; }
node() { printf '.nodes[] | select(.name == "%s")' "$1"; }
# next NODE OUTPUT: the node that output OUTPUT of NODE feeds.
next() { jq -r --arg n "$1" ".connections[\$n].main[$2][0].node // empty" "$WF"; }
T="\\\\\$\\\\('When Executed by Another Workflow'\\\\).item.json"

check "the workflow is valid JSON" jq -e . "$WF"
check "named as the SOP names it" j '.name == "Write to Activity Log"'
check "every node has a unique name, an id, a type, a version and a position" j '(.nodes | map(.name) | unique | length) == (.nodes | length) and all(.nodes[]; .id and (.type | startswith("n8n-nodes-base.")) and .typeVersion and (.position | length == 2))'
check "every connection points at a node that exists" j '[.nodes[].name] as $names | all(.connections | to_entries[]; (.key | IN($names[])) and all(.value.main[][]; .node | IN($names[])))'
check "nothing reads \$env (n8n 2.x blocks it)" bash -c "! grep -q '\\\$env' '$WF' '$CALLER'"
check "it starts from the Execute Workflow Trigger, named as 2.x names it" j "$(node "When Executed by Another Workflow") | .type == \"n8n-nodes-base.executeWorkflowTrigger\" and .parameters.inputSource == \"passthrough\""
expect_eq "$(next "When Executed by Another Workflow" 0)" "Settings" "the trigger feeds Settings"
check "Settings: minicrm's URL, set once in the workflow" j "$(node "Settings") | .type == \"n8n-nodes-base.set\" and .parameters.includeOtherFields == false and (.parameters.assignments.assignments | length == 1 and .[0].name == \"minicrm_url\" and (.[0].value | test(\"^https?://[^ ]+[^/]\$\")))"
expect_eq "$(next "Settings" 0)" "Log Activity" "which feeds the log request"
check "the log request: HTTP Request 4.2, POST to log-activity at Settings' URL" j "$(node "Log Activity") | .type == \"n8n-nodes-base.httpRequest\" and .typeVersion == 4.2 and .parameters.method == \"POST\" and .parameters.url == \"={{ \$('Settings').item.json.minicrm_url }}/api/internal/log-activity\""
check "sending the event it was given" j "$(node "Log Activity") | .parameters.jsonBody | test(\"^=\\\\{\\\\{ JSON.stringify\\\\($T\\\\) \\\\}\\\\}\$\")"
check "with Header Auth (x-api-key credential)" j "$(node "Log Activity") | .parameters.authentication == \"genericCredentialType\" and .parameters.genericAuthType == \"httpHeaderAuth\" and .credentials.httpHeaderAuth.name"
check "Retry On Fail: 3 tries, 1 s apart" j "$(node "Log Activity") | .retryOnFail == true and .maxTries == 3 and .waitBetweenTries == 1000"
check "HTTP statuses come back as data (Never Error, full response): only connection errors and timeouts are retried" j "all(.nodes[] | select(.type == \"n8n-nodes-base.httpRequest\"); .parameters.options.response.response.neverError == true and .parameters.options.response.response.fullResponse == true and .parameters.options.timeout == 10000)"
check "On Error: continue using the error output" j "all(.nodes[] | select(.type == \"n8n-nodes-base.httpRequest\"); .onError == \"continueErrorOutput\")"
expect_eq "$(next "Log Activity" 0) $(next "Log Activity" 1)" "Answer Answer" "both its outputs go to Answer"
expect_eq "$(for i in 0 1 2 3 4; do next Answer $i; done | paste -sd,)" "Logged,Key Refused,Queue for Retry (API),Queue for Retry (API),Not Logged" "Answer: logged, key refused, queue, keep refused, fail"
check "which POSTs to retry-queue with the same credential" j "$(node "Queue for Retry (API)") | .typeVersion == 4.2 and .parameters.method == \"POST\" and .parameters.url == \"={{ \$('Settings').item.json.minicrm_url }}/api/internal/retry-queue\" and .credentials.httpHeaderAuth.name and .retryOnFail == true"
check "sending the original event as the payload" j "$(node "Queue for Retry (API)") | .parameters.jsonBody | test(\"payload: $T\")"
expect_eq "$(next "Queue for Retry (API)" 0) $(next "Queue for Retry (API)" 1)" "Queue Answer Queue Answer" "both its outputs go to Queue Answer"
expect_eq "$(for i in 0 1 2 3; do next "Queue Answer" $i; done | paste -sd,)" "Queued (API),Queue for Retry (Postgres),Key Refused,Not Logged" "Queue Answer: queued, the database, key refused, fail"
check "a Postgres 2.5 node running a query as the minicrm_n8n credential" j "$(node "Queue for Retry (Postgres)") | .type == \"n8n-nodes-base.postgres\" and .typeVersion == 2.5 and .parameters.operation == \"executeQuery\" and (.credentials.postgres.name | test(\"minicrm_n8n\"))"
expect_eq "$(next "Queue for Retry (Postgres)" 0)" "Queued (database)" "way out 3: queued in the database"
check "Key Refused and Not Logged stop the execution with an error" j "all(.nodes[] | select(.name == \"Key Refused\" or .name == \"Not Logged\"); .type == \"n8n-nodes-base.stopAndError\" and (.parameters.errorMessage | startswith(\"={{\")))"

# The routing, evaluated as n8n would for each kind of answer: the Switch
# expressions and the state the retry-queue request asks for.
# route NODE JSON [LOG]: the output index for item JSON, LOG being what
# Log Activity answered before (for Queue Answer).
route() {
	NODE_EXPR=$(jq -r "$(node "$1") | .parameters.output" "$WF") ITEM=$2 LOG=${3:-'{"statusCode":503}'} command node -e '
		const e = process.env.NODE_EXPR.replace(/^=\{\{/, "").replace(/\}\}$/, "");
		const $ = (n) => { if (n !== "Log Activity") throw n; return { item: { json: JSON.parse(process.env.LOG) } }; };
		console.log(new Function("$json", "$", "return (" + e + ")")(JSON.parse(process.env.ITEM), $));'
}
queued_state() {
	BODY_EXPR=$(jq -r "$(node "Queue for Retry (API)") | .parameters.jsonBody" "$WF") ITEM=$1 command node -e '
		const e = process.env.BODY_EXPR.replace(/^=\{\{/, "").replace(/\}\}$/, "");
		const $ = () => ({ item: { json: { event_type: "MESSAGE_SENT", lead_id: "rec1" } } });
		const b = JSON.parse(new Function("$json", "$", "return (" + e + ")")(JSON.parse(process.env.ITEM), $));
		console.log(b.state + " " + b.error);'
}
if command -v node >/dev/null; then
	expect_eq "$(route Answer '{"statusCode":201,"body":{}}')" 0 "201: logged"
	expect_eq "$(route Answer '{"statusCode":200,"body":{"duplicate":true}}')" 0 "200 duplicate: logged"
	expect_eq "$(route Answer '{"statusCode":401,"body":{"error":"invalid API key"}}')" 1 "401: the key refused, stop"
	expect_eq "$(route Answer '{"statusCode":403,"body":{}}')" 1 "403: the key refused, stop"
	expect_eq "$(route Answer '{"statusCode":503,"body":{}}')" 2 "503: retry queue"
	expect_eq "$(route Answer '{"statusCode":429,"body":""}')" 2 "429: retry queue"
	expect_eq "$(route Answer '{"minicrm_url":"x","error":{"code":"ECONNREFUSED","message":"connect ECONNREFUSED 127.0.0.1:9"}}')" 2 "connection refused: retry queue"
	expect_eq "$(route Answer '{"error":{"code":"ECONNABORTED","message":"timeout of 10000ms exceeded"}}')" 2 "a timeout: retry queue"
	expect_eq "$(route Answer '{"error":{"message":"getaddrinfo ENOTFOUND crm.example.com"}}')" 2 "DNS: retry queue"
	expect_eq "$(route Answer '{"statusCode":400,"body":{"errors":[]}}')" 3 "400: kept as refused"
	expect_eq "$(route Answer '{"statusCode":413,"body":{}}')" 3 "413: kept as refused"
	expect_eq "$(route Answer '{"error":"access to env vars denied"}')" 4 "any other error: the execution fails"
	expect_eq "$(route "Queue Answer" '{"statusCode":201,"body":{}}')" 0 "queued: done"
	expect_eq "$(route "Queue Answer" '{"statusCode":502,"body":""}')" 1 "retry-queue 5xx: the database"
	expect_eq "$(route "Queue Answer" '{"error":{"code":"ECONNREFUSED","message":"connect ECONNREFUSED"}}')" 1 "retry-queue unreachable: the database"
	expect_eq "$(route "Queue Answer" '{"statusCode":401,"body":{}}')" 2 "retry-queue 401: the key refused, stop"
	expect_eq "$(route "Queue Answer" '{"statusCode":400,"body":{}}')" 3 "retry-queue 400: the execution fails"
	expect_eq "$(route "Queue Answer" '{"statusCode":201,"body":{}}' '{"statusCode":400}')" 0 "a refused event queued (as refused): done"
	expect_eq "$(route "Queue Answer" '{"error":{"code":"ECONNREFUSED","message":"connect ECONNREFUSED"}}' '{"statusCode":400}')" 3 "a refused event the retry-queue API cannot take: the execution fails (the database could only queue it to be replayed)"
	expect_eq "$(route "Queue Answer" '{"statusCode":503,"body":""}' '{"statusCode":413}')" 3 "...nor after a 5xx"
	expect_eq "$(route "Queue Answer" '{"statusCode":503,"body":""}' '{"minicrm_url":"x","error":{"code":"ECONNREFUSED"}}')" 1 "an unreachable event the retry-queue API cannot take: the database"
	expect_eq "$(queued_state '{"statusCode":400,"body":{"error":"invalid event"}}')" 'refused log-activity: HTTP 400 {"error":"invalid event"}' "a 400 is queued refused, with the refusal"
	expect_eq "$(queued_state '{"statusCode":503,"body":{"error":"x"}}')" 'pending log-activity: HTTP 503 {"error":"x"}' "a 503 is queued pending"
	expect_eq "$(queued_state '{"error":{"message":"connect ECONNREFUSED"}}')" 'pending log-activity: connect ECONNREFUSED' "a connection error is queued pending"
fi

# The example caller: Execute Sub-workflow once for each item, waiting.
check "the example caller is valid JSON, without \$env" jq -e . "$CALLER"
check "it calls the sub-workflow once for each item (Retry On Fail checks only an execution's first item), waiting for it" jq -e '.nodes[] | select(.name == "Write to Activity Log") | .type == "n8n-nodes-base.executeWorkflow" and .parameters.source == "database" and .parameters.mode == "each" and .parameters.options.waitForSubWorkflow == true' "$CALLER"

# The node's query, run as n8n would (parameters bound) as minicrm_n8n.
N8N_URL=$(sed -n "s/^MINICRM_N8N_DATABASE_URL='\(.*\)'$/\1/p" "$MINICRM_CONF")
QUERY=$(jq -r "$(node "Queue for Retry (Postgres)") | .parameters.query" "$WF")
EVENT="{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"recN8NWF$$\",\"source\":\"n8nwf-$$\",\"execution_id\":\"$$\"}"
run_insert() {
	psql "$N8N_URL" -qAtX -v ON_ERROR_STOP=1 -v ev="$EVENT" <<-SQL
		PREPARE q(text, text, text, text, text, text) AS $QUERY;
		EXECUTE q(:'ev', 'n8nwf-$$', '$$', 'recN8NWF$$', 'MESSAGE_SENT', 'portal unreachable: ECONNREFUSED');
	SQL
}
check "minicrm_n8n can run the node's INSERT" run_insert
check "twice (n8n's Retry On Fail), harmlessly" run_insert
expect_eq "$(sql "SELECT count(*) || ' ' || state || ' ' || lead_id || ' ' || event_type FROM retry_queue WHERE workflow = 'n8nwf-$$' GROUP BY state, lead_id, event_type")" "1 pending recN8NWF$$ MESSAGE_SENT" "one pending row with the event's lead and type"
sql "DELETE FROM retry_queue WHERE workflow = 'n8nwf-$$'" >/dev/null

finish
