/*
 * db_alert: the store of alert_state (sql_worker.def), where alert.c keeps
 * each condition's raised or cleared state and the messages waiting to be
 * delivered.
 */
#ifndef MINICRM_DB_ALERT_H
#define MINICRM_DB_ALERT_H

#include <stddef.h>

#include "db.h"

/*
 * The condition key holds: mark it active and queue text, unless it was
 * active already. Returns 1 if it was raised now, 0 if not, or a negative
 * db_status.
 */
int	db_alert_raise(struct db *, const char *key, const char *text)
	    __attribute__((warn_unused_result));

/* The condition key no longer holds: as db_alert_raise, the other way. */
int	db_alert_clear(struct db *, const char *key, const char *text)
	    __attribute__((warn_unused_result));

/* The columns of STMT_ALERT_PENDING. */
enum db_alert_pending_col { ALERT_PENDING_KEY, ALERT_PENDING_MESSAGE };

/* A message waiting to be delivered. */
struct db_alert_msg {
	const char	*key;		/* the condition */
	const char	*message;
};

/*
 * The waiting messages, oldest first, locked until the caller's
 * transaction ends (call it inside one). *msgs (n of them) is one
 * allocation, strings included, that the caller releases with free()
 * (also for n == 0). Returns a db_status; on an error *msgs is NULL.
 */
int	db_alert_pending(struct db *, struct db_alert_msg **msgs, size_t *n)
	    __attribute__((warn_unused_result));

/* key's message was delivered. A db_status. */
int	db_alert_sent(struct db *, const char *key)
	    __attribute__((warn_unused_result));

/* key's message could not be delivered, because of err. A db_status. */
int	db_alert_send_failed(struct db *, const char *key, const char *err)
	    __attribute__((warn_unused_result));

#endif
