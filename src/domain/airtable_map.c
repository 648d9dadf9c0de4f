/*
 * airtable_map: Airtable's three tables onto ours (airtable.h; the mapping
 * table is in docs/airtable-cutover.md).
 *
 *   leads        → leads (external_id = the record id; what is blank in an
 *                  existing lead is filled, nothing is overwritten)
 *   sms_audit    → lead_activity_log events, checked by event_check() —
 *                  the API's own field table — so a row is refused for the
 *                  same reasons an n8n POST would be
 *   retry_queue  → retry_queue rows, checked as the queue's HTTP intake
 *                  checks an envelope
 *
 * Columns are found by name: case, spaces and punctuation do not matter,
 * and each field has the names Airtable bases commonly give it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "airtable.h"
#include "event.h"
#include "fields.h"
#include "retry_intake.h"
#include "validate.h"

struct column {
	const char	*name;		/* as docs/airtable-cutover.md names it */
	const char	*aliases;	/* normalized names, '|'-separated */
	bool		 required;
};

enum { L_RECORD_ID, L_NAME, L_FIRST, L_LAST, L_EMAIL, L_PHONE, L_STATUS,
    L_CLIENT, L_TAGS, L_CREATED, L_COMPANY, L__MAX };
static const struct column lead_columns[L__MAX] = {
	[L_RECORD_ID] = { "Record ID", "recordid|airtablerecordid|airtableid|leadrecordid|leadid", true },
	[L_NAME] = { "Name", "name|fullname|leadname", false },
	[L_FIRST] = { "First Name", "firstname|first", false },
	[L_LAST] = { "Last Name", "lastname|last|surname", false },
	[L_EMAIL] = { "Email", "email|emailaddress", false },
	[L_PHONE] = { "Phone", "phone|phonenumber|mobile|mobilephone", false },
	[L_STATUS] = { "Status", "status|leadstatus|stage", false },
	[L_CLIENT] = { "Client", "client|clientid|clientslug", false },
	[L_TAGS] = { "Tags", "tags|labels", false },
	[L_CREATED] = { "Created", "created|createdat|createdtime|datecreated", false },
	[L_COMPANY] = { "Company", "company|companyname|organization", false },
};

enum { S_RECORD_ID, S_LEAD_RECORD_ID, S_LEAD, S_EVENT, S_SENT_AT, S_TEXT,
    S_PHONE, S_CAMPAIGN, S_STEP, S_WORKFLOW, S_EXECUTION_ID, S_CLIENT,
    S_TAGS, S_ERROR, S_CARRIER, S__MAX };
static const struct column sms_columns[S__MAX] = {
	[S_RECORD_ID] = { "Record ID", "recordid|airtablerecordid|airtableid", true },
	[S_LEAD_RECORD_ID] = { "Lead Record ID", "leadrecordid|leadid|leadairtableid", false },
	[S_LEAD] = { "Lead", "lead|leads", false },
	[S_EVENT] = { "Event", "event|eventtype|type|status", true },
	[S_SENT_AT] = { "Sent At", "sentat|timestamp|occurredat|date|datetime|created|createdat|createdtime", true },
	[S_TEXT] = { "Text", "text|message|body|messagetext|smstext", false },
	[S_PHONE] = { "Phone", "phone|phonenumber|to", false },
	[S_CAMPAIGN] = { "Campaign", "campaign|campaignname", false },
	[S_STEP] = { "Step", "step|messageposition|position", false },
	[S_WORKFLOW] = { "Workflow", "workflow|source|workflowname", false },
	[S_EXECUTION_ID] = { "Execution ID", "executionid|execution", false },
	[S_CLIENT] = { "Client", "client|clientid|clientslug", false },
	[S_TAGS] = { "Tags", "tags|labels", false },
	[S_ERROR] = { "Error", "error|errormessage|failurereason", false },
	[S_CARRIER] = { "Carrier Status", "carrierstatus|deliverystatus", false },
};

enum { R_RECORD_ID, R_PAYLOAD, R_WORKFLOW, R_EXECUTION_ID, R_LEAD_ID,
    R_EVENT_TYPE, R_ERROR, R_RETRY_COUNT, R_CREATED, R_CLIENT, R__MAX };
