#!/usr/bin/env bash
# Two instances on one PostgreSQL cluster (docs/operations.md, "Sharing a
# PostgreSQL server"): the suite's instance (A, database minicrm, roles
# minicrm_*) and a second full one (B: its own folder, port, programs and
# database on A's cluster, made with `instance.sh createdb`, roles named
# after its database). Both keep working whatever order they start in,
# neither's roles can reach the other's data, B never changes A's roles
# (not even when told to use A's names), and stopping B leaves A running.
source "$(dirname "$0")/lib.sh"

conf_of() { sed -n "s/^$1='\(.*\)'$/\1/p" "$2"; }
A_APP_URL=$(conf_of MINICRM_APP_DATABASE_URL "$MINICRM_CONF")
A_N8N_URL=$(conf_of MINICRM_N8N_DATABASE_URL "$MINICRM_CONF")
BDB=second_$$
# Each role's stored password (a salted SCRAM hash): setting one again,
# even to the same password, changes it.
passwords() { superuser_sql "SELECT string_agg(rolname || '=' || rolpassword, ' ' ORDER BY rolname) FROM pg_authid WHERE rolname LIKE '$1\_%'"; }
A_PASSWORDS=$(passwords minicrm)
A_KEY=$(new_key two-instances)
# ingest URL KEY LEAD: log one event through that instance's nginx; the
# status. The lead's id is LEAD after this run's tag: A's database is the
# suite's, where other tests' leads are named a1 or b2 too.
T=two$$-
ingest() {
	curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $2" -H 'Content-Type: application/json' \
		--data "{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"$T$3\"}" "$1/api/internal/log-activity"
}
# URLs are passed by their variable's name: a failed check prints its
# command, and a URL holds a password.
# logs_in VAR: psql with the URL in $VAR connects.
logs_in() { psql "${!1}" -qAtX -c "SELECT 1" >/dev/null; }
# refused VAR DB: psql as $VAR's role cannot connect to database DB, for
# want of the right, not for a wrong password.
refused() {
	local err
	err=$(psql "$(sed -E "s#/[a-z0-9_]+\?host=#/$2?host=#" <<<"${!1}")" -qAtX \
		-c "SELECT count(*) FROM lead_activity_log" 2>&1) && return 1
	grep -q "permission denied for database \"$2\"" <<<"$err"
}
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}

# Whatever happens, B stops and what the test made goes (A stays).
cleanup() {
	[ -f "${B_VAR:-/nonexistent}/minicrm.conf" ] && b "$TOP/scripts/instance.sh" down >/dev/null 2>&1
	rm -rf "$TMP" "${B_VAR:-}" "${C_VAR:-}" "${D_VAR:-}" "${L_VAR:-}"
	superuser_sql "DROP DATABASE IF EXISTS $BDB" >/dev/null 2>&1
	superuser_sql "DROP DATABASE IF EXISTS legacy_$$" >/dev/null 2>&1
	superuser_sql "DROP ROLE IF EXISTS ${BDB}_app, ${BDB}_n8n, ${BDB}_owner" >/dev/null 2>&1
	return 0
}
trap cleanup EXIT

# --- B: a database on A's cluster, then a whole instance on it
B_URL=$("$TOP/scripts/instance.sh" createdb "$BDB" 2>"$TMP/createdb.err")
check "createdb makes a database and prints its owner's URL" grep -q "^postgresql://${BDB}_owner:[A-Za-z0-9]*@/$BDB?host=" <<<"$B_URL"
record_secret "$(sed -E 's#^postgresql://[^:]*:([^@]*)@.*#\1#' <<<"$B_URL")"
out=$("$TOP/scripts/instance.sh" createdb "$BDB" 2>&1)
check "createdb refuses a database that exists" grep -q "database $BDB exists already" <<<"$out"

