/*
 * test_templates.c - the portal's templates: every file in templates/
 * compiles, every name in the portal's template table has a file and
 * every file a name (so start-up compiles all of them), and portal_init
 * refuses a directory holding a broken or a missing template, naming its
 * file, line and column. A broken template fails `make unit`, not a page.
 *
 * Run from the top of the tree (make unit does), or with the templates'
 * directory as the argument.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "mustache.h"
#include "portal.h"

#define SUFFIX	".mustache"

/* The table's entry for a file name ("x.mustache"), or -1. */
static int
table_index(const char *file)
{
	size_t	n = strlen(file) - strlen(SUFFIX);
	int	t;

	for (t = 0; t < PORTAL_TEMPLATE__MAX; t++) {
		const char *name = portal_template_name(t);

		if (name != NULL && strlen(name) == n &&
		    strncmp(name, file, n) == 0)
			return t;
	}
	return -1;
}

static bool
is_template(const char *file)
{
	size_t n = strlen(file);

	return n > strlen(SUFFIX) && file[0] != '.' &&
	    strcmp(file + n - strlen(SUFFIX), SUFFIX) == 0;
}

/* Every file compiles; every file is in the table. */
static void
every_file(const char *dir)
{
	mustache_cache	*c = mustache_cache_new(dir, NULL);
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 files = 0;

	CHECK(c != NULL);
	CHECK(d != NULL);
	if (c == NULL || d == NULL) {
		mustache_cache_free(c);
		if (d != NULL)
			closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		const mustache_template	*t;
		mustache_error		 err;
		char			 name[256];

		if (!is_template(e->d_name))
			continue;
		files++;
		snprintf(name, sizeof(name), "%.*s",
		    (int)(strlen(e->d_name) - strlen(SUFFIX)), e->d_name);
		if (mustache_cache_get(c, name, &t, &err) != 0) {
			fprintf(stderr, "%s\n", err.message);
			CHECK(!"a template in templates/ does not compile");
		}
		if (table_index(e->d_name) == -1) {
			fprintf(stderr, "%s/%s: not in the portal's "
			    "template table (src/portal/portal.c)\n", dir,
			    e->d_name);
			CHECK(!"every template file is in the table");
		}
	}
	closedir(d);
	mustache_cache_free(c);
	CHECK_I64("template files", files, PORTAL_TEMPLATE__MAX);
}

/* Every name in the table is there once, with its file. */
static void
every_name(const char *dir)
{
	char		 path[4096];
	struct stat	 st;
	int		 t, u;

	for (t = 0; t < PORTAL_TEMPLATE__MAX; t++) {
		const char *name = portal_template_name(t);

		CHECK(name != NULL);
		if (name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s" SUFFIX, dir, name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "%s: in the table, but no such file\n",
			    path);
			CHECK(!"every name in the table has a file");
		}
		for (u = 0; u < t; u++)
			CHECK(portal_template_name(u) == NULL ||
			    strcmp(portal_template_name(u), name) != 0);
	}
	CHECK(portal_template_name(PORTAL_TEMPLATE__MAX) == NULL);
	CHECK(portal_template_name((enum portal_template)-1) == NULL);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * A directory with a trivial template for each name, then one broken and
 * one missing: portal_init takes the first, refuses the others. What it
 * logs (standard error) goes to a file, to be read.
 */
static void
start_up(void)
{
	char	 dir[] = "/tmp/test_templates.XXXXXX", path[4096];
	char	 logpath[4096], logtext[4096];
	FILE	*f;
	size_t	 n;
	int	 t, saved, fd;

	CHECK(mkdtemp(dir) != NULL);
	for (t = 0; t < PORTAL_TEMPLATE__MAX; t++) {
		snprintf(path, sizeof(path), "%s/%s" SUFFIX, dir,
		    portal_template_name(t));
		write_file(path, "<p>{{name}}</p>\n");
	}
	CHECK_I64("portal_init on good templates", portal_init(dir), 0);
	portal_reload();
	portal_free();

	/* Broken: the log names file, line and column; nothing started. */
	snprintf(path, sizeof(path), "%s/dashboard" SUFFIX, dir);
	write_file(path, "<h1>ok</h1>\n{{#open}}\n");
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved != -1 && fd != -1);
	dup2(fd, 2);
	close(fd);
	CHECK_I64("portal_init on a broken template", portal_init(dir), -1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = 0;
	if ((f = fopen(logpath, "r")) != NULL) {
		n = fread(logtext, 1, sizeof(logtext) - 1, f);
		fclose(f);
	}
	logtext[n] = '\0';
	snprintf(path, sizeof(path), "%s/dashboard" SUFFIX ":2:", dir);
	CHECK(strstr(logtext, path) != NULL);
	unlink(logpath);

	/* Fixed, but another one missing. */
	snprintf(path, sizeof(path), "%s/dashboard" SUFFIX, dir);
	write_file(path, "<h1>ok</h1>\n");
	snprintf(path, sizeof(path), "%s/layout" SUFFIX, dir);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	CHECK_I64("portal_init without a template", portal_init(dir), -1);
	dup2(saved, 2);
	close(saved);

	for (t = 0; t < PORTAL_TEMPLATE__MAX; t++) {
		snprintf(path, sizeof(path), "%s/%s" SUFFIX, dir,
		    portal_template_name(t));
		unlink(path);
	}
	CHECK(rmdir(dir) == 0);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "templates";

	every_name(dir);
	every_file(dir);
	CHECK_I64("portal_init on templates/", portal_init(dir), 0);
	portal_free();
	start_up();
	return check_done("test_templates");
}