static const struct column retry_columns[R__MAX] = {
	[R_RECORD_ID] = { "Record ID", "recordid|airtablerecordid|airtableid", true },
	[R_PAYLOAD] = { "payload", "payload", true },
	[R_WORKFLOW] = { "workflow", "workflow|workflowname|source", false },
	[R_EXECUTION_ID] = { "execution_id", "executionid|execution", false },
	[R_LEAD_ID] = { "lead_id", "leadid|lead|leadrecordid", false },
	[R_EVENT_TYPE] = { "event_type", "eventtype|event", false },
	[R_ERROR] = { "error", "error|errormessage", false },
	[R_RETRY_COUNT] = { "retry_count", "retrycount|attempts|retries", false },
	[R_CREATED] = { "created_at", "createdat|created|createdtime", false },
	[R_CLIENT] = { "Client", "client|clientid|clientslug", false },
};

static const struct {
	const struct column	*columns;
	size_t			 n;
	const char		*name;
} tables[AIRTABLE__MAX] = {
	[AIRTABLE_LEADS] = { lead_columns, L__MAX, "leads" },
	[AIRTABLE_SMS_AUDIT] = { sms_columns, S__MAX, "sms_audit" },
	[AIRTABLE_RETRY_QUEUE] = { retry_columns, R__MAX, "retry_queue" },
};

const char *
airtable_table_name(enum airtable_table t)
{
	return tables[t].name;
}

int
airtable_table_parse(const char *name)
{
	int	 t;

	for (t = 0; t < AIRTABLE__MAX; t++)
		if (strcmp(name, tables[t].name) == 0)
			return t;
	return -1;
}

/* "Sent At", "sent_at", "SENT-AT" → "sentat" (ASCII letters and digits). */
static void
normalize(const char *s, char *out, size_t outsz)
{
	size_t	 n = 0;

	for (; *s != '\0' && n + 1 < outsz; s++)
		if (isalnum((unsigned char)*s))
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
}

static bool
alias_match(const char *aliases, const char *norm)
{
	size_t	 n = strlen(norm);
	const char *a = aliases, *bar;

	for (;;) {
		bar = strchr(a, '|');
		if ((bar ? (size_t)(bar - a) : strlen(a)) == n &&
		    strncmp(a, norm, n) == 0)
			return true;
		if (bar == NULL)
			return false;
		a = bar + 1;
	}
}

void
airtable_mapper_free(struct airtable_mapper *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < AIRTABLE_FIELDS_MAX; i++) {
		free(m->header[i]);
		m->header[i] = NULL;
	}
	for (i = 0; i < m->capseen; i++)
		free(m->seen[i]);
	free(m->seen);
	m->seen = NULL;
	m->nseen = m->capseen = 0;
	catalog_free(&m->cat);
}

