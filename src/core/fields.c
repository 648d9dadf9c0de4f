/* fields: JSON members checked against a field table (see fields.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "validate.h"

void
fields_error(json_object *errors, const char *field, const char *message)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(errors, e);
}

const char *
fields_text_problem(const char *s, size_t len)
{
	if (strlen(s) != len)
		return "must not contain NUL characters";
	if (!utf8_valid(s, len))
		return "is not valid UTF-8";
	return NULL;
}

/* What is wrong with string s[0..len) as field fd, or NULL. */
static const char *
string_problem(const struct field *fd, const char *s, size_t len,
    void *ctx, char *msg, size_t msgsz)
{
	const char *why;

	if ((why = fields_text_problem(s, len)) != NULL)
		return why;
	if (len == 0 && !fd->empty_ok)
		return "must not be empty";
	if (utf8_length(s, len) > fd->max_chars) {
		if (fd->too_long != NULL)
			return fd->too_long;
		snprintf(msg, msgsz, "must be at most %zu characters",
		    fd->max_chars);
		return msg;
	}
	return fd->check != NULL ? fd->check(s, len, ctx) : NULL;
}

/* Check one member's value as field fd; the problem, or NULL once
 * accept has kept it. */
static const char *
member_problem_of(const struct field *fd, size_t f, size_t member,
    json_object *val, const char *parsed, field_accept accept, void *ctx,
    char *msg, size_t msgsz)
{
	const char	*s = NULL, *why;
	size_t		 len = 0;
	bool		 string = json_object_is_type(val, json_type_string);

	if (parsed != NULL && (fd->type != FIELD_JSON || string))
		return parsed;
	if (parsed == NULL) {
		if (fd->type == FIELD_STRING && !string)
			return "must be a string";
		if (fd->type == FIELD_OBJECT &&
		    !json_object_is_type(val, json_type_object))
			return "must be an object";
		if (string) {
			s = json_object_get_string(val);
			len = (size_t)json_object_get_string_len(val);
			if ((why = string_problem(fd, s, len, ctx, msg,
			    msgsz)) != NULL)
				return why;
		}
	}
	return accept(ctx, f, member, val, s, len, msg, msgsz);
}

bool
fields_check(const struct field_table *table, json_object *obj,
    const struct json_body_part *parts, field_accept accept, void *ctx,
    json_object *errors)
{
	size_t		 before = json_object_array_length(errors);
	size_t		 member = 0, f;
	bool		 present[FIELDS_MAX] = { false };
	const char	*why;
	char		 msg[128];

	if (table->n > FIELDS_MAX)
		abort();
	json_object_object_foreach(obj, key, val) {
		size_t m = member++;

		for (f = 0; f < table->n; f++)
			if (strcmp(key, table->fields[f].name) == 0)
				break;
		if (f == table->n) {
			fields_error(errors, key, table->unknown);
			continue;
		}
		if (val == NULL)	/* JSON null: the same as absent */
			continue;
		present[f] = true;
		why = member_problem_of(&table->fields[f], f, m, val,
		    parts != NULL ? parts[m].problem : NULL, accept, ctx,
		    msg, sizeof(msg));
		if (why != NULL)
			fields_error(errors, key, why);
	}
	for (f = 0; f < table->n; f++)
		if (table->fields[f].required != NULL && !present[f])
			fields_error(errors, table->fields[f].name,
			    table->fields[f].required);
	return json_object_array_length(errors) == before;
}
