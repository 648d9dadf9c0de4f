#!/usr/bin/env bash
# A catalogue of bad requests against the real stack (nginx -> api.fcgi ->
# PostgreSQL). Each case is one line, and each is checked three ways:
#   1. the HTTP status;
#   2. a JSON body whose "error" says what is wrong and, where the problem
#      is one field, whose "errors" name that field;
#   3. nothing written: lead_activity_log and leads keep their row counts.
# A few positive checks sit next to the limits they bound (exactly 1 MiB,
# exactly 32 deep, the longest strings in multibyte characters), so that a
# limit cannot be "fixed" by refusing everything.
source "$(dirname "$0")/lib.sh"

R=br$$				# keeps this run's rows apart from other tests'
LA=/api/internal/log-activity
KEY=$(new_key bad-requests)
JH=(-H "x-api-key: $KEY" -H 'Content-Type: application/json')
EV0="{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-lead\"}"
CASES=0

counts() { sql "SELECT (SELECT count(*) FROM lead_activity_log) || '/' || (SELECT count(*) FROM leads)"; }
# The base event with a jq update applied: mk '.lead_id = 5'
mk() { jq -c "$1" <<<"$EV0"; }
# n levels of {"a": ...} around $2
nest() { local s=$2 i; for ((i = 0; i < $1; i++)); do s="{\"a\":$s}"; done; printf '%s' "$s"; }

# verdict NAME STATUS SPEC BEFORE: the three checks on the last answer.
# SPEC is FIELD, FIELD:REGEX (that field's message matches), -:REGEX (the
# "error" matches) or - (no particular field).
verdict() {
	local name=$1 status=$2 spec=$3 before=$4 field re
	field=${spec%%:*}
	re=; [[ $spec == *:* ]] && re=${spec#*:}
	expect_status "$status" "$name: status"
	expect_header '^Content-Type: application/json' "$name: a JSON answer"
	expect_json '(.error | type) == "string" and (.error | length) > 0' "$name: \"error\" says what is wrong"
	if [ "$field" != - ]; then
		expect_json "any(.. | objects; .field? == \"$field\")" "$name: the error names the field $field"
		[ -n "$re" ] && expect_json "any(.. | objects | select(.field? == \"$field\") | .message; test(\"$re\"))" "$name: $field's message matches /$re/"
	elif [ -n "$re" ]; then
		expect_json ".error | test(\"$re\")" "$name: the error matches /$re/"
	fi
	expect_eq "$(counts)" "$before" "$name: nothing written (events/leads)"
}

# bad NAME STATUS SPEC METHOD PATH [curl args...]
bad() {
	local name=$1 status=$2 spec=$3 before
	shift 3
	CASES=$((CASES + 1))
	before=$(counts)
	request "$@"
	verdict "$name" "$status" "$spec" "$before"
}
# ev NAME STATUS SPEC JSON: the body posted with a good key
ev() { bad "$1" "$2" "$3" POST "$LA" "${JH[@]}" --data-binary "$4"; }
# evf NAME STATUS SPEC FILE: the same, the body from a file (raw bytes)
evf() { bad "$1" "$2" "$3" POST "$LA" "${JH[@]}" --data-binary "@$4"; }

# raw_request TEXT: send bytes curl will not (broken framing); sets STATUS,
# HEADERS, BODY like request does.
raw_request() {
	: >"$TMP/raw"
	if exec 3<>"/dev/tcp/127.0.0.1/$MINICRM_PORT"; then
		# In a subshell: nginx may close before it has read everything
		# (a 414), and a SIGPIPE must end the write, not this test.
		(printf '%s' "$1" >&3) 2>/dev/null
		timeout 10 cat <&3 >"$TMP/raw"
		exec 3>&-
	fi
	STATUS=$(head -n 1 "$TMP/raw" | cut -d ' ' -f 2)
	[ -n "$STATUS" ] || STATUS=000
	HEADERS=$(sed -n '1,/^\r$/p' "$TMP/raw" | tr -d '\r')
	BODY=$(sed '1,/^\r$/d' "$TMP/raw")
}
# bad_raw NAME STATUS SPEC TEXT
bad_raw() {
	local before
	CASES=$((CASES + 1))
	before=$(counts)
	raw_request "$4"
	verdict "$1" "$2" "$3" "$before"
}

# unauth NAME KEY [curl args]: a 401 that writes nothing and logs no key.
# An empty KEY sends no x-api-key; CT=type overrides application/json.
unauth() {
	local name=$1 key=$2 hdr=()
	shift 2
	[ -n "$key" ] && hdr=(-H "x-api-key: $key")
	bad "$name" 401 '-:API key|x-api-key' POST "$LA" "${hdr[@]}" "$@" \
		-H "Content-Type: ${CT:-application/json}" --data-binary "$(mk ".lead_id = \"$R-unauth\"")"
	expect_header '^WWW-Authenticate: ApiKey' "$name: WWW-Authenticate says how to authenticate"
	[ -n "$key" ] && check "$name: the key is not in api.log" \
		bash -c 'test -f "$2" && ! grep -qF -- "$1" "$2"' _ "$key" "$MINICRM_VAR/log/api.log"
}

