/* portal_retry: the retry queue pages. */
#include <stddef.h>

#include "portal.h"

const struct portal_route portal_retry_routes[] = {
	{ NULL, NULL, PORTAL_ANYONE, NULL }
};
