#!/usr/bin/env bash
# deps.sh [run|test] [--dry-run] [--list] — install the Debian packages
# minicrm needs, if any is missing. Needs root for apt-get; without root it
# only reports.
#
#   run   (make run)   building and running: compiler, libraries, PostgreSQL,
#                      nginx, curl
#   test  (make test)  run's, and what only the tests and benchmarks use:
#                      jq, python3, valgrind, wrk, Chromium, Node.js and npm
#   --list             print the set's packages, one a line, and stop
#   --dry-run          say what would be installed and done, change nothing
#   --assume-missing=P1,P2  treat these packages as missing (with --dry-run:
#                      shows what a fresh machine would get; used by the tests)
#
# The servers that Debian's nginx and postgresql packages set up are not
# minicrm's (it runs its own nginx and its own cluster under var/). For the
# packages this script installs itself, it keeps them from existing: no
# "main" PostgreSQL cluster is created (create_main_cluster = false while
# installing), no service starts during the install (policy-rc.d), and the
# nginx, postgresql (and prometheus: promtool is all the tests want of it)
# services are disabled for the next boot. Packages
# that were already installed are left as they are.
set -euo pipefail

set_name=run dry=0 list=0 assume=()
for a in "$@"; do
	case $a in
	run|test) set_name=$a ;;
	--dry-run|-n) dry=1 ;;
	--list) list=1 ;;
	--assume-missing=*) IFS=, read -r -a assume <<<"${a#*=}" ;;
	*) echo "usage: $0 [run|test] [--dry-run] [--list] [--assume-missing=P,...]" >&2; exit 2 ;;
	esac
done

run_packages=(
	# build
	build-essential pkg-config libfcgi-dev libpq-dev libjson-c-dev
	libsodium-dev libcurl4-openssl-dev libssl-dev
	# minicrm archive writes gzip files (zlib)
	zlib1g-dev
	# run (curl: scripts/instance.sh waits for /readyz with it)
	postgresql postgresql-contrib nginx curl
)
test_packages=(
	# HTTP tests and benchmarks (python3: tests/http/webhook_receiver.py,
	# bench/portal.sh, test_setup.sh)
	jq python3 wrk valgrind
	# test_install.sh: systemd-analyze verify on the units (the package
	# only; PID 1 may be anything), a self-signed certificate
	systemd openssl
	# browser tests: Debian's Chromium, driven by playwright-core from npm
	chromium nodejs npm
	# promtool checks /metrics and dist/prometheus/ (test_metrics.sh);
	# Debian ships it only in the server's package, whose service is
	# disabled like nginx's and postgresql's
	prometheus
	# /usr/bin/time: the CLI's CPU and memory in bench/import.sh (and
	# deenroll.sh, nurture_scheduler.sh)
	time
)
packages=("${run_packages[@]}")
[ "$set_name" = test ] && packages+=("${test_packages[@]}")

if [ "$list" = 1 ]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

# Node.js, npm and python3 may come from another source than Debian (a
# nodesource nodejs bundles npm, pyenv): ask for the command, not for
# Debian's package, so we never replace a newer one.
installed() {
	local p=$1 a
	for a in "${assume[@]}"; do [ "$a" = "$p" ] && return 1; done
	case $p in
	nodejs) command -v node >/dev/null && return 0 ;;
	npm|python3) command -v "$p" >/dev/null && return 0 ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { [ "$dry" = 1 ] && echo "deps: $set_name: nothing missing"; exit 0; }

# The system services the missing packages would set up.
services=()
for p in "${missing[@]}"; do
	# prometheus: the tests need only its promtool, not a server on :9090.
	case $p in nginx|postgresql|prometheus) services+=("$p") ;; esac
done
has() { local x; for x in "${missing[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

if [ "$dry" = 1 ]; then
	echo "deps: $set_name: missing: ${missing[*]}"
	echo "deps: would run: apt-get install --no-install-recommends ${missing[*]}"
	has postgresql && echo "deps: would create no main PostgreSQL cluster (create_main_cluster = false in /etc/postgresql-common/createcluster.d/ while installing)"
	[ ${#services[@]} -gt 0 ] && echo "deps: would disable the system services ${services[*]} (minicrm runs its own nginx and PostgreSQL under var/)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root, or: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

cleanup=()
on_exit() { local c; for c in "${cleanup[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT
# No service starts while the packages install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	cleanup+=('rm -f /usr/sbin/policy-rc.d')
fi
# No "main" cluster on 5432: postgresql-common reads createcluster.d when
# the server package's postinst would create it. Only while we install: a
# PostgreSQL the owner installs later behaves as Debian's does.
cc=/etc/postgresql-common/createcluster.d/00-minicrm-no-main-cluster.conf
if has postgresql && [ ! -e "$cc" ]; then
	if [ ! -d "$(dirname "$cc")" ]; then
		mkdir -p "$(dirname "$cc")"
		cleanup+=("rmdir --ignore-fail-on-non-empty $(dirname "$cc")")
	fi
	printf '# scripts/deps.sh (minicrm), while it installs postgresql\ncreate_main_cluster = false\n' > "$cc"
	cleanup=("rm -f $cc" "${cleanup[@]}")
fi

apt_flags=(-y -q -o Dpkg::Use-Pty=0)
if ! apt-get install "${apt_flags[@]}" --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install "${apt_flags[@]}" --no-install-recommends "${missing[@]}"
fi

# Not at the next boot either.
for s in "${services[@]}"; do
	if command -v systemctl >/dev/null; then
		systemctl disable --quiet "$s.service" 2>/dev/null || true
	fi
	if command -v update-rc.d >/dev/null && [ -e "/etc/init.d/$s" ]; then
		update-rc.d "$s" disable >/dev/null 2>&1 || true
	fi
	echo "deps: disabled the system service $s (minicrm runs its own under var/)"
done
