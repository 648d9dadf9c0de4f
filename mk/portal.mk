# mk/portal.mk - the admin portal's benchmark (issue 4); the top-level
# Makefile includes it (-include mk/*.mk).
#
#   make bench-portal   100,000 leads and 10,000,000 events on a throw-away
#                       instance; timeline pages and the leads search through
#                       nginx against the same SQL run by pgbench
#                       (bench/portal.sh; BENCH_LEADS, BENCH_EVENTS,
#                       BENCH_SECONDS make it smaller or shorter)

.PHONY: bench-portal

BENCH_TARGETS += bench-portal
# `bench:` may have been read before this file added to BENCH_TARGETS
bench: bench-portal

build/bench/portal_sql: bench/portal_sql.c build/libminicrm.a
	@mkdir -p build/bench
	@echo "LD $@"; $(CC) $(CFLAGS) $(ALL_INC) $(LIBPQ_CFLAGS) -o $@ $< build/libminicrm.a $(LDLIBS)

bench-portal: all build/bench/portal_sql
	@bench/portal.sh
