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
#include "airtable_internal.h"
#include "event.h"
#include "fields.h"
#include "hash.h"
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

/* Put key in the open-addressing table of capacity cap (a power of
 * two); it is not there yet. Takes ownership of key. */
static void
seen_put(char **table, size_t cap, char *key)
{
	size_t	 i = hash_fnv1a(key) & (cap - 1);

	while (table[i] != NULL)
		i = (i + 1) & (cap - 1);
	table[i] = key;
}

/*
 * Is this the first row naming client's lead? Remembers it. When memory
 * runs out the answer is true: the database is asked, which is only
 * slower.
 */
bool
airtable_lead_first_seen(struct airtable_mapper *m, const char *client,
    const char *lead)
{
	char	 key[320], **grown;
	size_t	 i, cap;

	snprintf(key, sizeof(key), "%s|%s", client, lead);
	if (m->capseen > 0) {
		for (i = hash_fnv1a(key) & (m->capseen - 1); m->seen[i] != NULL;
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
const char *
airtable_cell(const struct airtable_mapper *m, const struct airtable_csv *r,
    int f)
{
	const char	*s;

	if (m->col[f] < 0)
		return NULL;
	s = airtable_csv_field(r, (size_t)m->col[f]);
	return *s == '\0' ? NULL : s;
}

const char *
airtable_column_name(const struct airtable_mapper *m, int f)
{
	return m->header[f] ? m->header[f] : tables[m->table].columns[f].name;
}


void
airtable_refuse(struct airtable_row *rc, const char *column, const char *reason)
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
int
airtable_split_list(const char *s, void (*fn)(void *, const char *), void *ctx)
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

void
airtable_add_to_array(void *ctx, const char *item)
{
	json_object_array_add(ctx, json_object_new_string(item));
}

void
airtable_keep_first(void *ctx, const char *item)
{
	char	*out = ctx;

	if (out[0] == '\0')
		snprintf(out, 256, "%s", item);
}

/* An Airtable record id: "rec" and 14 letters or digits. */
bool
airtable_is_record_id(const char *s)
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

void
airtable_copy_sep(struct buf *out, const char *s)
{
	buf_putc(out, '\t');
	airtable_copy_value(out, s);
}

/* The client of a row: its Client cell, else --client, else "default". */
const char *
airtable_row_client(struct airtable_row *rc, int f, bool required)
{
	const char	*named = f >= 0 ? airtable_cell(rc->m, rc->r, f) : NULL;
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
		airtable_refuse(rc, named && f >= 0 && airtable_cell(rc->m, rc->r, f) ?
		    airtable_column_name(rc->m, f) : "--client", named ?
		    "is not a known client (give its slug or id in minicrm: "
		    "minicrm client list)" : "is required: there is no "
		    "default client (use --client)");
	return id;
}

/* A text cell every table checks alike: UTF-8, no NUL, one line unless
 * multiline, at most max characters. */
void
airtable_check_text(struct airtable_row *rc, int f, size_t max, bool multiline)
{
	const char	*s = airtable_cell(rc->m, rc->r, f), *why;
	size_t		 len, i;
	char		 msg[96];

	if (s == NULL)
		return;
	len = strlen(s);
	if ((why = fields_text_problem(s, len)) != NULL) {
		airtable_refuse(rc, airtable_column_name(rc->m, f), why);
		return;
	}
	if (utf8_length(s, len) > max) {
		snprintf(msg, sizeof(msg), "must be at most %zu characters",
		    max);
		airtable_refuse(rc, airtable_column_name(rc->m, f), msg);
		return;
	}
	for (i = 0; i < len && !multiline; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			airtable_refuse(rc, airtable_column_name(rc->m, f),
			    "must not contain control characters");
			return;
		}
}

/* A date cell into *usec; false (and refused) if it is not one. */
bool
airtable_row_date(struct airtable_row *rc, int f, int64_t *usec)
{
	const char	*s = airtable_cell(rc->m, rc->r, f);

	if (airtable_date_parse(s, rc->m->order, rc->m->utc, usec) == 0)
		return true;
	airtable_refuse(rc, airtable_column_name(rc->m, f),
	    "is not a date Airtable exports "
	    "(2024-03-05 14:07, 3/5/2024 2:07pm, March 5, 2024 2:07pm or ISO "
	    "8601)");
	return false;
}

void
airtable_check_record_id(struct airtable_row *rc)
{
	const char	*id = airtable_cell(rc->m, rc->r, 0);

	if (id == NULL)
		airtable_refuse(rc, airtable_column_name(rc->m, 0),
		    "is empty: every row needs "
		    "its Airtable record id (RECORD_ID())");
	else
		airtable_check_text(rc, 0, 255, false);
}

static void
map_lead(struct airtable_row *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	const char	*client, *first = airtable_cell(m, r, L_FIRST),
			*last = airtable_cell(m, r, L_LAST), *name = airtable_cell(m, r, L_NAME),
			*email = airtable_cell(m, r, L_EMAIL), *primary;
	json_object	*meta, *tags;
	char		 split_first[256], when[RFC3339_BUFSZ];
	int64_t		 created = 0;
	int		 f;

	airtable_check_record_id(rc);
	for (f = L_NAME; f < L__MAX; f++)
		if (f != L_CREATED && f != L_TAGS)
			airtable_check_text(rc, f, 255, false);
	if (email != NULL && (strchr(email, '@') == NULL ||
	    strchr(email, ' ') != NULL))
		airtable_refuse(rc, airtable_column_name(m, L_EMAIL),
		    "is not an e-mail address");
	if (airtable_cell(m, r, L_CREATED) != NULL)
		(void)airtable_row_date(rc, L_CREATED, &created);
	client = airtable_row_client(rc, L_CLIENT, true);
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
	if (airtable_cell(m, r, L_COMPANY) != NULL)
		json_object_object_add(meta, "company",
		    json_object_new_string(airtable_cell(m, r, L_COMPANY)));
	if (airtable_cell(m, r, L_TAGS) != NULL) {
		tags = json_object_new_array();
		airtable_split_list(airtable_cell(m, r, L_TAGS),
		    airtable_add_to_array, tags);
		json_object_object_add(meta, "tags", tags);
	}
	buf_printf(out, "%ld\t", rc->row);
	airtable_copy_value(out, airtable_cell(m, r, L_RECORD_ID));
	airtable_copy_sep(out, client);
	airtable_copy_sep(out, first);
	airtable_copy_sep(out, last);
	airtable_copy_sep(out, email);
	airtable_copy_sep(out, airtable_cell(m, r, L_PHONE));
	airtable_copy_sep(out, airtable_cell(m, r, L_STATUS));
	airtable_copy_sep(out, json_object_to_json_string_ext(meta,
	    JSON_C_TO_STRING_PLAIN));
	if (airtable_cell(m, r, L_CREATED) != NULL)
		rfc3339_format(created, when);
	airtable_copy_sep(out, airtable_cell(m, r, L_CREATED) ? when : NULL);
	buf_putc(out, '\n');
	json_object_put(meta);
}

static void
map_retry(struct airtable_row *rc, struct buf *out)
{
	struct airtable_mapper	*m = rc->m;
	const struct airtable_csv *r = rc->r;
	const char	*client, *count = airtable_cell(m, r, R_RETRY_COUNT);
	char		 when[RFC3339_BUFSZ], attempts[24];
	int64_t		 created = 0;
	long		 n = 0;

	airtable_check_record_id(rc);
	if (airtable_cell(m, r, R_PAYLOAD) == NULL)
		airtable_refuse(rc, airtable_column_name(m, R_PAYLOAD),
		    "is required (the event "
		    "as it was sent)");
	airtable_check_text(rc, R_PAYLOAD, 1048576, true);
	airtable_check_text(rc, R_WORKFLOW, 255, false);
	airtable_check_text(rc, R_EXECUTION_ID, 255, false);
	airtable_check_text(rc, R_LEAD_ID, 255, false);
	airtable_check_text(rc, R_EVENT_TYPE, 64, false);
	airtable_check_text(rc, R_ERROR, RETRY_MAX_ERROR, true);
	if (count != NULL && parse_long(count, 0, 1000, &n) == -1)
		airtable_refuse(rc, airtable_column_name(m, R_RETRY_COUNT),
		    "must be a whole "
		    "number between 0 and 1000");
	if (airtable_cell(m, r, R_CREATED) != NULL)
		(void)airtable_row_date(rc, R_CREATED, &created);
	client = airtable_row_client(rc, R_CLIENT, false);
	if (rc->refused > 0 || m->db_rc != DB_OK)
		return;
	snprintf(attempts, sizeof(attempts), "%ld", n);
	buf_printf(out, "%ld\t", rc->row);
	airtable_copy_value(out, airtable_cell(m, r, R_RECORD_ID));
	airtable_copy_sep(out, client);
	airtable_copy_sep(out, airtable_cell(m, r, R_PAYLOAD));
	airtable_copy_sep(out, airtable_cell(m, r, R_WORKFLOW));
	airtable_copy_sep(out, airtable_cell(m, r, R_EXECUTION_ID));
	airtable_copy_sep(out, airtable_cell(m, r, R_LEAD_ID));
	airtable_copy_sep(out, airtable_cell(m, r, R_EVENT_TYPE));
	airtable_copy_sep(out, airtable_cell(m, r, R_ERROR));
	airtable_copy_sep(out, attempts);
	if (airtable_cell(m, r, R_CREATED) != NULL)
		rfc3339_format(created, when);
	airtable_copy_sep(out, airtable_cell(m, r, R_CREATED) ? when : NULL);
	buf_putc(out, '\n');
}

int
airtable_map_row(struct airtable_mapper *m, const struct airtable_csv *r,
    long row, struct buf *out, airtable_refuse_fn refuse_fn, void *ctx)
{
	struct airtable_row	 rc = { m, r, row, refuse_fn, ctx, 0 };
	size_t		 before = out->len;

	snprintf(m->lane_key, sizeof(m->lane_key), "%s", m->col[0] >= 0 ?
	    airtable_csv_field(r, (size_t)m->col[0]) : "");
	m->lead_by_name = false;
	if (r->problem != CSV_OK) {
		airtable_refuse(&rc, "row", airtable_csv_problem_text(r->problem));
		return 0;
	}
	if (r->nfields != m->ncolumns) {
		char	 msg[96];

		snprintf(msg, sizeof(msg), "has %zu cells, the header %zu",
		    r->nfields, m->ncolumns);
		airtable_refuse(&rc, "row", msg);
		return 0;
	}
	switch (m->table) {
	case AIRTABLE_LEADS:
		map_lead(&rc, out);
		break;
	case AIRTABLE_SMS_AUDIT:
		airtable_map_sms(&rc, out);
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
