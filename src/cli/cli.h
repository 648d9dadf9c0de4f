/*
 * cli: the subcommands of bin/minicrm. Each takes its own argv (argv[0] is
 * the subcommand's name) and returns the process exit status: 0 done,
 * 1 failed, 2 usage error.
 */
#ifndef MINICRM_CLI_H
#define MINICRM_CLI_H

#include <signal.h>

#include "db.h"

int	cli_migrate(int argc, char **argv);
int	cli_apikey(int argc, char **argv);
int	cli_client(int argc, char **argv);
int	cli_render(int argc, char **argv);
int	cli_user(int argc, char **argv);
int	cli_worker(int argc, char **argv);
int	cli_job(int argc, char **argv);
int	cli_replay(int argc, char **argv);
int	cli_deenroll(int argc, char **argv);
int	cli_campaigns(int argc, char **argv);
int	cli_nurture(int argc, char **argv);
int	cli_import(int argc, char **argv);
int	cli_backup(int argc, char **argv);
int	cli_restore(int argc, char **argv);
int	cli_archive(int argc, char **argv);

/*
 * Connect with the URL in the first of the named settings that is set;
 * prints why and returns -1 if none is or the connection fails.
 */
int	cli_connect(struct db *, const char *setting, const char *fallback);

/*
 * Catch SIGINT and SIGTERM into a flag and return it, for a long command's
 * stop (checked between units of work). No SA_RESTART: a signal cuts a
 * sleep short. The flag lives as long as the process.
 */
volatile sig_atomic_t	*cli_stop_on_signals(void);

#endif