static size_t
key_hash(const char *s)
{
	size_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Put key in the open-addressing table of capacity cap (a power of
 * two); it is not there yet. Takes ownership of key. */
static void
seen_put(char **table, size_t cap, char *key)
{
	size_t	 i = key_hash(key) & (cap - 1);

	while (table[i] != NULL)
		i = (i + 1) & (cap - 1);
	table[i] = key;
}

/*
 * Is this the first row naming client's lead? Remembers it. When memory
 * runs out the answer is true: the database is asked, which is only
 * slower.
 */
static bool
lead_first_seen(struct airtable_mapper *m, const char *client,
    const char *lead)
{
	char	 key[320], **grown;
	size_t	 i, cap;

	snprintf(key, sizeof(key), "%s|%s", client, lead);
	if (m->capseen > 0) {
		for (i = key_hash(key) & (m->capseen - 1); m->seen[i] != NULL;
		    i = (i + 1) & (m->capseen - 1))
			if (strcmp(m->seen[i], key) == 0)
				return false;
	}
	if (2 * (m->nseen + 1) > m->capseen) {
		cap = m->capseen ? 2 * m->capseen : 4096;
		if ((grown = calloc(cap, sizeof(*grown))) == NULL)
			return true;
		for (i = 0; i < m->capseen; i++)
			if (m->seen[i] != NULL)
				seen_put(grown, cap, m->seen[i]);
		free(m->seen);
		m->seen = grown;
		m->capseen = cap;
	}
	{
		char	*copy = strdup(key);

		if (copy == NULL)
			return true;
		seen_put(m->seen, m->capseen, copy);
		m->nseen++;
	}
	return true;
}

int
airtable_mapper_init(struct airtable_mapper *m, enum airtable_table t,
    const struct airtable_csv *h, struct db *db, char *why, size_t whysz)
{
	const struct column	*cols = tables[t].columns;
	char			 norm[128];
	size_t			 i, f, used;

	memset(m, 0, sizeof(*m));
	m->table = t;
	m->db = db;
	m->ncolumns = h->nfields;
	for (f = 0; f < tables[t].n; f++)
		m->col[f] = -1;
	for (i = 0; i < h->nfields; i++) {
		normalize(airtable_csv_field(h, i), norm, sizeof(norm));
		for (f = 0; f < tables[t].n; f++)
			if (m->col[f] == -1 && alias_match(cols[f].aliases, norm))
				break;
		if (f < tables[t].n) {
			m->col[f] = (int)i;
			m->header[f] = strdup(airtable_csv_field(h, i));
			continue;
		}
		used = strlen(m->ignored);
		if (used + 4 < sizeof(m->ignored))
			snprintf(m->ignored + used, sizeof(m->ignored) - used,
			    "%s\"%s\"", used ? ", " : "",
			    airtable_csv_field(h, i));
	}
	for (f = 0; f < tables[t].n; f++)
		if (cols[f].required && m->col[f] == -1) {
			snprintf(why, whysz, "the export has no \"%s\" column%s",
			    cols[f].name, f == 0 ? " (add a formula field "
			    "RECORD_ID() named Record ID to the view before "
			    "exporting)" : "");
			return -1;
		}
	if (t == AIRTABLE_SMS_AUDIT && m->col[S_LEAD] == -1 &&
	    m->col[S_LEAD_RECORD_ID] == -1) {
		snprintf(why, whysz, "the export has neither a \"Lead\" nor a "
		    "\"Lead Record ID\" column");
		return -1;
	}
	return 0;
}

/* The cell of field f, or NULL if the export has no such column or the
 * cell is empty (Airtable writes an empty field as an empty cell). */
static const char *
cell(const struct airtable_mapper *m, const struct airtable_csv *r, int f)
{
	const char	*s;

	if (m->col[f] < 0)
		return NULL;
	s = airtable_csv_field(r, (size_t)m->col[f]);
	return *s == '\0' ? NULL : s;
}

static const char *
column_name(const struct airtable_mapper *m, int f)
{
	return m->header[f] ? m->header[f] : tables[m->table].columns[f].name;
}

/* Report one problem of the row being mapped. */
struct row_ctx {
	struct airtable_mapper	*m;
	const struct airtable_csv *r;
	long			 row;
	airtable_refuse_fn	 refuse;
	void			*ctx;
	int			 refused;
};

static void
refuse(struct row_ctx *rc, const char *column, const char *reason)
{
	struct airtable_refusal	 x;
	const char		*id = rc->m->col[0] >= 0 ?
	    airtable_csv_field(rc->r, (size_t)rc->m->col[0]) : "";

	memset(&x, 0, sizeof(x));
	x.row = rc->row;
	x.line = rc->r->line;
	snprintf(x.record_id, sizeof(x.record_id), "%s", id);
	snprintf(x.column, sizeof(x.column), "%s", column);
	snprintf(x.reason, sizeof(x.reason), "%s", reason);
	rc->refused++;
	rc->refuse(rc->ctx, &x);
}

/*
 * Split a multi-select or linked-record cell: values separated by commas,
 * spaces around them dropped, a value holding a comma written in double
 * quotes (doubled inside), as Airtable writes them. Calls fn for each;
 * returns how many there were.
 */
static int
split_list(const char *s, void (*fn)(void *, const char *), void *ctx)
{
	char	 item[1024];
	size_t	 n;
	int	 count = 0;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		n = 0;
		if (*s == '"') {
			for (s++; *s != '\0'; s++) {
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"') {
					s++;
					break;
				}
				if (n + 1 < sizeof(item))
					item[n++] = *s;
			}
			while (*s != '\0' && *s != ',')
				s++;
		} else
			for (; *s != '\0' && *s != ','; s++)
				if (n + 1 < sizeof(item))
					item[n++] = *s;
		while (n > 0 && item[n - 1] == ' ')
			n--;
		item[n] = '\0';
		if (*s == ',')
			s++;
		if (n == 0)
			continue;
		fn(ctx, item);
		count++;
	}
	return count;
}

