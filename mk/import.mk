# mk/import.mk — the Airtable import's extra targets (docs/airtable-cutover.md;
# `make bench-import` is in the Makefile with the other benchmarks).
#
#   make fuzz-airtable [FUZZ_SECONDS=600]   libFuzzer over the export reader
#                                           and the date parser
#                                           (tests/fuzz/fuzz_airtable.c)

FUZZ_AIRTABLE_SRC = src/domain/airtable_csv.c src/domain/airtable_date.c

.PHONY: fuzz-airtable
build/fuzz/fuzz_airtable: tests/fuzz/fuzz_airtable.c $(FUZZ_AIRTABLE_SRC) $(HEADERS)
	$(fuzz_toolchain)
	@echo "CC $@ (libFuzzer, asan, ubsan)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(LIBPQ_CFLAGS) $$(pkg-config --cflags json-c) \
	  -o $@ $< $(FUZZ_AIRTABLE_SRC)

fuzz-airtable: build/fuzz/fuzz_airtable
	@mkdir -p build/fuzz/corpus-airtable build/fuzz/artifacts-airtable
	build/fuzz/fuzz_airtable $(FUZZ_RUN) -max_len=200000 \
	  -artifact_prefix=build/fuzz/artifacts-airtable/ \
	  build/fuzz/corpus-airtable tests/fuzz/seeds-airtable
