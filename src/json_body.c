/* json_body: strict parsing of request bodies (see json_body.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "json_body.h"
#include "validate.h"

/* The value of the 4 hex digits at s, or -1. */
static long
hex4(const char *s)
{
	long	 v = 0;
	int	 i;

	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Scan the string starting after the opening quote at s[*i]. Refuses what
 * json-c would let through or change: raw control characters, and lone
 * UTF-16 surrogates (json-c turns them into U+FFFD, so two different ids
 * would become one). Sets *nul if the string holds a \u0000.
 */
static const char *
scan_string(const char *s, size_t len, size_t *i, bool *nul)
{
	long	 cp, low;

	for (*nul = false; *i < len && s[*i] != '"'; (*i)++) {
		if ((unsigned char)s[*i] < 0x20)
			return "malformed JSON: a control character inside a "
			    "string must be escaped";
		if (s[*i] != '\\')
			continue;
		if (++(*i) >= len || s[*i] != 'u')
			continue;
		if (len - *i < 5 || (cp = hex4(s + *i + 1)) < 0)
			return NULL;	/* json-c reports the bad escape */
		*i += 4;
		if (cp == 0)
			*nul = true;
		else if (cp >= 0xdc00 && cp <= 0xdfff)
			return "a string holds a lone UTF-16 surrogate";
		else if (cp >= 0xd800 && cp <= 0xdbff) {
			if (len - *i < 7 || s[*i + 1] != '\\' || s[*i + 2] != 'u' ||
			    (low = hex4(s + *i + 3)) < 0xdc00 || low > 0xdfff)
				return "a string holds a lone UTF-16 surrogate";
			*i += 6;
		}
	}
	(*i)++;		/* the closing quote */
	return NULL;
}

/* An integer literal that does not fit in 64 bits, at s[start..end)? */
static bool
integer_overflows(const char *s, size_t start, size_t end)
{
	char	 digits[48];
	size_t	 n = end - start, k;

	for (k = start; k < end; k++)
		if (s[k] == '.' || s[k] == 'e' || s[k] == 'E')
			return false;	/* a float: json-c keeps a double */
	if (n >= sizeof(digits))
		return true;
	memcpy(digits, s + start, n);
	digits[n] = '\0';
	errno = 0;
	(void)strtoll(digits, NULL, 10);
	return errno == ERANGE;
}

/*
 * What json-c (even in strict mode) accepts or alters but we must not
 * store: see scan_string, NaN and Infinity, integers beyond 64 bits
 * (json-c saturates them), and a \u0000 in an object key (json-c cuts the
 * key there, so a key would arrive as another one). NULL if none.
 */
static const char *
scan_text(const char *s, size_t len)
{
	const char	*why;
	size_t		 i = 0, j;
	bool		 nul;

	while (i < len) {
		if (s[i] == '"') {
			i++;
			if ((why = scan_string(s, len, &i, &nul)) != NULL)
				return why;
			for (j = i; j < len && strchr(" \t\r\n", s[j]); j++)
				;
			if (nul && j < len && s[j] == ':')
				return "an object key contains a NUL character "
				    "(\\u0000)";
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			for (j = i + 1; j < len && (strchr("+-.eE", s[j]) ||
			    (s[j] >= '0' && s[j] <= '9')); j++)
				;
			if (integer_overflows(s, i, j))
				return "a number does not fit in 64 bits (send "
				    "it as a string)";
			i = j;
		} else if (isalpha((unsigned char)s[i])) {
			for (j = i; j < len && isalpha((unsigned char)s[j]); j++)
				;
			if (!((j - i == 4 && (memcmp(s + i, "true", 4) == 0 ||
			    memcmp(s + i, "null", 4) == 0)) ||
			    (j - i == 5 && memcmp(s + i, "false", 5) == 0)))
				return "malformed JSON: only true, false and "
				    "null are allowed outside strings (no NaN "
				    "or Infinity)";
			i = j;
		} else
			i++;
	}
	return NULL;
}

json_object *
json_body_parse(const char *body, size_t len, int max_depth, char *why,
    size_t whysz)
{
	struct json_tokener	*tok;
	json_object		*root;
	enum json_tokener_error	 jerr;
	const char		*problem;
	size_t			 end;

	if (memchr(body, '\0', len) != NULL) {
		snprintf(why, whysz, "body contains a NUL byte");
		return NULL;
	}
	if (!utf8_valid(body, len)) {
		snprintf(why, whysz, "body is not valid UTF-8");
		return NULL;
	}
	if ((problem = scan_text(body, len)) != NULL) {
		snprintf(why, whysz, "%s", problem);
		return NULL;
	}
	/* json-c counts a scalar inside the deepest container as a level. */
	if ((tok = json_tokener_new_ex(max_depth + 1)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	/* Parsing the terminating NUL too tells json-c the input ends, so
	 * a bare top-level number or literal is complete. */
	root = json_tokener_parse_ex(tok, body, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	why[0] = '\0';
	if (jerr == json_tokener_error_depth)
		snprintf(why, whysz, "JSON nesting is deeper than %d",
		    max_depth);
	else if (jerr == json_tokener_continue ||
	    jerr == json_tokener_error_parse_eof)
		snprintf(why, whysz, "malformed JSON: the body ends too early");
	else if (jerr != json_tokener_success)
		snprintf(why, whysz, "malformed JSON at byte %zu: %s", end,
		    json_tokener_error_desc(jerr));
	else if (root == NULL)
		snprintf(why, whysz, "the body must be an event object or an "
		    "array of them, not null");
	/* Strict mode refuses anything but white space after the value. */
	if (why[0] != '\0') {
		json_object_put(root);
		return NULL;
	}
	return root;
}
