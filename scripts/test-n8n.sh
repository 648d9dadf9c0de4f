#!/usr/bin/env bash
# test-n8n.sh — what `make test-n8n` runs: a throw-away instance, and
# docs/n8n's workflows run in a real n8n against it (tests/n8n/run.sh),
# once for each tested n8n version (N8N_VERSIONS, default the last 1.x and
# 2.8.4, the newest 2.x that runs on Node 20). Fails if any check fails
# on any version.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source "$top/scripts/throwaway.sh"
throwaway_start "${MINICRM_TEST_PORT:-18880}"
throwaway_up || exit 1
rc=0
for v in ${N8N_VERSIONS:-1.123.81 2.8.4}; do
	echo "== n8n $v"
	start=$SECONDS
	bash tests/n8n/run.sh "$v" || rc=1
	echo "== n8n $v: $((SECONDS - start)) s"
done
exit $rc
