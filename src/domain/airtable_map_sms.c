/* airtable_map_sms: SMS_Audit rows as lead_activity_log events, checked
 * by event_check() as the API checks a POST (see airtable_internal.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "airtable.h"
#include "airtable_internal.h"
#include "event.h"
#include "fields.h"
#include "validate.h"

/* Airtable's names for the SOP's event types; anything else is upper-cased
 * with '_' for spaces and dashes and then must be a known type. */
void
airtable_event_type_of(const char *s, char *out, size_t outsz)
{
	static const struct { const char *from, *to; } alias[] = {
		{ "SENT", "MESSAGE_SENT" }, { "DELIVERED", "MESSAGE_DELIVERED" },
		{ "FAILED", "MESSAGE_FAILED" }, { "REPLY", "INBOUND_REPLY" },
		{ "REPLIED", "INBOUND_REPLY" }, { "INBOUND", "INBOUND_REPLY" },
		{ "BOOKED", "BOOKING_CONFIRMED" },
		{ "BOOKING", "BOOKING_CONFIRMED" },
	};
	size_t	 i, n = 0;

	for (; *s == ' '; s++)
		;
	for (; *s != '\0' && n + 1 < outsz; s++)
		out[n++] = (*s == ' ' || *s == '-') ? '_' :
		    (char)toupper((unsigned char)*s);
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(out, alias[i].from) == 0) {
			snprintf(out, outsz, "%s", alias[i].to);
			return;
		}
}

/* The export's column an event field's error is about. */
static const char *
event_error_column(struct airtable_mapper *m, const char *field, int lead_f)
{
	static const struct { const char *field; int f; } map[] = {
		{ "event_type", S_EVENT }, { "occurred_at", S_SENT_AT },
		{ "source", S_WORKFLOW }, { "execution_id", S_EXECUTION_ID },
		{ "message", S_TEXT }, { "metadata.step", S_STEP },
		{ "metadata.campaign", S_CAMPAIGN },
		{ "metadata.campaign_id", S_CAMPAIGN }, { "client_id", S_CLIENT },
	};
	size_t	 i;

	if (strcmp(field, "lead_id") == 0)
		return airtable_column_name(m, lead_f);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(field, map[i].field) == 0)
			return airtable_column_name(m, map[i].f);
	return field;
}

static void
put_meta(json_object *meta, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(meta, key, json_object_new_string(s));
}

