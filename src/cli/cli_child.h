/*
 * cli_child: run one of PostgreSQL's programs (pg_dump, pg_restore) as a
 * child process, without a shell, with the connection in its environment
 * (db_conninfo_env: the password in PGPASSWORD, never on a command line
 * that ps or a log shows).
 */
#ifndef MINICRM_CLI_CHILD_H
#define MINICRM_CLI_CHILD_H

#include <stdbool.h>

/* Called about five times a second while the child runs (a progress
 * line); elapsed in seconds. */
typedef void	(*cli_child_tick)(void *ctx, double elapsed);

/*
 * Run argv[0] (looked up in MINICRM_PG_BINDIR if set, else in PATH) with
 * argv, in an environment of ours minus every PG* variable plus the
 * connection's (from conninfo). stdout goes to stdout_path if not NULL
 * (created, mode 0600), else to ours; stderr stays ours. Returns the
 * child's exit status (0 success), or -1 if it could not be started or
 * was killed (why printed on stderr).
 */
int	cli_child_run(char *const argv[], const char *conninfo,
	    const char *stdout_path, cli_child_tick tick, void *ctx);

/* The SHA-256 of the file at path as 64 hex digits into hex[65]; with
 * bytes (if not NULL) its size. -1 if it cannot be read. */
int	cli_file_sha256(const char *path, char hex[65], long long *bytes);

/* fsync the file (or folder) at path. -1 (errno set) on failure. */
int	cli_fsync_path(const char *path);

/* Is stderr a terminal (where progress lines go)? */
bool	cli_progress_wanted(void);

#endif
