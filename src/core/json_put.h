/*
 * json_put: adding members to a json-c object the way the pages and the
 * stores' template data need them — a NULL string leaves the key out, so
 * a template's {{^key}} shows its "none".
 */
#ifndef MINICRM_JSON_PUT_H
#define MINICRM_JSON_PUT_H

#include <json-c/json.h>

/* key: value as a JSON string, unless value is NULL (key stays absent). */
void	json_put_string(json_object *o, const char *key, const char *value);

/* key: value as a JSON number. */
void	json_put_int(json_object *o, const char *key, long long value);

#endif
