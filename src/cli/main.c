/*
 * minicrm: the operator's command line. Run from the tree it finds the
 * instance that `make run` started (var/minicrm.conf) by itself.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"

static const struct {
	const char	*name;
	int		 (*run)(int, char **);
	const char	*usage;
} commands[] = {
	{ "migrate", cli_migrate, "migrate up [N] | down [N] | status" },
	{ "apikey", cli_apikey,
	    "apikey create --name NAME [--client CLIENT] | list | revoke KEY" },
	{ "client", cli_client, "client create SLUG [--name NAME] | list" },
	{ "render", cli_render,
	    "render [--partials DIR] [--strict] TEMPLATE DATA.json" },
	{ "replay", cli_replay, "replay [--limit N] [--id ID] [--dry-run]" },
	{ "user", cli_user,
	    "user create --email EMAIL [--role viewer|admin] | list\n"
	    "  minicrm user disable|enable|passwd --email EMAIL" },
	{ "deenroll", cli_deenroll,
	    "deenroll [--client-id=ID] [--dry-run | --health-check | "
	    "--migrate-stuck]" },
	{ "campaigns", cli_campaigns, "campaigns recalc [--client-id=ID]" },
	{ "nurture", cli_nurture,
	    "nurture enroll --campaign ID (--lead ID ... | --leads-file FILE | "
	    "--all-active-leads) [--start ISO]\n"
	    "  minicrm nurture schedule | analytics [--date YYYY-MM-DD]" },
	{ "worker", cli_worker, "worker" },
	{ "job", cli_job, "job run NAME | list" },
	{ "import", cli_import,
	    "import airtable --table leads|sms_audit|retry_queue FILE.csv "
	    "[--dry-run] [--report FILE]\n"
	    "  minicrm import compare --airtable FILE.csv [--table sms_audit] "
	    "[--csv]" },
	{ "backup", cli_backup, "backup [--output DIR]" },
	{ "restore", cli_restore, "restore DIR" },
	{ "archive", cli_archive,
	    "archive --before DATE [--output DIR] [--batch N]\n"
	    "  minicrm archive import FILE" },
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  minicrm %s\n", commands[i].usage);
	return 2;
}

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile sig_atomic_t *
cli_stop_on_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return &stop_requested;
}

int
cli_connect(struct db *db, const char *setting, const char *fallback)
{
	const char *url = config_get(setting);

	if (url == NULL && fallback != NULL)
		url = config_get(fallback);
	if (url == NULL) {
		fprintf(stderr, "minicrm: %s is not set and no instance was "
		    "found (start one with make run, or set MINICRM_CONF)\n",
		    setting);
		return -1;
	}
	if (db_open(db, url) != DB_OK) {
		fprintf(stderr, "minicrm: cannot connect: %s\n", db->error);
		db_close(db);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("minicrm");
	config_load();
	log_configure();	/* LOG_FORMAT, LOG_LEVEL */
	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage();
}
