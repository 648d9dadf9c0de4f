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
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$here/package-lock.json" "$stamp"
fi

exec node "$here/portal.test.mjs"
