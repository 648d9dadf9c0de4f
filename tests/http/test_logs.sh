#!/usr/bin/env bash
# The programs' logs (docs/observability.md): one line per request (method,
# route, status, duration, bytes, request id; never the path's ids nor the
# query string) in api.fcgi's and admin.fcgi's logs and one per job run,
# in the format LOG_FORMAT names: text (as it always read), logfmt
# (properly quoted) or json (every line valid JSON). The request id nginx
# logged is the one the client got in X-Request-Id and the one in the
# program's line. LOG_LEVEL=warn leaves info out, in every program and the
# worker.
source "$(dirname "$0")/lib.sh"

LOG=$MINICRM_VAR/log
KEY=$(new_key "logs-$$")
W=logs-$$
# A secret for query strings (always under a name nginx's access log
# redacts, as it is recorded): no program log may hold it.
QSECRET=qsecret$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
record_secret "$QSECRET"

# restart [VAR=value...]: the instance again with these settings.
restart() {
	env "$@" "$TOP/scripts/instance.sh" up >"$TMP/up.log" 2>&1
	grep -q "running at" "$TMP/up.log"
}
# mark: remember where each log ends; since FILE: what was added after.
mark() { for f in api admin worker nginx-access; do wc -c <"$LOG/$f.log" >"$TMP/mark.$f"; done; }
since() { tail -c +$(($(cat "$TMP/mark.$1") + 1)) "$LOG/$1.log"; }
post_event() {
	request POST "/api/internal/log-activity$2" -H "x-api-key: $KEY" \
		-H 'Content-Type: application/json' --data "$1"
}
header_id() { sed -n 's/^X-Request-Id: \([0-9a-f]*\).*/\1/Ip' <<<"$HEADERS" | tr -d '\r'; }
# nginx's access log is written every second: the line of request id $1.
nginx_line() {
	for _ in $(seq 30); do
		grep -F " $1" "$LOG/nginx-access.log" && return 0
		sleep 0.1
	done
	return 1
}
# has_json FILE 'condition': some line of FILE (each one JSON) meets it.
# (jq 1.6's -e looks only at the last line's result, hence --slurp.)
has_json() { jq -e -s "map(select($2)) | length > 0" "$1"; }
# every_line_json FILE: each line of FILE parses as one JSON object.
every_line_json() {
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object" and (.time | type == "string") and (.level | type == "string") and (.msg | type == "string")' >/dev/null 2>&1 <<<"$line" || { echo "line $n: $line"; return 1; }
	done <"$1"
	[ $n -gt 0 ]
}
# every_line_logfmt FILE: each line is key=value pairs, values bare or
# quoted with \" \\ \n \t \xNN escapes, starting with time and level.
every_line_logfmt() {
	python3 - "$1" <<-'PY'
	import re, sys
	pair = r'[a-z_]+=(?:[^\s="\\]+|"(?:[^"\\\x00-\x1f]|\\["\\nt]|\\x[0-9a-f]{2})*")'
	ok = re.compile(r'^time=\S+ level=(debug|info|warn|error) ' + pair + r'(?: ' + pair + r')*$')
	lines = open(sys.argv[1], encoding='utf-8', errors='strict').read().split('\n')
	assert lines[-1] == ''
	bad = [l for l in lines[:-1] if not ok.match(l)]
	print('\n'.join(bad[:3]))
	sys.exit(1 if bad or len(lines) < 2 else 0)
	PY
}

