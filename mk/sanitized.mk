# mk/sanitized.mk - the servers under the sanitizers.
#
#   make test-sanitized   api.fcgi, admin.fcgi, the worker and the CLI built
#                         with ASan and UBSan (in a copy of the tree) serve
#                         every HTTP test; any sanitizer report fails
#                         (scripts/test-sanitized.sh)

.PHONY: test-sanitized

test-sanitized: deps-test
	@scripts/test-sanitized.sh
