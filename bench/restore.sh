#!/usr/bin/env bash
# bench/restore.sh — `make bench-restore`: backup and restore time for an
# instance with 1,000,000 events in lead_activity_log, against the seeds'
# recovery time objective (4 hours) and against a plain pg_restore of the
# same dump (the reference, in the same run).
#
# On a throw-away instance:
#   1. the events loaded (bench/restore_data.sql), vacuumed and analyzed;
#   2. `minicrm backup`: its time and the dump's size;
#   3. the reference: plain `pg_restore --no-owner` of that dump into a new
#      empty database of the same cluster;
#   4. `minicrm restore`: the instance's database dropped and made again
#      empty (as createdb), then the restore: sums checked, one
#      transaction, ANALYZE, every table's count checked;
#   5. the ratios: ours / plain pg_restore, and ours / the 4 h RTO;
#   6. `minicrm archive --before today` of those events (all but today's),
#      against the plain way in the same run: psql's \copy of the same rows
#      through gzip before, and after `minicrm archive import` has put them
#      back, one DELETE of them all — one long transaction, which the
#      archive's batches avoid.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/bench/out/restore
rm -rf "$out"; mkdir -p "$out"
RTO_SECONDS=$((4 * 3600))

source "$top/bench/lib.sh"
bench_instance 19540
CLIENT=$(psql "$OWNER_URL" -qAtX -c "SELECT id FROM clients WHERE slug = 'default'")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
SOCK=$(readlink -f "$MINICRM_VAR/pg")/run
OWNER_ROLE=$(psql "$OWNER_URL" -qAtX -c "SELECT current_user")
DB=$(psql "$OWNER_URL" -qAtX -c "SELECT current_database()")
superuser() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- psql -h "$SOCK" -qAtX -v ON_ERROR_STOP=1 "$@")
	else
		psql -h "$SOCK" -qAtX -v ON_ERROR_STOP=1 "$@"
	fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

echo "loading 1,000,000 events…"
psql "$OWNER_URL" -qX -v ON_ERROR_STOP=1 -v client="$CLIENT" -f bench/restore_data.sql >/dev/null
psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log" -c "VACUUM ANALYZE leads"
EVENTS=$(psql "$OWNER_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log")
DBSIZE=$(psql "$OWNER_URL" -qAtX -c "SELECT pg_size_pretty(pg_database_size(current_database()))")

echo "minicrm backup…"
T0=$(now)
"$top/bin/minicrm" backup --output "$out/backup" > "$out/backup.txt"
BACKUP_S=$(since "$T0")
DUMP_BYTES=$(stat -c %s "$out/backup/minicrm.dump")

echo "plain pg_restore of the same dump (the reference)…"
superuser -d postgres -c "CREATE DATABASE restore_reference OWNER \"$OWNER_ROLE\""
OWNER_PW=$(conf OWNER_PASSWORD)
T0=$(now)
PGPASSWORD=$OWNER_PW "$PGBIN/pg_restore" --no-owner -h "$SOCK" -U "$OWNER_ROLE" \
	-d restore_reference "$out/backup/minicrm.dump" 2> "$out/pg_restore.txt" || true
PLAIN_S=$(since "$T0")
superuser -d postgres -c "DROP DATABASE restore_reference"

echo "minicrm restore into the instance's database, dropped and made empty…"
superuser -d postgres -c "DROP DATABASE \"$DB\" WITH (FORCE)" -c "CREATE DATABASE \"$DB\" OWNER \"$OWNER_ROLE\""
superuser -d "$DB" -c "CREATE EXTENSION pg_stat_statements"
T0=$(now)
"$top/bin/minicrm" restore "$out/backup" > "$out/restore.txt"
RESTORE_S=$(since "$T0")
AFTER=$(psql "$OWNER_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log")
for _ in $(seq 50); do curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
READY=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")

echo "minicrm archive of the events before today, and the plain way…"
TODAY=$(date -u +%F)
ARCHIVED=$(psql "$OWNER_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log WHERE created_at < '$TODAY'")
T0=$(now)
psql "$OWNER_URL" -qAtX -c "\copy (SELECT * FROM lead_activity_log WHERE created_at < '$TODAY' ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)" | gzip -6 > "$out/plain.csv.gz"
PLAIN_COPY_S=$(since "$T0")
T0=$(now)
"$top/bin/minicrm" archive --before "$TODAY" --output "$out/archive" > "$out/archive.txt"
ARCHIVE_S=$(since "$T0")
LEFT=$(psql "$OWNER_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log WHERE created_at < '$TODAY'")
ARCHIVE_BYTES=$(cat "$out/archive/lead_activity_log-before-"*.csv.gz | wc -c)
echo "the events imported back, then the plain way's one DELETE…"
T0=$(now)
"$top/bin/minicrm" archive import "$out/archive/lead_activity_log-before-"*.csv.gz > "$out/import.txt"
IMPORT_S=$(since "$T0")
psql "$OWNER_URL" -qX -c "VACUUM ANALYZE lead_activity_log"
T0=$(now)
psql "$OWNER_URL" -qAtX -c "DELETE FROM lead_activity_log WHERE created_at < '$TODAY'" >/dev/null
PLAIN_DELETE_S=$(since "$T0")

{
echo "minicrm backup and restore benchmark — $(date -u +%FT%TZ), $(nproc) cores"
echo "instance: $EVENTS events in lead_activity_log, database $DBSIZE"
printf 'minicrm backup                 %8.2f s   dump %.1f MB (custom format, compressed)\n' "$BACKUP_S" "$(awk -v b="$DUMP_BYTES" 'BEGIN { print b / 1e6 }')"
printf 'plain pg_restore (reference)   %8.2f s\n' "$PLAIN_S"
printf 'minicrm restore                %8.2f s   (sums, one transaction, ANALYZE, counts)\n' "$RESTORE_S"
echo "minicrm restore / plain pg_restore: $(awk -v a="$RESTORE_S" -v b="$PLAIN_S" 'BEGIN { printf "%.2f", a / b }')"
echo "backup + restore / the 4 h RTO: $(awk -v a="$BACKUP_S" -v b="$RESTORE_S" -v r="$RTO_SECONDS" 'BEGIN { printf "%.5f (%.2f%% of it)", (a + b) / r, (a + b) * 100 / r }')"
echo "events after the restore: $AFTER (of $EVENTS); the API answers /readyz: $READY"
printf 'minicrm archive (%s events)  %8.2f s   %.0f events/s, files %.1f MB, %s left\n' "$ARCHIVED" "$ARCHIVE_S" "$(awk -v n="$ARCHIVED" -v t="$ARCHIVE_S" 'BEGIN { print n / t }')" "$(awk -v b="$ARCHIVE_BYTES" 'BEGIN { print b / 1e6 }')" "$LEFT"
printf 'plain \\copy | gzip + one DELETE  %8.2f s   (%.2f s + %.2f s)\n' "$(awk -v a="$PLAIN_COPY_S" -v b="$PLAIN_DELETE_S" 'BEGIN { print a + b }')" "$PLAIN_COPY_S" "$PLAIN_DELETE_S"
printf 'minicrm archive import          %8.2f s\n' "$IMPORT_S"
echo "minicrm archive / the plain way: $(awk -v a="$ARCHIVE_S" -v b="$PLAIN_COPY_S" -v c="$PLAIN_DELETE_S" 'BEGIN { printf "%.2f", a / (b + c) }')"
} | tee "$out/summary.txt"
[ "$AFTER" = "$EVENTS" ] && [ "$READY" = 200 ] && [ "$LEFT" = 0 ]