# --- text, the default -----------------------------------------------------
mark
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-1\",\"idempotency_key\":\"$W-1\"}" "?token=$QSECRET&note=$W"
expect_status 201 "an event is logged (with a query string the API ignores)"
ID=$(header_id)
check "the answer carries nginx's request id in X-Request-Id ($ID)" test ${#ID} -eq 32
since api >"$TMP/api.text"
line=$(grep -F "request_id=$ID" "$TMP/api.text")
check "api.fcgi's text line for that request carries the id" test -n "$line"
check "...and says method, route, status, duration and bytes" grep -qE "info: request POST /api/internal/log-activity 201 [0-9.]+ ms [0-9]+ bytes request_id=$ID\$" <<<"$line"
check "nginx logged the same request id" nginx_line "$ID"
check "no query string in api.fcgi's log" bash -c '! grep -qE -- "$1|note=" "$2"' _ "$QSECRET" "$TMP/api.text"
check "the text format is today's: timestamp, program, level" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z api\.fcgi info: request ' "$TMP/api.text"

browse GET "/leads/rec-$W?q=qmark-$W"
ID=$(header_id)
since admin >"$TMP/admin.text"
check "admin.fcgi logs the page's request by its route, with the id" grep -qE "request GET (\\(unmatched\\)|/login|/leads/\\*) [0-9]{3} .* request_id=$ID\$" "$TMP/admin.text"
check "not its path's id nor its query string" bash -c '! grep -qE -- "rec-$1|qmark" "$2"' _ "$W" "$TMP/admin.text"

# --- json ------------------------------------------------------------------
# The worker runs compact every second: its lines after the mark.
check "the instance restarts with LOG_FORMAT=json" restart LOG_FORMAT=json COMPACT_INTERVAL=1
mark
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-2\",\"idempotency_key\":\"$W-2\"}" "?api_key=$QSECRET"
expect_status 201 "an event is logged"
ID=$(header_id)
post_event '{"event_type":"MESSAGE_SENT","lead_id":"x"}' ''
request POST /api/internal/log-activity -H "x-api-key: mcrm_000000000000_$(head -c 43 /dev/zero | tr '\0' A)" -H 'Content-Type: application/json' --data '{}'
expect_status 401 "an unknown key is refused (a warn line)"
login "logs-$$@example.com" "logs-pw-$$-Secret1" >/dev/null
browse GET /leads
# A name with quotes, a backslash and braces reaches admin.fcgi's log
# ("api key … created by …"): the line must still be JSON, the name whole.
browse GET /keys
NAME="wf \"q\" \\ {x}: $W"
browse POST /keys --data-urlencode "csrf=$(field csrf)" --data-urlencode "name=$NAME" --data-urlencode "client=default"
expect_status 200 "a key with an awkward name is made on the portal"
record_secret "$(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$BODY" | head -n 1)"
LOG_FORMAT=json "$TOP/bin/minicrm" job run prune 2>"$TMP/job.json"
sleep 1.2	# nginx's buffered access log
since api >"$TMP/api.json"
since admin >"$TMP/admin.json"
check "every line api.fcgi wrote is one JSON object" every_line_json "$TMP/api.json"
check "every line admin.fcgi wrote is one JSON object" every_line_json "$TMP/admin.json"
check "the job's line is JSON too" every_line_json "$TMP/job.json"
req=$(jq -c "select(.request_id == \"$ID\" and .route != null)" "$TMP/api.json")
check "the request's JSON line has its id" test -n "$req"
BODY=$req expect_json '.method == "POST" and .route == "/api/internal/log-activity" and .status == 201 and (.duration_ms | type == "number") and (.bytes | type == "number") and .level == "info" and .program == "api.fcgi"' "with method, route, status, duration and bytes as JSON values"
check "nginx's access log has the same id" nginx_line "$ID"
check "the key sent in the query string is in no program log" bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$QSECRET" "$TMP/api.json" "$TMP/admin.json"
check "the warn line is JSON with level warn" has_json "$TMP/api.json" '.level == "warn" and (.msg | test("invalid API key"))'
check "the awkward name comes back whole from admin.fcgi's JSON line" jq -e -s --arg n "api key " --arg m " ($NAME) created by" 'map(select(.msg | startswith($n) and contains($m))) | length > 0' "$TMP/admin.json"
check "admin.fcgi's pages: a JSON line per request" has_json "$TMP/admin.json" '.route == "/leads" and .status == 200 and (.request_id | length) == 32'
check "the job's line: job, outcome, duration and what it did" has_json "$TMP/job.json" '.job == "prune" and .outcome == "done" and (.duration_ms | type == "number") and (.summary | test("pruned"))'
for _ in $(seq 30); do since worker | grep -q '"job":"compact"' && break; sleep 0.1; done
since worker >"$TMP/worker.json"
check "the worker's lines are JSON, one per job run" has_json "$TMP/worker.json" '.job == "compact" and .outcome == "done"'
check "every line the worker wrote is JSON" every_line_json "$TMP/worker.json"

