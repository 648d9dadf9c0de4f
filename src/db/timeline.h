/*
 * timeline: the events db_timeline reads, as the portal shows them — an
 * event as the templates read it, and the CSV export's records.
 */
#ifndef MINICRM_TIMELINE_H
#define MINICRM_TIMELINE_H

#include <json-c/json.h>

#include "buf.h"
#include "db_timeline.h"

/* Event e as the templates read it (a NULL field is left out); the
 * caller puts the object. */
json_object *timeline_event_json(const struct db_event *e);

/* The export's header line, and event e as one CSV record (a NULL field
 * is an empty cell). Errors are b's sticky flag. */
void	timeline_csv_header(struct buf *);
void	timeline_csv_row(struct buf *, const struct db_event *e);

#endif
