/*
 * cli_manifest: a backup folder's manifest.json (what was dumped, from
 * which instance, and how many rows each table held in the dump's own
 * snapshot) and its SHA256SUMS (sha256sum -c reads it), written by
 * `minicrm backup` and checked by `minicrm restore`.
 */
#ifndef MINICRM_CLI_MANIFEST_H
#define MINICRM_CLI_MANIFEST_H

#include <stddef.h>

#define MANIFEST_FORMAT	"minicrm-backup 1"
#define MANIFEST_FILE	"manifest.json"
#define MANIFEST_SUMS	"SHA256SUMS"
#define MANIFEST_DUMP	"minicrm.dump"

struct manifest_table {
	char		 name[64];
	long long	 rows;
};

struct manifest {
	long			 schema_version;
	char			 server_version[64];
	char			 database[128];
	char			 time[32];
	long long		 dump_bytes;
	char			 dump_sha256[65];
	struct manifest_table	*tables;	/* ntables, malloc'd */
	size_t			 ntables;
	char			(*roles)[64];	/* nroles, malloc'd */
	size_t			 nroles;
};

/* Write dir/manifest.json and dir/SHA256SUMS (the dump's and the
 * manifest's sums), each fsynced. -1 with why on stderr. */
int	manifest_write(const char *dir, const struct manifest *);

/*
 * Read dir/manifest.json into m, after checking dir/SHA256SUMS names the
 * manifest with its true sum. -1 with why on stderr. On 0 the caller
 * frees m's arrays with manifest_free.
 */
int	manifest_read(const char *dir, struct manifest *m);

/* Free what manifest_read allocated. Safe on a zeroed manifest. */
void	manifest_free(struct manifest *);

#endif