# good NAME STATUS ROWS [curl args]: a positive check next to a limit.
good() {
	local name=$1 status=$2 rows=$3 before
	shift 3
	before=$(sql "SELECT count(*) FROM lead_activity_log")
	request POST "$LA" "${JH[@]}" "$@"
	expect_status "$status" "$name: status"
	expect_eq "$(sql "SELECT count(*) FROM lead_activity_log")" "$((before + rows))" "$name: $rows row(s) written"
}

# ---------------------------------------------------------------- routing
# 404 and 405 come before the key: a typo in a URL must not look like a
# credential problem, and wrong methods are refused without a body.
bad "unknown path under /api/" 404 - POST /api/internal/nope "${JH[@]}" --data-binary "$EV0"
bad "trailing slash is another path" 404 - POST "$LA/" "${JH[@]}" --data-binary "$EV0"
bad "paths are case-sensitive" 404 - POST /api/internal/LOG-ACTIVITY "${JH[@]}" --data-binary "$EV0"
bad "GET /api/ is not an endpoint" 404 - GET /api/
bad "unknown path, no key: still 404" 404 - POST /api/internal/nope --data-binary "$EV0"
for m in GET PUT DELETE PATCH; do
	bad "$m log-activity" 405 - "$m" "$LA" "${JH[@]}"
	expect_header '^Allow: POST' "$m log-activity: Allow: POST"
done
bad "GET log-activity with a bad key: 405 before 401" 405 - GET "$LA" -H 'x-api-key: nope'
bad "POST activity-health" 405 - POST /api/internal/activity-health "${JH[@]}" --data-binary "$EV0"
expect_header '^Allow: GET' "POST activity-health: Allow: GET"
bad "POST /health" 405 - POST /health "${JH[@]}" --data-binary "$EV0"
CASES=$((CASES + 1))
request HEAD "$LA" -I "${JH[@]}"
expect_status 405 "HEAD log-activity: status"
expect_header '^Allow: POST' "HEAD log-activity: Allow: POST"

# ---------------------------------------------------------------- API keys
# Checked before the body is even read; a rejected key is never logged.
REVOKED=$(new_key bad-requests-revoked)
minicrm apikey revoke bad-requests-revoked >/dev/null	# never used, so never cached
unauth "no x-api-key header" ""
unauth "empty x-api-key header" "" -H 'x-api-key;'
unauth "Authorization: Bearer is not x-api-key" "" -H "Authorization: Bearer $KEY"
unauth "well-formed but unknown key" "mcrm_000000000000_${KEY:18}"
unauth "known prefix, wrong secret" "${KEY:0:30}$(tr 'A-Za-z' 'N-ZA-Mn-za-m' <<<"${KEY:30}")"
unauth "key one character short" "${KEY%?}"
unauth "key with one character more" "${KEY}x"
unauth "key in upper case" "$(tr a-z A-Z <<<"$KEY")"
unauth "garbage key" "not-a-key-$R"
unauth "a 4 KiB key" "mcrm_$(head -c 4096 /dev/zero | tr '\0' a)"
unauth "revoked key" "$REVOKED"
CT=text/plain unauth "bad key and text/plain: 401 before 415" "not-a-key-$R-2"
head -c $((1536 * 1024)) /dev/zero | tr '\0' ' ' >"$TMP/ws-1.5m"
bad "bad key and a 1.5 MiB body: 401 before 413" 401 - POST "$LA" -H "x-api-key: not-a-key-$R-3" \
	-H 'Content-Type: application/json' --data-binary @"$TMP/ws-1.5m"

# A key in the URL is refused: the API reads x-api-key only. The client has
# still sent it, and nginx's access log must not keep it: the request line
# and the referer are logged with every secret-looking value REDACTED
# (nginx/minicrm-log.conf), the rest as sent. (secrets_check.sh, after the
# suite, looks for this key, a real one, in every log.)
QS="src=$R-qs&key=$KEY&x-api-key=$KEY&token=$KEY"
bad "the key in the query string (?api_key=)" 401 '-:API key|x-api-key' POST "$LA?api_key=$KEY" \
	-H 'Content-Type: application/json' --data-binary "$(mk ".lead_id = \"$R-unauth\"")"
bad "the key as ?key=, x-api-key=, token= among other parameters" 401 '-:API key|x-api-key' POST "$LA?$QS" \
	-H 'Content-Type: application/json' --data-binary "$(mk ".lead_id = \"$R-unauth\"")"
