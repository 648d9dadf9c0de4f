/*
 * check.h - the few macros the unit test programs share.
 *
 * CHECK(cond) counts a check and, if cond is false, prints file:line and
 * the expression; CHECK_STR and CHECK_I64 also print what was expected and
 * what came back. A test program ends with `return check_done("name");`,
 * which prints "name: N passed, N failed" and returns the exit code: 0
 * only if every check passed.
 */
#ifndef MINICRM_TEST_CHECK_H
#define MINICRM_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int	check_count;
static int	check_failed;

#define CHECK(cond) do {						\
	check_count++;							\
	if (!(cond)) {							\
		check_failed++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

/* got and want are C strings (NULL allowed); `what` says what was tested. */
#define CHECK_STR(what, got, want) \
	check_str(__FILE__, __LINE__, (what), (got), (want))

#define CHECK_I64(what, got, want) \
	check_i64(__FILE__, __LINE__, (what), (int64_t)(got), (int64_t)(want))

static inline void
check_str(const char *file, int line, const char *what, const char *got,
    const char *want)
{
	check_count++;
	if (got == NULL && want == NULL)
		return;
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return;
	check_failed++;
	fprintf(stderr, "%s:%d: CHECK failed: %s: expected %s%s%s, got %s%s%s\n",
	    file, line, what,
	    want ? "\"" : "", want ? want : "NULL", want ? "\"" : "",
	    got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
}

static inline void
check_i64(const char *file, int line, const char *what, int64_t got,
    int64_t want)
{
	check_count++;
	if (got == want)
		return;
	check_failed++;
	fprintf(stderr, "%s:%d: CHECK failed: %s: expected %" PRId64
	    ", got %" PRId64 "\n", file, line, what, want, got);
}

static inline int
check_done(const char *name)
{
	fprintf(stderr, "%s: %d passed, %d failed\n", name,
	    check_count - check_failed, check_failed);
	return check_failed == 0 ? 0 : 1;
}

#endif
