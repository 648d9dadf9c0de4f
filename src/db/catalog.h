/*
 * catalog: a thread's copy of the small reference tables an event is
 * checked against — clients and event types. Loaded on first use and again
 * when a name is not found (at most once a second), so a client or event
 * type added with SQL is accepted without a restart.
 */
#ifndef MINICRM_CATALOG_H
#define MINICRM_CATALOG_H

#include <stdbool.h>
#include <time.h>

#include "db.h"

struct catalog_client {
	char	id[37];
	char	slug[64];
};

struct catalog {
	struct catalog_client	*clients;
	size_t			 nclients;
	char			**types;
	size_t			 ntypes;
	time_t			 loaded_at;	/* 0: never loaded */
};

/*
 * The id of the client named by slug or id, or NULL if there is none.
 * *rc is set to DB_OK or the db_status of a failed reload.
 */
const char	*catalog_client_id(struct db *, struct catalog *,
		    const char *slug_or_id, int *rc);

/* Is name an event type? *rc as above. */
bool		 catalog_has_event_type(struct db *, struct catalog *,
		    const char *name, int *rc);

/* Free everything the catalog holds; it is empty and reusable. */
void		 catalog_free(struct catalog *);

#endif
