/*
 * json_body: a request body parsed as exactly one JSON value, with what
 * we cannot store refused — either the whole body or one child of its root.
 *
 * The whole body is refused when it is not one JSON value: NUL bytes,
 * invalid UTF-8, raw control characters in strings, NaN and Infinity,
 * data after the value, nesting deeper than the limit (counted in
 * containers, so 33 nested arrays are too deep even when the innermost is
 * empty), and when the root's own names are bad (a repeated name, a
 * "\u0000" in a name).
 *
 * One child of the root (an element of a batch array, or a member value of
 * an object) is refused, and the rest kept, for what is valid JSON that
 * json-c would alter without a word: a lone UTF-16 surrogate (json-c
 * stores U+FFFD, so two ids would become one), an integer beyond 64 bits
 * (json-c saturates it), a "\u0000" in a name (json-c cuts the name there,
 * so it could arrive as another), and a name repeated in one object at any
 * depth (json-c keeps the last: a caller's bug would pass as data).
 * Pure: no globals, no database.
 */
#ifndef MINICRM_JSON_BODY_H
#define MINICRM_JSON_BODY_H

#include <stddef.h>
#include <json-c/json.h>

/* One child of the root: an array element or an object member's value. */
struct json_body_part {
	size_t	 start, end;	/* its text: body[start..end) */
	char	*problem;	/* why it cannot be taken as sent, or NULL */
};

struct json_body {
	json_object		*root;
	/* The root's children in document order (an object's members in
	 * the order json_object_object_foreach gives them); none for a
	 * scalar root. */
	size_t			 nparts;
	struct json_body_part	*part;
};

/*
 * Parse body[0..len) into *jb; body[len] must be '\0'. Returns 0 (then
 * check each part's problem before using that child), or -1 with the
 * reason in why and nothing in *jb. Either way the caller releases *jb
 * with json_body_free.
 */
int	json_body_parse(struct json_body *jb, const char *body, size_t len,
	    int max_depth, char *why, size_t whysz)
	    __attribute__((warn_unused_result));

/* The first problem of any part, or NULL. Valid until json_body_free. */
const char *json_body_problem(const struct json_body *jb);

/* Frees the root and the parts; NULL-safe, and *jb may be reused. */
void	json_body_free(struct json_body *jb);

#endif
