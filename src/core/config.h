/*
 * config: settings from the environment, falling back to the instance file
 * that `make run` writes (var/minicrm.conf, KEY=value lines). The file is
 * found through MINICRM_CONF, else next to the program (../var/minicrm.conf
 * from bin/ or cgi-bin/), else ./var/minicrm.conf, else the installed
 * /etc/minicrm/minicrm.conf (make install). The environment wins, so a
 * deployment can configure everything without the file.
 */
#ifndef MINICRM_CONFIG_H
#define MINICRM_CONFIG_H

#include <stddef.h>

/* Read the instance file if there is one. Call once, before threads start. */
void		 config_load(void);

/* The value of key, or NULL. Owned by the environment or the config. */
const char	*config_get(const char *key);

/* The value of key as an integer in [min, max], or def if unset or bad. */
long		 config_get_long(const char *key, long def, long min, long max);

/*
 * The path of a folder of the source tree (e.g. "sql", "templates"): next to
 * the program's own folder if it is there, else in the installed layout
 * (PREFIX/share/minicrm/ seen from PREFIX/bin/ or PREFIX/lib/minicrm/), else
 * relative to the current directory. Writes into out and returns it.
 */
const char	*config_tree_dir(const char *sub, char *out, size_t outsz);

#endif
