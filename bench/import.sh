#!/usr/bin/env bash
# bench/import.sh — `make bench-import` (issue 14, the Airtable cutover:
# "1,000,000 rows at ≥50,000 rows/s; report the ratio against a plain COPY
# of the same file").
#
# On a throw-away instance:
#   1. bench/import_gen.py writes an SMS_Audit export of BENCH_IMPORT_ROWS
#      rows (1,000,000; 100,000 leads; BOM, quoted text with newlines, the
#      three date styles, multi-select tags);
#   2. the reference: a plain COPY of that file (psql \copy, CSV, HEADER)
#      into a plain all-text staging table — no checks, no mapping, no
#      indexes: the fastest a file gets into PostgreSQL at all;
#   3. `minicrm import airtable --table sms_audit` of the same file, with
#      one worker and with two (--workers): every row checked as the API
#      checks it, COPYed into staging, moved into lead_activity_log (four
#      indexes, two foreign keys, two statement triggers) by INSERT …
#      SELECT … ON CONFLICT DO NOTHING; its wall time and its own CPU time;
#   4. the same import again (idempotency: adds nothing) — the cost of a
#      rerun after an interruption.
# Steps 2 and 3 take turns BENCH_IMPORT_ROUNDS times (1), each import on a
# fresh database copied from the same template; the best of each counts.
# Each import is checked: every row an event, no refusals.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ROWS=${BENCH_IMPORT_ROWS:-1000000}
ROUNDS=${BENCH_IMPORT_ROUNDS:-1}
out=$top/bench/out/import
rm -rf "$out"; mkdir -p "$out"

source "$top/bench/lib.sh"
bench_instance "${MINICRM_BENCH_PORT:-19560}"

