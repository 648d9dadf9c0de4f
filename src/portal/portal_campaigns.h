/*
 * portal_campaigns: the campaign pages — portal_campaigns.c (the list per
 * client with the drift check, "recalculate", its CSV) and
 * portal_campaign.c (one campaign: its steps, its leads by state, their
 * CSV, completions per day) — and their handlers for admin.c's route
 * table. Not for other modules.
 */
#ifndef MINICRM_PORTAL_CAMPAIGNS_H
#define MINICRM_PORTAL_CAMPAIGNS_H

#include <json-c/json.h>

#include "db_campaign_pages.h"
#include "portal.h"

/*
 * A campaign as the template shows it: its fields, and each of the four
 * counts as {kept, actual, drift}, drift true where the campaign's count
 * is not what its leads give (the SOP's drift check). The caller owns it.
 */
json_object	*campaign_json(const struct db_campaign *);

/*
 * The handlers, for admin.c's route table: GET /campaigns, GET
 * /campaigns/export.csv, POST /campaigns/recalculate, GET
 * /campaigns/{uuid}, GET /campaigns/{uuid}/leads.csv; {uuid} is checked
 * by the router (PORTAL_ARG_CAMPAIGN_UUID).
 */
void	campaigns_page(struct visit *);
void	campaigns_export(struct visit *);
void	campaigns_recalculate_post(struct visit *);
void	campaign_page(struct visit *);
void	campaign_leads_export(struct visit *);

#endif
