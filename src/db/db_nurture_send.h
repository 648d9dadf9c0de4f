/*
 * db_nurture_send: the store of the e-mail sender (sql_nurture_send.def):
 * a batch of due sends claimed (committed before any call), each settled
 * after SendGrid's answer — sent, failed (each with its row in the lead's
 * timeline), or released back to the queue — and the rate cap's window.
 * Every settle names the sender that claimed the row: a row whose claim
 * an operator released meanwhile is left alone.
 */
#ifndef MINICRM_DB_NURTURE_SEND_H
#define MINICRM_DB_NURTURE_SEND_H

#include <stddef.h>

#include "db.h"

/* The columns of STMT_NURTURE_SEND_CLAIM. */
enum db_nurture_claim_col {
	NURTURE_CLAIM_ID, NURTURE_CLAIM_LEAD_ID, NURTURE_CLAIM_CAMPAIGN_ID,
	NURTURE_CLAIM_STEP, NURTURE_CLAIM_ATTEMPTS, NURTURE_CLAIM_FIRST_NAME,
	NURTURE_CLAIM_LAST_NAME, NURTURE_CLAIM_NAME, NURTURE_CLAIM_EMAIL,
	NURTURE_CLAIM_PHONE, NURTURE_CLAIM_EXTERNAL_ID,
	NURTURE_CLAIM_METADATA, NURTURE_CLAIM_CAMPAIGN_NAME,
	NURTURE_CLAIM_FROM_EMAIL, NURTURE_CLAIM_FROM_NAME,
	NURTURE_CLAIM_SUBJECT, NURTURE_CLAIM_BODY, NURTURE_CLAIM_BLOCKED
};

/* One claimed send and what it is rendered from. Text is NULL for SQL
 * NULL where a field says so. */
struct db_nurture_claim {
	const char	*id;
	const char	*lead_id;
	const char	*campaign_id;
	long long	 step_number;
	long long	 attempts;	/* this one included */
	const char	*first_name;	/* NULL-able, as the lead's columns */
	const char	*last_name;
	const char	*name;
	const char	*email;
	const char	*phone;
	const char	*external_id;
	const char	*metadata;	/* JSON object text */
	const char	*campaign_name;
	const char	*from_email;
	const char	*from_name;
	const char	*subject_template;	/* NULL: the step is gone */
	const char	*body_template;
	const char	*blocked;	/* NULL, or why it must not be sent */
};

/*
 * Claim up to limit due sends for sender claimed_by (its own statement,
 * committed when it returns: call it outside a transaction). *rows (*n of
 * them) is one allocation, strings included, the caller free()s (also
 * for none). A db_status; on an error nothing was claimed.
 */
int	db_nurture_send_claim(struct db *, long limit, const char *claimed_by,
	    struct db_nurture_claim **rows, size_t *n)
	    __attribute__((warn_unused_result));

/* One accepted send, for db_nurture_send_sent_many. */
struct db_nurture_sent {
	const char	*id;
	const char	*message_id;	/* "" if none */
	const char	*to_email;
	const char	*subject;
	const char	*body;
};

/*
 * Settle sends[0..n) as sent, with what went out, and their EMAIL_SENT
 * rows, in one statement. Returns how many were settled (one no longer
 * claimed by claimed_by is left alone), or a db_status.
 */
long	db_nurture_send_sent_many(struct db *, const char *claimed_by,
	    const struct db_nurture_sent *sends, size_t n)
	    __attribute__((warn_unused_result));

/*
 * Settle send id as failed: reason, and what was rendered (NULL: not),
 * and its EMAIL_FAILED row. Returns 1 settled, 0 the row was no longer
 * claimed by claimed_by (nothing written), or a db_status.
 */
int	db_nurture_send_failed(struct db *, const char *id,
	    const char *claimed_by, const char *reason, const char *to_email,
	    const char *subject, const char *body)
	    __attribute__((warn_unused_result));

/*
 * Give send id back to the queue: due again after retry_in seconds (< 0:
 * when it was due before), its attempts changed by attempts_delta (-1: the
 * call was never made), error (NULL: unchanged) kept as its last error.
 * Returns 1, 0 (no longer ours), or a db_status.
 */
int	db_nurture_send_release(struct db *, const char *id,
	    const char *claimed_by, double retry_in, int attempts_delta,
	    const char *error) __attribute__((warn_unused_result));

/*
 * The ages in seconds of the (at most max) e-mails sent within the last
 * minute, youngest first, into ages[]; their number into *n. A db_status.
 */
int	db_nurture_send_recent(struct db *, long max, double *ages, size_t *n)
	    __attribute__((warn_unused_result));

#endif
