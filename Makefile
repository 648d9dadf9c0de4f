# minicrm — every entry point a person needs:
#   make run     install what is missing, build, start PostgreSQL, FastCGI, nginx
#                (MINICRM_PORT=8081 make run: another port than 8080)
#   make stop    stop what `make run` started
#   make test    build, start a throw-away instance, run every test, tear it down
#   make bench   the benchmarks under bench/
#   make psql    psql on the instance's database
#   make install as root: a service under systemd behind nginx (PREFIX,
#                DESTDIR; mk/install.mk, docs/install.md)

CC      ?= cc
PKGS     = json-c libpq libsodium libcurl libcrypto zlib
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -pthread \
           $(shell pkg-config --cflags json-c libsodium libcurl libcrypto 2>/dev/null)
# libpq's headers are the database layer's alone: only the stores in
# src/db/ read query results (docs/hacking.md), and elsewhere an include
# of libpq-fe.h does not compile. The tests and benchmarks may use them.
LIBPQ_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null)

# src/ holds one folder per layer (docs/hacking.md). A library file sees
# the headers of its own layer and of the layers below it, no others: a
# page included from the database layer is a compile error, not a habit.
# Programs, the CLI and the tests see every layer.
LAYERS         = core mustache db http domain jobs portal cli
LAYER_core     = core
LAYER_mustache = core mustache
LAYER_db       = core db
LAYER_http     = core http
LAYER_domain   = core db mustache domain
LAYER_jobs     = core db mustache domain jobs
LAYER_portal   = core db domain http mustache portal
LAYER_cli      = $(LAYERS)
layer_inc      = $(addprefix -Isrc/,$(LAYER_$(firstword $(subst /, ,$(1))))) \
                 $(if $(filter db/%,$(1)),$(LIBPQ_CFLAGS))
ALL_INC        = $(addprefix -Isrc/,$(LAYERS))
HEADERS        = $(wildcard src/*/*.h src/*/*.def)
# --as-needed: each program maps only the libraries it calls (api.fcgi no
# libcurl), which is resident memory in every process.
LDFLAGS += -Wl,--as-needed
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfcgi -lpthread

LIB_SRC  = $(filter-out src/cli/%,$(wildcard src/*/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=build/%.o)
CLI_SRC  = $(wildcard src/cli/*.c)
CLI_OBJ  = $(CLI_SRC:src/%.c=build/%.o)
FCGI     = cgi-bin/api.fcgi cgi-bin/admin.fcgi
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/tests/%)
UNIT_SAN = $(UNIT_SRC:tests/unit/%.c=build/san/%)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BENCH_TARGETS = bench-ingest bench-health bench-deenroll bench-nurture-webhook bench-nurture-sender bench-nurture-scheduler bench-observe bench-import bench-test-mode
BENCH_TARGETS += bench-restore

.PHONY: all deps deps-test run stop reload test unit unit-san unit-valgrind http bench psql clean
all: build/libminicrm.a bin/minicrm $(FCGI)

# What building and running need (make run), and what the tests and
# benchmarks add (make test, make bench): scripts/deps.sh run|test.
deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

build/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS) $(call layer_inc,$*) -c -o $@ $<

build/libminicrm.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

bin/minicrm: $(CLI_OBJ) build/libminicrm.a
	@mkdir -p bin
	@echo "LD $@"; $(CC) $(CFLAGS) $(ALL_INC) $(LDFLAGS) -o $@ $(CLI_OBJ) build/libminicrm.a $(LDLIBS)

cgi-bin/%.fcgi: cgi-bin/%.c build/libminicrm.a $(HEADERS)
	@echo "LD $@"; $(CC) $(CFLAGS) $(ALL_INC) $(LDFLAGS) -o $@ $< build/libminicrm.a $(LDLIBS)

build/tests/%: tests/unit/%.c build/libminicrm.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(CFLAGS) $(ALL_INC) $(LIBPQ_CFLAGS) -o $@ $< build/libminicrm.a $(LDLIBS)

# The sanitizer build compiles the library once more with the sanitizers
# on, into its own archive, which every sanitized test links.
SAN_OBJ  = $(LIB_SRC:src/%.c=build/san/obj/%.o)

build/san/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC $< (asan, ubsan)"; $(CC) $(CFLAGS) $(call layer_inc,$*) $(SANFLAGS) -c -o $@ $<

build/san/libminicrm.a: $(SAN_OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/san/%: tests/unit/%.c build/san/libminicrm.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "LD $@ (asan, ubsan)"; $(CC) $(CFLAGS) $(ALL_INC) $(LIBPQ_CFLAGS) $(SANFLAGS) -o $@ $< build/san/libminicrm.a $(LDLIBS)

unit: $(UNIT_BIN)
	@scripts/run-each.sh $(UNIT_BIN)

unit-san: $(UNIT_SAN)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-each.sh $(UNIT_SAN)

unit-valgrind: $(UNIT_BIN)
	@scripts/run-each.sh --valgrind $(UNIT_BIN)

run: deps all
	@scripts/instance.sh up

stop:
	@scripts/instance.sh down

# Read edited templates again without a restart (SIGHUP to admin.fcgi).
reload:
	@scripts/instance.sh reload

psql:
	@scripts/instance.sh psql

test: deps-test all
	@scripts/test.sh

bench: deps-test all $(BENCH_TARGETS)

bench-ingest: all
	@bench/ingest.sh

bench-health: all
	@bench/health.sh

bench-deenroll: all
	@bench/deenroll.sh

bench-nurture-webhook: all
	@bench/nurture_webhook.sh

bench-nurture-sender: all
	@bench/nurture_sender.sh

bench-nurture-scheduler: all
	@bench/nurture_scheduler.sh

bench-observe: all
	@bench/observe.sh
bench-import: all
	@bench/import.sh
bench-test-mode: all
	@bench/test_mode.sh
bench-restore: all
	@bench/restore.sh

clean:
	rm -rf build bin $(FCGI)

-include mk/*.mk