B_VAR=$(mktemp -d /tmp/minicrm-two.XXXXXX)
B_PORT=$(free_port $((MINICRM_PORT + 1)))
b() { DATABASE_URL=$B_URL MINICRM_VAR=$B_VAR MINICRM_PORT=$B_PORT MINICRM_CONF=$B_VAR/minicrm.conf "$@"; }
out=$(b "$TOP/scripts/instance.sh" up 2>&1)
B_ADMIN_PW=$(sed -n 's#.*admin@localhost / ##p' <<<"$out")
record_secret $(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$out") "$B_ADMIN_PW"
check "the second instance starts on the shared cluster" grep -q "running at http://127.0.0.1:$B_PORT/" <<<"$out"
# (On failure, what up said, less the secrets it shows once.)
grep -q "running at" <<<"$out" || grep -v -e 'shown once' -e '^    ' <<<"$out" | sed 's/^/     /'
B_KEY=$(grep -oE 'mcrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}' <<<"$out" | head -n 1)
B_CONF=$B_VAR/minicrm.conf
B_APP_URL=$(conf_of MINICRM_APP_DATABASE_URL "$B_CONF")
B_N8N_URL=$(conf_of MINICRM_N8N_DATABASE_URL "$B_CONF")
record_secret "$(conf_of APP_PASSWORD "$B_CONF")" "$(conf_of N8N_PASSWORD "$B_CONF")"
expect_eq "$(conf_of MINICRM_ROLE_PREFIX "$B_CONF")" "$BDB" "its roles are named after its database"
check "its programs log in as its own app role" grep -q "^postgresql://${BDB}_app:" <<<"$B_APP_URL"
check "and n8n as its own n8n role" grep -q "^postgresql://${BDB}_n8n:" <<<"$B_N8N_URL"

# B's migrations ran with the roles renamed, yet are recorded as the files are.
expect_eq "$(psql "$B_URL" -qAtX -c "SELECT checksum FROM schema_migrations WHERE name = '0001_core'")" \
	"$(sha256sum "$TOP/sql/0001_core.up.sql" | cut -d' ' -f1)" "B's schema_migrations holds the checksum of the file as written"
b_migrate() { DATABASE_URL=$B_URL MINICRM_CONF=$B_CONF minicrm migrate "$@"; }
expect_eq "$(b_migrate up 2>&1)" "up to date" "so B's migrate up finds every file unchanged"
out=$(MINICRM_ROLE_PREFIX=Bad-Name b_migrate up 2>&1); rc=$?
expect_eq "$rc" 1 "migrate refuses a prefix that is no plain role name"
check "saying what a prefix may hold" grep -q "MINICRM_ROLE_PREFIX 'Bad-Name' is not a plain role name prefix (a-z, 0-9, _" <<<"$out"
out=$("$TOP/scripts/instance.sh" createdb Bad-Name 2>&1)
check "createdb refuses a name that cannot name roles" grep -q "NAME must be a-z, 0-9 and _" <<<"$out"
expect_eq "$(ingest "http://127.0.0.1:$B_PORT" "$B_KEY" b1)" 201 "B logs an event"
expect_eq "$(psql "$B_URL" -qAtX -c "SELECT count(*) FROM lead_activity_log")" 1 "into its own database"
expect_eq "$(ingest "$BASE" "$A_KEY" a1)" 201 "A still logs events after B's first start"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id = '${T}a1'")" 1 "into A's database"
expect_eq "$(passwords minicrm)" "$A_PASSWORDS" "B's start changed none of A's role passwords"
check "A's app URL still logs in" logs_in A_APP_URL
check "A's n8n URL still logs in" logs_in A_N8N_URL
b_n8n_insert() { psql "$B_N8N_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
check "B's n8n role may queue into B (the documented INSERT)" b_n8n_insert \
	"INSERT INTO retry_queue (payload, workflow, execution_id, error) VALUES ('{\"event_type\":\"MESSAGE_SENT\",\"lead_id\":\"q1\"}', 'wf', 'x1', 'down')"
# B's portal names B's n8n role as where the row came from.
A_BASE=$BASE
BASE=http://127.0.0.1:$B_PORT JAR=$TMP/b-cookies
browse GET /login
browse POST /login --data-urlencode "csrf=$(field csrf)" --data-urlencode "email=admin@localhost" \
	--data-urlencode "password=$B_ADMIN_PW"
expect_status 303 "B's first admin logs in to B's portal"
browse GET "/retry-queue/$(psql "$B_URL" -qAtX -c "SELECT id FROM retry_queue WHERE execution_id = 'x1'")"
check "B's retry row says it came from B's n8n role" grep -qF "by a direct INSERT (${BDB}_n8n)" <<<"$BODY"
BASE=$A_BASE JAR=$TMP/cookies

# --- neither's roles reach the other's database
check "A's app role cannot connect to B's database" refused A_APP_URL "$BDB"
check "A's n8n role cannot connect to B's database" refused A_N8N_URL "$BDB"
check "B's app role cannot connect to A's database" refused B_APP_URL minicrm
check "B's n8n role cannot connect to A's database" refused B_N8N_URL minicrm
check "B's owner cannot connect to A's database" refused B_URL minicrm
check "A's owner cannot connect to B's database" refused OWNER_URL "$BDB"
# db_sql DB SQL: as the cluster's superuser, in database DB.
db_sql() { as_postgres psql -h "$(readlink -f "$MINICRM_VAR/pg")/run" -d "$1" -qAtX -v ON_ERROR_STOP=1 -c "$2"; }
# rights DB PREFIX: what PREFIX's roles (and PUBLIC) may do to DB's tables and DB itself.
rights() {
	db_sql "$1" "SELECT count(*) FROM pg_tables t, unnest(ARRAY['$2_owner', '$2_app', '$2_n8n', 'public']) r
	    WHERE t.schemaname = 'public' AND has_table_privilege(r, format('public.%I', t.tablename), 'SELECT, INSERT, UPDATE, DELETE')"
	db_sql "$1" "SELECT count(*) FROM unnest(ARRAY['$2_owner', '$2_app', '$2_n8n', 'public']) r
	    WHERE has_database_privilege(r, '$1', 'CONNECT') OR has_database_privilege(r, '$1', 'TEMP')"
}
expect_eq "$(rights "$BDB" minicrm | tr '\n' ' ')" "0 0 " "A's roles and PUBLIC have no right on B's tables nor its database"
expect_eq "$(rights minicrm "$BDB" | tr '\n' ' ')" "0 0 " "B's roles and PUBLIC have none on A's"
expect_eq "$(db_sql "$BDB" "SELECT count(*) FROM pg_shdepend s JOIN pg_roles r ON r.oid = s.refobjid
	WHERE r.rolname LIKE 'minicrm\_%' AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")" 0 \
	"no object of B's database names a role of A's (no grant, no owner)"
expect_eq "$(db_sql "$BDB" "SELECT has_table_privilege('${BDB}_app', 'lead_activity_log', 'SELECT')")" t "while B's app role reads B's log"
expect_eq "$(db_sql "$BDB" "SELECT pg_has_role('${BDB}_owner', 'pg_read_all_stats', 'MEMBER')")" f "B's owner cannot read A's running queries (no pg_read_all_stats)"
expect_eq "$(psql "$B_URL" -qAtX -c "SELECT count(*) > 0 FROM pg_stat_statements")" t "while B's runbook review has its pg_stat_statements"
# (pg_stat_statements' views, the extension's own, are PUBLIC's by design.)
for db in minicrm "$BDB"; do
	expect_eq "$(db_sql "$db" "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
		WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = 0
		  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')")" 0 \
		"no table, view or sequence of $db is granted to PUBLIC"
done

# --- A's `up` again, then B's: each leaves the other working
out=$("$TOP/scripts/instance.sh" up 2>&1)
check "A's make run again succeeds beside B" grep -q "running at" <<<"$out"
expect_eq "$(ingest "$BASE" "$A_KEY" a2)" 201 "A logs events after its second start"
expect_eq "$(ingest "http://127.0.0.1:$B_PORT" "$B_KEY" b2)" 201 "B still logs events after A's second start"
check "B's app URL still logs in" logs_in B_APP_URL
A_PASSWORDS=$(passwords minicrm)	# A's own start sets them again (same passwords, new salts)
out=$(b "$TOP/scripts/instance.sh" up 2>&1)
check "B's make run again succeeds" grep -q "running at" <<<"$out"
expect_eq "$(passwords minicrm)" "$A_PASSWORDS" "B's second start changed none of A's role passwords"
expect_eq "$(ingest "$BASE" "$A_KEY" a3)" 201 "A logs events after B's second start"
expect_eq "$(ingest "http://127.0.0.1:$B_PORT" "$B_KEY" b3)" 201 "and so does B"
expect_eq "$(psql "$B_URL" -qAtX -c "SELECT string_agg(external_id, ',' ORDER BY external_id) FROM leads")" "${T}b1,${T}b2,${T}b3" "B's database holds B's leads only"
expect_eq "$(sql "SELECT count(*) FROM leads WHERE external_id LIKE '${T}b_'")" 0 "and A's none of them"

# --- B's owner without CREATEROLE (what docs/operations.md advises after
# the first start, PostgreSQL 15's CREATEROLE reaching every role): B's
# `up` keeps the URLs in its minicrm.conf and changes no role at all
superuser_sql "ALTER ROLE ${BDB}_owner NOCREATEROLE" >/dev/null
B_PASSWORDS=$(passwords "$BDB")
out=$(b "$TOP/scripts/instance.sh" up 2>&1)
check "B starts with an owner that may not create roles" grep -q "running at" <<<"$out"
expect_eq "$(passwords "$BDB")" "$B_PASSWORDS" "setting no password"
expect_eq "$(conf_of MINICRM_APP_DATABASE_URL "$B_CONF")" "$B_APP_URL" "its programs keep their own login"
expect_eq "$(ingest "http://127.0.0.1:$B_PORT" "$B_KEY" b4)" 201 "and B logs events"
D_VAR=$(mktemp -d /tmp/minicrm-two.XXXXXX)
out=$(DATABASE_URL=${B_URL/\/$BDB\?/\/postgres?} MINICRM_VAR=$D_VAR MINICRM_PORT=$(free_port $((B_PORT + 1))) \
	MINICRM_CONF=$D_VAR/minicrm.conf "$TOP/scripts/instance.sh" up 2>&1)
check "on a database whose roles do not exist, such an owner is stopped, told what to run" \
	grep -q "role ${BDB}_owner may not create roles, and these do not exist: postgres_app, postgres_n8n. A superuser creates them" <<<"$out"
rm -rf "$D_VAR"

# --- told to use A's role names, a third instance refuses and changes nothing
C_VAR=$(mktemp -d /tmp/minicrm-two.XXXXXX)
out=$(DATABASE_URL=$B_URL MINICRM_VAR=$C_VAR MINICRM_PORT=$(free_port $((B_PORT + 1))) MINICRM_CONF=$C_VAR/minicrm.conf \
	MINICRM_ROLE_PREFIX=minicrm "$TOP/scripts/instance.sh" up 2>&1)
check "an instance told to take A's roles refuses, naming them" grep -q "refusing to take over roles another database uses: minicrm_app (in database minicrm)" <<<"$out"
expect_eq "$(passwords minicrm)" "$A_PASSWORDS" "A's role passwords are untouched"
expect_eq "$(passwords "$BDB")" "$B_PASSWORDS" "nor B's, whose owner it connected as"
expect_eq "$(db_sql "$BDB" "SELECT has_database_privilege('minicrm_app', '$BDB', 'CONNECT')")" f "A's app role still cannot connect to B's database"
rm -rf "$C_VAR"

# --- a database set up before roles belonged to an instance (its tables
# granted to minicrm_app) keeps the minicrm_* roles — which here serve A
# too: make run refuses rather than share them (the issue's very case)
LDB=legacy_$$
superuser_sql "CREATE DATABASE $LDB OWNER minicrm_owner" >/dev/null
L_URL=${OWNER_URL/\/minicrm\?/\/$LDB?}
old_migrate() { DATABASE_URL=$L_URL MINICRM_ROLE_PREFIX=minicrm minicrm migrate up; }
check "(an old-style schema: migrated with A's role names)" old_migrate
L_VAR=$(mktemp -d /tmp/minicrm-two.XXXXXX)
out=$(DATABASE_URL=$L_URL MINICRM_VAR=$L_VAR MINICRM_PORT=$(free_port $((B_PORT + 1))) MINICRM_CONF=$L_VAR/minicrm.conf \
	"$TOP/scripts/instance.sh" up 2>&1)
check "make run sees the old role names in it" grep -q "database $LDB was set up with the roles minicrm_\*" <<<"$out"
check "warns that its owner, A's, is shared" grep -q "warning: DATABASE_URL's role also owns or has rights elsewhere: minicrm_owner (in database minicrm)" <<<"$out"
check "and refuses, naming the role and the other database" grep -q "refusing to take over roles another database uses: minicrm_app (in database minicrm)" <<<"$out"
check "starting nothing" test ! -e "$L_VAR/run/api.pid"
expect_eq "$(passwords minicrm)" "$A_PASSWORDS" "A's role passwords are untouched"
rm -rf "$L_VAR"
out=$("$TOP/scripts/instance.sh" up 2>&1)
check "A's own make run still starts, its cluster's roles being its own" grep -q "running at" <<<"$out"
check "warning of the rights they hold in that other database" grep -q "warning: this instance's roles also have rights elsewhere: .*minicrm_app (in database $LDB)" <<<"$out"
A_PASSWORDS=$(passwords minicrm)
superuser_sql "DROP DATABASE $LDB" >/dev/null

# --- stopping B leaves A alone
b_pids=$(cat "$B_VAR"/run/api.pid "$B_VAR"/run/admin.pid "$B_VAR"/run/worker.pid "$B_VAR"/run/nginx.pid)
b "$TOP/scripts/instance.sh" down >/dev/null 2>&1
sleep 0.5
alive=0
for p in $b_pids; do	# a zombie has stopped: it waits only for PID 1 to reap it
	[ -r "/proc/$p/stat" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$p/stat" && alive=$((alive + 1))
done
expect_eq "$alive" 0 "B's make stop stops B's programs"
expect_eq "$(ingest "$BASE" "$A_KEY" a4)" 201 "A keeps logging events once B is stopped"
check "A's app URL still logs in" logs_in A_APP_URL
request GET /health
expect_status 200 "A's health answers: the shared cluster still runs"

superuser_sql "DROP DATABASE $BDB" >/dev/null
check "B's roles go with its database: no right of theirs is left anywhere" \
	superuser_sql "DROP ROLE ${BDB}_app, ${BDB}_n8n, ${BDB}_owner"
finish
