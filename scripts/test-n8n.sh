#!/usr/bin/env bash
# test-n8n.sh — what `make test-n8n` runs: a throw-away instance and the
# docs/n8n workflow run in a real n8n against it (tests/n8n/run.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source "$top/scripts/throwaway.sh"
throwaway_start "${MINICRM_TEST_PORT:-18880}"
throwaway_up || exit 1
bash tests/n8n/run.sh
