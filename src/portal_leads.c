/* portal_leads: the leads search, the lead timeline and the activity log. */
#include <stddef.h>

#include "portal.h"

const struct portal_route portal_leads_routes[] = {
	{ NULL, NULL, PORTAL_ANYONE, NULL }
};