static void
add_to_array(void *ctx, const char *item)
{
	json_object_array_add(ctx, json_object_new_string(item));
}

static void
keep_first(void *ctx, const char *item)
{
	char	*out = ctx;

	if (out[0] == '\0')
		snprintf(out, 256, "%s", item);
}

/* An Airtable record id: "rec" and 14 letters or digits. */
static bool
is_record_id(const char *s)
{
	size_t	 i;

	if (strncmp(s, "rec", 3) != 0 || strlen(s) != 17)
		return false;
	for (i = 3; i < 17; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

void
airtable_copy_value(struct buf *out, const char *s)
{
	const char	*p, *run;

	if (s == NULL) {
		buf_append(out, "\\N", 2);
		return;
	}
	for (p = run = s; *p != '\0'; p++) {
		const char	*esc;

		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		buf_append(out, run, (size_t)(p - run));
		buf_append(out, esc, 2);
		run = p + 1;
	}
	buf_append(out, run, (size_t)(p - run));
}

static void
copy_sep(struct buf *out, const char *s)
{
	buf_putc(out, '\t');
	airtable_copy_value(out, s);
}

/* The client of a row: its Client cell, else --client, else "default". */
static const char *
row_client(struct row_ctx *rc, int f, bool required)
{
	const char	*named = f >= 0 ? cell(rc->m, rc->r, f) : NULL;
	const char	*id;

	if (named == NULL)
		named = rc->m->client;
	if (named == NULL && !required)
		return NULL;
	id = catalog_client_id(rc->m->db, &rc->m->cat, named ? named :
	    "default", &rc->m->db_rc);
	if (rc->m->db_rc != DB_OK)
		return NULL;
	if (id == NULL)
		refuse(rc, named && f >= 0 && cell(rc->m, rc->r, f) ?
		    column_name(rc->m, f) : "--client", named ?
		    "is not a known client (give its slug or id in minicrm: "
		    "minicrm client list)" : "is required: there is no "
		    "default client (use --client)");
	return id;
}

/* A text cell every table checks alike: UTF-8, no NUL, one line unless
 * multiline, at most max characters. */
static void
check_text(struct row_ctx *rc, int f, size_t max, bool multiline)
{
	const char	*s = cell(rc->m, rc->r, f), *why;
	size_t		 len, i;
	char		 msg[96];

	if (s == NULL)
		return;
	len = strlen(s);
	if ((why = fields_text_problem(s, len)) != NULL) {
		refuse(rc, column_name(rc->m, f), why);
		return;
	}
	if (utf8_length(s, len) > max) {
		snprintf(msg, sizeof(msg), "must be at most %zu characters",
		    max);
		refuse(rc, column_name(rc->m, f), msg);
		return;
	}
	for (i = 0; i < len && !multiline; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			refuse(rc, column_name(rc->m, f),
			    "must not contain control characters");
			return;
		}
}

/* A date cell into *usec; false (and refused) if it is not one. */
static bool
row_date(struct row_ctx *rc, int f, int64_t *usec)
{
	const char	*s = cell(rc->m, rc->r, f);

	if (airtable_date_parse(s, rc->m->order, rc->m->utc, usec) == 0)
		return true;
	refuse(rc, column_name(rc->m, f), "is not a date Airtable exports "
	    "(2024-03-05 14:07, 3/5/2024 2:07pm, March 5, 2024 2:07pm or ISO "
	    "8601)");
	return false;
}

static void
check_record_id(struct row_ctx *rc)
{
	const char	*id = cell(rc->m, rc->r, 0);

	if (id == NULL)
		refuse(rc, column_name(rc->m, 0), "is empty: every row needs "
		    "its Airtable record id (RECORD_ID())");
	else
		check_text(rc, 0, 255, false);
}

static void
map_lead(struct row_ctx *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	const char	*client, *first = cell(m, r, L_FIRST),
			*last = cell(m, r, L_LAST), *name = cell(m, r, L_NAME),
			*email = cell(m, r, L_EMAIL), *primary;
	json_object	*meta, *tags;
	char		 split_first[256], when[RFC3339_BUFSZ];
	int64_t		 created = 0;
	int		 f;

	check_record_id(rc);
	for (f = L_NAME; f < L__MAX; f++)
		if (f != L_CREATED && f != L_TAGS)
			check_text(rc, f, 255, false);
	if (email != NULL && (strchr(email, '@') == NULL ||
	    strchr(email, ' ') != NULL))
		refuse(rc, column_name(m, L_EMAIL), "is not an e-mail address");
	if (cell(m, r, L_CREATED) != NULL)
		(void)row_date(rc, L_CREATED, &created);
	client = row_client(rc, L_CLIENT, true);
	if (rc->refused > 0 || client == NULL || m->db_rc != DB_OK)
		return;
	/* "Ada Lovelace" alone: the last word is the last name. */
	if (first == NULL && last == NULL && name != NULL) {
		const char *sp = strrchr(name, ' ');

		snprintf(split_first, sizeof(split_first), "%.*s",
		    sp ? (int)(sp - name) : (int)strlen(name), name);
		first = split_first;
		last = sp ? sp + 1 : NULL;
	}
	meta = json_object_new_object();
	/* The primary field (the export's first column): what a linked
	 * record shows in other tables' exports. */
	primary = airtable_csv_field(r, 0);
	if (*primary != '\0')
		json_object_object_add(meta, "airtable_name",
		    json_object_new_string(primary));
	if (cell(m, r, L_COMPANY) != NULL)
		json_object_object_add(meta, "company",
		    json_object_new_string(cell(m, r, L_COMPANY)));
	if (cell(m, r, L_TAGS) != NULL) {
		tags = json_object_new_array();
		split_list(cell(m, r, L_TAGS), add_to_array, tags);
		json_object_object_add(meta, "tags", tags);
	}
	buf_printf(out, "%ld\t", rc->row);
	airtable_copy_value(out, cell(m, r, L_RECORD_ID));
	copy_sep(out, client);
	copy_sep(out, first);
	copy_sep(out, last);
	copy_sep(out, email);
	copy_sep(out, cell(m, r, L_PHONE));
	copy_sep(out, cell(m, r, L_STATUS));
	copy_sep(out, json_object_to_json_string_ext(meta,
	    JSON_C_TO_STRING_PLAIN));
	if (cell(m, r, L_CREATED) != NULL)
		rfc3339_format(created, when);
	copy_sep(out, cell(m, r, L_CREATED) ? when : NULL);
	buf_putc(out, '\n');
	json_object_put(meta);
}

/* Airtable's names for the SOP's event types; anything else is upper-cased
 * with '_' for spaces and dashes and then must be a known type. */
static void
event_type_of(const char *s, char *out, size_t outsz)
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
		return column_name(m, lead_f);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(field, map[i].field) == 0)
			return column_name(m, map[i].f);
	return field;
}

