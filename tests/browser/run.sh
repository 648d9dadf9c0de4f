#!/usr/bin/env bash
# run.sh — the browser tests (portal.test.mjs) in Debian's Chromium, driven
# by playwright-core from npm. scripts/test.sh runs it against its
# throw-away instance; by hand, point it at a dev instance:
#   MINICRM_PORT=.. MINICRM_CONF=.. bash tests/browser/run.sh
# Installs the pinned playwright-core (package-lock.json) into
# tests/browser/node_modules with `npm ci` when it is missing or stale.
# Screenshots go to $MINICRM_BROWSER_OUT (default tests/out/browser).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${MINICRM_PORT:?set MINICRM_PORT (the instance's port)}"
: "${MINICRM_CONF:?set MINICRM_CONF (the instance's minicrm.conf)}"
export MINICRM_CHROMIUM=${MINICRM_CHROMIUM:-/usr/bin/chromium}

for need in node npm psql "$MINICRM_CHROMIUM"; do
	command -v "$need" >/dev/null || {
		echo "browser tests: $need not found (make deps installs chromium, nodejs, npm)" >&2
		exit 1
	}
done

# npm ci wipes node_modules and installs exactly the lock file; do it only
# when the lock file differs from the one installed last.
stamp=$here/node_modules/.minicrm-package-lock.json
if ! cmp -s "$here/package-lock.json" "$stamp"; then
	if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
		registry=$(npm config get registry 2>/dev/null || echo '?')
		cat >&2 <<-EOF
		browser tests: npm ci could not install playwright-core (tests/browser/package-lock.json).
		  npm's own error is above. Check, in this order:
		  - the registry, now $registry: can this machine reach it?
		      npm ping; curl -sI ${registry%/}/playwright-core
		    another registry or mirror: npm config set registry URL
		  - a proxy: HTTPS_PROXY / HTTP_PROXY in the environment, or
		      npm config set proxy URL; npm config set https-proxy URL
		  - a proxy that re-signs TLS (SELF_SIGNED_CERT_IN_CHAIN,
		    UNABLE_TO_GET_ISSUER_CERT_LOCALLY): trust its CA with
		      export NODE_EXTRA_CA_CERTS=/path/to/proxy-ca.pem  (or npm config set cafile ...)
		    never strict-ssl=false
		  - no network at all: copy tests/browser/node_modules from a machine where
		    npm ci worked (same package-lock.json), then run again
		EOF
		exit 1
	fi
	cp "$here/package-lock.json" "$stamp"
fi

exec node "$here/portal.test.mjs"
