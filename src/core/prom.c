/* prom: the text exposition format (see prom.h). */
#include <math.h>	/* isnan, isinf: macros, no libm */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "prom.h"

void
prom_family(struct buf *out, const char *name, const char *type,
    const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
put_value(struct buf *out, double v)
{
	if (isnan(v))
		buf_puts(out, "NaN");
	else if (isinf(v))
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	else if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(long long)v)
		buf_printf(out, "%.0f", v);
	else
		buf_printf(out, "%.15g", v);
}

static void
put_label_value(struct buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

/* name{labels[,extra="value"]} */
static void
put_series(struct buf *out, const char *name, const char *suffix,
    int nlabels, const char *const *labels, const char *extra_name,
    const char *extra_value)
{
	int	 i;
	bool	 any = nlabels > 0 || extra_name != NULL;

	buf_puts(out, name);
	buf_puts(out, suffix);
	if (!any)
		return;
	buf_putc(out, '{');
	for (i = 0; i < nlabels; i++) {
		buf_printf(out, "%s%s=\"", i ? "," : "", labels[2 * i]);
		put_label_value(out, labels[2 * i + 1]);
		buf_putc(out, '"');
	}
	if (extra_name != NULL) {
		buf_printf(out, "%s%s=\"", nlabels ? "," : "", extra_name);
		put_label_value(out, extra_value);
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}

void
prom_sample(struct buf *out, const char *name, double value, int nlabels,
    const char *const *labels)
{
	put_series(out, name, "", nlabels, labels, NULL, NULL);
	buf_putc(out, ' ');
	put_value(out, value);
	buf_putc(out, '\n');
}

void
prom_histogram(struct buf *out, const char *name, const double *bounds,
    int nbounds, const uint64_t *counts, double sum, int nlabels,
    const char *const *labels)
{
	char		 le[32];
	uint64_t	 total = 0;
	int		 i;

	for (i = 0; i <= nbounds; i++) {
		total += counts[i];
		if (i < nbounds)
			snprintf(le, sizeof(le), "%g", bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		put_series(out, name, "_bucket", nlabels, labels, "le", le);
		buf_printf(out, " %llu\n", (unsigned long long)total);
	}
	put_series(out, name, "_sum", nlabels, labels, NULL, NULL);
	buf_putc(out, ' ');
	put_value(out, sum);
	buf_putc(out, '\n');
	put_series(out, name, "_count", nlabels, labels, NULL, NULL);
	buf_printf(out, " %llu\n", (unsigned long long)total);
}
