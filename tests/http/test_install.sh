#!/usr/bin/env bash
# make install, staged (DESTDIR) as a Debian package would (PREFIX=/usr):
#   - the FHS tree: programs, templates, static, sql, config 0640, units,
#     the nginx site and snippets; no user made, no owner changed; a second
#     install keeps the operator's config and site;
#   - the installed programs run against the test instance with their own
#     files: minicrm migrate status reads the installed sql, admin.fcgi
#     compiles the installed templates;
#   - the systemd units pass `systemd-analyze verify` (their commands
#     pointed into the stage) and `systemd-analyze security` rates them OK;
#     they and the site name the same sockets;
#   - the installed nginx site passes `nginx -t` with a self-signed
#     certificate and serves the installed api.fcgi and admin.fcgi over
#     https: HTTP/2, the redirect from http, gzip on a page and a CSV, the
#     client's address from X-Forwarded-For only from the trusted proxy,
#     429 from limit_req after a burst of bad logins and of keyless API
#     calls, and ingest.
source "$(dirname "$0")/lib.sh"

free_port() {
	local p
	for p in $(seq "$1" $(($1 + 500))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

D=$TMP/stage
S=$TMP/site
mkdir -p "$S/logs"
pids=()
cleanup() {
	[ -f "$S/nginx.pid" ] && kill -QUIT "$(cat "$S/nginx.pid")" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# ------------------------------------------------------------ the tree
out=$(make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr 2>&1)
rc=$?
expect_eq "$rc" 0 "make install DESTDIR PREFIX=/usr succeeds"
[ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "staged: it says no user was made and no owner set" grep -q "staged in $D: no 'minicrm' user made and no owners set" <<<"$out"
check "staged: every file belongs to whoever ran make (no chown)" \
	test -z "$(find "$D" ! -user "$(id -un)" -print -quit)"
for f in usr/bin/minicrm usr/lib/minicrm/api.fcgi usr/lib/minicrm/admin.fcgi; do
	check "/$f is an executable file" test -f "$D/$f" -a -x "$D/$f"
done
check "the templates: every one of the tree's" diff <(cd "$TOP/templates" && ls) <(cd "$D/usr/share/minicrm/templates" && ls)
check "the migrations: every one of the tree's" diff <(cd "$TOP/sql" && ls) <(cd "$D/usr/share/minicrm/sql" && ls)
check "the stylesheet" cmp "$TOP/static/minicrm.css" "$D/usr/share/minicrm/static/minicrm.css"
expect_eq "$(stat -c %a "$D/etc/minicrm/minicrm.conf")" 640 "/etc/minicrm/minicrm.conf has mode 0640"
expect_eq "$(stat -c %a "$D/etc/minicrm")" 750 "/etc/minicrm has mode 0750"
check "the config names its database URLs" grep -q "^DATABASE_URL='postgresql://" "$D/etc/minicrm/minicrm.conf"
check "state and log folders" test -d "$D/var/lib/minicrm" -a -d "$D/var/log/minicrm"
for u in minicrm.target minicrm-migrate.service minicrm-api.socket minicrm-api.service \
	minicrm-admin.socket minicrm-admin.service minicrm-worker.service; do
	check "unit $u" test -f "$D/usr/lib/systemd/system/$u"
done
check "the nginx site" test -f "$D/etc/nginx/sites-available/minicrm"
check "the nginx snippets" test -f "$D/etc/nginx/snippets/minicrm-log.conf" -a -f "$D/etc/nginx/snippets/minicrm-errors.conf"
check "the docs" test -f "$D/usr/share/doc/minicrm/install.md"
check "no path under /usr/local is left in the units, site or config (PREFIX=/usr)" \
	bash -c '! grep -rq /usr/local "$0"/usr/lib/systemd/system "$0"/etc' "$D"
# Every command a unit runs is a file of the install.
bad=
for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$D"/usr/lib/systemd/system/minicrm*); do
	case $cmd in /bin/kill) continue ;; esac
	[ -x "$D$cmd" ] || bad+=" $cmd"
done
expect_eq "${bad:-none}" none "every ExecStart of the units is an installed program"
check "the site's static folder is the installed one" \
	grep -q 'alias /usr/share/minicrm/static/;' "$D/etc/nginx/sites-available/minicrm"
# The units' sockets are the ones the site's upstreams name.
for p in api admin; do
	sock=$(sed -n 's/^ListenStream=//p' "$D/usr/lib/systemd/system/minicrm-$p.socket")
	check "the site passes to $p.fcgi's socket ($sock)" grep -q "server unix:$sock;" "$D/etc/nginx/sites-available/minicrm"
done

# An upgrade (make install again) keeps what the operator changed.
echo "MINICRM_WORKERS='4'" >>"$D/etc/minicrm/minicrm.conf"
echo "# edited by the operator" >>"$D/etc/nginx/sites-available/minicrm"
out=$(make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr 2>&1)
check "again: the config is kept" grep -q "^MINICRM_WORKERS='4'" "$D/etc/minicrm/minicrm.conf"
check "again: it says so" grep -q "kept $D/etc/minicrm/minicrm.conf" <<<"$out"
check "again: the site is kept" grep -q "edited by the operator" "$D/etc/nginx/sites-available/minicrm"
check "again: the new site is beside it" test -f "$D/etc/nginx/sites-available/minicrm.dpkg-dist"

# ------------------------------------------------------------ for real, as root
# Without DESTDIR, as root: the `minicrm` system user and the owners. Not
# on this machine's /etc: in a mount namespace of our own whose /etc is a
# copy, with PREFIX and LOCALSTATEDIR in the test's folder.
R=$TMP/real
if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then
	mkdir -p "$R"
	cp -a /etc "$R/etc"
	unshare --mount --propagation private bash -c '
		mount --bind "$1/etc" /etc || exit 9
		getent passwd minicrm >/dev/null && echo "user existed" >"$1/report"
		make -s -C "$2" install PREFIX="$1/usr" LOCALSTATEDIR="$1/var" >"$1/out" 2>&1 || exit 1
		{
			echo "user: $(getent passwd minicrm | cut -d: -f3,6,7)"
			echo "conf: $(stat -c "%a %U:%G" /etc/minicrm/minicrm.conf)"
			echo "etc: $(stat -c "%a %U:%G" /etc/minicrm)"
			echo "state: $(stat -c "%a %U:%G" "$1/var/lib/minicrm")"
			echo "logs: $(stat -c "%a %U:%G" "$1/var/log/minicrm")"
			echo "readable by minicrm: $(runuser -u minicrm -- head -c 12 /etc/minicrm/minicrm.conf)"
			echo "readable by others: $(runuser -u nobody -- cat /etc/minicrm/minicrm.conf >/dev/null 2>&1 && echo yes || echo no)"
		} >>"$1/report"
	' _ "$R" "$TOP"
	rc=$?
	expect_eq "$rc" 0 "as root: make install succeeds"
	report=$(cat "$R/report" 2>/dev/null)
	check "as root: it says it made the user" grep -q "made the system user minicrm" "$R/out"
	uid=$(sed -n 's/^user: \([0-9]*\):.*/\1/p' <<<"$report")
	check "as root: minicrm is a system user (uid ${uid:-none} < 1000)" test "${uid:-1000}" -lt 1000
	check "as root: ...with no login shell and its home in /var/lib/minicrm" \
		grep -q "^user: [0-9]*:$R/var/lib/minicrm:/usr/sbin/nologin$" <<<"$report"
	check "as root: minicrm.conf is 0640 root:minicrm" grep -q '^conf: 640 root:minicrm$' <<<"$report"
	check "as root: /etc/minicrm is 0750 root:minicrm" grep -q '^etc: 750 root:minicrm$' <<<"$report"
	check "as root: the state folder is minicrm's" grep -q '^state: 750 minicrm:minicrm$' <<<"$report"
	check "as root: the log folder is minicrm's" grep -q '^logs: 750 minicrm:minicrm$' <<<"$report"
	check "as root: minicrm reads its config" grep -q '^readable by minicrm: # /etc/minic' <<<"$report"
	check "as root: nobody else does" grep -q '^readable by others: no$' <<<"$report"
	check "as root: this machine's /etc was not touched" test ! -e /etc/minicrm
else
	echo "test_install.sh: not root or no mount namespace: the real install (user, owners) is not tried"
fi

# ------------------------------------------------------------ the programs
# The test instance's settings without its template folder (scripts/test.sh
# points it at a copy): the installed programs must find their own files.
grep -v '^MINICRM_TEMPLATES=' "$MINICRM_CONF" >"$TMP/minicrm.conf"
# Their own counters for /metrics (as the units give them /var/lib/minicrm):
# in the instance's run folder they would take over its programs' files.
mkdir -p "$TMP/metrics"
echo "METRICS_DIR='$TMP/metrics'" >>"$TMP/minicrm.conf"
installed() { (cd "$TMP" && exec env -u MINICRM_TEMPLATES -u MINICRM_SQL_DIR MINICRM_CONF="$TMP/minicrm.conf" "$@"); }
out=$(installed "$D/usr/bin/minicrm" migrate status 2>&1)
check "installed minicrm: migrate status runs" test $? -eq 0
check "installed minicrm: it lists the last migration, applied" grep -qE "$(cd "$TOP/sql" && ls *.up.sql | tail -n 1 | cut -c1-4).*applied" <<<"$out"
mv "$D/usr/share/minicrm/sql" "$D/usr/share/minicrm/sql.away"
out=$(installed "$D/usr/bin/minicrm" migrate status 2>&1)
check "installed minicrm: without the installed sql it fails, naming that folder" \
	grep -q "cannot open $D/usr/share/minicrm/sql\|cannot open sql" <<<"$out"
mv "$D/usr/share/minicrm/sql.away" "$D/usr/share/minicrm/sql"
# minicrm-migrate.service's command, as the unit has it.
cmd=$(sed -n 's/^ExecStart=//p' "$D/usr/lib/systemd/system/minicrm-migrate.service")
read -ra argv <<<"$cmd"
out=$(installed "$D${argv[0]}" "${argv[@]:1}" 2>&1)
check "installed: the migrations unit's command ($cmd) finds the schema up to date" grep -qx 'up to date' <<<"$out"

# The installed FastCGI programs as their units start them: no --socket,
# the listening socket on fd 0 (StandardInput=socket), here handed over by
# python3 as systemd would; nginx below talks to them.
# on_fd0.py SOCKET PROGRAM: exec PROGRAM listening on SOCKET via fd 0.
cat >"$TMP/on_fd0.py" <<-'PY'
	import os, socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(sys.argv[1]); s.listen(1024); os.dup2(s.fileno(), 0); s.close()
	os.execv(sys.argv[2], sys.argv[2:])
PY
(cd "$TMP" && exec env -u MINICRM_TEMPLATES MINICRM_CONF="$TMP/minicrm.conf" MINICRM_WORKERS=2 \
	python3 "$TMP/on_fd0.py" "$S/api.sock" "$D/usr/lib/minicrm/api.fcgi") >"$S/logs/api.log" 2>&1 &
pids+=($!)
(cd "$TMP" && exec env -u MINICRM_TEMPLATES MINICRM_CONF="$TMP/minicrm.conf" MINICRM_WORKERS=2 \
	python3 "$TMP/on_fd0.py" "$S/admin.sock" "$D/usr/lib/minicrm/admin.fcgi") >"$S/logs/admin.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	grep -q 'ready:.*fd 0' "$S/logs/api.log" && grep -q 'ready:.*fd 0' "$S/logs/admin.log" && break
	sleep 0.1
done
check "installed api.fcgi serves the socket on fd 0" grep -q 'ready:.*fd 0' "$S/logs/api.log"
check "installed admin.fcgi serves the socket on fd 0" grep -q 'ready:.*fd 0' "$S/logs/admin.log"
check "installed admin.fcgi compiled the installed templates" \
	grep -q "templates from $D/usr/share/minicrm/templates" "$S/logs/admin.log"

# ------------------------------------------------------------ systemd
U=$TMP/units
mkdir -p "$U"
cp "$D"/usr/lib/systemd/system/minicrm* "$U/"
# The commands resolved inside the stage; everything else as installed.
sed -i "s#^\(Exec[A-Za-z]*=[-@:+!]*\)/usr/#\1$D/usr/#" "$U"/*
out=$(systemd-analyze verify "$U"/* 2>&1)
rc=$?
expect_eq "$rc" 0 "systemd-analyze verify passes on the units"
expect_eq "${out:-nothing}" nothing "systemd-analyze verify has nothing to say"
for u in api admin worker migrate; do
	level=$(systemd-analyze security --offline=yes "$U/minicrm-$u.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	check "systemd-analyze security: minicrm-$u.service is hardened (exposure ${level:-?} <= 2.0)" \
		awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
	for opt in User=minicrm NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes Restart=on-failure; do
		[ "$u" = migrate ] && [ "$opt" = Restart=on-failure ] && continue
		check "minicrm-$u.service: $opt" grep -qx "$opt" "$U/minicrm-$u.service"
	done
done

# ------------------------------------------------------------ nginx, https
PS=$(free_port $((MINICRM_PORT + 600)))
PH=$(free_port $((PS + 1)))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=crm.example.com -addext 'subjectAltName=DNS:crm.example.com,IP:127.0.0.1' \
	-keyout "$S/key.pem" -out "$S/cert.pem" >/dev/null 2>&1
check "a self-signed certificate" test -s "$S/cert.pem"
# The installed site, on local ports, with the stage's files and sockets,
# and the real_ip lines enabled for one trusted proxy: 127.0.0.2.
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:$PS ssl http2;#" \
	-e "s#listen 80;#listen 127.0.0.1:$PH;#" \
	-e "s#ssl_certificate .*#ssl_certificate $S/cert.pem;#" \
	-e "s#ssl_certificate_key .*#ssl_certificate_key $S/key.pem;#" \
	-e "s#include snippets/#include $D/etc/nginx/snippets/#" \
	-e "s#/var/log/nginx/minicrm.access.log#$S/logs/access.log#" \
	-e "s#unix:/run/minicrm/#unix:$S/#" \
	-e "s#alias /usr/share/minicrm/#alias $D/usr/share/minicrm/#" \
	-e 's#include fastcgi_params;#include /etc/nginx/fastcgi_params;#' \
	-e 's/#set_real_ip_from 127.0.0.1;/set_real_ip_from 127.0.0.2;/' \
	-e '/#set_real_ip_from ::1;/d' \
	-e 's/#real_ip_header/real_ip_header/' -e 's/#real_ip_recursive/real_ip_recursive/' \
	"$D/etc/nginx/sites-available/minicrm.dpkg-dist" >"$S/site.conf"
user=
[ "$(id -u)" -eq 0 ] && user="user root root;"
cat >"$S/nginx.conf" <<-EOF
	$user
	pid $S/nginx.pid;
	error_log $S/logs/error.log warn;
	events {}
	http {
		include /etc/nginx/mime.types;
		access_log off;
		client_body_temp_path $S/body;
		fastcgi_temp_path $S/fastcgi;
		proxy_temp_path $S/proxy;
		uwsgi_temp_path $S/uwsgi;
		scgi_temp_path $S/scgi;
		include $S/site.conf;
	}
EOF
check "the installed site passes nginx -t" nginx -t -q -p "$S" -c "$S/nginx.conf" -e "$S/logs/error.log"
check "the trusted proxy is the only change to real_ip" grep -q '^	set_real_ip_from 127.0.0.2;' "$S/site.conf"
if ! nginx -p "$S" -c "$S/nginx.conf" -e "$S/logs/error.log"; then
	fail "nginx starts with the site" "$(tail -n 3 "$S/logs/error.log")"
	finish
	exit
fi
BASE=https://127.0.0.1:$PS
export CURL_CA_BUNDLE=$S/cert.pem	# the certificate checked, not skipped

request GET /readyz --http2
expect_status 200 "https: /readyz through api.fcgi"
check "https: HTTP/2" grep -q '^HTTP/2 200' <<<"$HEADERS"
expect_header '^strict-transport-security: max-age=' "https: HSTS"
STATUS=$(curl -sS -o /dev/null -D "$TMP/h" -w '%{http_code}' -H 'Host: crm.example.com' "http://127.0.0.1:$PH/leads?q=x")
expect_eq "$STATUS" 301 "http: redirected"
check "http: to the same path over https" grep -qi '^Location: https://crm.example.com/leads?q=x' "$TMP/h"

# The portal: log in, a page and a CSV, compressed.
check "https: log in to admin.fcgi" login install-admin@example.com "install-$RANDOM-pw-$RANDOM"
check "https: the login was HTTP/2 too" grep -q '^HTTP/2 303' <<<"$HEADERS"
browse GET /activity --compressed
expect_status 200 "https: a page"
expect_header '^content-encoding: gzip' "https: the page is gzipped"
check "https: ...and is the page once gunzipped" grep -q "</html>" <<<"$BODY"
# Events to export: ingest over https.
KEY=$(new_key install-test)
request POST /api/internal/log-activity -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
	--data-binary '[{"event_type":"MESSAGE_SENT","lead_id":"recInstall1","source":"install-test","execution_id":"i1"},{"event_type":"MESSAGE_DELIVERED","lead_id":"recInstall1","source":"install-test","execution_id":"i1"}]'
expect_status 201 "https: ingest through api.fcgi"
expect_eq "$(sql "SELECT count(*) FROM lead_activity_log a JOIN leads l ON l.id = a.lead_id WHERE l.external_id = 'recInstall1'")" 2 "https: the events are stored"
browse GET /activity/export.csv --compressed
expect_status 200 "https: a CSV export"
expect_header '^content-type: text/csv' "https: it is CSV"
expect_header '^content-encoding: gzip' "https: the CSV is gzipped"
check "https: ...and holds the events once gunzipped" grep -q recInstall1 <<<"$BODY"
request GET /static/minicrm.css --compressed
expect_status 200 "https: the installed stylesheet"
expect_header '^content-encoding: gzip' "https: the stylesheet is gzipped"

# The client's address: from X-Forwarded-For only when the trusted proxy
# (127.0.0.2) sends it; from anyone else the header is ignored.
curl -sS -o /dev/null --interface 127.0.0.2 -A install-trusted-proxy \
	-H 'X-Forwarded-For: 203.0.113.7' "$BASE/readyz"
curl -sS -o /dev/null --interface 127.0.0.1 -A install-untrusted \
	-H 'X-Forwarded-For: 198.51.100.9' "$BASE/readyz"
sleep 0.2
check "access log: the trusted proxy's client is 203.0.113.7" \
	grep -qE '^203\.0\.113\.7 .*"install-trusted-proxy"' "$S/logs/access.log"
check "access log: an untrusted sender is logged as itself" \
	grep -qE '^127\.0\.0\.1 .*"install-untrusted"' "$S/logs/access.log"
check "access log: its forged address appears nowhere" bash -c '! grep -q 198.51.100.9 "$0"' "$S/logs/access.log"

# A burst of bad logins (a real form, a wrong password), in one connection.
browse GET /login
csrf=$(field csrf)
# (admin.fcgi's own throttle answers 429 too, in HTML: nginx's are JSON.)
codes=$(curl -sS -b "$JAR" -c "$JAR" -o /dev/null -w '%{http_code} %{content_type}\n' \
	--data-urlencode "csrf=$csrf" --data-urlencode email=nobody@example.com \
	--data-urlencode password=wrong-password $(printf "$BASE/login %.0s" $(seq 30)))
check "bad logins: the first ones reach admin.fcgi" grep -q '^200 text/html' <<<"$(head -n 1 <<<"$codes")"
n429=$(grep -c '^429 application/json' <<<"$codes")
check "bad logins: a burst of 30 gets 429s from nginx ($n429)" test "$n429" -ge 10
request POST /login --data-urlencode "csrf=$csrf" --data-urlencode email=nobody@example.com \
	--data-urlencode password=wrong-password -b "$JAR"
expect_status 429 "bad logins: one more is refused"
expect_json '.error | test("too many requests")' "bad logins: in JSON"
expect_header '^retry-after: ' "bad logins: with Retry-After"
check "bad logins: nginx logs the limit" grep -q 'limiting requests.*zone "minicrm_login"' "$S/logs/error.log"
browse GET /login
expect_status 200 "bad logins: the login page itself is not limited"
# admin.fcgi's own throttle counted the ones that reached it, from this
# address: forget them, or the next test's logins wait out the lockout.
sql "DELETE FROM login_attempts" >/dev/null

# A burst of API calls without a real key: refused by nginx past the burst;
# a good key from the same address still gets through.
LA=/api/internal/log-activity
EV='{"event_type":"MESSAGE_SENT","lead_id":"recInstall2"}'
# burst N [KEY]: N posts in one connection, as fast as they go; the
# statuses in $TMP/codes, the bodies in $TMP/bodies, the headers in $TMP/bh.
burst() {
	local hdr=()
	[ -n "${2:-}" ] && hdr=(-H "x-api-key: $2")
	curl -s "${hdr[@]}" -H 'Content-Type: application/json' --data-binary "$EV" -D "$TMP/bh" \
		-w '%{stderr}%{http_code}\n' $(printf "$BASE$LA %.0s" $(seq "$1")) >"$TMP/bodies" 2>"$TMP/codes"
}
burst 60 not-a-key
check "bad key: the first ones get api.fcgi's 401" test "$(head -n 1 "$TMP/codes")" = 401
n429=$(grep -c '^429$' "$TMP/codes")
check "bad key: a burst of 60 gets 429s from nginx ($n429)" test "$n429" -ge 20
check "bad key: in JSON" grep -q '^{"error":"too many requests; slow down and retry later"}$' "$TMP/bodies"
check "bad key: with Retry-After" grep -qi '^retry-after: 60' "$TMP/bh"
burst 10
n429=$(grep -c '^429$' "$TMP/codes")
check "bad key: no key at all is limited the same ($n429 of 10 refused)" test "$n429" -ge 5
post_event() { request POST "$LA" -H "x-api-key: $1" -H 'Content-Type: application/json' --data-binary "$EV"; }
post_event "$KEY"
expect_status 201 "bad key: a good key from the same address still works"
post_event "mcrm_000000000000_$(printf 'A%.0s' $(seq 43))"
expect_status 401 "bad key: a well-formed wrong key is api.fcgi's 401, not limited with them"
request GET /api/internal/activity-health
expect_status 200 "bad key: the health figures (no key needed) are not limited with them"
check "nginx logs the API limit" grep -q 'limiting requests.*zone "minicrm_api_badkey"' "$S/logs/error.log"

# ------------------------------------------------------------ uninstall
out=$(make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr 2>&1)
check "uninstall: the programs are gone" test ! -e "$D/usr/bin/minicrm" -a ! -e "$D/usr/lib/minicrm"
check "uninstall: the data files are gone" test ! -e "$D/usr/share/minicrm"
check "uninstall: the units are gone" bash -c '! ls "$0"/usr/lib/systemd/system/minicrm* 2>/dev/null' "$D"
check "uninstall: the config is kept" grep -q "^MINICRM_WORKERS='4'" "$D/etc/minicrm/minicrm.conf"
check "uninstall: the site is kept" test -f "$D/etc/nginx/sites-available/minicrm"
check "uninstall: the state folder is kept" test -d "$D/var/lib/minicrm"
check "uninstall: it says what it kept" grep -q 'kept /etc/minicrm' <<<"$out"

finish
