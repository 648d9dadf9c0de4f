/*
 * prom: Prometheus' text exposition format (version 0.0.4), written into a
 * buf: a family's # HELP and # TYPE lines, then its samples, with label
 * values escaped (\\, \", \n) so no value can break a line. Names and label
 * names come from the code ([a-z_:][a-z0-9_:]*); values may come from data.
 */
#ifndef MINICRM_PROM_H
#define MINICRM_PROM_H

#include <stdint.h>

#include "buf.h"

/* The content type of an answer in this format. */
#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* A family's header: type is "counter", "gauge", "histogram", "summary". */
void	prom_family(struct buf *, const char *name, const char *type,
	    const char *help);

/*
 * One sample: name{k1="v1",...} value. labels holds nlabels pairs of
 * (name, value) strings; a NULL value is written as "". Integral values
 * below 2^53 are written without a fraction.
 */
void	prom_sample(struct buf *, const char *name, double value,
	    int nlabels, const char *const *labels);

/* One histogram's samples: bucket counts (not cumulative: nbounds + 1,
 * the last for above the last bound) become name_bucket{…,le="…"}
 * cumulated, then name_sum and name_count (the +Inf bucket's count, so
 * the two always agree). labels as prom_sample, without le. */
void	prom_histogram(struct buf *, const char *name, const double *bounds,
	    int nbounds, const uint64_t *counts, double sum, int nlabels,
	    const char *const *labels);

#endif
