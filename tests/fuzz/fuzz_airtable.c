/*
 * fuzz_airtable.c - libFuzzer harness over the Airtable export reader
 * (src/domain/airtable_csv.c) and its date parser (airtable_date.c), what
 * `minicrm import airtable` runs over a file an operator downloaded.
 *
 * Input: the file, as is. The contract checked: the reader ends (0) after
 * finitely many records, each with at least one field; every field is a
 * NUL-terminated string no longer than the input; the fields of a record
 * together hold at most the input's bytes; a record starts on a line no
 * later than the next; every field given to the date parser (both orders)
 * either fails or gives a time after 1900. Build and run:
 * make fuzz-airtable [FUZZ_SECONDS=600].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct airtable_csv	 c;
	FILE			*f;
	size_t			 i, total, records = 0;
	long			 last_line = 0;
	int64_t			 usec;
	int			 rc;

	if (size == 0 || (f = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	airtable_csv_open(&c, f);
	while ((rc = airtable_csv_next(&c)) == 1) {
		if (c.nfields == 0 || c.line < last_line ||
		    ++records > size + 1)
			abort();
		last_line = c.line;
		for (i = 0, total = 0; i < c.nfields; i++) {
			const char *s = airtable_csv_field(&c, i);
			size_t n = strlen(s);

			if (n > size)
				abort();
			total += n;
			if (airtable_date_parse(s, AIRTABLE_MDY, true,
			    &usec) == 0 && usec < -2208988800LL * 1000000)
				abort();
			if (airtable_date_parse(s, AIRTABLE_DMY, true,
			    &usec) == 0 && usec < -2208988800LL * 1000000)
				abort();
		}
		if (total > size)
			abort();
	}
	if (rc != 0)
		abort();
	airtable_csv_close(&c);
	fclose(f);
	return 0;
}
