/* auth_role: the portal's roles, by name (see auth.h); static strings. */
#include <string.h>

#include "auth_internal.h"

int
auth_role_parse(const char *s, enum auth_role *role)
{
	if (s != NULL && strcmp(s, "admin") == 0)
		*role = AUTH_ROLE_ADMIN;
	else if (s != NULL && strcmp(s, "viewer") == 0)
		*role = AUTH_ROLE_VIEWER;
	else
		return -1;
	return 0;
}

const char *
auth_role_name(enum auth_role role)
{
	return role == AUTH_ROLE_ADMIN ? "admin" : "viewer";
}

bool
auth_role_can_write(enum auth_role role)
{
	return role == AUTH_ROLE_ADMIN;
}

enum auth_role
auth_role_of(const char *name)
{
	return strcmp(name, "admin") == 0 ? AUTH_ROLE_ADMIN : AUTH_ROLE_VIEWER;
}
