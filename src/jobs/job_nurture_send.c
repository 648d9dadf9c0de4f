/*
 * job nurture-sender: the e-mail sender ("Lead Nurture - Email Sender",
 * nurture_send.h) every NURTURE_SENDER_INTERVAL seconds (60), through
 * SendGrid (sendgrid.h), at most N8N_MAX_EMAILS_PER_MINUTE (100; 0: no
 * cap) e-mails a minute, NURTURE_SENDER_CONNECTIONS (4) calls at a time,
 * claimed in batches of NURTURE_SENDER_BATCH (four per connection, at
 * least 10: the most a crash during the calls can leave claimed). Without SENDGRID_API_KEY it sends nothing and
 * says so. When SendGrid refuses the key the sender pauses itself and
 * the condition "nurture:sendgrid_key" is alerted once (to
 * NURTURE_ALERT_WEBHOOK, else ALERT_WEBHOOK_URL), cleared by the first
 * e-mail SendGrid accepts again.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "job.h"
#include "log.h"
#include "nurture_send.h"
#include "sendgrid.h"

#define KEY_CONDITION	"nurture:sendgrid_key"

/* Raise or clear the key's condition after a run; deliver at once (an
 * operator should not wait for the alerts job). Returns a db_status. */
static int
alert_key(struct db *db, const struct nurture_send_report *rep)
{
	char	 raise[600];
	int	 rc, sent, failed;

	if (rep->end == NURTURE_SEND_KEY_REFUSED) {
		snprintf(raise, sizeof(raise), "❌ Nurture e-mail sender "
		    "paused: SendGrid refused the API key (HTTP %ld). Nothing "
		    "is sent until SENDGRID_API_KEY is fixed and the sender is "
		    "resumed.", rep->key_status);
		rc = alert_condition(db, KEY_CONDITION, true, raise, NULL);
	} else if (rep->sent > 0)
		rc = alert_condition(db, KEY_CONDITION, false, NULL,
		    "✅ Resolved: SendGrid accepts the nurture sender's API "
		    "key again; e-mails are going out.");
	else
		return DB_OK;
	if (rc > 0)
		rc = alert_flush(db, &sent, &failed);
	return rc < 0 ? rc : DB_OK;
}

enum job_outcome
job_nurture_send(struct job_run *run)
{
	struct nurture_send_options	 opts;
	struct nurture_send_report	 rep;
	struct sendgrid			 sg;
	char				 err[256], host[128], sender[200];
	int				 rc, arc;

	if (sendgrid_open(&sg, err, sizeof(err)) != 0) {
		snprintf(run->summary, sizeof(run->summary), "nothing sent: %s",
		    err);
		return JOB_DONE;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(sender, sizeof(sender), "%s:%ld", host, (long)getpid());
	memset(&opts, 0, sizeof(opts));
	opts.sender_id = sender;
	opts.max_per_minute = config_get_long("N8N_MAX_EMAILS_PER_MINUTE", 100,
	    0, 100000);
	/* By default a batch keeps every connection busy for four rounds. */
	opts.batch = config_get_long("NURTURE_SENDER_BATCH",
	    sg.connections * 4 > NURTURE_SEND_BATCH ? sg.connections * 4 :
	    NURTURE_SEND_BATCH, 1, 1000);
	opts.stop = run->stop;
	sg.stop = run->stop;
	opts.mail = sendgrid_send;
	opts.mail_ctx = &sg;
	rc = nurture_send_run(run->db, &opts, &rep);
	sendgrid_close(&sg);
	arc = alert_key(run->db, &rep);
	snprintf(run->summary, sizeof(run->summary), "%ld sent, %ld failed, "
	    "%ld to retry later, %ld rate-limited answers, %ld given back; "
	    "%s%s%.300s%s", rep.sent, rep.failed, rep.retried, rep.rate_limited,
	    rep.released, nurture_send_end_name(rep.end),
	    rep.reason[0] ? ": " : "", rep.reason,
	    arc < 0 ? "; the alert could not be raised" : "");
	if (arc < 0)
		log_error("nurture sender: alert %s: %s (%s)", KEY_CONDITION,
		    db_status_text(arc), run->db->error);
	return rc < 0 || arc < 0 ? JOB_FAILED : JOB_DONE;
}