static void
put_meta(json_object *meta, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(meta, key, json_object_new_string(s));
}

static void
map_sms(struct row_ctx *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	json_object	*obj, *meta, *errors, *tags;
	struct event	 ev;
	const char	*client, *lead, *step, *idem;
	char		 type[72], when[RFC3339_BUFSZ] = "", first[256], key[96];
	char		 akey[96];
	int64_t		 at = 0;
	int		 lead_f, nlinks, rc_type = DB_OK;
	bool		 lead_is_id;
	size_t		 i;

	check_record_id(rc);
	lead_f = cell(m, r, S_LEAD_RECORD_ID) ? S_LEAD_RECORD_ID : S_LEAD;
	lead = cell(m, r, lead_f);
	first[0] = '\0';
	nlinks = lead ? split_list(lead, keep_first, first) : 0;
	if (nlinks == 0)
		refuse(rc, column_name(m, lead_f), "is empty: an event belongs "
		    "to a lead");
	else if (nlinks > 1)
		refuse(rc, column_name(m, lead_f), "links more than one lead: "
		    "an event belongs to one");
	lead_is_id = is_record_id(first);
	m->lead_by_name = !lead_is_id;
	snprintf(m->lane_key, sizeof(m->lane_key), "%s", first);
	if (cell(m, r, S_SENT_AT) == NULL)
		refuse(rc, column_name(m, S_SENT_AT), "is required (when the "
		    "message was sent)");
	else if (!row_date(rc, S_SENT_AT, &at))
		at = 0;
	client = row_client(rc, S_CLIENT, true);
	if (m->db_rc != DB_OK)
		return;

	/* The event as n8n would have posted it, checked by the API's
	 * table: the same refusals for the same reasons. */
	obj = json_object_new_object();
	meta = json_object_new_object();
	event_type_of(cell(m, r, S_EVENT) ? cell(m, r, S_EVENT) : "", type,
	    sizeof(type));
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
	    cell(m, r, S_WORKFLOW) ? cell(m, r, S_WORKFLOW) :
	    "airtable:sms_audit"));
	if (cell(m, r, S_EXECUTION_ID) != NULL)
		json_object_object_add(obj, "execution_id",
		    json_object_new_string(cell(m, r, S_EXECUTION_ID)));
	json_object_object_add(obj, "channel", json_object_new_string("sms"));
	if (cell(m, r, S_TEXT) != NULL)
		json_object_object_add(obj, "message",
		    json_object_new_string(cell(m, r, S_TEXT)));
	put_meta(meta, "airtable_record_id", cell(m, r, S_RECORD_ID));
	put_meta(meta, "phone", cell(m, r, S_PHONE));
	put_meta(meta, "campaign", cell(m, r, S_CAMPAIGN));
	put_meta(meta, "error", cell(m, r, S_ERROR));
	put_meta(meta, "carrier_status", cell(m, r, S_CARRIER));
	if ((step = cell(m, r, S_STEP)) != NULL) {
		long	 n;

		json_object_object_add(meta, "step", parse_long(step, 0,
		    1000000, &n) == 0 ? json_object_new_int64(n) :
		    json_object_new_string(step));
	}
	if (cell(m, r, S_TAGS) != NULL) {
		tags = json_object_new_array();
		split_list(cell(m, r, S_TAGS), add_to_array, tags);
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
				refuse(rc, column_name(m, S_EVENT), "is "
				    "required (the event type)");
			else
				refuse(rc, event_error_column(m, fname, lead_f),
				    json_object_get_string(mv));
		}
	} else if (!catalog_has_event_type(m->db, &m->cat, type, &rc_type)) {
		if ((m->db_rc = rc_type) == DB_OK)
			refuse(rc, column_name(m, S_EVENT), "is not a known "
			    "event type");
	}
	if (rc->refused == 0 && client != NULL && m->db_rc == DB_OK) {
		/* With an execution id, the API's own key (so an event n8n
		 * already logged in the parallel run is that event); else the
		 * record's. */
		idem = event_idempotency_key(&ev, key, sizeof(key));
		if (idem == NULL) {
			snprintf(akey, sizeof(akey), "airtable:%s",
			    cell(m, r, S_RECORD_ID));
			idem = akey;
		}
		buf_printf(out, "%ld\t", rc->row);
		airtable_copy_value(out, cell(m, r, S_RECORD_ID));
		copy_sep(out, client);
		copy_sep(out, lead_is_id ? first : NULL);
		copy_sep(out, lead_is_id ? NULL : first);
		copy_sep(out, type);
		copy_sep(out, when);
		copy_sep(out, ev.text[EVF_SOURCE]);
		copy_sep(out, ev.text[EVF_EXECUTION_ID]);
		copy_sep(out, idem);
		copy_sep(out, "sms");
		copy_sep(out, ev.text[EVF_MESSAGE]);
		copy_sep(out, json_object_to_json_string_ext(meta,
		    JSON_C_TO_STRING_PLAIN));
		copy_sep(out, !lead_is_id ? "f" : lead_first_seen(m, client,
		    first) ? "t" : "f");
		buf_putc(out, '\n');
	}
	json_object_put(errors);
	json_object_put(obj);
}

