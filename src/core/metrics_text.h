/*
 * metrics_text: every program's shared counters (metrics.h) in the text
 * exposition format, each sample labelled with its program: whether it
 * runs, its processes' resident memory, requests by route and status,
 * latency histograms, database errors and reconnects, group-commit batch
 * sizes. A program whose master is not running shows only
 * minicrm_up{program} 0. The figures read from the database are
 * metrics_report's (src/domain/).
 */
#ifndef MINICRM_METRICS_TEXT_H
#define MINICRM_METRICS_TEXT_H

#include "buf.h"

void	metrics_text_write(struct buf *);

#endif
