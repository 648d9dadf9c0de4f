/* config: environment first, then the instance file (see config.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "validate.h"

#define CONFIG_MAX 64

/* Where `make install` puts the instance file (mk/install.mk; SYSCONFDIR). */
#ifndef MINICRM_CONF_INSTALLED
#define MINICRM_CONF_INSTALLED "/etc/minicrm/minicrm.conf"
#endif

static struct {
	char	*key;
	char	*value;
} config_entries[CONFIG_MAX];
static size_t	 config_count;

/* Strip one level of single or double quotes that the shell would strip. */
static void
unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
}

static int
config_read(const char *path)
{
	FILE	*f;
	char	 line[4096], *eq, *nl;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL &&
	    config_count < CONFIG_MAX) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		unquote(eq + 1);
		config_entries[config_count].key = strdup(line);
		config_entries[config_count].value = strdup(eq + 1);
		config_count++;
	}
	fclose(f);
	return 0;
}

void
config_load(void)
{
	char	 exe[PATH_MAX], path[PATH_MAX + 32], *slash;
	ssize_t	 n;
	const char *env = getenv("MINICRM_CONF");

	if (env != NULL && *env != '\0') {
		if (config_read(env) == -1)
			log_warn("cannot read MINICRM_CONF %s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/../var/minicrm.conf",
			    exe);
			if (config_read(path) == 0)
				return;
		}
	}
	if (config_read("var/minicrm.conf") == 0)
		return;
	/* Installed (make install): the file in /etc, 0640 root:minicrm. */
	config_read(MINICRM_CONF_INSTALLED);
}

const char *
config_get(const char *key)
{
	const char	*v = getenv(key);
	size_t		 i;

	if (v != NULL && *v != '\0')
		return v;
	for (i = 0; i < config_count; i++)
		if (strcmp(config_entries[i].key, key) == 0)
			return config_entries[i].value;
	return NULL;
}

long
config_get_long(const char *key, long def, long min, long max)
{
	const char	*v = config_get(key);
	long		 out;

	if (v == NULL)
		return def;
	if (parse_long(v, min, max, &out) == -1) {
		log_warn("%s=%s is not a number in [%ld, %ld]; using %ld",
		    key, v, min, max, def);
		return def;
	}
	return out;
}

const char *
config_tree_dir(const char *sub, char *out, size_t outsz)
{
	/* From the program's folder: the source tree (bin/, cgi-bin/), then
	 * the installed layout (PREFIX/bin/, PREFIX/lib/minicrm/ beside
	 * PREFIX/share/minicrm/): relative, so a staged install (DESTDIR)
	 * or one moved elsewhere finds its own files. */
	static const char *const from_exe[] = {
		"..", "../share/minicrm", "../../share/minicrm",
	};
	char	 exe[PATH_MAX], real[PATH_MAX], *slash;
	ssize_t	 n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t	 i;

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			for (i = 0; i < sizeof(from_exe) / sizeof(*from_exe);
			    i++) {
				snprintf(out, outsz, "%s/%s/%s", exe,
				    from_exe[i], sub);
				if (access(out, R_OK | X_OK) != 0)
					continue;
				/* Without the ".."s, for the logs. */
				if (realpath(out, real) != NULL)
					snprintf(out, outsz, "%s", real);
				return out;
			}
		}
	}
	snprintf(out, outsz, "%s", sub);
	return out;
}
