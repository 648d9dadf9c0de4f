# mk/n8n.mk - the n8n workflows in a real n8n.
#
#   make test-n8n   imports docs/n8n/write-to-activity-log.json and
#                   example-caller.json into n8n 1.123.81 and 2.8.4
#                   (N8N_VERSIONS; each installed once from npm, ~1.6 GB,
#                   into ~/.cache/minicrm) and runs them against a
#                   throw-away instance: logged; a lost reply retried and
#                   stored once; refused -> kept for review; 5xx -> queued
#                   by the API; portal down -> queued by the Postgres node,
#                   then replayed; key revoked -> the caller fails
#                   (scripts/test-n8n.sh, tests/n8n/run.sh)

.PHONY: test-n8n

test-n8n: deps-test all
	@scripts/test-n8n.sh
