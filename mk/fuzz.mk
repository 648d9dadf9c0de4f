# mk/fuzz.mk - libFuzzer (clang, ASan, UBSan) over the parsers that read
# what a client sends; the top-level Makefile includes it (-include mk/*.mk).
#
#   make fuzz [FUZZ_SECONDS=600]   every target below, one after the other
#                                  (with -j2, two at a time)
#   make fuzz-json                 json_body_parse + the event checks
#   make fuzz-form                 form_parse (portal forms, query strings)
#   make fuzz-cookie               session_cookie_get + session_set_cookie
#   make fuzz-mustache             the template engine (mk/mustache.mk)
#
# Each run starts from tests/fuzz/seeds-<target>/ and keeps what it learns in
# build/fuzz/corpus-<target>/; a crash lands in build/fuzz/artifacts-<target>/.
# A finding, once fixed, becomes a unit test (tests/unit/) fed the crashing
# input, so `make unit` keeps it fixed without clang.

FUZZ_SECONDS ?= 600
FUZZ_CC      ?= clang
FUZZ_CFLAGS   = -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE $(ALL_INC) -g -O1 \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUN      = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1

# The sources each harness links: the parser and what it calls, nothing that
# needs a database or FastCGI.
FUZZ_JSON_SRC   = src/core/json_body.c src/core/json_scan.c src/core/fields.c src/domain/event.c src/core/validate.c
FUZZ_FORM_SRC   = src/http/session_http.c src/core/validate.c
FUZZ_COOKIE_SRC = src/http/session_http.c src/core/validate.c

.PHONY: fuzz fuzz-json fuzz-form fuzz-cookie
fuzz: fuzz-json fuzz-form fuzz-cookie fuzz-mustache

# clang and its libFuzzer runtime, installed when missing (as root).
define fuzz_toolchain
	@command -v $(FUZZ_CC) >/dev/null && \
	  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || \
	  { echo "installing clang and its libFuzzer runtime"; \
	    apt-get install -y clang libclang-rt-14-dev >/dev/null || \
	    { apt-get update >/dev/null && apt-get install -y clang libclang-rt-14-dev >/dev/null; }; }
	@mkdir -p build/fuzz
endef

build/fuzz/fuzz_json: tests/fuzz/fuzz_json.c $(FUZZ_JSON_SRC) $(HEADERS)
	$(fuzz_toolchain)
	@echo "CC $@ (libFuzzer, asan, ubsan)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $$(pkg-config --cflags json-c libsodium) \
	  -o $@ $< $(FUZZ_JSON_SRC) $$(pkg-config --libs json-c libsodium)

build/fuzz/fuzz_form: tests/fuzz/fuzz_form.c $(FUZZ_FORM_SRC) $(HEADERS)
	$(fuzz_toolchain)
	@echo "CC $@ (libFuzzer, asan, ubsan)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $$(pkg-config --cflags libsodium) \
	  -o $@ $< $(FUZZ_FORM_SRC) $$(pkg-config --libs libsodium)

build/fuzz/fuzz_cookie: tests/fuzz/fuzz_cookie.c $(FUZZ_COOKIE_SRC) $(HEADERS)
	$(fuzz_toolchain)
	@echo "CC $@ (libFuzzer, asan, ubsan)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $$(pkg-config --cflags libsodium) \
	  -o $@ $< $(FUZZ_COOKIE_SRC) $$(pkg-config --libs libsodium)

# max_len: a whole batch for json (past the 64 KiB event limit), a form at
# its limit, a long Cookie header.
fuzz-json: build/fuzz/fuzz_json
	@mkdir -p build/fuzz/corpus-json build/fuzz/artifacts-json
	build/fuzz/fuzz_json $(FUZZ_RUN) -max_len=131072 \
	  -dict=tests/fuzz/json.dict -artifact_prefix=build/fuzz/artifacts-json/ \
	  build/fuzz/corpus-json tests/fuzz/seeds-json

fuzz-form: build/fuzz/fuzz_form
	@mkdir -p build/fuzz/corpus-form build/fuzz/artifacts-form
	build/fuzz/fuzz_form $(FUZZ_RUN) -max_len=70000 \
	  -dict=tests/fuzz/form.dict -artifact_prefix=build/fuzz/artifacts-form/ \
	  build/fuzz/corpus-form tests/fuzz/seeds-form

fuzz-cookie: build/fuzz/fuzz_cookie
	@mkdir -p build/fuzz/corpus-cookie build/fuzz/artifacts-cookie
	build/fuzz/fuzz_cookie $(FUZZ_RUN) -max_len=8192 \
	  -dict=tests/fuzz/cookie.dict -artifact_prefix=build/fuzz/artifacts-cookie/ \
	  build/fuzz/corpus-cookie tests/fuzz/seeds-cookie
