/*
 * test_mustache_cli.c - `minicrm render`: output, --partials, --strict,
 * exit codes (0 ok, 1 error with name:line:column on stderr and nothing on
 * stdout, 2 usage), with the files in tests/mustache/cli/.
 *
 * Unit tests link only the library sources, not src/cli, so this includes the subcommand's source
 * and calls cli_render() directly, capturing stdout and stderr in
 * temporary files.  Run from the repository root.
 */
#include "../../src/cli/cli_render.c"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#define DIR "tests/mustache/cli/"

static int failures;

struct run {
	int rc;
	char out[4096];
	char err[4096];
};

static void
slurp(int fd, char *buf, size_t size)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* Run cli_render with a NULL-terminated argument list. */
static struct run
run(const char *arg0, ...)
{
	static struct run r;
	char *argv[16];
	char out_tmpl[] = "/tmp/test-mustache-cli-out-XXXXXX";
	char err_tmpl[] = "/tmp/test-mustache-cli-err-XXXXXX";
	int argc = 0, out_fd, err_fd, save_out, save_err;
	va_list ap;
	const char *a;

	va_start(ap, arg0);
	for (a = arg0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	out_fd = mkstemp(out_tmpl);
	err_fd = mkstemp(err_tmpl);
	if (out_fd < 0 || err_fd < 0) {
		fprintf(stderr, "FAIL mkstemp\n");
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	save_out = dup(1);
	save_err = dup(2);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	r.rc = cli_render(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);
	slurp(out_fd, r.out, sizeof r.out);
	slurp(err_fd, r.err, sizeof r.err);
	close(out_fd);
	close(err_fd);
	unlink(out_tmpl);
	unlink(err_tmpl);
	return r;
}

#define EXPECT(r, code, want_out, want_err) do { \
	if ((r).rc != (code) || strcmp((r).out, (want_out)) != 0 || \
	    strstr((r).err, (want_err)) == NULL) { \
		fprintf(stderr, "FAIL line %d: rc=%d\n  stdout: %s\n  stderr: %s\n", \
			__LINE__, (r).rc, (r).out, (r).err); \
		failures++; \
	} \
} while (0)

int
main(void)
{
	struct run r;

	r = run("render", DIR "page.mustache", DIR "data.json", NULL);
	EXPECT(r, 0, "<h1>Contacts &amp; co</h1>\n<ul>\n  <li>Ann &lt;a@b&gt;</li>\n"
		     "  <li>Bob</li>\n</ul>\n", "");

	r = run("render", "--partials", DIR "partials", DIR "page.mustache",
		DIR "data.json", NULL);
	EXPECT(r, 0, "<h1>Contacts &amp; co</h1>\n<ul>\n  <li class=\"other\">Ann &lt;a@b&gt;</li>\n"
		     "  <li class=\"other\">Bob</li>\n</ul>\n", "");

	r = run("render", "--partials=" DIR "partials", DIR "page.mustache",
		DIR "data.json", NULL);
	EXPECT(r, 0, "<h1>Contacts &amp; co</h1>\n<ul>\n  <li class=\"other\">Ann &lt;a@b&gt;</li>\n"
		     "  <li class=\"other\">Bob</li>\n</ul>\n", "");

	/* strict: the unreplaced token is named, nothing is printed */
	r = run("render", DIR "email.mustache", DIR "email.json", NULL);
	EXPECT(r, 0, "Dear ,\nyour plan pro renews soon.\n", "");
	r = run("render", "--strict", DIR "email.mustache", DIR "email.json", NULL);
	EXPECT(r, 1, "", "minicrm render: " DIR "email.mustache:1:6: unresolved name 'first_name'\n");

	/* compile errors name the template, line and column */
	r = run("render", DIR "broken.mustache", DIR "data.json", NULL);
	EXPECT(r, 1, "", "minicrm render: " DIR "broken.mustache:2:1: unclosed section "
			 "'contacts': no {{/contacts}} before the end of the template\n");

	/* a missing partial is an error naming it */
	r = run("render", "--partials", "/nonexistent", DIR "page.mustache",
		DIR "data.json", NULL);
	EXPECT(r, 1, "", DIR "page.mustache:4:3: partial 'item' not found");

	/* bad data, missing files */
	r = run("render", DIR "page.mustache", DIR "bad.json", NULL);
	EXPECT(r, 1, "", DIR "bad.json: invalid JSON: unexpected end of JSON");
	/* a bare number or string with no newline after it is whole */
	r = run("render", DIR "scalar.mustache", DIR "number.json", NULL);
	EXPECT(r, 0, "[85]\n", "");
	r = run("render", DIR "scalar.mustache", DIR "string.json", NULL);
	EXPECT(r, 0, "[hi]\n", "");
	r = run("render", DIR "scalar.mustache", DIR "truncated.json",
		NULL);
	EXPECT(r, 1, "", DIR "truncated.json: invalid JSON");
	r = run("render", DIR "page.mustache", DIR "nope.json", NULL);
	EXPECT(r, 1, "", DIR "nope.json: No such file or directory");
	r = run("render", DIR "nope.mustache", DIR "data.json", NULL);
	EXPECT(r, 1, "", DIR "nope.mustache: No such file or directory");

	/* usage */
	r = run("render", NULL);
	EXPECT(r, 2, "", "usage: minicrm render");
	r = run("render", DIR "page.mustache", NULL);
	EXPECT(r, 2, "", "usage: minicrm render");
	r = run("render", "--bogus", DIR "page.mustache", DIR "data.json", NULL);
	EXPECT(r, 2, "", "unknown option --bogus");
	r = run("render", "a", "b", "c", NULL);
	EXPECT(r, 2, "", "usage: minicrm render");
	r = run("render", "--partials", NULL);
	EXPECT(r, 2, "", "usage: minicrm render");
	r = run("render", "--help", NULL);
	EXPECT(r, 0, "", "usage: minicrm render");

	printf("mustache cli: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
