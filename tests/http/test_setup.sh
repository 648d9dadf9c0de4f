#!/usr/bin/env bash
# The set-up around the instance rather than the instance itself:
#   - scripts/deps.sh: what `make run` installs (build and run) and what
#     `make test` adds (python3 among it); the system services of the
#     packages it installs (no main PostgreSQL cluster, nginx and postgresql
#     disabled), checked with a stand-in apt-get and systemctl;
#   - scripts/instance.sh up on a busy port: says which port and what to
#     set, exits 1, and leaves nothing running (a second throw-away var dir);
#   - tests/browser/run.sh when `npm ci` fails: what to check;
#   - the production site file with nginx/minicrm-errors.conf and
#     nginx/minicrm-log.conf: JSON answers, the redacting access log.
source "$(dirname "$0")/lib.sh"

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 500))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
has_line() { grep -qx -- "$1" <<<"$2"; }

# ------------------------------------------------------------ deps.sh
RUN_PKGS=$("$TOP/scripts/deps.sh" run --list)
TEST_PKGS=$("$TOP/scripts/deps.sh" test --list)
for p in build-essential libfcgi-dev libpq-dev libjson-c-dev libsodium-dev libcurl4-openssl-dev \
	postgresql nginx curl; do
	check "deps run: $p (build or run)" has_line "$p" "$RUN_PKGS"
done
for p in chromium npm nodejs valgrind wrk jq python3; do
	check "deps run: not $p (only the tests need it)" bash -c '! grep -qx -- "$0" <<<"$1"' "$p" "$RUN_PKGS"
	check "deps test: $p" has_line "$p" "$TEST_PKGS"
done
check "deps test: everything deps run has" bash -c 'test -z "$(comm -23 <(sort <<<"$0") <(sort <<<"$1"))"' "$RUN_PKGS" "$TEST_PKGS"
MAKE_RUN=$(make -s -n -C "$TOP" run 2>/dev/null)
MAKE_TEST=$(make -s -n -C "$TOP" test 2>/dev/null)
check "make run installs the run set" grep -q 'scripts/deps.sh run' <<<"$MAKE_RUN"
check "make run does not install the test set" bash -c '! grep -q "scripts/deps.sh test" <<<"$0"' "$MAKE_RUN"
check "make test installs the test set" grep -q 'scripts/deps.sh test' <<<"$MAKE_TEST"

out=$("$TOP/scripts/deps.sh" test --dry-run --assume-missing=postgresql,nginx,python3,chromium 2>&1)
check "dry run: names what is missing" grep -q '^deps: test: missing: postgresql nginx python3 chromium$' <<<"$out"
check "dry run: no main PostgreSQL cluster" grep -q 'create_main_cluster = false' <<<"$out"
check "dry run: disables the postgresql and nginx services" grep -q 'would disable the system services postgresql nginx' <<<"$out"
out=$("$TOP/scripts/deps.sh" run --dry-run --assume-missing=chromium,curl 2>&1)
check "dry run of run: chromium is not in the run set" grep -q '^deps: run: missing: curl$' <<<"$out"
check "dry run of run: no services for curl" bash -c '! grep -q "disable" <<<"$0"' "$out"

# The real thing, with a stand-in apt-get, systemctl and update-rc.d that
# record what they were asked and what they saw (root only: deps.sh
# writes /etc/postgresql-common/createcluster.d while it installs).
CC=/etc/postgresql-common/createcluster.d/00-minicrm-no-main-cluster.conf
if [ "$(id -u)" -eq 0 ] && [ ! -e "$CC" ]; then
	mkdir -p "$TMP/fake"
	cat >"$TMP/fake/apt-get" <<-EOF
		#!/bin/sh
		echo "apt-get \$*" >>"$TMP/fake.log"
		[ -f "$CC" ] && echo "createcluster.d: \$(cat "$CC" | grep -v '^#')" >>"$TMP/fake.log"
		exit 0
	EOF
	printf '#!/bin/sh\necho "systemctl $*" >>"%s"\n' "$TMP/fake.log" >"$TMP/fake/systemctl"
	printf '#!/bin/sh\necho "update-rc.d $*" >>"%s"\n' "$TMP/fake.log" >"$TMP/fake/update-rc.d"
	chmod +x "$TMP/fake/"*
	out=$(PATH=$TMP/fake:$PATH "$TOP/scripts/deps.sh" run --assume-missing=postgresql,nginx 2>&1)
	log=$(cat "$TMP/fake.log" 2>/dev/null)
	check "deps.sh installs what is missing" grep -q '^apt-get .*--no-install-recommends postgresql nginx$' <<<"$log"
	check "while it installs, no main cluster is created" grep -q '^createcluster.d: create_main_cluster = false$' <<<"$log"
	check "afterwards the setting is gone (a later PostgreSQL behaves as Debian's)" test ! -e "$CC"
	check "the postgresql service is disabled" grep -q '^systemctl disable .*postgresql.service' <<<"$log"
	check "the nginx service is disabled" grep -q '^systemctl disable .*nginx.service' <<<"$log"
	check "deps.sh says so" grep -q 'disabled the system service nginx' <<<"$out"
	: >"$TMP/fake.log"
	PATH=$TMP/fake:$PATH "$TOP/scripts/deps.sh" test --assume-missing=wrk >/dev/null 2>&1
	check "installing only wrk touches no service and no cluster setting" \
		bash -c '! grep -qE "^(systemctl|update-rc.d|createcluster)" "$0"' "$TMP/fake.log"
