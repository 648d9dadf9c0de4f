/* cli_manifest: a backup's manifest.json and SHA256SUMS (cli_manifest.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli_child.h"
#include "cli_manifest.h"

/* Write text to path (mode 0600 through the umask the caller set) and
 * fsync it. -1 with why on stderr. */
static int
write_synced(const char *path, const char *text)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fflush(f) == EOF || fclose(f) == EOF || cli_fsync_path(path) == -1) {
		perror(path);
		return -1;
	}
	return 0;
}

static json_object *
manifest_json(const struct manifest *m)
{
	json_object	*o = json_object_new_object(), *dump, *tables, *roles;
	size_t		 i;

	json_object_object_add(o, "format",
	    json_object_new_string(MANIFEST_FORMAT));
	json_object_object_add(o, "schema_version",
	    json_object_new_int64(m->schema_version));
	json_object_object_add(o, "server_version",
	    json_object_new_string(m->server_version));
	json_object_object_add(o, "database",
	    json_object_new_string(m->database));
	json_object_object_add(o, "created_at",
	    json_object_new_string(m->time));
	dump = json_object_new_object();
	json_object_object_add(dump, "file",
	    json_object_new_string(MANIFEST_DUMP));
	json_object_object_add(dump, "format", json_object_new_string("custom"));
	json_object_object_add(dump, "bytes",
	    json_object_new_int64(m->dump_bytes));
	json_object_object_add(dump, "sha256",
	    json_object_new_string(m->dump_sha256));
	json_object_object_add(o, "dump", dump);
	tables = json_object_new_object();
	for (i = 0; i < m->ntables; i++)
		json_object_object_add(tables, m->tables[i].name,
		    json_object_new_int64(m->tables[i].rows));
	json_object_object_add(o, "tables", tables);
	roles = json_object_new_array();
	for (i = 0; i < m->nroles; i++)
		json_object_array_add(roles,
		    json_object_new_string(m->roles[i]));
	json_object_object_add(o, "roles", roles);
	return o;
}

int
manifest_write(const char *dir, const struct manifest *m)
{
	char		 path[PATH_MAX], sum[65], sums[256];
	json_object	*o = manifest_json(m);
	int		 rc;

	snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_FILE);
	rc = write_synced(path, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (rc == -1)
		return -1;
	if (cli_file_sha256(path, sum, NULL) == -1) {
		perror(path);
		return -1;
	}
	snprintf(sums, sizeof(sums), "%s  %s\n%s  %s\n", m->dump_sha256,
	    MANIFEST_DUMP, sum, MANIFEST_FILE);
	snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_SUMS);
	if (write_synced(path, sums) == -1)
		return -1;
	return cli_fsync_path(dir) == -1 ? (perror(dir), -1) : 0;
}

/* The sum SHA256SUMS records for file name, into want. -1 if absent. */
static int
recorded_sum(const char *dir, const char *name, char want[65])
{
	char	 path[PATH_MAX], line[512], file[256], sum[65];
	FILE	*f;
	int	 found = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_SUMS);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%64[0-9a-f]  %255s", sum, file) == 2 &&
		    strlen(sum) == 64 && strcmp(file, name) == 0) {
			memcpy(want, sum, 65);
			found = 0;
		}
	fclose(f);
	return found;
}

static const char *
get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
read_tables(json_object *o, struct manifest *m)
{
	json_object	*tables;
	size_t		 i = 0;

	if (!json_object_object_get_ex(o, "tables", &tables) ||
	    !json_object_is_type(tables, json_type_object))
		return -1;
	m->ntables = (size_t)json_object_object_length(tables);
	if ((m->tables = calloc(m->ntables + 1, sizeof(*m->tables))) == NULL)
		return -1;
	json_object_object_foreach(tables, name, rows) {
		if (!json_object_is_type(rows, json_type_int) ||
		    strlen(name) >= sizeof(m->tables[i].name))
			return -1;
		snprintf(m->tables[i].name, sizeof(m->tables[i].name), "%s",
		    name);
		m->tables[i++].rows = json_object_get_int64(rows);
	}
	return 0;
}

