/*
 * portal_keys: the API keys pages' handlers, for admin.c's route table
 * (portal_keys.c says what each answers).
 */
#ifndef MINICRM_PORTAL_KEYS_H
#define MINICRM_PORTAL_KEYS_H

#include "portal.h"

void	keys_page(struct visit *);		/* GET /keys */
void	keys_create(struct visit *);		/* POST /keys */
void	keys_revoke_confirm(struct visit *);	/* GET /keys/{id}/revoke */
void	keys_revoke(struct visit *);		/* POST /keys/{id}/revoke */

#endif