bad "the key in a GET's query and in the referer's" 401 '-:API key|x-api-key' GET \
	"/api/internal/de-enrollment/health?src=$R-ref&api_key=$KEY" \
	-e "http://127.0.0.1:$MINICRM_PORT/keys?client=acme&api_key=$KEY&page=2"
sleep 1.5	# nginx flushes its access log's buffer every second
ACCESS=$MINICRM_VAR/log/nginx-access.log
line=$(grep -F "src=$R-qs&" "$ACCESS" | tail -n 1)
check "the access log has the request with a key in its query" test -n "$line"
check "...with the values redacted, the names, method, path and status kept" \
	grep -qF "\"POST $LA?src=$R-qs&key=REDACTED&x-api-key=REDACTED&token=REDACTED HTTP/1.1\" 401 " <<<"$line"
check "...ending with the request time and nginx's request id" grep -qE ' [0-9]+\.[0-9]{3} [0-9a-f]{32}$' <<<"$line"
line=$(grep -F "src=$R-ref&" "$ACCESS" | tail -n 1)
check "a GET's key and the referer's are redacted, the rest kept" \
	grep -qF "\"GET /api/internal/de-enrollment/health?src=$R-ref&api_key=REDACTED HTTP/1.1\" 401 " <<<"$line"
check "...the referer's too" grep -qF "\"http://127.0.0.1:$MINICRM_PORT/keys?client=acme&api_key=REDACTED&page=2\"" <<<"$line"
# (a function: check prints its command on failure, which must not name the key)
key_not_in_access_log() { ! grep -qF -- "$KEY" "$ACCESS"; }
check "...the access log holds the key nowhere" key_not_in_access_log
line=$(grep -F "?api_key=REDACTED HTTP/1.1\" 401" "$ACCESS" | grep -F "POST $LA?" | tail -n 1)
check "?api_key= alone: redacted" test -n "$line"

# ---------------------------------------------------------------- content type
bad "text/plain" 415 '-:application/json' POST "$LA" -H "x-api-key: $KEY" -H 'Content-Type: text/plain' --data-binary "$EV0"
bad "no Content-Type" 415 '-:application/json' POST "$LA" -H "x-api-key: $KEY" -H 'Content-Type:' --data-binary "$EV0"
bad "curl's form default" 415 '-:application/json' POST "$LA" -H "x-api-key: $KEY" --data-binary "$EV0"
bad "application/jsonx is not JSON" 415 '-:application/json' POST "$LA" -H "x-api-key: $KEY" -H 'Content-Type: application/jsonx' --data-binary "$EV0"
bad "text/json" 415 '-:application/json' POST "$LA" -H "x-api-key: $KEY" -H 'Content-Type: text/json' --data-binary "$EV0"
bad "text/plain and no body: 415 before 411" 415 - POST "$LA" -H "x-api-key: $KEY" -H 'Content-Type: text/plain' --data-binary ''

# ---------------------------------------------------------------- length
# 411: a POST without a body. curl sends Content-Length: 0 for an empty
# --data-binary and nothing at all without data; chunked with no chunks and
# HTTP/1.0 without Content-Length reach the application as "no length".
bad "empty body (Content-Length: 0)" 411 - POST "$LA" "${JH[@]}" --data-binary ''
bad "no body, no Content-Length" 411 - POST "$LA" "${JH[@]}"
bad "chunked with no chunks" 411 - POST "$LA" "${JH[@]}" -H 'Transfer-Encoding: chunked' --data-binary ''
bad_raw "HTTP/1.0 without Content-Length" 411 - \
	"POST $LA HTTP/1.0"$'\r\n'"x-api-key: $KEY"$'\r\nContent-Type: application/json\r\n\r\n'"$EV0"
# Broken framing is refused by nginx itself; the client must still get the
# API's JSON, not nginx's HTML page.
bad_raw "Content-Length that is not a number" 400 - \
	"POST $LA HTTP/1.1"$'\r\nHost: localhost\r\n'"x-api-key: $KEY"$'\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n'"$EV0"
bad_raw "broken chunked encoding" 400 - \
	"POST $LA HTTP/1.1"$'\r\nHost: localhost\r\n'"x-api-key: $KEY"$'\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"eve\r\nzz\r\n'

