/*
 * json_scan: the one pass over a request body's text that json_body makes
 * before json-c parses it. It finds what json-c would accept or alter
 * without a word, where in the body it is, and the shape json-c cannot
 * report: the root's children (array elements or member values) with their
 * byte spans, and how many members each object has in the text (json-c
 * keeps one of a repeated name, so fewer members after parsing means a
 * repeated name). Internal to json_body; pure, no globals.
 */
#ifndef MINICRM_JSON_SCAN_H
#define MINICRM_JSON_SCAN_H

#include <stddef.h>

#include "json_body.h"

#define JSON_SCAN_NONE	((size_t)-1)

/* An object in the text, in document order (its '{' first). */
struct json_scan_obj {
	size_t	 start;		/* offset of its '{' */
	size_t	 members;	/* names in the text, repeats included */
	size_t	 part;		/* the root's child it is in; NONE: the root */
};

struct json_scan {
	struct json_body_part	*part;	/* the root's children, in order */
	size_t			 nparts, partcap;
	struct json_scan_obj	*obj;
	size_t			 nobjs, objcap;
};

/*
 * Scan s[0..len) (no NUL bytes, valid UTF-8). Returns 0 with sc filled:
 * a problem inside one of the root's children is that child's (a string
 * the caller frees with json_scan_free, unless it takes the parts). Returns
 * -1 with the reason in why when the body as a whole cannot be taken: not
 * JSON (raw control characters, NaN), nested deeper than max_depth
 * containers, a problem in the root's own names or in a root scalar, or
 * out of memory. Either way the caller calls json_scan_free(sc).
 */
int	json_scan(struct json_scan *sc, const char *s, size_t len,
	    int max_depth, char *why, size_t whysz);

/* Frees the arrays and the parts' problems; NULL-safe, idempotent. */
void	json_scan_free(struct json_scan *sc);

#endif
