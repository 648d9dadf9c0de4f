/* portal_keys: the API keys page: create (shown once), list, revoke. */
#include <stddef.h>

#include "portal.h"

const struct portal_route portal_keys_routes[] = {
	{ NULL, NULL, PORTAL_ANYONE, NULL }
};