# ---------------------------------------------------------------- nginx's own answers
# What nginx refuses before any program sees the request is answered in
# JSON too. While nginx reads the request line it knows no path, so these
# answers are JSON for every path (docs/api.md, "Answers from nginx"); once
# they were a 500 HTML page ("empty URI in redirect to named location").
CL=$'\r\nHost: localhost\r\nConnection: close\r\n\r\n'
bad_raw "a request line of garbage" 400 request $'GARBAGE\r\n\r\n'
bad_raw "a method in lower case" 400 request "post $LA HTTP/1.1$CL"
bad_raw "%zz in the path" 400 request "GET /api/internal/%zz HTTP/1.1$CL"
bad_raw "%00 in the path" 400 request "GET /api/internal/log-activity%00 HTTP/1.1$CL"
bad_raw "a control byte in the path" 400 request "GET /api/internal/a"$'\x01'"b HTTP/1.1$CL"
bad_raw "an encoded ../ climbing out of the root" 400 request "GET /api/..%2f..%2f..%2fetc/passwd HTTP/1.1$CL"
bad_raw "%zz in a health URL" 400 request "GET /health%zz HTTP/1.1$CL"
bad_raw "%zz in a portal path (nginx answers: JSON too)" 400 request "GET /leads/%zz HTTP/1.1$CL"
bad_raw "HTTP/1.1 without Host" 400 request $'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'
bad_raw "a URL over 8 KiB" 414 url "GET $LA?pad=$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1$CL"
bad_raw "a header line over 8 KiB" 431 headers \
	"POST $LA HTTP/1.1"$'\r\nHost: localhost\r\n'"x-api-key: $KEY"$'\r\n'"X-Pad: $(head -c 9000 /dev/zero | tr '\0' b)$CL"
bad_raw "TRACE on the API" 405 method "TRACE $LA HTTP/1.1$CL"
bad_raw "TRACE on /health" 405 method "TRACE /health HTTP/1.1$CL"
bad_raw "CONNECT on the API" 405 method "CONNECT $LA HTTP/1.1$CL"
bad_raw "HTTP/2.0 on the HTTP/1.1 listener" 505 request "GET /api/internal/activity-health HTTP/2.0$CL"
bad_raw "an unknown Transfer-Encoding" 501 Transfer-Encoding \
	"POST $LA HTTP/1.1"$'\r\nHost: localhost\r\n'"x-api-key: $KEY"$'\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n'"$EV0"
check "nginx never failed to redirect to its error answers" \
	bash -c '! grep -q "redirect to named location" "$0"' "$MINICRM_VAR/log/nginx-error.log"

# 413: the application refuses more than 1 MiB (it answers up to the 2 MiB
# nginx lets through); beyond 2 MiB nginx answers, with the same JSON.
pad_to() { { printf '%s' "$EV0"; head -c $(($2 - ${#EV0})) /dev/zero | tr '\0' ' '; } >"$1"; }
pad_to "$TMP/1m" $((1024 * 1024))
pad_to "$TMP/1m+1" $((1024 * 1024 + 1))
pad_to "$TMP/2m" $((2 * 1024 * 1024))
pad_to "$TMP/3m" $((3 * 1024 * 1024))
good "a body of exactly 1 MiB is accepted" 201 1 --data-binary @"$TMP/1m"
bad "1 MiB + 1 byte" 413 '-:1 MiB' POST "$LA" "${JH[@]}" --data-binary @"$TMP/1m+1"
bad "exactly 2 MiB (the application answers)" 413 '-:1 MiB' POST "$LA" "${JH[@]}" --data-binary @"$TMP/2m"
bad "3 MiB (nginx answers, in JSON)" 413 '-:1 MiB' POST "$LA" "${JH[@]}" --data-binary @"$TMP/3m"
bad "3 MiB chunked" 413 '-:1 MiB' POST "$LA" "${JH[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/3m"
bad "1.5 MiB chunked" 413 '-:1 MiB' POST "$LA" "${JH[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/ws-1.5m"
good "a small chunked body is stored (nginx sets the length)" 201 1 -H 'Transfer-Encoding: chunked' --data-binary "$(mk ".lead_id = \"$R-chunked\"")"
jq -nc --arg r "$R" '[range(1001) | {event_type:"MESSAGE_SENT", lead_id:"\($r)-many-\(.)"}]' >"$TMP/1001"
evf "a batch of 1001 events" 413 'body:1000' "$TMP/1001"

# ---------------------------------------------------------------- malformed JSON
# Every one answers 400 with field "body"; the message says where.
ev "trailing comma" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"x",}'
ev "single quotes" 400 body "{'event_type':'MESSAGE_SENT','lead_id':'x'}"
ev "unquoted key" 400 body '{event_type:"MESSAGE_SENT",lead_id:"x"}'
ev "missing colon" 400 body '{"event_type" "MESSAGE_SENT","lead_id":"x"}'
ev "unterminated string" 400 'body:too early' '{"event_type":"MESSAGE_SENT","lead_id":"x'
ev "truncated object" 400 'body:too early' '{"event_type":"MESSAGE_SENT","lead_id":"x"'
ev "bad escape" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"\x41"}'
ev "short \\u escape" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"\u00"}'
ev "leading zero" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"x","metadata":{"n":01}}'
ev "True is not true" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"x","metadata":{"b":True}}'
ev "a comment" 400 body '{"event_type":"MESSAGE_SENT","lead_id":"x"} // sent by n8n'
ev "trailing garbage" 400 'body:malformed' "$EV0 x"
ev "two objects back to back" 400 body "$EV0$EV0"
ev "whitespace only" 400 body '   '
ev "a byte order mark" 400 body $'\xef\xbb\xbf'"$EV0"
# NaN and Infinity are not JSON: the parser must say so, rather than pass
# them on for the database to refuse.
ev "NaN in metadata" 400 'body:malformed' '{"event_type":"MESSAGE_SENT","lead_id":"x","metadata":{"n":NaN}}'
# JSON forbids raw control characters inside strings.
printf '{"event_type":"MESSAGE_SENT","lead_id":"%s-rawctl","metadata":{"k":"a\001b"}}' "$R" >"$TMP/rawctl"
evf "raw control byte inside a string" 400 'body:malformed' "$TMP/rawctl"

