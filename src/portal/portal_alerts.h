/*
 * portal_alerts: the alert history (portal_alerts.c), for the SOP's
 * weekly alert review, and its handlers for admin.c's route table. Not
 * for other modules.
 */
#ifndef MINICRM_PORTAL_ALERTS_H
#define MINICRM_PORTAL_ALERTS_H

#include "portal.h"

void	alerts_page(struct visit *);
void	alerts_export(struct visit *);

#endif
