/*
 * json_body: a request body parsed as exactly one JSON value, refused with
 * a reason when it is not one we can store: NUL bytes, invalid UTF-8,
 * nesting deeper than the limit, data after the value — and what json-c
 * accepts or alters even in strict mode: raw control characters in
 * strings, lone UTF-16 surrogates, NaN and Infinity, integers beyond 64
 * bits, and a "\u0000" in an object key (json-c cuts the key at the NUL,
 * so a key could arrive as another one). Pure: no globals, no database.
 */
#ifndef MINICRM_JSON_BODY_H
#define MINICRM_JSON_BODY_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * Parse body[0..len); body[len] must be '\0' (it marks the end of the
 * input for the parser). Returns the value (the caller frees it with
 * json_object_put), or NULL with the reason written into why.
 */
json_object	*json_body_parse(const char *body, size_t len, int max_depth,
		    char *why, size_t whysz);

#endif