# ---------------------------------------------------------------- bytes
# The body must be UTF-8 without NUL bytes: each refused before parsing.
rawbody() { printf '{"event_type":"MESSAGE_SENT","lead_id":"u%sx"}' "$1" >"$TMP/raw-$2"; echo "$TMP/raw-$2"; }
evf "overlong encoding C0 AF" 400 'body:UTF-8' "$(rawbody $'\xc0\xaf' overlong)"
evf "lone continuation byte" 400 'body:UTF-8' "$(rawbody $'\x80' cont)"
evf "truncated 3-byte sequence" 400 'body:UTF-8' "$(rawbody $'\xe2\x82' trunc)"
evf "UTF-8 encoded surrogate" 400 'body:UTF-8' "$(rawbody $'\xed\xa0\x80' surr)"
evf "beyond U+10FFFF" 400 'body:UTF-8' "$(rawbody $'\xf4\x90\x80\x80' big)"
evf "byte FF" 400 'body:UTF-8' "$(rawbody $'\xff' ff)"
printf '{"event_type":"MESSAGE_SENT","lead_id":"a\0b"}' >"$TMP/nul"
evf "raw NUL byte in a string" 400 'body:NUL' "$TMP/nul"
printf '%s\0' "$EV0" >"$TMP/nul-end"
evf "raw NUL byte after the value" 400 'body:NUL' "$TMP/nul-end"

# ---------------------------------------------------------------- top level
ev "top-level string" 400 'body:object' '"MESSAGE_SENT"'
ev "top-level number" 400 'body:object' '42'
ev "top-level null" 400 'body:object' 'null'
ev "top-level true" 400 'body:object' 'true'
ev "empty batch" 400 'body:empty' '[]'
ev "unknown top-level field" 400 'color:metadata' "$(mk '.color = "red"')"
ev "field names are case-sensitive" 400 Lead_ID "$(mk '.Lead_ID = "x"')"
# json-c cuts object keys at a NUL: this key is not "lead_id".
ev "a key with \\u0000 is not a field" 400 '-:NUL' '{"event_type":"MESSAGE_SENT","lead_id\u0000x":"'"$R"'-nulkey"}'

# ---------------------------------------------------------------- required fields
ev "event_type missing" 400 'event_type:required' "$(mk 'del(.event_type)')"
ev "lead_id missing" 400 'lead_id:required' "$(mk 'del(.lead_id)')"
ev "empty object: both named" 400 'lead_id:required' '{}'
ev "event_type null" 400 'event_type:required' "$(mk '.event_type = null')"
ev "lead_id null" 400 'lead_id:required' "$(mk '.lead_id = null')"

# ---------------------------------------------------------------- wrong types
ev "event_type a number" 400 'event_type:string' "$(mk '.event_type = 5')"
ev "event_type an array" 400 'event_type:string' "$(mk '.event_type = ["MESSAGE_SENT"]')"
ev "lead_id a number (Airtable ids are strings)" 400 'lead_id:string' "$(mk '.lead_id = 12345')"
ev "lead_id an object" 400 'lead_id:string' "$(mk '.lead_id = {"id":"x"}')"
ev "lead_id a boolean" 400 'lead_id:string' "$(mk '.lead_id = true')"
ev "client_id a number" 400 'client_id:string' "$(mk '.client_id = 1')"
ev "occurred_at a Unix time" 400 'occurred_at:string' "$(mk '.occurred_at = 1731000000')"
ev "source an object" 400 'source:string' "$(mk '.source = {}')"
ev "execution_id a number" 400 'execution_id:string' "$(mk '.execution_id = 29345')"
ev "idempotency_key an array" 400 'idempotency_key:string' "$(mk '.idempotency_key = []')"
ev "channel a boolean" 400 'channel:string' "$(mk '.channel = false')"
ev "message an object" 400 'message:string' "$(mk '.message = {"text":"hi"}')"
ev "metadata an array" 400 'metadata:object' "$(mk '.metadata = [1,2]')"
ev "metadata a string of JSON" 400 'metadata:object' "$(mk '.metadata = "{}"')"
ev "metadata a number" 400 'metadata:object' "$(mk '.metadata = 1')"
ev "every bad field named at once" 400 'source:string' "$(mk '.event_type = 5 | .lead_id = [] | .source = {} | .message = true')"
expect_json '[.errors[].field] == ["event_type","lead_id","source","message"]' "every bad field named at once: all four, in order"

