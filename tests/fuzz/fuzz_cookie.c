/*
 * fuzz_cookie.c - libFuzzer harness over the Cookie header parser
 * (session_cookie_get, session_http.c) and the Set-Cookie writer that
 * sends a value back.
 *
 * Input: byte 0 picks the cookie name (the four the portal reads, or a
 * name taken from the input up to its first '\n') and the size of the
 * output buffer; the rest is the Cookie header (cut at a NUL, as a
 * FastCGI parameter would be). The contract checked: a found value is
 * non-empty, fits, holds only cookie octets, appears in the header, and
 * can be written back with session_set_cookie; a refusal writes nothing
 * that matters. Build and run: make fuzz-cookie [FUZZ_SECONDS=600].
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t outsizes[8] = { 1, 2, 3, 8, 16, 44, 64, 256 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[4] = { SESSION_COOKIE,
	    SESSION_COOKIE_TLS, LOGIN_COOKIE, LOGIN_COOKIE_TLS };
	char		*header, *name = NULL, *out, line[SESSION_SETCOOKIE_MAX];
	const char	*cname, *nl;
	size_t		 outsz, vlen, i, hlen;
	bool		 secure;
	int		 rc, pick;

	if (size < 1)
		return 0;
	pick = data[0];
	secure = pick & 0x80;
	outsz = outsizes[(pick >> 2) & 7];
	data++;
	size--;
	if (pick & 0x40) {
		nl = memchr(data, '\n', size);
		i = nl ? (size_t)(nl - (const char *)data) : size;
		if ((name = malloc(i + 1)) == NULL)
			return 0;
		memcpy(name, data, i);
		name[i] = '\0';
		cname = name;
		if (nl != NULL)
			i++;
		data += i;
		size -= i;
	} else
		cname = names[pick & 3];
	if ((header = malloc(size + 1)) == NULL || (out = malloc(outsz)) ==
	    NULL) {
		free(header);
		free(name);
		return 0;
	}
	memcpy(header, data, size);
	header[size] = '\0';
	hlen = strlen(header);

	rc = session_cookie_get(header, cname, out, outsz);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == 0) {
		vlen = strnlen(out, outsz);
		if (vlen == 0 || vlen >= outsz || vlen > hlen ||
		    strstr(header, out) == NULL)
			abort();
		for (i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)out[i];

			if (c < 0x21 || c > 0x7e || c == '"' || c == ',' ||
			    c == ';' || c == '\\')
				abort();
		}
		/* A value read can be sent back under a portal name. */
		if (vlen + 120 < sizeof(line) &&
		    session_set_cookie(line, sizeof(line),
		    names[pick & 3], out, 3600, secure) != 0)
			abort();
	}
	/* Whatever the header holds, the writer refuses or writes one line. */
	if (hlen < 64 && session_set_cookie(line, sizeof(line), cname,
	    header, (long)(hlen % 3) - 1, secure) == 0 &&
	    (strchr(line, '\n') != line + strlen(line) - 1 ||
	    strncmp(line, "Set-Cookie: ", 12) != 0))
		abort();
	(void)session_https(header);
	(void)session_is_form(header);
	free(out);
	free(header);
	free(name);
	return 0;
}
