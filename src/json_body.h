/*
 * json_body: a request body parsed as exactly one JSON value, refused with
 * a reason when it is not one we can store: NUL bytes, invalid UTF-8,
 * nesting deeper than the limit, data after the value, or a "\u0000" in an
 * object key (json-c would silently cut the key at the NUL, so a key could
 * arrive as a different one than was sent). Pure: no globals, no database.
 */
#ifndef MINICRM_JSON_BODY_H
#define MINICRM_JSON_BODY_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * Parse body[0..len). Returns the value (the caller frees it with
 * json_object_put), or NULL with the reason written into why.
 */
json_object	*json_body_parse(const char *body, size_t len, int max_depth,
		    char *why, size_t whysz);

#endif
