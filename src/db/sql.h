/*
 * sql: every SQL statement the programs run, in one place. Each is a
 * constant string with $n parameters, named by its enum and prepared once
 * per connection (lazily, on first use) under that name.
 *
 * The statements live in src/sql_<area>.def files, one per part of the
 * program, as STMT(ID, name, nparams, sql) lines: the enum and the table
 * below are both generated from them, so a statement is written once.
 */
#ifndef MINICRM_SQL_H
#define MINICRM_SQL_H

enum stmt {
#define STMT(id, name, nparams, sql)	STMT_##id,
#include "sql_core.def"
#include "sql_auth.def"
#include "sql_dashboard.def"
#include "sql_leads.def"
#include "sql_lead_actions.def"
#include "sql_keys.def"
#include "sql_retry.def"
#include "sql_worker.def"
#include "sql_alert.def"
#include "sql_deenroll.def"
#include "sql_campaign_pages.def"
#include "sql_deenroll_pages.def"
#include "sql_nurture.def"
#include "sql_nurture_schedule.def"
#include "sql_nurture_send.def"
#include "sql_nurture_events.def"
#include "sql_nurture_analytics.def"
#include "sql_nurture_pages.def"
#include "sql_nurture_campaigns.def"
#include "sql_metrics.def"
#include "sql_import.def"
#include "sql_backup.def"
#include "sql_archive.def"
#undef STMT
	STMT__MAX
};

struct stmt_def {
	const char	*name;		/* prepared statement name */
	int		 nparams;
	const char	*sql;
};

extern const struct stmt_def stmt_defs[STMT__MAX];

#endif