# --- logfmt ------------------------------------------------------------------
check "the instance restarts with LOG_FORMAT=logfmt" restart LOG_FORMAT=logfmt
mark
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-3\",\"idempotency_key\":\"$W-3\"}" ''
ID=$(header_id)
request POST /api/internal/log-activity -H "x-api-key: mcrm_000000000000_$(head -c 43 /dev/zero | tr '\0' A)" -H 'Content-Type: application/json' --data '{}'
LOG_FORMAT=logfmt "$TOP/bin/minicrm" job run prune 2>"$TMP/job.logfmt"
since api >"$TMP/api.logfmt"
check "every api.fcgi line is logfmt" every_line_logfmt "$TMP/api.logfmt"
check "the job's line is logfmt" every_line_logfmt "$TMP/job.logfmt"
check "the request's logfmt line" grep -qE "^time=\\S+ level=info program=api\\.fcgi msg=\"request POST [^\"]*\" method=POST route=/api/internal/log-activity status=201 duration_ms=[0-9.]+ bytes=[0-9]+ request_id=$ID\$" "$TMP/api.logfmt"
check "the job's: quoted summary" grep -qE '^time=\S+ level=info program=minicrm msg="job prune: .*" job=prune outcome=done duration_ms=[0-9.]+ summary="pruned [^"]*"$' "$TMP/job.logfmt"

# --- LOG_LEVEL ---------------------------------------------------------------
check "the instance restarts with LOG_LEVEL=warn" restart LOG_LEVEL=warn
mark
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-4\",\"idempotency_key\":\"$W-4\"}" ''
expect_status 201 "an event is logged"
request POST /api/internal/log-activity -H "x-api-key: mcrm_000000000000_$(head -c 43 /dev/zero | tr '\0' A)" -H 'Content-Type: application/json' --data '{}'
browse GET /login
pg_control stop
post_event "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"rec$W-5\"}" ''
STATUS5=$STATUS
pg_control start
LOG_LEVEL=warn "$TOP/bin/minicrm" job run prune 2>"$TMP/job.warn"
sleep 1
since api >"$TMP/api.warn"
since admin >"$TMP/admin.warn"
since worker >"$TMP/worker.warn"
check "LOG_LEVEL=warn: no request line in api.fcgi's log" bash -c '! grep -q " info: " "$1"' _ "$TMP/api.warn"
check "...but its warnings" grep -q "warn: rejected an invalid API key" "$TMP/api.warn"
expect_eq "$STATUS5" 503 "without the database an event gets 503"
check "...and a 5xx answer's request line is a warning: kept" grep -qE "warn: request POST /api/internal/log-activity 503 .* request_id=[0-9a-f]{32}\$" "$TMP/api.warn"
check "no info line in admin.fcgi's log" bash -c '! grep -q " info: " "$1"' _ "$TMP/admin.warn"
check "none in the worker's" bash -c '! grep -q " info: " "$1"' _ "$TMP/worker.warn"
check "a job run from the CLI at warn writes nothing" test ! -s "$TMP/job.warn"
LOG_LEVEL=debug "$TOP/bin/minicrm" job run prune 2>"$TMP/job.debug"
check "at debug the job's line is there" grep -q "info: job prune: " "$TMP/job.debug"
LOG_FORMAT=yaml "$TOP/bin/minicrm" job run prune 2>"$TMP/job.bad"
check "an unknown LOG_FORMAT is named, and text is kept" grep -q "warn: LOG_FORMAT must be text, logfmt or json" "$TMP/job.bad"

check "the instance is back to its settings" restart
finish