static void
map_retry(struct row_ctx *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	const char	*client, *count = cell(m, r, R_RETRY_COUNT);
	char		 when[RFC3339_BUFSZ], attempts[24];
	int64_t		 created = 0;
	long		 n = 0;

	check_record_id(rc);
	if (cell(m, r, R_PAYLOAD) == NULL)
		refuse(rc, column_name(m, R_PAYLOAD), "is required (the event "
		    "as it was sent)");
	check_text(rc, R_PAYLOAD, 1048576, true);
	check_text(rc, R_WORKFLOW, 255, false);
	check_text(rc, R_EXECUTION_ID, 255, false);
	check_text(rc, R_LEAD_ID, 255, false);
	check_text(rc, R_EVENT_TYPE, 64, false);
	check_text(rc, R_ERROR, RETRY_MAX_ERROR, true);
	if (count != NULL && parse_long(count, 0, 1000, &n) == -1)
		refuse(rc, column_name(m, R_RETRY_COUNT), "must be a whole "
		    "number between 0 and 1000");
	if (cell(m, r, R_CREATED) != NULL)
		(void)row_date(rc, R_CREATED, &created);
	client = row_client(rc, R_CLIENT, false);
	if (rc->refused > 0 || m->db_rc != DB_OK)
		return;
	snprintf(attempts, sizeof(attempts), "%ld", n);
	buf_printf(out, "%ld\t", rc->row);
	airtable_copy_value(out, cell(m, r, R_RECORD_ID));
	copy_sep(out, client);
	copy_sep(out, cell(m, r, R_PAYLOAD));
	copy_sep(out, cell(m, r, R_WORKFLOW));
	copy_sep(out, cell(m, r, R_EXECUTION_ID));
	copy_sep(out, cell(m, r, R_LEAD_ID));
	copy_sep(out, cell(m, r, R_EVENT_TYPE));
	copy_sep(out, cell(m, r, R_ERROR));
	copy_sep(out, attempts);
	if (cell(m, r, R_CREATED) != NULL)
		rfc3339_format(created, when);
	copy_sep(out, cell(m, r, R_CREATED) ? when : NULL);
	buf_putc(out, '\n');
}

