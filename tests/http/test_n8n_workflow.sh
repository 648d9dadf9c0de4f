#!/usr/bin/env bash
# docs/n8n/write-to-activity-log.json: valid JSON n8n can import, with the
# current node versions, Retry On Fail on the log request, and its three
# ways out wired (logged; queued through the API; queued through the
# database) — and the INSERT its Postgres node runs works as minicrm_n8n.
source "$(dirname "$0")/lib.sh"

WF=$TOP/docs/n8n/write-to-activity-log.json
j() { jq -e "$1" "$WF" >/dev/null 2>&1; }
node() { printf '.nodes[] | select(.name == "%s")' "$1"; }
# next NODE OUTPUT: the node that output OUTPUT of NODE feeds.
next() { jq -r --arg n "$1" ".connections[\$n].main[$2][0].node // empty" "$WF"; }

check "the workflow is valid JSON" jq -e . "$WF"
check "named as the SOP names it" j '.name == "Write to Activity Log"'
check "every node has a unique name, an id, a type, a version and a position" j '(.nodes | map(.name) | unique | length) == (.nodes | length) and all(.nodes[]; .id and (.type | startswith("n8n-nodes-base.")) and .typeVersion and (.position | length == 2))'
check "every connection points at a node that exists" j '[.nodes[].name] as $names | all(.connections | to_entries[]; (.key | IN($names[])) and all(.value.main[][]; .node | IN($names[])))'
check "it starts from an Execute Workflow Trigger" j "$(node "When called by another workflow") | .type == \"n8n-nodes-base.executeWorkflowTrigger\""
expect_eq "$(next "When called by another workflow" 0)" "Log Activity" "the trigger feeds the log request"
check "the log request: HTTP Request 4.2, POST to log-activity on MINICRM_URL" j "$(node "Log Activity") | .type == \"n8n-nodes-base.httpRequest\" and .typeVersion == 4.2 and .parameters.method == \"POST\" and (.parameters.url | test(\"^=\\\\{\\\\{ *\\\\\$env.MINICRM_URL *\\\\}\\\\}/api/internal/log-activity\$\"))"
check "with Header Auth (x-api-key credential)" j "$(node "Log Activity") | .parameters.authentication == \"genericCredentialType\" and .parameters.genericAuthType == \"httpHeaderAuth\" and .credentials.httpHeaderAuth.name"
check "Retry On Fail: 3 tries, 1 s apart" j "$(node "Log Activity") | .retryOnFail == true and .maxTries == 3 and .waitBetweenTries == 1000"
check "On Error: continue using the error output" j "$(node "Log Activity") | .onError == \"continueErrorOutput\""
expect_eq "$(next "Log Activity" 0)" "Logged" "way out 1: logged"
expect_eq "$(next "Log Activity" 1)" "Queue for Retry (API)" "its error output goes to the retry queue's API"
check "which POSTs to retry-queue with the same credential" j "$(node "Queue for Retry (API)") | .typeVersion == 4.2 and .parameters.method == \"POST\" and (.parameters.url | endswith(\"/api/internal/retry-queue\")) and .credentials.httpHeaderAuth.name and .onError == \"continueErrorOutput\""
check "sending the original event as the payload" j "$(node "Queue for Retry (API)") | .parameters.jsonBody | test(\"payload: \\\\\$\\\\('When called by another workflow'\\\\).item.json\")"
expect_eq "$(next "Queue for Retry (API)" 0)" "Queued (API)" "way out 2: queued through the API"
expect_eq "$(next "Queue for Retry (API)" 1)" "Queue for Retry (Postgres)" "its error output goes to the database"
check "a Postgres 2.5 node running a query as the minicrm_n8n credential" j "$(node "Queue for Retry (Postgres)") | .type == \"n8n-nodes-base.postgres\" and .typeVersion == 2.5 and .parameters.operation == \"executeQuery\" and (.credentials.postgres.name | test(\"minicrm_n8n\"))"
expect_eq "$(next "Queue for Retry (Postgres)" 0)" "Queued (database)" "way out 3: queued in the database"

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
