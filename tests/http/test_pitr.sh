#!/usr/bin/env bash
# Point-in-time recovery as docs/backup.md describes it, tried once on a
# throw-away cluster of its own (its own folder and socket, run by the
# unprivileged postgres user as scripts/instance.sh does as root): WAL
# archiving on (archive_mode, archive_command into a folder), a base
# backup (pg_basebackup), rows A, the time noted, rows B, the cluster
# lost; then the base backup with restore_command and recovery_target_time
# brings back A and not B.
source "$(dirname "$0")/lib.sh"

BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
D=$(mktemp -d /tmp/minicrm-pitr.XXXXXX)
chmod 755 "$D"
[ "$(id -u)" -eq 0 ] && chown postgres "$D"
PGUSER_NAME=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un )
pg() { as_postgres "$@"; }
stop_all() {
	for data in "$D/data" "$D/recovered"; do
		[ -f "$data/postmaster.pid" ] && pg "$BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$D" "$TMP"
}
trap stop_all EXIT
q() { pg "$BIN/psql" -h "$D/run" -U "$PGUSER_NAME" -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

# --- the cluster, archiving its WAL into $D/wal (the settings of docs/backup.md)
pg mkdir -p "$D/run" "$D/wal"
pg "$BIN/initdb" -D "$D/data" -U "$PGUSER_NAME" --auth-local=peer --auth-host=scram-sha-256 --no-locale -E UTF8 >/dev/null
pg tee -a "$D/data/postgresql.conf" >/dev/null <<-CONF
	listen_addresses = ''
	unix_socket_directories = '$D/run'
	wal_level = replica
	archive_mode = on
	archive_command = 'test ! -f $D/wal/%f && cp %p $D/wal/%f'
CONF
check "the archiving cluster starts" pg "$BIN/pg_ctl" -D "$D/data" -l "$D/data.log" -w start
expect_eq "$(q 'SHOW archive_mode')" on "archive_mode is on"
q "CREATE TABLE lead_activity_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tag text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())"

# --- the base backup, then A, the time, B
check "pg_basebackup takes a base backup" pg "$BIN/pg_basebackup" -h "$D/run" -U "$PGUSER_NAME" -D "$D/base" -X stream -c fast
q "INSERT INTO lead_activity_log (tag) SELECT 'A' FROM generate_series(1, 1000)"
sleep 1
TARGET=$(q "SELECT clock_timestamp()")
sleep 1
q "INSERT INTO lead_activity_log (tag) SELECT 'B' FROM generate_series(1, 500)"
expect_eq "$(q "SELECT count(*) FILTER (WHERE tag = 'A') || ' ' || count(*) FILTER (WHERE tag = 'B') FROM lead_activity_log")" "1000 500" "the cluster holds A and B"
SEGMENT=$(q "SELECT pg_walfile_name(pg_current_wal_lsn())")
q "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 100); do [ -f "$D/wal/$SEGMENT" ] && break; sleep 0.1; done
check "the WAL segment holding B is archived" test -f "$D/wal/$SEGMENT"

# --- the disaster: the cluster is gone
pg "$BIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null
rm -rf "$D/data"

# --- recovery to the noted time
pg cp -a "$D/base" "$D/recovered"
pg tee -a "$D/recovered/postgresql.conf" >/dev/null <<-CONF
	restore_command = 'cp $D/wal/%f %p'
	recovery_target_time = '$TARGET'
	recovery_target_action = 'promote'
	archive_mode = off
CONF
pg touch "$D/recovered/recovery.signal"
check "the base backup starts, recovering" pg "$BIN/pg_ctl" -D "$D/recovered" -l "$D/recovered.log" -w -t 120 start
for _ in $(seq 100); do [ "$(q 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 0.2; done
expect_eq "$(q 'SELECT pg_is_in_recovery()')" f "recovery ends at the target and the cluster is promoted"
expect_eq "$(q "SELECT count(*) FROM lead_activity_log WHERE tag = 'A'")" 1000 "every row of A is back"
expect_eq "$(q "SELECT count(*) FROM lead_activity_log WHERE tag = 'B'")" 0 "no row of B (written after the target time)"
check "the log says it stopped at the target" grep -q "recovery stopping before commit" "$D/recovered.log"
q "INSERT INTO lead_activity_log (tag) VALUES ('after')"
expect_eq "$(q "SELECT count(*) FROM lead_activity_log")" 1001 "the recovered cluster takes writes"
finish
