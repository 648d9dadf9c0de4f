# mk/n8n.mk - the n8n workflow in a real n8n.
#
#   make test-n8n   imports docs/n8n/write-to-activity-log.json into n8n
#                   (installed once from npm, ~1.6 GB, into
#                   ~/.cache/minicrm) and runs it against a throw-away
#                   instance: logged, refused -> queued by the API, portal
#                   down -> queued by the Postgres node, then replayed
#                   (scripts/test-n8n.sh, tests/n8n/run.sh)

.PHONY: test-n8n

test-n8n: deps-test all
	@scripts/test-n8n.sh