static int
read_roles(json_object *o, struct manifest *m)
{
	json_object	*roles, *r;
	size_t		 i;

	if (!json_object_object_get_ex(o, "roles", &roles) ||
	    !json_object_is_type(roles, json_type_array))
		return -1;
	m->nroles = json_object_array_length(roles);
	if ((m->roles = calloc(m->nroles + 1, sizeof(*m->roles))) == NULL)
		return -1;
	for (i = 0; i < m->nroles; i++) {
		r = json_object_array_get_idx(roles, i);
		if (!json_object_is_type(r, json_type_string) ||
		    strlen(json_object_get_string(r)) >= sizeof(m->roles[i]))
			return -1;
		snprintf(m->roles[i], sizeof(m->roles[i]), "%s",
		    json_object_get_string(r));
	}
	return 0;
}

static int
read_fields(json_object *o, struct manifest *m)
{
	json_object	*v, *dump;
	const char	*s, *d, *t, *sum;

	if ((s = get_string(o, "format")) == NULL ||
	    strcmp(s, MANIFEST_FORMAT) != 0 ||
	    !json_object_object_get_ex(o, "schema_version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    !json_object_object_get_ex(o, "dump", &dump) ||
	    (sum = get_string(dump, "sha256")) == NULL ||
	    strlen(sum) != 64 ||
	    (s = get_string(o, "server_version")) == NULL ||
	    (d = get_string(o, "database")) == NULL ||
	    (t = get_string(o, "created_at")) == NULL)
		return -1;
	m->schema_version = (long)json_object_get_int64(v);
	snprintf(m->server_version, sizeof(m->server_version), "%s", s);
	snprintf(m->database, sizeof(m->database), "%s", d);
	snprintf(m->time, sizeof(m->time), "%s", t);
	snprintf(m->dump_sha256, sizeof(m->dump_sha256), "%s", sum);
	if (json_object_object_get_ex(dump, "bytes", &v))
		m->dump_bytes = json_object_get_int64(v);
	return read_tables(o, m) == -1 ? -1 : read_roles(o, m);
}

int
manifest_read(const char *dir, struct manifest *m)
{
	char		 path[PATH_MAX], want[65], have[65];
	json_object	*o;
	int		 rc;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_FILE);
	if (recorded_sum(dir, MANIFEST_FILE, want) == -1) {
		fprintf(stderr, "minicrm: %s/%s is missing or does not list "
		    "%s: not a complete backup\n", dir, MANIFEST_SUMS,
		    MANIFEST_FILE);
		return -1;
	}
	if (cli_file_sha256(path, have, NULL) == -1) {
		fprintf(stderr, "minicrm: cannot read %s: not a complete "
		    "backup\n", path);
		return -1;
	}
	if (strcmp(want, have) != 0) {
		fprintf(stderr, "minicrm: %s does not match its checksum in "
		    "%s: the backup is damaged\n", path, MANIFEST_SUMS);
		return -1;
	}
	if ((o = json_object_from_file(path)) == NULL) {
		fprintf(stderr, "minicrm: %s is not JSON\n", path);
		return -1;
	}
	rc = read_fields(o, m);
	json_object_put(o);
	if (rc == -1) {
		fprintf(stderr, "minicrm: %s is not a %s manifest (a field is "
		    "missing or of the wrong type)\n", path, MANIFEST_FORMAT);
		manifest_free(m);
		return -1;
	}
	if (recorded_sum(dir, MANIFEST_DUMP, want) == -1 ||
	    strcmp(want, m->dump_sha256) != 0) {
		fprintf(stderr, "minicrm: %s and %s disagree on the dump's "
		    "checksum\n", MANIFEST_SUMS, MANIFEST_FILE);
		manifest_free(m);
		return -1;
	}
	return 0;
}

void
manifest_free(struct manifest *m)
{
	free(m->tables);
	free(m->roles);
	m->tables = NULL;
	m->roles = NULL;
	m->ntables = m->nroles = 0;
}
