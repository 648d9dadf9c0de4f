/*
 * portal_deenroll: the de-enrollment pages — portal_deenroll.c (the runs
 * with their filters and CSV, the per-client health judged by the SOP's
 * thresholds, "run now") and portal_deenroll_run.c (one run and its lead
 * log, with its CSV) — and their handlers for admin.c's route table. Not
 * for other modules.
 */
#ifndef MINICRM_PORTAL_DEENROLL_H
#define MINICRM_PORTAL_DEENROLL_H

#include <json-c/json.h>

#include "db_deenroll_pages.h"
#include "portal.h"

/* A run as the templates show it (every column by name). The caller
 * owns the object. */
json_object	*deenroll_run_json(const struct db_deenroll_run *);

/*
 * The per-client health (deenroll_health_read, judged by the SOP's
 * thresholds) into data, for the runs page (portal_deenroll_health.c).
 * Returns a db_status.
 */
int	deenroll_health_add(struct visit *, json_object *data)
	    __attribute__((warn_unused_result));

/* The result a "run now" left in the query (numbers only), as data's
 * "flash"; nothing if there is none. */
void	deenroll_flash_add(struct visit *, json_object *data);

/*
 * The handlers, for admin.c's route table: GET /de-enrollment, GET
 * /de-enrollment/export.csv, GET /de-enrollment/health.csv, POST
 * /de-enrollment/run, GET
 * /de-enrollment/runs/{uuid}, GET /de-enrollment/runs/{uuid}/export.csv;
 * {uuid} is checked by the router (PORTAL_ARG_RUN_UUID).
 */
void	deenroll_page(struct visit *);
void	deenroll_export(struct visit *);
void	deenroll_health_export(struct visit *);
void	deenroll_run_now(struct visit *);
void	deenroll_run_page(struct visit *);
void	deenroll_run_export(struct visit *);

#endif
