/* timeline: events as JSON for the pages and as CSV (see timeline.h). */
#include <stddef.h>

#include "csv.h"
#include "json_put.h"
#include "timeline.h"

json_object *
timeline_event_json(const struct db_event *e)
{
	json_object *o = json_object_new_object();

	json_put_string(o, "id", e->id);
	json_put_string(o, "event_type", e->type);
	json_put_string(o, "occurred", e->occurred);
	json_put_string(o, "occurred_iso", e->occurred_iso);
	json_put_string(o, "channel", e->channel);
	json_put_string(o, "source", e->source);
	json_put_string(o, "execution_id", e->execution_id);
	json_put_string(o, "message", e->message);
	json_put_string(o, "metadata", e->metadata_pretty);
	json_put_string(o, "lead_external_id", e->lead_external_id);
	json_put_string(o, "lead_id", e->lead_id);
	json_put_string(o, "lead_name", e->lead_name);
	json_put_string(o, "client", e->client);
	json_object_object_add(o, "is_test",
	    json_object_new_boolean(e->is_test));
	return o;
}

void
timeline_csv_header(struct buf *b)
{
	static const char *const names[] = {
		"occurred_at", "event_type", "channel", "source",
		"execution_id", "message", "metadata", "lead_id", "client",
		"event_id", "is_test"
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
		e->client, e->id, e->is_test ? "true" : "false"
	};
	size_t		 i;

	for (i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		csv_cell(b, cells[i], i == 0);
	csv_end_row(b);
}
