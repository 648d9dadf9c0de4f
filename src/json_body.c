/* json_body: strict parsing of request bodies (see json_body.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_body.h"
#include "validate.h"

/*
 * Is there a "\u0000" escape inside an object key? Walks the text once,
 * string by string; a string is a key when the next non-blank character
 * after its closing quote is a colon.
 */
static bool
nul_in_key(const char *s, size_t len)
{
	size_t	 i = 0, j;
	bool	 nul;

	while (i < len) {
		if (s[i++] != '"')
			continue;
		for (nul = false; i < len && s[i] != '"'; i++) {
			if (s[i] != '\\')
				continue;
			if (len - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0)
				nul = true;
			i++;		/* skip the escaped character */
		}
		i++;			/* the closing quote */
		if (!nul)
			continue;
		for (j = i; j < len && strchr(" \t\r\n", s[j]) != NULL; j++)
			;
		if (j < len && s[j] == ':')
			return true;
	}
	return false;
}

json_object *
json_body_parse(const char *body, size_t len, int max_depth, char *why,
    size_t whysz)
{
	struct json_tokener	*tok;
	json_object		*root;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (memchr(body, '\0', len) != NULL) {
		snprintf(why, whysz, "body contains a NUL byte");
		return NULL;
	}
	if (!utf8_valid(body, len)) {
		snprintf(why, whysz, "body is not valid UTF-8");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(max_depth)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	why[0] = '\0';
	if (jerr == json_tokener_error_depth)
		snprintf(why, whysz, "JSON nesting is deeper than %d",
		    max_depth);
	else if (jerr == json_tokener_continue ||
	    (root == NULL && jerr == json_tokener_success))
		snprintf(why, whysz, "malformed JSON: the body ends too early");
	else if (jerr != json_tokener_success)
		snprintf(why, whysz, "malformed JSON at byte %zu: %s", end,
		    json_tokener_error_desc(jerr));
	else {
		while (end < len && strchr(" \t\r\n", body[end]) != NULL)
			end++;
		if (end < len)
			snprintf(why, whysz, "malformed JSON: unexpected data "
			    "after the value at byte %zu", end);
		else if (nul_in_key(body, len))
			snprintf(why, whysz, "an object key contains a NUL "
			    "character (\\u0000)");
	}
	if (why[0] != '\0') {
		json_object_put(root);
		return NULL;
	}
	return root;
}