# ---------------------------------------------------------------- empty strings
for f in event_type lead_id client_id occurred_at source execution_id idempotency_key channel message; do
	ev "$f empty" 400 "$f:empty" "$(mk ".$f = \"\"")"
done

# ---------------------------------------------------------------- lengths
# Limits count characters, not bytes: max + 1 in ASCII and in multibyte
# characters is refused; the longest values in multibyte are accepted below.
for fm in lead_id:255 source:255 execution_id:255 idempotency_key:255 channel:64 message:16384 client_id:64; do
	f=${fm%:*} max=${fm#*:}
	ev "$f of $((max + 1)) ASCII characters" 400 "$f:at most $max" "$(mk ".$f = (\"a\" * $((max + 1)))")"
	ev "$f of $((max + 1)) two-byte characters" 400 "$f:at most $max" "$(mk ".$f = (\"é\" * $((max + 1)))")"
done
ev "lead_id of 256 four-byte characters" 400 'lead_id:at most 255' "$(mk '.lead_id = ("😀" * 256)')"
ev "event_type of 65 characters" 400 'event_type:at most 64' "$(mk '.event_type = ("A" * 65)')"
ev "occurred_at of 65 characters" 400 'occurred_at:at most 64' "$(mk ".occurred_at = (\"2025-11-07T10:15:30.\" + (\"0\" * 44) + \"Z\")")"
good "every string at its limit, in multibyte characters" 201 1 --data-binary "$(jq -nc --arg r "$R" '{event_type: ("MESSAGE_SENT"), lead_id: ("€" * 254 + "1"), source: ("é" * 255), execution_id: ("é" * 255), idempotency_key: ("\($r)-" + "é" * (255 - ($r | length) - 1)), channel: ("é" * 64), message: ("é" * 16384)}')"
expect_eq "$(sql "SELECT char_length(l.external_id) || ' ' || char_length(a.source) || ' ' || char_length(a.channel) || ' ' || char_length(a.message) FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id WHERE a.idempotency_key LIKE '$R-%'")" "255 255 64 16384" "the longest values are stored whole"

# ---------------------------------------------------------------- event types
ev "event_type in lower case" 400 'event_type:upper-case' "$(mk '.event_type = "message_sent"')"
ev "event_type in mixed case" 400 'event_type:upper-case' "$(mk '.event_type = "Message_Sent"')"
ev "event_type with a hyphen" 400 'event_type:upper-case' "$(mk '.event_type = "MESSAGE-SENT"')"
ev "event_type with a space" 400 'event_type:upper-case' "$(mk '.event_type = "MESSAGE_SENT "')"
ev "event_type starting with a digit" 400 'event_type:upper-case' "$(mk '.event_type = "1MESSAGE"')"
ev "unknown event_type" 400 'event_type:known' "$(mk '.event_type = "NOT_A_TYPE"')"

# ---------------------------------------------------------------- clients
ev "unknown client_id" 400 'client_id:known client' "$(mk '.client_id = "no-such-client"')"
minicrm client create "$R-client" --name "Bad requests" >/dev/null
CLIENT_KEY=$(new_key bad-requests-client --client "$R-client")
bad "a client's key naming another client" 400 client_id POST "$LA" -H "x-api-key: $CLIENT_KEY" \
	-H 'Content-Type: application/json' --data-binary "$(mk '.client_id = "default"')"

# ---------------------------------------------------------------- occurred_at
when() { mk ".occurred_at = \"$1\""; }
ev "occurred_at without a zone" 400 'occurred_at:RFC 3339' "$(when 2025-11-07T10:15:30)"
ev "occurred_at date only" 400 'occurred_at:RFC 3339' "$(when 2025-11-07)"
ev "occurred_at month 13" 400 'occurred_at:RFC 3339' "$(when 2025-13-07T10:15:30Z)"
ev "occurred_at February 30" 400 'occurred_at:RFC 3339' "$(when 2025-02-30T10:15:30Z)"
ev "occurred_at February 29 of a common year" 400 'occurred_at:RFC 3339' "$(when 2023-02-29T10:15:30Z)"
ev "occurred_at 25:00" 400 'occurred_at:RFC 3339' "$(when 2025-11-07T25:00:00Z)"
ev "occurred_at minute 60" 400 'occurred_at:RFC 3339' "$(when 2025-11-07T10:60:00Z)"
ev "occurred_at offset +24:00" 400 'occurred_at:RFC 3339' "$(when 2025-11-07T10:15:30+24:00)"
ev "occurred_at garbage" 400 'occurred_at:RFC 3339' "$(when yesterday)"
ev "occurred_at with a trailing space" 400 'occurred_at:RFC 3339' "$(when '2025-11-07T10:15:30Z ')"
ev "occurred_at two days ahead" 400 'occurred_at:future' "$(when "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)")"
ev "occurred_at before 1970" 400 'occurred_at:1970' "$(when 1969-12-31T23:59:59Z)"
ev "occurred_at before 1970 by its offset" 400 'occurred_at:1970' "$(when 1970-01-01T00:30:00+01:00)"