void
airtable_map_sms(struct airtable_row *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	json_object	*obj, *meta, *errors, *tags;
	struct event	 ev;
	const char	*client, *lead, *step, *idem, *event;
	char		 type[72], when[RFC3339_BUFSZ] = "", first[256], key[96];
	char		 akey[96];
	int64_t		 at = 0;
	int		 lead_f, nlinks, rc_type = DB_OK;
	bool		 lead_is_id;
	size_t		 i;

	airtable_check_record_id(rc);
	lead_f = airtable_cell(m, r, S_LEAD_RECORD_ID) ? S_LEAD_RECORD_ID : S_LEAD;
	lead = airtable_cell(m, r, lead_f);
	first[0] = '\0';
	nlinks = lead ? airtable_split_list(lead, airtable_keep_first, first) : 0;
	if (nlinks == 0)
		airtable_refuse(rc, airtable_column_name(m, lead_f),
		    "is empty: an event belongs "
		    "to a lead");
	else if (nlinks > 1)
		airtable_refuse(rc, airtable_column_name(m, lead_f),
		    "links more than one lead: "
		    "an event belongs to one");
	lead_is_id = airtable_is_record_id(first);
	m->lead_by_name = !lead_is_id;
	snprintf(m->lane_key, sizeof(m->lane_key), "%s", first);
	if (airtable_cell(m, r, S_SENT_AT) == NULL)
		airtable_refuse(rc, airtable_column_name(m, S_SENT_AT),
		    "is required (when the "
		    "message was sent)");
	else if (!airtable_row_date(rc, S_SENT_AT, &at))
		at = 0;
	client = airtable_row_client(rc, S_CLIENT, true);
	if (m->db_rc != DB_OK)
		return;

	/* The event as n8n would have posted it, checked by the API's
	 * table: the same refusals for the same reasons. */
	obj = json_object_new_object();
	meta = json_object_new_object();
	event = airtable_cell(m, r, S_EVENT);
	airtable_event_type_of(event ? event : "", type, sizeof(type));
	if (type[0] != '\0')
		json_object_object_add(obj, "event_type",
		    json_object_new_string(type));
	if (nlinks == 1)
		json_object_object_add(obj, "lead_id",
		    json_object_new_string(first));
	if (at != 0) {
		rfc3339_format(at, when);
		json_object_object_add(obj, "occurred_at",
		    json_object_new_string(when));
	}
	json_object_object_add(obj, "source", json_object_new_string(
	    airtable_cell(m, r, S_WORKFLOW) ? airtable_cell(m, r, S_WORKFLOW) :
	    "airtable:sms_audit"));
	if (airtable_cell(m, r, S_EXECUTION_ID) != NULL)
		json_object_object_add(obj, "execution_id",
		    json_object_new_string(airtable_cell(m, r, S_EXECUTION_ID)));
	json_object_object_add(obj, "channel", json_object_new_string("sms"));
	if (airtable_cell(m, r, S_TEXT) != NULL)
		json_object_object_add(obj, "message",
		    json_object_new_string(airtable_cell(m, r, S_TEXT)));
	put_meta(meta, "airtable_record_id", airtable_cell(m, r, S_RECORD_ID));
	put_meta(meta, "phone", airtable_cell(m, r, S_PHONE));
	put_meta(meta, "campaign", airtable_cell(m, r, S_CAMPAIGN));
	put_meta(meta, "error", airtable_cell(m, r, S_ERROR));
	put_meta(meta, "carrier_status", airtable_cell(m, r, S_CARRIER));
	if ((step = airtable_cell(m, r, S_STEP)) != NULL) {
		long	 n;

		json_object_object_add(meta, "step", parse_long(step, 0,
		    1000000, &n) == 0 ? json_object_new_int64(n) :
		    json_object_new_string(step));
	}
	if (airtable_cell(m, r, S_TAGS) != NULL) {
		tags = json_object_new_array();
		airtable_split_list(airtable_cell(m, r, S_TAGS),
		    airtable_add_to_array, tags);
		json_object_object_add(meta, "tags", tags);
	}
	json_object_object_add(obj, "metadata", meta);

	errors = json_object_new_array();
	if (!event_check(obj, m->now_usec, &ev, errors) || type[0] == '\0' ||
	    nlinks != 1 || at == 0) {
		for (i = 0; i < json_object_array_length(errors); i++) {
			json_object	*e = json_object_array_get_idx(errors, i),
					*fv, *mv;
			const char	*fname;

			json_object_object_get_ex(e, "field", &fv);
			json_object_object_get_ex(e, "message", &mv);
			fname = json_object_get_string(fv);
			/* Already said above, in the export's words. */
			if ((strcmp(fname, "lead_id") == 0 && nlinks != 1) ||
			    (strcmp(fname, "occurred_at") == 0 && at == 0))
				continue;
			if (strcmp(fname, "event_type") == 0 && type[0] == '\0')
				airtable_refuse(rc, airtable_column_name(m, S_EVENT),
				    "is "
				    "required (the event type)");
			else
				airtable_refuse(rc, event_error_column(m, fname, lead_f),
				    json_object_get_string(mv));
		}
	} else if (!catalog_has_event_type(m->db, &m->cat, type, &rc_type)) {
		if ((m->db_rc = rc_type) == DB_OK)
			airtable_refuse(rc, airtable_column_name(m, S_EVENT),
			    "is not a known "
			    "event type");
	}
	if (rc->refused == 0 && client != NULL && m->db_rc == DB_OK) {
		/* With an execution id, the API's own key (so an event n8n
		 * already logged in the parallel run is that event); else the
		 * record's. */
		idem = event_idempotency_key(&ev, key, sizeof(key));
		if (idem == NULL) {
			snprintf(akey, sizeof(akey), "airtable:%s",
			    airtable_cell(m, r, S_RECORD_ID));
			idem = akey;
		}
		buf_printf(out, "%ld\t", rc->row);
		airtable_copy_value(out, airtable_cell(m, r, S_RECORD_ID));
		airtable_copy_sep(out, client);
		airtable_copy_sep(out, lead_is_id ? first : NULL);
		airtable_copy_sep(out, lead_is_id ? NULL : first);
		airtable_copy_sep(out, type);
		airtable_copy_sep(out, when);
		airtable_copy_sep(out, ev.text[EVF_SOURCE]);
		airtable_copy_sep(out, ev.text[EVF_EXECUTION_ID]);
		airtable_copy_sep(out, idem);
		airtable_copy_sep(out, "sms");
		airtable_copy_sep(out, ev.text[EVF_MESSAGE]);
		airtable_copy_sep(out, json_object_to_json_string_ext(meta,
		    JSON_C_TO_STRING_PLAIN));
		airtable_copy_sep(out, !lead_is_id ? "f" : airtable_lead_first_seen(m, client,
		    first) ? "t" : "f");
		buf_putc(out, '\n');
	}
	json_object_put(errors);
	json_object_put(obj);
}

int
airtable_row_day_type(struct airtable_mapper *m, const struct airtable_csv *r,
    char day[11], char *type, size_t typesz)
{
	const char	*at = airtable_cell(m, r, S_SENT_AT);
	const char	*ev = airtable_cell(m, r, S_EVENT);
	int64_t		 usec;
	time_t		 t;
	struct tm	 tm;

	if (r->problem != CSV_OK || at == NULL || ev == NULL ||
	    airtable_date_parse(at, m->order, m->utc, &usec) == -1)
		return -1;
	airtable_event_type_of(ev, type, typesz);
	t = (time_t)(usec / 1000000 - (usec % 1000000 < 0));
	if ((m->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		return -1;
	return strftime(day, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}
