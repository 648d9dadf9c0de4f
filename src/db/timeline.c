/* timeline: events as JSON for the pages and as CSV (see timeline.h). */
#include <stddef.h>

#include "csv.h"
#include "timeline.h"

static void
add(json_object *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
}

json_object *
timeline_event_json(const struct db_event *e)
{
	json_object *o = json_object_new_object();

	add(o, "id", e->id);
	add(o, "event_type", e->type);
	add(o, "occurred", e->occurred);
	add(o, "occurred_iso", e->occurred_iso);
	add(o, "channel", e->channel);
	add(o, "source", e->source);
	add(o, "execution_id", e->execution_id);
	add(o, "message", e->message);
	add(o, "metadata", e->metadata_pretty);
	add(o, "lead_external_id", e->lead_external_id);
	add(o, "lead_id", e->lead_id);
	add(o, "lead_name", e->lead_name);
	add(o, "client", e->client);
	return o;
}

void
timeline_csv_header(struct buf *b)
{
	static const char *const names[] = {
		"occurred_at", "event_type", "channel", "source",
		"execution_id", "message", "metadata", "lead_id", "client",
		"event_id"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		csv_cell(b, names[i], i == 0);
	csv_end_row(b);
}

void
timeline_csv_row(struct buf *b, const struct db_event *e)
{
	const char	*cells[] = {
		e->occurred_iso, e->type, e->channel, e->source,
		e->execution_id, e->message, e->metadata, e->lead_external_id,
		e->client, e->id
	};
	size_t		 i;

	for (i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		csv_cell(b, cells[i], i == 0);
	csv_end_row(b);
}