# ---------------------------------------------------------------- NUL, control characters, Unicode
# PostgreSQL text and jsonb cannot hold U+0000: refuse it wherever it is.
ev "lead_id with \\u0000" 400 'lead_id:NUL' "$(mk '.lead_id = "a\u0000b"')"
ev "event_type with \\u0000" 400 'event_type:NUL' "$(mk '.event_type = "MESSAGE_SENT\u0000"')"
ev "message with \\u0000" 400 'message:NUL' "$(mk '.message = "hi\u0000"')"
ev "metadata value with \\u0000" 400 'metadata:NUL' "$(mk '.metadata = {"k":"a\u0000b"}')"
ev "metadata value with \\u0000, nested in an array" 400 'metadata:NUL' "$(mk '.metadata = {"a":[{"b":"x\u0000"}]}')"
# json-c would cut the key at the NUL and store "a": refused for the whole
# body, as the parser cannot say which field holds the key.
ev "metadata key with \\u0000" 400 'body:NUL' "$(mk ".lead_id = \"$R-nulmeta\" | .metadata = {\"a\u0000b\":1}")"
# Identifiers are one line of printable text.
ev "lead_id with a tab" 400 'lead_id:control' "$(mk '.lead_id = "a\tb"')"
ev "lead_id with a newline" 400 'lead_id:control' "$(mk '.lead_id = "a\nb"')"
ev "lead_id with ESC" 400 'lead_id:control' "$(mk '.lead_id = "a\u001b[31mb"')"
ev "lead_id with DEL" 400 'lead_id:control' "$(mk '.lead_id = "a\u007fb"')"
ev "source with a carriage return" 400 'source:control' "$(mk '.source = "wf\r"')"
ev "message with BEL (newlines are fine, BEL is not)" 400 'message:control' "$(mk '.message = "line\nbell\u0007"')"
# A lone surrogate is not a character: storing U+FFFD instead would merge
# different lead ids into one lead. Refused by the body parser, which
# cannot say which field holds the string.
ev "lead_id with a lone surrogate" 400 'body:surrogate' '{"event_type":"MESSAGE_SENT","lead_id":"'"$R"'-\ud800"}'

# ---------------------------------------------------------------- depth
# At most 32 levels of nesting: the event object and 31 levels of metadata
# (the innermost holding a value) is exactly 32 and fine; 33 is not.
good "exactly 32 levels deep is accepted" 201 1 --data-binary "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-depth32\",\"metadata\":$(nest 31 '"leaf"')}"
ev "33 levels deep" 400 'body:deeper than 32' "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-depth33\",\"metadata\":$(nest 32 '"leaf"')}"
ev "1000 levels deep" 400 'body:deeper than 32' "$(nest 1000 1)"
# The limit counts containers: an empty one innermost is a level too
# (33 were once accepted when the innermost was empty).
good "exactly 32 levels deep, the innermost empty, is accepted" 201 1 --data-binary "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-depth32e\",\"metadata\":$(nest 30 '{}')}"
ev "33 levels deep, the innermost empty" 400 'body:deeper than 32' "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-depth33e\",\"metadata\":$(nest 31 '{}')}"
ev "33 levels deep, the innermost an empty array" 400 'body:deeper than 32' "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-depth33a\",\"metadata\":$(nest 31 '[]')}"
ev "33 empty arrays" 400 'body:deeper than 32' "$(printf '[%.0s' {1..33})$(printf ']%.0s' {1..33})"

# ---------------------------------------------------------------- repeated keys
# json-c keeps the last of a repeated key: a caller's bug would pass as data.
ev "a repeated key" 400 'body:key .lead_id. appears more than once' '{"event_type":"MESSAGE_SENT","lead_id":"'"$R"'-dup1","lead_id":"'"$R"'-dup2"}'
ev "a repeated key in metadata" 400 'body:key .x. appears more than once' "$(mk ".lead_id = \"$R-dup3\"" | sed 's/}$/,"metadata":{"x":1,"y":{},"x":2}}/')"

