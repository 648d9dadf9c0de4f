/* cli_child: PostgreSQL's programs as children, and the file helpers the
 * backup, the restore and the archive share (see cli_child.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "cli_child.h"
#include "config.h"
#include "db_backup.h"

extern char **environ;

/* Ours minus PG*, plus conn's: one array of pointers the caller free()s
 * (the strings stay environ's and conn's). */
static char **
child_env(char **conn)
{
	size_t	 n = 0, i, k = 0;
	char	**env;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	for (i = 0; conn[i] != NULL; i++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "PG", 2) != 0)
			env[k++] = environ[i];
	for (i = 0; conn[i] != NULL; i++)
		env[k++] = conn[i];
	return env;
}

int
cli_child_run(char *const argv[], const char *conninfo,
    const char *stdout_path, cli_child_tick tick, void *ctx)
{
	posix_spawn_file_actions_t	 fa;
	struct timespec			 nap = { 0, 200000000 };
	double				 t0;
	char				 error[256], path[PATH_MAX];
	char				**conn, **env;
	const char			*bindir = config_get("MINICRM_PG_BINDIR");
	pid_t				 pid;
	int				 status, rc, w;

	if ((conn = db_conninfo_env(conninfo, error, sizeof(error))) == NULL) {
		fprintf(stderr, "minicrm: %s\n", error);
		return -1;
	}
	if ((env = child_env(conn)) == NULL) {
		db_conninfo_env_free(conn);
		fprintf(stderr, "minicrm: out of memory\n");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (stdout_path != NULL)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		    stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (bindir != NULL && *bindir != '\0') {
		snprintf(path, sizeof(path), "%s/%s", bindir, argv[0]);
		rc = posix_spawn(&pid, path, &fa, NULL, argv, env);
	} else
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	db_conninfo_env_free(conn);
	if (rc != 0) {
		fprintf(stderr, "minicrm: cannot run %s: %s (is PostgreSQL's "
		    "client installed? MINICRM_PG_BINDIR names its folder)\n",
		    argv[0], strerror(rc));
		return -1;
	}
	t0 = clock_mono();
	for (;;) {
		w = waitpid(pid, &status, tick != NULL ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			fprintf(stderr, "minicrm: waiting for %s: %s\n",
			    argv[0], strerror(errno));
			return -1;
		}
		if (w == 0) {
			tick(ctx, clock_mono() - t0);
			nanosleep(&nap, NULL);
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "minicrm: %s was killed by signal %d\n", argv[0],
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

int
cli_file_sha256(const char *path, char hex[65], long long *bytes)
{
	crypto_hash_sha256_state	 st;
	unsigned char			 chunk[65536], digest[32];
	long long			 total = 0;
	size_t				 n;
	FILE				*f;

	if (sodium_init() < 0 || (f = fopen(path, "rb")) == NULL)
		return -1;
	crypto_hash_sha256_init(&st);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		crypto_hash_sha256_update(&st, chunk, n);
		total += (long long)n;
	}
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(hex, 65, digest, sizeof(digest));
	if (bytes != NULL)
		*bytes = total;
	return 0;
}

int
cli_fsync_path(const char *path)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

bool
cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}
