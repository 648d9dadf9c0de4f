# mk/mustache.mk - the mustache engine's own targets; the top-level Makefile
# includes it (-include mk/*.mk).
#
#   make fuzz-mustache [FUZZ_SECONDS=600]  libFuzzer (clang) over compile and
#                                          render; crashes land in
#                                          build/fuzz/artifacts-mustache/
#   make bench-mustache                    our engine vs mustache.js on the
#                                          same page, plus the memory check
#
# The unit tests (tests/unit/test_mustache_*.c) need nothing from here: the
# top-level Makefile builds and runs every tests/unit/test_*.c.

FUZZ_SECONDS ?= 600
FUZZ_CC      ?= clang
# The engine and what it uses of core: it renders into a struct buf.
MUSTACHE_SRC  = src/core/buf.c src/core/hash.c src/mustache/mustache.c src/mustache/mustache_cache.c \
                src/mustache/mustache_json.c
MUSTACHE_HDR  = src/core/buf.h src/core/hash.h src/mustache/mustache.h src/mustache/mustache_json.h

.PHONY: fuzz-mustache bench-mustache

BENCH_TARGETS += bench-mustache
# `bench:` may have been read before this file added to BENCH_TARGETS
bench: bench-mustache

build/fuzz/fuzz_mustache: tests/fuzz/fuzz_mustache.c $(MUSTACHE_SRC) $(MUSTACHE_HDR)
	@command -v $(FUZZ_CC) >/dev/null && \
	  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || \
	  { echo "installing clang and its libFuzzer runtime"; \
	    apt-get install -y clang libclang-rt-14-dev >/dev/null || \
	    { apt-get update >/dev/null && apt-get install -y clang libclang-rt-14-dev >/dev/null; }; }
	@mkdir -p build/fuzz
	@echo "CC $@ (libFuzzer, asan, ubsan)"
	@$(FUZZ_CC) -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE $(ALL_INC) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $$(pkg-config --cflags json-c) -o $@ tests/fuzz/fuzz_mustache.c \
	  $(MUSTACHE_SRC) $$(pkg-config --libs json-c) -lpthread

fuzz-mustache: build/fuzz/fuzz_mustache
	@mkdir -p build/fuzz/corpus-mustache build/fuzz/artifacts-mustache
	build/fuzz/fuzz_mustache -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/mustache.dict \
	  -artifact_prefix=build/fuzz/artifacts-mustache/ -print_final_stats=1 \
	  build/fuzz/corpus-mustache tests/fuzz/seeds

build/bench/bench_mustache: bench/mustache/bench_mustache.c build/libminicrm.a
	@mkdir -p build/bench
	@echo "LD $@"; $(CC) $(CFLAGS) $(ALL_INC) -O2 -DBENCH_WRAP_MALLOC \
	  -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc -o $@ $< \
	  build/libminicrm.a $(LDLIBS)

bench-mustache: build/bench/bench_mustache
	@bench/mustache/run.sh build/bench/bench_mustache
