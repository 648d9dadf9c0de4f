#!/usr/bin/env bash
# Install the Debian packages minicrm needs to build, run and test, if any
# is missing. Needs root for apt-get; without root it only reports.
set -euo pipefail

packages=(
	# build
	build-essential pkg-config libfcgi-dev libpq-dev libjson-c-dev
	libsodium-dev libcurl4-openssl-dev
	# run
	postgresql postgresql-contrib nginx
	# test and bench
	curl jq wrk valgrind
	# browser tests: Debian's Chromium, driven by playwright-core from npm
	chromium
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# Node.js and npm run the browser tests. A machine may have them from
# another source than Debian (a nodesource nodejs bundles npm): ask for the
# commands, not for Debian's packages, so we never replace a newer node.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql package would start a system cluster on 5432; we run
# our own private one, so keep the package from starting services.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.minicrm
if [ ! -e /usr/sbin/policy-rc.d ]; then
	cp /usr/sbin/policy-rc.d.minicrm /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.minicrm
apt_flags=(-y -q -o Dpkg::Use-Pty=0)
if ! apt-get install "${apt_flags[@]}" --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install "${apt_flags[@]}" --no-install-recommends "${missing[@]}"
fi
