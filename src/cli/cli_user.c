/*
 * minicrm user: the admin portal's users. `create` takes the password from
 * standard input when that is not a terminal (a pipe, a file, a secret
 * manager), and otherwise makes one up and prints it once: a password is
 * never an argument, where ps and shell history would see it. `passwd`
 * takes the new password the same way.
 *
 * `disable` locks a user out at once: their sessions end and logins are
 * refused; `enable` lets them log in again. `passwd` ends every session
 * of the user, so a password changed because it leaked also throws out
 * whoever used it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "db_auth.h"

#define GENERATED_LEN	20	/* base64url characters: 120 bits */

static int
user_usage(void)
{
	fprintf(stderr, "usage: minicrm user create --email EMAIL "
	    "[--role viewer|admin]  (default viewer; password on stdin,\n"
	    "       or one is made up and printed)\n"
	    "       minicrm user disable|enable --email EMAIL\n"
	    "       minicrm user passwd --email EMAIL  (new password on "
	    "stdin, or one is made up\n       and printed)\n"
	    "       minicrm user list\n");
	return 2;
}

/*
 * Read the password (the first line) from stdin into pw. Returns 0, or -1
 * with a message if it is empty, too long or holds a NUL.
 */
static int
read_password(char pw[AUTH_PASSWORD_MAX + 2])
{
	size_t	 len;

	len = fread(pw, 1, AUTH_PASSWORD_MAX + 1, stdin);
	if (ferror(stdin)) {
		fprintf(stderr, "minicrm: cannot read the password\n");
		return -1;
	}
	pw[len] = '\0';
	if (memchr(pw, '\0', len) != NULL) {
		fprintf(stderr, "minicrm: the password holds a NUL byte\n");
		return -1;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	len = strlen(pw);
	if (len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX) {
		fprintf(stderr, "minicrm: the password must be %d to %d "
		    "bytes long\n", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

/*
 * The new password into pw: read from stdin when that is not a terminal,
 * otherwise generated (*generated is then true: the caller shows it once).
 * Returns 0, or -1 with a message. The caller wipes pw.
 */
static int
new_password(char pw[AUTH_PASSWORD_MAX + 2], bool *generated)
{
	*generated = isatty(STDIN_FILENO);
	if (!*generated)
		return read_password(pw);
	if (auth_password_generate(pw, GENERATED_LEN) != 0) {
		fprintf(stderr, "minicrm: cannot make a password\n");
		return -1;
	}
	return 0;
}

/* The message for an answer of the auth_user_* calls other than OK. */
static void
user_error(struct db *db, int rc, const char *email)
{
	switch (rc) {
	case AUTH_USER_UNKNOWN:
		fprintf(stderr, "minicrm: there is no user %s\n", email);
		break;
	case AUTH_USER_BAD_PASSWORD:
		fprintf(stderr, "minicrm: the password must be %d to %d "
		    "bytes long\n", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		break;
	case AUTH_ESYS:
		fprintf(stderr, "minicrm: cannot hash the password "
		    "(out of memory?)\n");
		break;
	default:
		fprintf(stderr, "minicrm: %s\n", db->error);
		break;
	}
}

static int
user_create(struct db *db, const char *email, enum auth_role role)
{
	char	 pw[AUTH_PASSWORD_MAX + 2], id[37];
	bool	 generated;
	int	 rc;

	if (new_password(pw, &generated) == -1)
		return 1;
	rc = auth_user_create(db, email, pw, role, id);
	switch (rc) {
	case AUTH_USER_OK:
		if (generated) {
			printf("%s\n", pw);
			fprintf(stderr, "%s %s created (%s). Its password is "
			    "shown only now.\n", auth_role_name(role), email,
			    id);
		} else
			printf("%s\n", id);
		break;
	case AUTH_USER_TAKEN:
		fprintf(stderr, "minicrm: there is already a user %s\n", email);
		break;
	case AUTH_USER_BAD_EMAIL:
		fprintf(stderr, "minicrm: not an e-mail address: %s\n", email);
		break;
	default:
		user_error(db, rc, email);
		break;
	}
	sodium_memzero(pw, sizeof(pw));
	return rc == AUTH_USER_OK ? 0 : 1;
}

static int
user_list(struct db *db)
{
	struct db_auth_user_row	*rows;
	size_t			 i, n;

	if (db_auth_user_list(db, &rows, &n) != DB_OK) {
		fprintf(stderr, "minicrm: %s\n", db->error);
		return 1;
	}
	printf("%-36s  %-32s  %-6s  %-16s  %s\n", "id", "email", "role",
	    "created", "state");
	for (i = 0; i < n; i++)
		printf("%-36s  %-32s  %-6s  %-16s  %s\n", rows[i].id,
		    rows[i].email, rows[i].role, rows[i].created,
		    rows[i].state);
	free(rows);
	return 0;
}


static int
user_set_disabled(struct db *db, const char *email, bool disabled)
{
	long	 ended = 0;
	int	 rc;

	if ((rc = auth_user_set_disabled(db, email, disabled, &ended)) !=
	    AUTH_USER_OK) {
		user_error(db, rc, email);
		return 1;
	}
	if (disabled)
		fprintf(stderr, "%s is disabled; %ld session%s ended.\n",
		    email, ended, ended == 1 ? "" : "s");
	else
		fprintf(stderr, "%s may log in again.\n", email);
	return 0;
}

static int
user_passwd(struct db *db, const char *email)
{
	char	 pw[AUTH_PASSWORD_MAX + 2];
	bool	 generated;
	long	 ended = 0;
	int	 rc;

	if (new_password(pw, &generated) == -1)
		return 1;
	rc = auth_user_set_password(db, email, pw, NULL, &ended);
	if (rc == AUTH_USER_OK) {
		if (generated)
			printf("%s\n", pw);
		fprintf(stderr, "%s has a new password%s; %ld session%s "
		    "ended.\n", email, generated ? " (shown only now)" : "",
		    ended, ended == 1 ? "" : "s");
	} else
		user_error(db, rc, email);
	sodium_memzero(pw, sizeof(pw));
	return rc == AUTH_USER_OK ? 0 : 1;
}

int
cli_user(int argc, char **argv)
{
	struct db	 db;
	const char	*email = NULL;
	enum auth_role	 role = AUTH_ROLE_VIEWER;
	int		 i, rc;

	if (argc < 2)
		return user_usage();
	if (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "disable") == 0 ||
	    strcmp(argv[1], "enable") == 0 || strcmp(argv[1], "passwd") == 0) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
				email = argv[++i];
			else if (strcmp(argv[i], "--role") == 0 &&
			    i + 1 < argc && strcmp(argv[1], "create") == 0) {
				if (auth_role_parse(argv[++i], &role) == -1)
					return user_usage();
			} else
				return user_usage();
		}
		if (email == NULL)
			return user_usage();
		if (!auth_email_valid(email)) {
			fprintf(stderr, "minicrm: not an e-mail address: %s\n",
			    email);
			return 1;
		}
	} else if (!(strcmp(argv[1], "list") == 0 && argc == 2))
		return user_usage();

	if (cli_connect(&db, "MINICRM_APP_DATABASE_URL", "DATABASE_URL") == -1)
		return 1;
	if (strcmp(argv[1], "create") == 0)
		rc = user_create(&db, email, role);
	else if (strcmp(argv[1], "disable") == 0)
		rc = user_set_disabled(&db, email, true);
	else if (strcmp(argv[1], "enable") == 0)
		rc = user_set_disabled(&db, email, false);
	else if (strcmp(argv[1], "passwd") == 0)
		rc = user_passwd(&db, email);
	else
		rc = user_list(&db);
	db_close(&db);
	return rc;
}