fi

# ------------------------------------------------------------ a busy port
# A second instance in its own var dir, on a port something else holds.
V2=$(mktemp -d /tmp/minicrm-setup.XXXXXX)
holder=
cleanup_v2() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	MINICRM_VAR=$V2 "$TOP/scripts/instance.sh" down >/dev/null 2>&1
	[ -L "$V2/pg" ] && rm -rf "$(readlink "$V2/pg")"
	rm -rf "$V2" "$TMP"
}
trap cleanup_v2 EXIT
up2() { MINICRM_VAR=$V2 MINICRM_PORT=$1 MINICRM_CONF=$V2/minicrm.conf "$TOP/scripts/instance.sh" up >"$TMP/up2.out" 2>&1; }
# Nothing of the second instance runs: no live PID file, no cluster, no
# process with its var dir in its command line or environment.
nothing_runs() {
	local f pid p pg
	for f in "$V2"/run/*.pid; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		[ -r "/proc/$pid/stat" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$pid/stat" && { echo "alive: $f"; return 1; }
	done
	pg=$(readlink -f "$V2/pg" 2>/dev/null || echo "$V2/pg")
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; echo; tr '\0' '\n' <"$p/environ"; } 2>/dev/null |
			grep -qE -- "$V2|$pg/data|^MINICRM_VAR=$V2\$" || continue
		grep -qE '^[0-9]+ \(.*\) Z' "$p/stat" 2>/dev/null && continue
		echo "running: ${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		return 1
	done
}

# 1. Something listens on the port: refused before anything starts.
P1=$(free_port $((MINICRM_PORT + 300)))
# (python3 may take seconds to start on a busy machine: wait until it says
# it listens.)
hold_port() {	# hold_port PORT listen|bind: sets holder
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))
if sys.argv[2] == "listen": s.listen(8)
print("holding", flush=True); time.sleep(300)' "$1" "$2" >"$TMP/holder.out" 2>&1 &
	holder=$!
	for _ in $(seq 300); do grep -q holding "$TMP/holder.out" 2>/dev/null && return 0; sleep 0.1; done
	fail "python3 holds port $1" "$(cat "$TMP/holder.out")"
}
hold_port "$P1" listen
up2 "$P1"
rc=$?
out=$(cat "$TMP/up2.out")
expect_eq "$rc" 1 "port in use: up exits 1"
check "port in use: it says which port and what to set" grep -q "127.0.0.1:$P1 is in use; set MINICRM_PORT" <<<"$out"
check "port in use: not nginx's bind() error" bash -c '! grep -q "bind()" <<<"$0"' "$out"
check "port in use: nothing was started" nothing_runs
check "port in use: no cluster was even created" test ! -e "$V2/pg/data/PG_VERSION"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=

# 2. The port is bound but not listening: the check cannot see it, nginx's
# bind() fails after PostgreSQL, the programs and the worker started. up
# must stop them all again, and still name the port.
P2=$(free_port $((P1 + 1)))
hold_port "$P2" bind
up2 "$P2"
rc=$?
out=$(cat "$TMP/up2.out")
expect_eq "$rc" 1 "port bound by another: up exits 1"
check "port bound by another: PostgreSQL had been started" grep -q "creating a PostgreSQL cluster" <<<"$out"
check "port bound by another: it names the port and what to set" grep -q "127.0.0.1:$P2 is in use; set MINICRM_PORT" <<<"$out"
check "port bound by another: it says it stopped what it started" grep -q "stopped what it had started" <<<"$out"
check "port bound by another: nothing is left running" nothing_runs
nothing_runs >"$TMP/left" || fail "left running" "$(cat "$TMP/left")"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=

# 3. With the port free, the same var dir comes up, and down stops it.
up2 "$P2"
rc=$?
expect_eq "$rc" 0 "port free again: up succeeds"
check "port free again: it serves" curl -fsS "http://127.0.0.1:$P2/readyz"
MINICRM_VAR=$V2 "$TOP/scripts/instance.sh" down >/dev/null 2>&1
sleep 0.3
check "down stops it all" nothing_runs

# ------------------------------------------------------------ npm ci failing
# A copy of tests/browser without node_modules, and an npm that cannot
# reach its registry.
mkdir -p "$TMP/npm/bin" "$TMP/browser"
cp "$TOP/tests/browser/run.sh" "$TOP/tests/browser/package.json" "$TOP/tests/browser/package-lock.json" "$TMP/browser/"
cat >"$TMP/npm/bin/npm" <<-'EOF'
	#!/bin/sh
	case "$1 $2" in
	"config get") echo https://registry.example.invalid/ ;;
	ci*) echo "npm ERR! code ECONNREFUSED" >&2; echo "npm ERR! network request failed" >&2; exit 1 ;;
	esac
EOF
chmod +x "$TMP/npm/bin/npm"
out=$(PATH=$TMP/npm/bin:$PATH MINICRM_CHROMIUM=/bin/true bash "$TMP/browser/run.sh" 2>&1)
rc=$?
expect_eq "$rc" 1 "npm ci fails: run.sh exits 1"
check "npm ci fails: npm's own error is shown" grep -q "ECONNREFUSED" <<<"$out"
check "npm ci fails: it names the registry npm uses" grep -q "registry.example.invalid" <<<"$out"
check "npm ci fails: it says what to check for a proxy" grep -q "HTTPS_PROXY" <<<"$out"
check "npm ci fails: and for a proxy's CA" grep -q "NODE_EXTRA_CA_CERTS" <<<"$out"
check "npm ci fails: no stamp, so the next run tries again" test ! -e "$TMP/browser/node_modules/.minicrm-package-lock.json"

# ------------------------------------------------------------ the production site file
# nginx/minicrm-site.conf with the error snippet, on a local port without
# TLS: its own refusals are JSON, and with no programs behind it, a 503 in
# JSON.
P3=$(free_port $((P2 + 1)))
P4=$(free_port $((P3 + 1)))
S=$TMP/site
mkdir -p "$S/logs"
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:$P3;#" -e '/ssl_certificate/d' \
	-e "s#listen 80;#listen 127.0.0.1:$P4;#" \
	-e "s#include snippets/minicrm-errors.conf;#include $TOP/nginx/minicrm-errors.conf;#" \
	-e "s#include snippets/minicrm-log.conf;#include $TOP/nginx/minicrm-log.conf;#" \
	-e "s#access_log /var/log/nginx/minicrm.access.log#access_log $S/logs/access.log#" \
	-e 's#include fastcgi_params;#include /etc/nginx/fastcgi_params;#' \
	"$TOP/nginx/minicrm-site.conf" >"$S/site.conf"
cat >"$S/nginx.conf" <<-EOF
	pid $S/nginx.pid;
	error_log $S/logs/error.log;
	events {}
	http {
		access_log off;
		client_body_temp_path $S/body;
		fastcgi_temp_path $S/fastcgi;
		proxy_temp_path $S/proxy;
		uwsgi_temp_path $S/uwsgi;
		scgi_temp_path $S/scgi;
		include $S/site.conf;
	}
EOF
check "the production site file passes nginx -t" nginx -t -q -p "$S" -c "$S/nginx.conf" -e "$S/logs/error.log"
if nginx -p "$S" -c "$S/nginx.conf" -e "$S/logs/error.log" 2>/dev/null; then
	: >"$TMP/raw"
	if exec 3<>"/dev/tcp/127.0.0.1/$P3"; then
		(printf 'GARBAGE\r\n\r\n' >&3) 2>/dev/null
		timeout 10 cat <&3 >"$TMP/raw"
		exec 3>&-
	fi
	check "site: garbage gets 400" grep -q '^HTTP/1.1 400' "$TMP/raw"
	check "site: in JSON" grep -qi '^Content-Type: application/json' "$TMP/raw"
	check "site: with an error" grep -q '^{"error":"malformed HTTP request"' "$TMP/raw"
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "http://127.0.0.1:$P3/health")
	expect_eq "$STATUS" 503 "site: programs down is a 503"
	check "site: in JSON" jq -e '.error | test("not running")' "$TMP/body"
	kill -QUIT "$(cat "$S/nginx.pid")" 2>/dev/null
	for _ in $(seq 50); do [ -e "$S/nginx.pid" ] || break; sleep 0.1; done
else
	fail "the production site file starts" "$(tail -n 3 "$S/logs/error.log")"
fi

finish