as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
superuser() {
	as_postgres psql -h "$(readlink -f "$MINICRM_VAR/pg")/run" -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"
}
owner_url() { printf '%s' "${OWNER_URL/\/minicrm\?//$1?}"; }
app_url() { printf '%s' "${APP_URL/\/minicrm\?//$1?}"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
per_s() { awk -v n="$ROWS" -v ms="$1" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
say() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }

: > "$out/summary.txt"
say "minicrm Airtable import benchmark — $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/import_gen.py "$ROWS" > "$out/sms_audit.csv"
say "export: $ROWS rows, $(($(stat -c %s "$out/sms_audit.csv") / 1048576)) MiB ($out/sms_audit.csv)"

# The instance's database, empty but migrated, as the template of each run.
superuser "CREATE DATABASE import_tpl OWNER minicrm_owner" >/dev/null
DATABASE_URL=$(owner_url import_tpl) bin/minicrm migrate up >/dev/null
fresh() {
	superuser "DROP DATABASE IF EXISTS $1" >/dev/null
	superuser "CREATE DATABASE $1 OWNER minicrm_owner TEMPLATE import_tpl STRATEGY FILE_COPY" >/dev/null
	superuser "GRANT CONNECT, TEMPORARY ON DATABASE $1 TO minicrm_app" >/dev/null
	superuser "CHECKPOINT" >/dev/null
}

COPIES=() IMPORTS=() IMPORTS2=()
for k in $(seq 1 "$ROUNDS"); do
	fresh import_copy
	psql "$(owner_url import_copy)" -qAtX -v ON_ERROR_STOP=1 -c "CREATE TABLE plain_staging (record_id text, lead text, event text, sent_at text, text text, phone text, workflow text, tags text)"
	t0=$(now_ms)
	psql "$(owner_url import_copy)" -qAtX -v ON_ERROR_STOP=1 -c "\\copy plain_staging FROM '$out/sms_audit.csv' WITH (FORMAT csv, HEADER true)"
	COPIES+=($(($(now_ms) - t0)))
	got=$(psql "$(owner_url import_copy)" -qAtX -c "SELECT count(*) FROM plain_staging")
	[ "$got" = "$ROWS" ] || say "!! plain COPY loaded $got rows, wanted $ROWS"
	say "round $k: plain COPY into an all-text table: $(secs "${COPIES[-1]}") s ($(per_s "${COPIES[-1]}") rows/s)"

	for w in 1 2; do
		fresh import_run
		t0=$(now_ms)
		MINICRM_APP_DATABASE_URL=$(app_url import_run) /usr/bin/time -f '%U %S %M' -o "$out/time.txt" \
			bin/minicrm import airtable --table sms_audit --workers $w "$out/sms_audit.csv" >"$out/import.txt" 2>"$out/import.err" ||
			say "!! import exited $?: $(tail -n 3 "$out/import.err")"
		ms=$(($(now_ms) - t0))
		if [ $w = 1 ]; then IMPORTS+=($ms); else IMPORTS2+=($ms); fi
		read -r usr sys rss < "$out/time.txt"
		got=$(psql "$(owner_url import_run)" -qAtX -c "SELECT count(*) FROM lead_activity_log")
		[ "$got" = "$ROWS" ] || say "!! the import stored $got events, wanted $ROWS"
		say "round $k: minicrm import airtable --workers $w: $(secs "$ms") s ($(per_s "$ms") rows/s; the CLI's own CPU $usr s user + $sys s sys, max RSS $((rss / 1024)) MB) — $(cat "$out/import.txt")"
	done
done

t0=$(now_ms)
MINICRM_APP_DATABASE_URL=$(app_url import_run) bin/minicrm import airtable --table sms_audit "$out/sms_audit.csv" >"$out/rerun.txt" 2>&1 || true
RERUN=$(($(now_ms) - t0))
say "rerun of the same export: $(secs "$RERUN") s — $(head -n 1 "$out/rerun.txt")"

# The storage ceiling: PostgreSQL's own COPY of the very rows the import
# stored into the same table — its four indexes, two foreign keys and two
# statement triggers — from one session and from two at once (the rows
# split by lead, as --workers splits them). No import can store faster.
COLS="client_id, lead_id, event_type, occurred_at, source, execution_id, idempotency_key, channel, message, metadata"
run_psql() { psql "$(owner_url import_run)" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
for half in 0 1; do
	run_psql "\\copy (SELECT $COLS FROM lead_activity_log WHERE abs(hashtext(lead_id::text)) % 2 = $half ORDER BY lead_id, occurred_at) TO '$out/rows.$half'"
done
cat "$out/rows.0" "$out/rows.1" > "$out/rows.all"
empty_log() { run_psql "TRUNCATE lead_activity_log" && run_psql "VACUUM lead_activity_log" && superuser "CHECKPOINT" >/dev/null; }
empty_log
t0=$(now_ms)
run_psql "\\copy lead_activity_log ($COLS) FROM '$out/rows.all'"
CEIL1=$(($(now_ms) - t0))
empty_log
t0=$(now_ms)
run_psql "\\copy lead_activity_log ($COLS) FROM '$out/rows.0'" & p0=$!
run_psql "\\copy lead_activity_log ($COLS) FROM '$out/rows.1'" & p1=$!
wait $p0 $p1
CEIL2=$(($(now_ms) - t0))
say "ceiling: COPY of the stored rows into lead_activity_log itself, one session: $(secs "$CEIL1") s = $(per_s "$CEIL1") rows/s; two sessions: $(secs "$CEIL2") s = $(per_s "$CEIL2") rows/s"
rm -f "$out"/rows.*

COPY=$(printf '%s\n' "${COPIES[@]}" | sort -n | head -n 1)
IMPORT=$(printf '%s\n' "${IMPORTS[@]}" | sort -n | head -n 1)
IMPORT2=$(printf '%s\n' "${IMPORTS2[@]}" | sort -n | head -n 1)
say "best of $ROUNDS: plain COPY $(secs "$COPY") s = $(per_s "$COPY") rows/s"
say "best of $ROUNDS: import, one worker  $(secs "$IMPORT") s = $(per_s "$IMPORT") rows/s (target 50000); import / COPY = $(ratio "$IMPORT" "$COPY")x"
say "best of $ROUNDS: import, two workers $(secs "$IMPORT2") s = $(per_s "$IMPORT2") rows/s (target 50000); import / COPY = $(ratio "$IMPORT2" "$COPY")x"
say "import, one worker / ceiling, one session = $(ratio "$IMPORT" "$CEIL1")x; two workers / ceiling, two sessions = $(ratio "$IMPORT2" "$CEIL2")x"
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
superuser "DROP DATABASE IF EXISTS import_copy" >/dev/null
superuser "DROP DATABASE IF EXISTS import_run" >/dev/null
superuser "DROP DATABASE IF EXISTS import_tpl" >/dev/null
