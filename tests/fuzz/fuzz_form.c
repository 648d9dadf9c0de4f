/*
 * fuzz_form.c - libFuzzer harness over form_parse (session_http.c), the
 * application/x-www-form-urlencoded decoder behind every portal form and
 * the portal's query strings.
 *
 * Input: the body, as is. The contract checked: either FORM_OK with at most
 * FORM_MAX_FIELDS fields, each name and value NUL-terminated, valid UTF-8,
 * free of NULs and no longer than the body; or a form_error with nothing
 * kept. form_get finds every parsed name. form_free leaves nothing behind.
 * Build and run: make fuzz-form [FUZZ_SECONDS=600].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_http.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f;
	size_t		 i, nl;
	int		 rc;

	rc = form_parse(&f, (const char *)data, size);
	if (rc != FORM_OK) {
		if (f.buf != NULL || f.n != 0 || rc >= 0 ||
		    strcmp(form_strerror(rc), "unknown form error") == 0)
			abort();
		form_free(&f);
		return 0;
	}
	if (f.n > FORM_MAX_FIELDS || size > FORM_MAX_BYTES)
		abort();
	for (i = 0; i < f.n; i++) {
		const struct form_field *ff = &f.field[i];

		nl = strlen(ff->name);
		if (nl > size || ff->value_len > size ||
		    strlen(ff->value) != ff->value_len ||
		    !utf8_valid(ff->name, nl) ||
		    !utf8_valid(ff->value, ff->value_len))
			abort();
		/* The first field of that name answers form_get. */
		if (form_get(&f, ff->name) == NULL)
			abort();
	}
	form_free(&f);
	if (f.buf != NULL || f.n != 0)
		abort();
	form_free(&f);		/* twice is harmless */
	return 0;
}