# ---------------------------------------------------------------- data kept as sent
# Not a bad request, but the same promise: a value is stored as sent or
# refused, never altered (json-c saturates integers beyond 64 bits).
CASES=$((CASES + 1))
request POST "$LA" "${JH[@]}" --data-binary "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$R-bigint2\",\"idempotency_key\":\"$R-bigint2\",\"metadata\":{\"n\":123456789012345678901234567890}}"
if [ "$STATUS" = 400 ]; then
	expect_json 'any(.. | objects; .field? == "body") and (.error | test("64 bits"))' "an integer beyond 64 bits: refused, saying why"
else
	expect_eq "$(sql "SELECT metadata->>'n' FROM lead_activity_log WHERE idempotency_key = '$R-bigint2'")" "123456789012345678901234567890" "an integer beyond 64 bits: stored as sent"
fi

# ---------------------------------------------------------------- batches
ev "a batch whose only element is not an object" 400 'event:object' '[42]'
expect_json '.error == "no valid events in the batch" and .errors[0].index == 0' "[42]: the element is named by its index"
ev "a batch where every event is invalid" 400 event_type \
	"[$(mk '.event_type = "NOPE"'),$(mk 'del(.lead_id)'),\"x\",$(mk '.occurred_at = "soon"')]"
expect_json '[.errors[].index] == [0,1,2,3] and .accepted == 0 and .rejected == 4' "all invalid: every index listed, none accepted"
expect_json '.errors[1].errors[0].field == "lead_id" and .errors[2].errors[0].field == "event" and .errors[3].errors[0].field == "occurred_at"' "all invalid: each index names its own field"
jq -nc --arg r "$R" '[{event_type:"MESSAGE_SENT", lead_id:"\($r)-big-ok", idempotency_key:"\($r)-big-ok"},
	{event_type:"MESSAGE_SENT", lead_id:"\($r)-big-huge", idempotency_key:"\($r)-big-huge", metadata:{pad:("y" * 66000)}}]' >"$TMP/64k"
ev "a single event larger than 64 KiB" 400 'event:64 KiB' "$(mk '.metadata = {pad: ("y" * 66000)}')"
# A batch with some bad events: 207, the valid ones stored, the rest not.
CASES=$((CASES + 1))
before_leads=$(sql "SELECT count(*) FROM leads")
request POST "$LA" "${JH[@]}" --data-binary @"$TMP/64k"
expect_status 207 "an event over 64 KiB inside a batch: 207"
expect_json '.accepted == 1 and .rejected == 1 and .errors[0].index == 1 and .errors[0].errors[0].field == "event"' "...the big one is rejected by index, field event"
expect_eq "$(sql "SELECT string_agg(idempotency_key, ',') FROM lead_activity_log WHERE idempotency_key LIKE '$R-big-%'")" "$R-big-ok" "...only the small event was written"
expect_eq "$(sql "SELECT count(*) FROM leads")" "$((before_leads + 1))" "...and only its lead was created"
CASES=$((CASES + 1))
before=$(sql "SELECT count(*) FROM lead_activity_log")
before_leads=$(sql "SELECT count(*) FROM leads")
request POST "$LA" "${JH[@]}" --data-binary "$(jq -nc --arg r "$R" '[
	{event_type:"MESSAGE_SENT", lead_id:"\($r)-p0", idempotency_key:"\($r)-p0"},
	{event_type:"NOT_A_TYPE", lead_id:"\($r)-p1", idempotency_key:"\($r)-p1"},
	{event_type:"INBOUND_REPLY", lead_id:"\($r)-p2", idempotency_key:"\($r)-p2", channel:"sms"},
	{event_type:"MESSAGE_SENT", lead_id:"\($r)-p3", idempotency_key:"\($r)-p3", client_id:"no-such-client"},
	17,
	{event_type:"MESSAGE_SENT", lead_id:"\($r)-p5\u0000", idempotency_key:"\($r)-p5"}]')"
expect_status 207 "a batch with some invalid events: 207"
expect_json '.received == 6 and .accepted == 2 and .rejected == 4 and [.results[].index] == [0,2] and [.errors[].index] == [1,3,4,5]' "207: counts and indexes"
expect_json '[.errors[].errors[0].field] == ["event_type","client_id","event","lead_id"]' "207: each rejected event names its field"
expect_eq "$(sql "SELECT string_agg(idempotency_key, ',' ORDER BY idempotency_key) FROM lead_activity_log WHERE idempotency_key LIKE '$R-p%'")" "$R-p0,$R-p2" "207: exactly the valid events were written"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log")" "$((before + 2))" "207: two events in all"
expect_eq "$(sql "SELECT count(*) FROM leads")" "$((before_leads + 2))" "207: no lead created for a rejected event"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id IN ('$R-p1','$R-p3')")" "0" "207: the rejected events' leads do not exist"

printf '%s: %d cases\n' "$(basename "$0")" "$CASES"
finish
