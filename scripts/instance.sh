#!/usr/bin/env bash
# instance.sh up|down|reload|psql|createdb NAME — the local minicrm instance.
#
# State lives in $MINICRM_VAR (default: var/ in the tree): the PostgreSQL
# cluster, sockets, PID files, logs, the generated nginx config, and
# minicrm.conf, which the programs and the CLI read. PostgreSQL refuses to
# run as root, so as root the cluster runs as the "postgres" system user.
# With DATABASE_URL set, that database is used instead of a private cluster.
#
# Roles belong to one instance, named after its database (or
# MINICRM_ROLE_PREFIX): <prefix>_owner, <prefix>_app, <prefix>_n8n, so
# several instances share a cluster without touching each other's roles
# (docs/operations.md, "Sharing a PostgreSQL server").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
var=${MINICRM_VAR:-$top/var}
conf=$var/minicrm.conf
export MINICRM_CONF=$conf

say() { printf 'minicrm: %s\n' "$*"; }
die() { printf 'minicrm: %s\n' "$*" >&2; exit 1; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" -eq 0 ]; then pg_user=postgres; else pg_user=$(id -un); fi
as_pg() {
	# From /, which postgres can enter (the tree may be under /root).
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Read a KEY from minicrm.conf (empty if absent).
conf_get() {
	[ -f "$conf" ] && sed -n "s/^$1='\{0,1\}\([^']*\)'\{0,1\}\$/\1/p" "$conf" | tail -n 1 || true
}

# Is the process in PID file $1 running? A zombie is not: here PID 1 may
# reap the programs we started late, long after they exited.
alive() {
	local pid
	[ -f "$1" ] && pid=$(cat "$1") && [[ $pid =~ ^[0-9]+$ ]] &&
		[ -r "/proc/$pid/stat" ] &&
		! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$pid/stat" 2>/dev/null
}

# The cluster's folder: var/pg, unless the postgres user cannot reach the
# tree (a clone under /root, say); then a folder in /tmp linked from var/pg.
pg_dir() {
	if [ -L "$var/pg" ]; then readlink "$var/pg"; return; fi
	mkdir -p "$var/pg"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$pg_user" "$var/pg"
		if ! runuser -u postgres -- test -w "$var/pg"; then
			rmdir "$var/pg"
			local alt
			alt=/tmp/minicrm-pg-$(printf '%s' "$var" | sha1sum | cut -c1-12)
			mkdir -p "$alt"
			chown "$pg_user" "$alt"
			ln -s "$alt" "$var/pg"
			echo "$alt"
			return
		fi
	fi
	echo "$var/pg"
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

pg_up() {
	local pg sock owner_pw app_pw n8n_pw shared
	pg=$(pg_dir)
	sock=$pg/run
	if [ ! -f "$pg/data/PG_VERSION" ]; then
		say "creating a PostgreSQL cluster in $pg"
		as_pg mkdir -p "$pg/data" "$sock" "$pg/log"
		as_pg "$pg_bin/initdb" -D "$pg/data" -U "$pg_user" -E UTF8 \
			--no-locale --auth-local=peer --auth-host=scram-sha-256 >/dev/null
		# Local connections: the superuser by peer, everyone else with
		# a password; TCP is off (unix socket only).
		as_pg tee "$pg/data/pg_hba.conf" >/dev/null <<-HBA
			local all $pg_user peer
			local all all scram-sha-256
		HBA
		as_pg tee -a "$pg/data/postgresql.conf" >/dev/null <<-PGCONF
			listen_addresses = ''
			unix_socket_directories = '$sock'
			max_connections = 300
			shared_buffers = 256MB
			wal_buffers = 16MB
			max_wal_size = 2GB
			jit = off
			logging_collector = off
		PGCONF
	fi
	# The nurture runbook's weekly review reads pg_stat_statements; a
	# cluster made before it was loaded gets it at its next start.
	grep -q "^shared_preload_libraries = 'pg_stat_statements'" "$pg/data/postgresql.conf" ||
		echo "shared_preload_libraries = 'pg_stat_statements'" |
		as_pg tee -a "$pg/data/postgresql.conf" >/dev/null
	if ! as_pg "$pg_bin/pg_ctl" -D "$pg/data" status >/dev/null 2>&1; then
		as_pg "$pg_bin/pg_ctl" -D "$pg/data" -l "$pg/log/postgres.log" -w -t 60 start >/dev/null ||
			die "PostgreSQL did not start; see $pg/log/postgres.log"
	fi

	role_prefix minicrm
	owner_pw=$(conf_get OWNER_PASSWORD); [ -n "$owner_pw" ] || owner_pw=$(random_secret)
	app_pw=$(conf_get APP_PASSWORD); [ -n "$app_pw" ] || app_pw=$(random_secret)
	n8n_pw=$(conf_get N8N_PASSWORD); [ -n "$n8n_pw" ] || n8n_pw=$(random_secret)
	super_psql() { as_pg "$pg_bin/psql" -h "$sock" -U "$pg_user" -d postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
	# The cluster's own roles, minicrm_*, are this instance's by making:
	# rights they hold elsewhere (a scratch database a test migrated) are
	# only worth a warning. Any other prefix may be a database's that
	# `createdb` made here: never taken over.
	if [ "$prefix" = minicrm ]; then
		shared=$(roles_elsewhere super_psql minicrm minicrm_owner minicrm_app minicrm_n8n) ||
			die "cannot read the cluster's roles"
		[ -z "$shared" ] || say "warning: this instance's roles also have rights elsewhere: $shared"
	else
		roles_free super_psql minicrm "${prefix}_owner" "${prefix}_app" "${prefix}_n8n"
	fi
	role_login super_psql "${prefix}_owner" "$owner_pw"
	role_login super_psql "${prefix}_app" "$app_pw"
	role_login super_psql "${prefix}_n8n" "$n8n_pw"
	super_psql -v db=minicrm -v owner="${prefix}_owner" >/dev/null <<-'SQL'
		SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
		  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
		GRANT pg_read_all_stats TO :"owner";
		SQL
	database_private super_psql minicrm "${prefix}_app" "${prefix}_n8n"
	as_pg "$pg_bin/psql" -h "$sock" -U "$pg_user" -d minicrm -qAt -v ON_ERROR_STOP=1 \
		-c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
	write_conf "postgresql://${prefix}_owner:$owner_pw@/minicrm?host=$sock" \
		"postgresql://${prefix}_app:$app_pw@/minicrm?host=$sock" "$owner_pw" "$app_pw" \
		"postgresql://${prefix}_n8n:$n8n_pw@/minicrm?host=$sock" "$n8n_pw"
}

# The instance's role prefix, into $prefix: MINICRM_ROLE_PREFIX (the
# environment, then minicrm.conf), else the database's name ($1). It is
# spliced into role names, here and by `minicrm migrate`: a plain SQL name.
role_prefix() {
	prefix=${MINICRM_ROLE_PREFIX:-$(conf_get MINICRM_ROLE_PREFIX)}
	prefix=${prefix:-$1}
	[[ $prefix =~ ^[a-z_][a-z0-9_]*$ ]] && [ ${#prefix} -le 57 ] ||
		die "the roles' prefix '$prefix' (MINICRM_ROLE_PREFIX, else the database's name) must be a-z, 0-9 and _, not start with a digit, at most 57 characters: set MINICRM_ROLE_PREFIX"
}

# The helpers below take PSQL, a command that runs psql on any database of
# the cluster (what they do is cluster-wide), with -qAtX and ON_ERROR_STOP.

# legacy_prefix PSQL DB: the prefix a database's schema was made with when
# none is set: "minicrm" if its tables are granted to minicrm_app (made
# before roles belonged to an instance, on a database of another name),
# else DB. Printed.
legacy_prefix() {
	local legacy
	if [ -n "${MINICRM_ROLE_PREFIX:-$(conf_get MINICRM_ROLE_PREFIX)}" ] || [ "$2" = minicrm ]; then
		echo "$2"; return
	fi
	legacy=$("$1" <<-'SQL'
		SELECT CASE WHEN to_regclass('public.lead_activity_log') IS NOT NULL
		         AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'minicrm_app')
		       THEN has_table_privilege('minicrm_app', 'public.lead_activity_log', 'SELECT')
		       ELSE false END;
		SQL
	) || die "cannot read the database's grants"
	if [ "$legacy" = t ]; then
		say "database $2 was set up with the roles minicrm_*: they stay its roles (MINICRM_ROLE_PREFIX=minicrm)" >&2
		echo minicrm
	else
		echo "$2"
	fi
}

# roles_elsewhere PSQL DB ROLE...: which of ROLEs own or hold a right on
# anything in a database other than DB ("role (in database X), ..."):
# pg_shdepend is the cluster-wide record of both, databases included.
roles_elsewhere() {
	local run=$1 db=$2
	shift 2
	"$run" -v db="$db" -v roles="$(IFS=,; echo "$*")" <<-'SQL'
		SELECT string_agg(DISTINCT r.rolname || ' (in database ' || d.datname || ')', ', ')
		  FROM pg_shdepend s
		  JOIN pg_roles r ON r.oid = s.refobjid
		  JOIN pg_database d ON d.oid = CASE WHEN s.dbid = 0 THEN s.objid ELSE s.dbid END
		 WHERE s.refclassid = 'pg_authid'::regclass
		   AND (s.dbid <> 0 OR s.classid = 'pg_database'::regclass)
		   AND r.rolname = ANY (string_to_array(:'roles', ','))
		   AND d.datname <> :'db';
		SQL
}

# roles_free PSQL DB ROLE...: refuse to take over a role another database
# uses — another instance's.
roles_free() {
	local taken
	taken=$(roles_elsewhere "$@") || die "cannot read the cluster's roles"
	[ -z "$taken" ] ||
		die "refusing to take over roles another database uses: $taken. Each instance has its own roles, named after its database; set MINICRM_ROLE_PREFIX to a prefix of its own"
}

# role_login PSQL ROLE PASSWORD: create ROLE or set its password (LOGIN,
# nothing more). Only ever called on this instance's roles, after roles_free.
role_login() {
	"$1" -v role="$2" -v pw="$3" >/dev/null <<-'SQL'
		SELECT format('CREATE ROLE %I LOGIN', :'role')
		  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
		ALTER ROLE :"role" LOGIN PASSWORD :'pw';
		SQL
}

# database_private PSQL DB ROLE...: only the owner and ROLEs may connect to
# DB (PUBLIC may by default: another instance's roles too), and no one
# makes temporary tables but the owner and the app role (whose
# `minicrm import` stages its rows in one: docs/airtable-cutover.md).
database_private() {
	local run=$1 db=$2 role
	shift 2
	"$run" -v db="$db" >/dev/null <<-'SQL'
		REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
		SQL
	for role in "$@"; do
		"$run" -v db="$db" -v role="$role" >/dev/null <<-'SQL'
			GRANT CONNECT ON DATABASE :"db" TO :"role";
			SQL
		[[ $role == *_app ]] || continue
		"$run" -v db="$db" -v role="$role" >/dev/null <<-'SQL'
			GRANT TEMPORARY ON DATABASE :"db" TO :"role";
			SQL
	done
}

# DATABASE_URL with its user and password replaced: url_as URL USER PASSWORD.
url_as() {
	printf '%s' "$1" | sed -E "s#^(postgres(ql)?://)([^@/]*@)?#\1$2:$3@#"
}

# With DATABASE_URL: migrations run as it (the owner). If it may create
# roles, the programs get their own <prefix>_app login and n8n its
# <prefix>_n8n; otherwise those roles must exist already (made by a
# superuser), their URLs given (MINICRM_APP_DATABASE_URL,
# MINICRM_N8N_DATABASE_URL) or kept from minicrm.conf — else, with a
# warning, the application uses DATABASE_URL. Roles another database uses
# are never taken over, and only this instance's roles may connect.
external_db() {
	local info db me super can_create owns app n8n app_pw="" n8n_pw="" missing shared
	ext_psql() { psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }
	info=$(ext_psql -F '|' -c "SELECT current_database(), current_user, rolsuper, rolsuper OR rolcreaterole,
		rolsuper OR pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
		FROM pg_roles WHERE rolname = current_user") ||
		die "cannot connect with DATABASE_URL (see psql's message above)"
	IFS='|' read -r db me super can_create owns <<<"$info"
	role_prefix "$(legacy_prefix ext_psql "$db")"
	if [ "$super" = t ]; then
		say "warning: DATABASE_URL logs in as a superuser ($me); the instance's owner should be a role of its own (docs/operations.md)"
	else
		shared=$(roles_elsewhere ext_psql "$db" "$me") || die "cannot read the cluster's roles"
		[ -z "$shared" ] ||
			say "warning: DATABASE_URL's role also owns or has rights elsewhere: $shared; this instance's owner is not its own"
	fi
	app=${MINICRM_APP_DATABASE_URL:-} n8n=${MINICRM_N8N_DATABASE_URL:-}
	if [ "$can_create" = t ]; then
		[[ $DATABASE_URL =~ ^postgres(ql)?:// ]] ||
			die "DATABASE_URL must be a postgresql:// URL (its user and password are replaced for the application's roles)"
		roles_free ext_psql "$db" "${prefix}_app" "${prefix}_n8n"
		if [ -z "$app" ]; then
			app_pw=$(conf_get APP_PASSWORD); [ -n "$app_pw" ] || app_pw=$(random_secret)
			role_login ext_psql "${prefix}_app" "$app_pw"
			app=$(url_as "$DATABASE_URL" "${prefix}_app" "$app_pw")
		fi
		if [ -z "$n8n" ]; then
			n8n_pw=$(conf_get N8N_PASSWORD); [ -n "$n8n_pw" ] || n8n_pw=$(random_secret)
			role_login ext_psql "${prefix}_n8n" "$n8n_pw"
			n8n=$(url_as "$DATABASE_URL" "${prefix}_n8n" "$n8n_pw")
		fi
	else
		missing=$(ext_psql -v roles="${prefix}_app,${prefix}_n8n" <<-'SQL'
			SELECT string_agg(r, ', ') FROM unnest(string_to_array(:'roles', ',')) r
			 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r);
			SQL
		)
		[ -z "$missing" ] ||
			die "role $me may not create roles, and these do not exist: $missing. A superuser creates them (CREATE ROLE ${prefix}_app LOGIN PASSWORD '...'; CREATE ROLE ${prefix}_n8n LOGIN PASSWORD '...') or lets $me create roles (ALTER ROLE $me CREATEROLE); see docs/operations.md"
		roles_free ext_psql "$db" "${prefix}_app" "${prefix}_n8n"
		app=${app:-$(conf_get MINICRM_APP_DATABASE_URL)}
		n8n=${n8n:-$(conf_get MINICRM_N8N_DATABASE_URL)}
		app_pw=$(conf_get APP_PASSWORD) n8n_pw=$(conf_get N8N_PASSWORD)
		if [ -z "$app" ]; then
			say "warning: $me may not create roles and MINICRM_APP_DATABASE_URL is not set; the application uses DATABASE_URL"
			app=$DATABASE_URL
		fi
	fi
	if [ "$owns" = t ]; then
		database_private ext_psql "$db" "${prefix}_app" "${prefix}_n8n"
	else
		say "warning: $me does not own database $db: its CONNECT right stays as it is (see docs/operations.md)"
	fi
	write_conf "$DATABASE_URL" "$app" "" "$app_pw" "$n8n" "$n8n_pw"
}

write_conf() {
	umask 077
	cat > "$conf.tmp" <<-CONF
		# Written by scripts/instance.sh; read by bin/minicrm and cgi-bin/*.fcgi.
		DATABASE_URL='$1'
		MINICRM_APP_DATABASE_URL='$2'
		OWNER_PASSWORD='$3'
		APP_PASSWORD='$4'
		MINICRM_PORT='$port'
		MINICRM_VAR='$var'
		MINICRM_ROLE_PREFIX='$prefix'
		${5:+MINICRM_N8N_DATABASE_URL='$5'}
		${6:+N8N_PASSWORD='$6'}
		${MINICRM_TEMPLATES:+MINICRM_TEMPLATES='$MINICRM_TEMPLATES'}
	CONF
	mv "$conf.tmp" "$conf"
}

# Each FastCGI program runs as a master that owns the socket and restarts
# its request process if that dies (src/http/supervisor.h); the PID file is the
# master's, and SIGTERM or SIGHUP to it reaches the request process.
start_fcgi() {
	local name=$1 pidfile=$var/run/$1.pid
	if alive "$pidfile"; then
		kill "$(cat "$pidfile")"
		for _ in $(seq 50); do alive "$pidfile" || break; sleep 0.1; done
	fi
	rm -f "$var/run/$name.sock"
	nohup "$top/cgi-bin/$name.fcgi" --socket "$var/run/$name.sock" \
		>>"$var/log/$name.log" 2>&1 </dev/null &
	echo $! > "$pidfile"
}

# The worker (bin/minicrm worker) runs the periodic jobs, in a worker
# process its master restarts if it dies; the PID file is the master's. On
# SIGTERM the worker finishes the row in hand (the master passes the
# signal on and exits after it): wait for it before PostgreSQL goes away.
# MINICRM_WORKER=0: start none (cron or systemd timers run the jobs).
stop_worker() {
	local pidfile=$var/run/worker.pid
	alive "$pidfile" || return 0
	kill "$(cat "$pidfile")" 2>/dev/null || true
	for _ in $(seq 150); do alive "$pidfile" || return 0; sleep 0.1; done
	say "warning: the worker (pid $(cat "$pidfile")) did not stop in 15 s"
}

start_worker() {
	stop_worker
	[ "${MINICRM_WORKER:-1}" != 0 ] || return 0
	nohup "$top/bin/minicrm" worker >>"$var/log/worker.log" 2>&1 </dev/null &
	echo $! > "$var/run/worker.pid"
}

start_nginx() {
	local user=""
	[ "$(id -u)" -eq 0 ] && user="user root root;"
	mkdir -p "$var/nginx"
	sed -e "s#@VAR@#$var#g" -e "s#@TOP@#$top#g" -e "s#@PORT@#$port#g" \
		-e "s#@USER@#$user#g" "$top/nginx/minicrm.conf.in" > "$var/nginx/nginx.conf"
	nginx -t -q -p "$var/nginx" -c "$var/nginx/nginx.conf" -e "$var/log/nginx-error.log" ||
		die "nginx config test failed"
	if alive "$var/run/nginx.pid"; then
		nginx -p "$var/nginx" -c "$var/nginx/nginx.conf" -e "$var/log/nginx-error.log" -s reload
	else
		nginx -p "$var/nginx" -c "$var/nginx/nginx.conf" -e "$var/log/nginx-error.log"
	fi
}

wait_ready() {
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "the API did not become ready; see $var/log/"
}

# Is something listening on 127.0.0.1:$1?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_hint() {
	local p=$((port + 1))
	while [ "$p" -lt $((port + 100)) ] && port_in_use "$p"; do p=$((p + 1)); done
	printf '127.0.0.1:%s is in use; set MINICRM_PORT to a free port (%s is free now): MINICRM_PORT=%s make run' \
		"$port" "$p" "$p"
}

# Before anything starts: is the port free? Our own nginx on it (a second
# `make run`) is fine: it reloads.
check_port() {
	if alive "$var/run/nginx.pid" && [ "$(conf_get MINICRM_PORT)" = "$port" ]; then
		return 0
	fi
	port_in_use "$port" || return 0
	die "$(port_hint)"
}

# What ran before this `up`; a failed `up` stops the rest (up_failed).
note_running() {
	local name
	was_running=" "
	for name in nginx api admin worker; do
		alive "$var/run/$name.pid" && was_running+="$name "
	done
	if [ -z "${DATABASE_URL:-}" ] && pg_running; then was_running+="pg "; fi
	nginx_log_at=$(stat -c %s "$var/log/nginx-error.log" 2>/dev/null || echo 0)
	return 0
}

pg_running() {
	local pg
	[ -e "$var/pg" ] || return 1
	pg=$(if [ -L "$var/pg" ]; then readlink "$var/pg"; else echo "$var/pg"; fi)
	[ -f "$pg/data/PG_VERSION" ] && as_pg "$pg_bin/pg_ctl" -D "$pg/data" status >/dev/null 2>&1
}

# The EXIT trap of up: on failure, stop what this `up` started (not what
# ran before it), and name a busy port if that is what nginx met.
up_failed() {
	local rc=$? name pid pg
	trap - EXIT
	[ "$rc" -ne 0 ] || return 0
	if tail -c +$((nginx_log_at + 1)) "$var/log/nginx-error.log" 2>/dev/null |
		grep -q "Address already in use"; then
		printf 'minicrm: %s\n' "$(port_hint)" >&2
	fi
	for name in nginx worker api admin; do
		[[ $was_running == *" $name "* ]] && continue
		alive "$var/run/$name.pid" || continue
		pid=$(cat "$var/run/$name.pid")
		if [ "$name" = nginx ]; then kill -QUIT "$pid" 2>/dev/null || true
		else kill "$pid" 2>/dev/null || true; fi
		for _ in $(seq 150); do alive "$var/run/$name.pid" || break; sleep 0.1; done
		rm -f "$var/run/$name.pid"
	done
	if [ -z "${DATABASE_URL:-}" ] && [[ $was_running != *" pg "* ]] && pg_running; then
		pg=$(if [ -L "$var/pg" ]; then readlink "$var/pg"; else echo "$var/pg"; fi)
		as_pg "$pg_bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	printf 'minicrm: up failed (exit %s); stopped what it had started\n' "$rc" >&2
	exit "$rc"
}

up() {
	port=${MINICRM_PORT:-$(conf_get MINICRM_PORT)}
	port=${port:-8080}
	mkdir -p "$var/run" "$var/log" "$var/nginx"
	chmod 711 "$var"
	[ -x "$top/bin/minicrm" ] || die "not built: run make first"
	check_port
	note_running
	trap up_failed EXIT
	if [ -n "${DATABASE_URL:-}" ]; then external_db; else pg_up; fi
	"$top/bin/minicrm" migrate up >/dev/null
	start_fcgi api
	start_fcgi admin
	start_worker
	start_nginx
	wait_ready
	trap - EXIT
	say "running at http://127.0.0.1:$port/ (admin) — API at http://127.0.0.1:$port/api/internal/"
	if ! "$top/bin/minicrm" apikey list | grep -q ' live$'; then
		say "first API key (shown once; it is not stored):"
		"$top/bin/minicrm" apikey create --name first-key 2>/dev/null | sed 's/^/    /'
	else
		say "API keys exist; make another with: bin/minicrm apikey create --name NAME"
	fi
	if [ "$("$top/bin/minicrm" user list | wc -l)" -le 1 ]; then
		local pw
		pw=$(random_secret)
		printf '%s\n' "$pw" | "$top/bin/minicrm" user create \
			--email admin@localhost --role admin >/dev/null
		say "first admin login (shown once): admin@localhost / $pw"
	fi
	say "stop with: make stop"
}

down() {
	local pg
	stop_worker
	if alive "$var/run/nginx.pid"; then
		kill -QUIT "$(cat "$var/run/nginx.pid")" || true
	fi
	for name in api admin worker; do
		alive "$var/run/$name.pid" && kill "$(cat "$var/run/$name.pid")" || true
		rm -f "$var/run/$name.pid"
	done
	if [ -e "$var/pg" ]; then
		pg=$(if [ -L "$var/pg" ]; then readlink "$var/pg"; else echo "$var/pg"; fi)
		if [ -f "$pg/data/PG_VERSION" ] &&
			as_pg "$pg_bin/pg_ctl" -D "$pg/data" status >/dev/null 2>&1; then
			as_pg "$pg_bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null
		fi
	fi
	for _ in $(seq 50); do alive "$var/run/nginx.pid" || break; sleep 0.1; done
	say "stopped"
}

# createdb NAME: on this instance's private cluster, as its superuser (as
# pg_up works), a database NAME for another instance, owned by a new role
# NAME_owner that may create roles (its `up` makes NAME_app and NAME_n8n);
# only those may connect to it. Prints its DATABASE_URL (the owner's
# password in it, shown once) for that instance's `make run`.
create_database() {
	local name=${1:-} pg sock pw exists
	[[ $name =~ ^[a-z_][a-z0-9_]*$ ]] && [ ${#name} -le 57 ] ||
		die "createdb NAME: NAME must be a-z, 0-9 and _, not start with a digit, at most 57 characters (it names the roles too)"
	pg_running || die "no private cluster runs in $var: make run first"
	pg=$(pg_dir)
	sock=$pg/run
	super_psql() { as_pg "$pg_bin/psql" -h "$sock" -U "$pg_user" -d postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
	exists=$(super_psql -v db="$name" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
	[ -z "$exists" ] || die "database $name exists already"
	roles_free super_psql "$name" "${name}_owner" "${name}_app" "${name}_n8n"
	pw=$(random_secret)
	role_login super_psql "${name}_owner" "$pw"
	super_psql -v db="$name" -v owner="${name}_owner" >/dev/null <<-'SQL'
		ALTER ROLE :"owner" CREATEROLE;
		CREATE DATABASE :"db" OWNER :"owner";
		REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
		SQL
	# The nurture runbook's weekly review reads pg_stat_statements (the
	# cluster preloads it). No pg_read_all_stats, unlike minicrm_owner: it
	# would show this owner every database's running queries.
	as_pg "$pg_bin/psql" -h "$sock" -U "$pg_user" -d "$name" -qAt -v ON_ERROR_STOP=1 \
		-c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
	printf 'postgresql://%s:%s@/%s?host=%s\n' "${name}_owner" "$pw" "$name" "$sock"
}

case "${1:-}" in
up) up ;;
createdb) create_database "${2:-}" ;;
down) down ;;
reload)
	alive "$var/run/admin.pid" || die "admin.fcgi is not running: make run"
	kill -HUP "$(cat "$var/run/admin.pid")"
	say "admin.fcgi will read the templates again" ;;
psql)
	url=${DATABASE_URL:-$(conf_get DATABASE_URL)}
	[ -n "$url" ] || die "no instance in $var: run make run"
	shift; exec psql "$url" "$@" ;;
*) echo "usage: $0 up|down|reload|psql|createdb NAME" >&2; exit 2 ;;
esac
