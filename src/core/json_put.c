/* json_put: adding members to json-c objects (see json_put.h). */
#include "json_put.h"

void
json_put_string(json_object *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
}

void
json_put_int(json_object *o, const char *key, long long value)
{
	json_object_object_add(o, key, json_object_new_int64(value));
}
