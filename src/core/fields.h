/*
 * fields: a JSON object's members checked against a table of fields — the
 * one loop behind every JSON intake (an activity event, the retry queue's
 * envelope, and the intakes to come).
 *
 * A table lists each field's name, type, whether it is required, its
 * length limit and a validator. fields_check() walks the object's members
 * in order: a name not in the table, a wrong type, a string with a NUL,
 * invalid UTF-8, empty (unless allowed), too long, or refused by the
 * field's validator each append {"field", "message"} to the caller's
 * errors; a JSON null is as absent; a value that passes is handed to the
 * caller's accept function, which keeps it (and may still refuse it).
 * Afterwards every required field that was absent is reported. Pure: no
 * database, no globals.
 */
#ifndef MINICRM_FIELDS_H
#define MINICRM_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "json_body.h"

enum field_type {
	FIELD_STRING,	/* a JSON string */
	FIELD_OBJECT,	/* a JSON object */
	FIELD_JSON	/* any value; a string is checked as FIELD_STRING */
};

/* A string's own rule, after the table's: the problem, or NULL. ctx is
 * fields_check's. */
typedef const char *(*field_validator)(const char *s, size_t len,
    void *ctx);

struct field {
	const char	*name;
	enum field_type	 type;
	const char	*required;	/* message when absent; NULL: optional */
	size_t		 max_chars;	/* strings: at most this many */
	const char	*too_long;	/* NULL: "must be at most N characters" */
	bool		 empty_ok;	/* "" is a value */
	field_validator	 check;		/* NULL: none */
};

/* The most fields a table may have. */
#define FIELDS_MAX	32

struct field_table {
	const struct field	*fields;
	size_t			 n;
	const char		*unknown;	/* message for another name */
};

/*
 * Keep a value that passed the table's checks: f is its index in the
 * table, member its position among obj's members, s and len its text if
 * it is a string (else NULL, 0). Returns NULL, or a problem to report for
 * it. msg (msgsz bytes) is room for a problem built on the spot.
 */
typedef const char *(*field_accept)(void *ctx, size_t f, size_t member,
    json_object *val, const char *s, size_t len, char *msg, size_t msgsz);

/*
 * Check obj's members against table, calling accept for each value that
 * passes. parts is NULL or, for each member in order, what json_body
 * found in its text (the root's parts); a member whose part has a problem
 * is refused with that problem before anything else — except a
 * FIELD_JSON field's non-string value, which goes to accept as it is (the
 * caller may keep its text instead). Appends to errors (a json array the
 * caller owns). Returns true when nothing was appended. A table of more
 * than FIELDS_MAX fields is a programming error: it aborts.
 */
bool	fields_check(const struct field_table *table, json_object *obj,
	    const struct json_body_part *parts, field_accept accept,
	    void *ctx, json_object *errors);

/* What makes a decoded JSON string unstorable as text (a NUL, invalid
 * UTF-8), or NULL. */
const char	*fields_text_problem(const char *s, size_t len);

/* Append {"field": field, "message": message} to errors. */
void	fields_error(json_object *errors, const char *field,
	    const char *message);

#endif