int
airtable_map_row(struct airtable_mapper *m, const struct airtable_csv *r,
    long row, struct buf *out, airtable_refuse_fn refuse_fn, void *ctx)
{
	struct row_ctx	 rc = { m, r, row, refuse_fn, ctx, 0 };
	size_t		 before = out->len;

	snprintf(m->lane_key, sizeof(m->lane_key), "%s", m->col[0] >= 0 ?
	    airtable_csv_field(r, (size_t)m->col[0]) : "");
	m->lead_by_name = false;
	if (r->problem != CSV_OK) {
		refuse(&rc, "row", airtable_csv_problem_text(r->problem));
		return 0;
	}
	if (r->nfields != m->ncolumns) {
		char	 msg[96];

		snprintf(msg, sizeof(msg), "has %zu cells, the header %zu",
		    r->nfields, m->ncolumns);
		refuse(&rc, "row", msg);
		return 0;
	}
	switch (m->table) {
	case AIRTABLE_LEADS:
		map_lead(&rc, out);
		break;
	case AIRTABLE_SMS_AUDIT:
		map_sms(&rc, out);
		break;
	case AIRTABLE_RETRY_QUEUE:
		map_retry(&rc, out);
		break;
	default:
		abort();
	}
	if (m->db_rc != DB_OK) {
		out->len = before;
		return -1;
	}
	return rc.refused == 0 && out->len > before ? 1 : 0;
}

int
airtable_row_day_type(struct airtable_mapper *m, const struct airtable_csv *r,
    char day[11], char *type, size_t typesz)
{
	const char	*at = cell(m, r, S_SENT_AT), *ev = cell(m, r, S_EVENT);
	int64_t		 usec;
	time_t		 t;
	struct tm	 tm;

	if (r->problem != CSV_OK || at == NULL || ev == NULL ||
	    airtable_date_parse(at, m->order, m->utc, &usec) == -1)
		return -1;
	event_type_of(ev, type, typesz);
	t = (time_t)(usec / 1000000 - (usec % 1000000 < 0));
	if ((m->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		return -1;
	return strftime(day, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}
