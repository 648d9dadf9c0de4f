/*
 * portal_dashboard: the front page's handler, for admin.c's route table
 * (portal_dashboard.c says what it answers).
 */
#ifndef MINICRM_PORTAL_DASHBOARD_H
#define MINICRM_PORTAL_DASHBOARD_H

#include "portal.h"

void	dashboard_page(struct visit *);		/* GET / */

#endif
