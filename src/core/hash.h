/*
 * hash: FNV-1a over a NUL-terminated string, for the small open-addressing
 * tables and the spreading of work (the template cache, the metrics' route
 * slots, the import's leads seen and its lanes). Not for anything an
 * attacker could aim at: it is not keyed.
 */
#ifndef MINICRM_HASH_H
#define MINICRM_HASH_H

#include <stdint.h>

uint32_t	hash_fnv1a(const char *s);

#endif
