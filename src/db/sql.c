/* sql: the statement table (see sql.h), generated from src/sql_*.def. */
#include <libpq-fe.h>

#include "sql.h"

const struct stmt_def stmt_defs[STMT__MAX] = {
#define STMT(id, name, nparams, sql)	[STMT_##id] = { name, nparams, sql },
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
};
