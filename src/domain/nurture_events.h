/*
 * nurture_events: SendGrid's Event Webhook posts, taken in — the runbook's
 * "Lead Nurture - Event Tracker" (docs/api.md, POST /api/webhooks/sendgrid;
 * sql/0015). The signature is checked before (sendgrid_signature.h).
 *
 * A post is a JSON array of event objects (up to thousands, ~768 KB). A
 * body that is not JSON or not an array is refused whole, nothing
 * written. Each event is checked only for what storing it needs: "event"
 * a lower-case name, "timestamp" whole seconds, "email" a string,
 * "sg_event_id" (if present) a string of 1 to 200 characters, "url",
 * "reason", "response", "type", "sg_message_id" strings if present, and
 * nothing in it that PostgreSQL's jsonb would refuse or alter (a NUL, a
 * lone surrogate, a repeated name, a number out of range). Every other
 * member is SendGrid's or our custom_args (email_send_id, lead_id,
 * campaign_id, step) and is kept as sent, in the event's payload.
 *
 * An event that fails is refused alone: SendGrid cannot fix and re-send
 * one event, and a 4xx would make it re-send the whole post for a day. It
 * is answered in "errors" by its index and kept as a workflow_errors row
 * (with its text); the others are stored.
 */
#ifndef MINICRM_NURTURE_EVENTS_H
#define MINICRM_NURTURE_EVENTS_H

#include <stddef.h>
#include <json-c/json.h>

#include "buf.h"
#include "db.h"

#define NURTURE_EVENTS_MAX_BODY		(1024 * 1024)	/* SendGrid: ~768 KB */
#define NURTURE_EVENTS_MAX_DEPTH	32

/* A post, checked: what to store and what was refused. */
struct nurture_events_batch {
	struct buf	 accepted;	/* a JSON array of the accepted
					 * events, each its text as sent */
	json_object	*refused;	/* [{index, field, message, event}]:
					 * for workflow_errors */
	json_object	*errors;	/* [{index, field, message}]: for the
					 * answer */
	long		 received;	/* events in the post */
	long		 accepted_n;
	long		 refused_n;	/* events refused (each once) */
};

/*
 * Check body[0..len) (body[len] must be '\0'). Returns 0 with *batch
 * filled, or -1 with why the whole body is refused in why (not JSON, not
 * an array, out of memory). Either way nurture_events_batch_free() it.
 * Pure: no database.
 */
int	nurture_events_parse(const char *body, size_t len,
	    struct nurture_events_batch *batch, char *why, size_t whysz)
	    __attribute__((warn_unused_result));
/* Frees what the batch holds; NULL-safe, and it may be parsed into again. */
void	nurture_events_batch_free(struct nurture_events_batch *);

enum nurture_events_verdict {
	NURTURE_EVENTS_STORED,		/* committed (some may be refused) */
	NURTURE_EVENTS_BAD_BODY,	/* message says why; nothing written */
	NURTURE_EVENTS_DB_FAILED,	/* db_rc says how; nothing written */
	NURTURE_EVENTS__MAX
};

struct nurture_events_result {
	enum nurture_events_verdict	 verdict;
	int		 db_rc;		/* DB_FAILED: the db_status */
	char		 message[256];	/* BAD_BODY: why */
	long		 received;	/* events in the post */
	long		 stored;	/* new: stored now, applied now */
	long		 duplicates;	/* stored before (SendGrid re-sends) or
					 * twice in this post: nothing changed */
	long		 unknown_sends;	/* stored, for no send we know */
	long		 refused;	/* refused alone (see errors) */
	json_object	*errors;	/* [{index, field, message}]; owned */
};

/*
 * Take in one post body[0..len) (body[len] must be '\0'): check it, then
 * store and apply every accepted event in one transaction (a deadlock
 * with a concurrent post is retried once). One workflow_executions row
 * for the post. Fills *out; nurture_events_result_free() it.
 */
void	nurture_events_ingest(struct db *, const char *body, size_t len,
	    struct nurture_events_result *out);
/* Frees errors; NULL-safe. */
void	nurture_events_result_free(struct nurture_events_result *);

#endif
