/* portal_lead_actions: the actions on a lead: add a note, change status, mark opted out. */
#include <stddef.h>

#include "portal.h"

const struct portal_route portal_lead_actions_routes[] = {
	{ NULL, NULL, PORTAL_ANYONE, NULL }
};
