/*
 * test_buf.c - the response buffer: appends of every kind, growth, printf,
 * the size limit and its sticky failure, reset and free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"

static void
test_empty(void)
{
	struct buf	 b = BUF_INIT, z;

	CHECK_STR("empty buf_str", buf_str(&b), "");
	CHECK_I64("empty len", b.len, 0);
	CHECK(!buf_failed(&b));
	buf_free(&b);			/* freeing an unused buffer is fine */
	CHECK_STR("buf_str after freeing an empty buffer", buf_str(&b), "");

	/* A zeroed struct is the same thing. */
	memset(&z, 0, sizeof(z));
	buf_puts(&z, "zero");
	CHECK_STR("zeroed buf", buf_str(&z), "zero");
	CHECK(!buf_failed(&z));
	buf_free(&z);
}

static void
test_appends(void)
{
	struct buf	 b = BUF_INIT;

	buf_append(&b, "abc", 3);
	CHECK_STR("append", buf_str(&b), "abc");
	CHECK_I64("len after append", b.len, 3);
	buf_puts(&b, "def");
	buf_putc(&b, '!');
	CHECK_STR("puts and putc", buf_str(&b), "abcdef!");
	CHECK_I64("len after puts and putc", b.len, 7);

	/* Nothing to append is not a failure and changes nothing. */
	buf_append(&b, "xyz", 0);
	buf_puts(&b, "");
	CHECK_STR("empty appends", buf_str(&b), "abcdef!");
	CHECK(!buf_failed(&b));

	/* Bytes, not strings: a NUL inside is kept and counted. */
	buf_append(&b, "x\0y", 3);
	CHECK_I64("len with an inner NUL", b.len, 10);
	CHECK(memcmp(b.data, "abcdef!x\0y", 11) == 0);
	buf_putc(&b, '\0');
	CHECK_I64("len after putc NUL", b.len, 11);
	CHECK(b.data[11] == '\0');	/* still terminated after the data */
	buf_free(&b);
	CHECK(b.data == NULL);
	CHECK_I64("len after free", b.len, 0);
}

/* Many small appends and one large one land intact. */
static void
test_growth(void)
{
	struct buf	 b = BUF_INIT;
	char		*big;
	size_t		 i, bad = 0;

	for (i = 0; i < 100000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK_I64("len after 100000 putc", b.len, 100000);
	for (i = 0; i < b.len; i++)
		if (b.data[i] != (char)('a' + i % 26))
			bad++;
	CHECK_I64("bytes out of place after growth", bad, 0);
	CHECK(b.data[b.len] == '\0');
	CHECK(b.cap > b.len);
	CHECK(!buf_failed(&b));

	if ((big = malloc(3 << 20)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(big, 'q', 3 << 20);
	buf_append(&b, big, 3 << 20);
	CHECK_I64("len after a 3 MiB append", b.len, 100000 + (3 << 20));
	CHECK(memcmp(b.data + 100000, big, 3 << 20) == 0);
	CHECK(b.data[b.len] == '\0');
	free(big);
	buf_free(&b);
}

static void
test_printf(void)
{
	struct buf	 b = BUF_INIT;
	char		 want[8192];
	size_t		 i;

	buf_printf(&b, "%d-%s-%05.1f-%c", 42, "x", 3.14159, 'z');
	CHECK_STR("printf", buf_str(&b), "42-x-003.1-z");
	CHECK_I64("len after printf", b.len, 12);
	buf_printf(&b, " and %s", "more");
	CHECK_STR("printf appends", buf_str(&b), "42-x-003.1-z and more");
	buf_printf(&b, "%s", "");
	CHECK_STR("printf of nothing", buf_str(&b), "42-x-003.1-z and more");
	CHECK(!buf_failed(&b));
	buf_free(&b);

	/* Output larger than the first allocation. */
	buf_puts(&b, "<");
	buf_printf(&b, "%5000d|%s", 7, "end");
	memset(want, ' ', sizeof(want));
	want[0] = '<';
	want[5000] = '7';
	memcpy(want + 5001, "|end", 5);
	CHECK_I64("len after a long printf", b.len, 5005);
	CHECK_STR("long printf", buf_str(&b), want);
	buf_free(&b);

	/* printf after an empty buffer was freed, then many small ones. */
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%zu,", i % 10);
	CHECK_I64("len after 1000 printfs", b.len, 2000);
	CHECK(strncmp(buf_str(&b), "0,1,2,3,4,5,6,7,8,9,0,", 22) == 0);
	buf_free(&b);
}

static void
test_limit(void)
{
	struct buf	 b = BUF_INIT;

	b.limit = 10;
	buf_puts(&b, "12345");
	buf_puts(&b, "67890");		/* exactly at the limit */
	CHECK(!buf_failed(&b));
	CHECK_STR("filled to the limit", buf_str(&b), "1234567890");
	buf_putc(&b, 'x');		/* one past it */
	CHECK(buf_failed(&b));
	CHECK_STR("contents after the failed append", buf_str(&b),
	    "1234567890");
	buf_free(&b);

	/* The failure is sticky: later appends that would fit do nothing. */
	b.limit = 10;
	buf_puts(&b, "12345678");
	buf_puts(&b, "abc");		/* 11 > 10 */
	CHECK(buf_failed(&b));
	CHECK_STR("a too-long append adds nothing", buf_str(&b), "12345678");
	buf_putc(&b, 'x');
	buf_append(&b, "y", 1);
	buf_printf(&b, "%d", 1);
	buf_append(&b, "", 0);
	CHECK(buf_failed(&b));
	CHECK_STR("appends after the failure add nothing", buf_str(&b),
	    "12345678");
	CHECK_I64("len after the failure", b.len, 8);

	/* Reset clears the failure and the contents, keeps memory and limit. */
	{
		char	*data = b.data;
		size_t	 cap = b.cap;

		buf_reset(&b);
		CHECK(!buf_failed(&b));
		CHECK_STR("buf_str after reset", buf_str(&b), "");
		CHECK_I64("len after reset", b.len, 0);
		CHECK(b.data == data);
		CHECK_I64("cap after reset", b.cap, cap);
		CHECK_I64("limit after reset", b.limit, 10);
	}
	buf_puts(&b, "0123456789");
	CHECK(!buf_failed(&b));
	CHECK_STR("appends after reset", buf_str(&b), "0123456789");
	buf_puts(&b, "!");
	CHECK(buf_failed(&b));
	buf_free(&b);

	/* printf is held to the limit too, exactly and one past it. */
	b.limit = 10;
	buf_printf(&b, "%010d", 5);
	CHECK(!buf_failed(&b));
	CHECK_STR("printf to the limit", buf_str(&b), "0000000005");
	buf_reset(&b);
	buf_printf(&b, "%011d", 5);
	CHECK(buf_failed(&b));
	CHECK_STR("printf past the limit adds nothing", buf_str(&b), "");
	CHECK_I64("len after printf past the limit", b.len, 0);
	buf_free(&b);

	/* A single append larger than the limit from empty. */
	b.limit = 4;
	buf_append(&b, "12345", 5);
	CHECK(buf_failed(&b));
	CHECK_STR("oversized first append", buf_str(&b), "");
	buf_free(&b);
	CHECK(!buf_failed(&b));		/* free leaves it reusable */
	b.limit = 0;
	buf_puts(&b, "again");
	CHECK_STR("reused after free", buf_str(&b), "again");
	buf_free(&b);
}

/* A writer that fills the buffer itself (the template engine): room first,
 * then bytes at data + len. */
static void
test_reserve(void)
{
	struct buf	 b = BUF_INIT;
	char		*data;

	CHECK(buf_reserve(&b, 0));
	CHECK(b.cap >= 1);
	CHECK_I64("len after reserving nothing", b.len, 0);
	CHECK(buf_reserve(&b, 1000));
	CHECK(b.cap >= 1001);
	data = b.data;
	memcpy(b.data + b.len, "filled", 6);
	b.len += 6;
	b.data[b.len] = '\0';
	CHECK_STR("filled after reserve", buf_str(&b), "filled");
	CHECK(buf_reserve(&b, 994));	/* 6 + 994 + NUL fit */
	CHECK(b.data == data);		/* room that is there is not regrown */
	CHECK_STR("reserve keeps the contents", buf_str(&b), "filled");
	buf_free(&b);

	/* Held to the limit, and never more memory than the limit needs. */
	b.limit = 1000;
	CHECK(buf_reserve(&b, 600));
	CHECK(b.cap <= 1001);
	b.len = 600;
	CHECK(buf_reserve(&b, 400));	/* exactly at the limit */
	CHECK_I64("cap at the limit", b.cap, 1001);
	CHECK(!buf_reserve(&b, 401));	/* one past it */
	CHECK(buf_failed(&b));
	CHECK(!buf_reserve(&b, 0));	/* sticky */
	buf_free(&b);

	/* The largest limit there is does not wrap around. */
	b.limit = (size_t)-1;
	CHECK(buf_reserve(&b, 300));
	CHECK(b.cap >= 301);
	buf_free(&b);
	buf_free(NULL);			/* like free(NULL) */
}

static void
test_reset_without_limit(void)
{
	struct buf	 b = BUF_INIT;

	buf_reset(&b);			/* never allocated */
	CHECK_STR("reset of an empty buffer", buf_str(&b), "");
	buf_puts(&b, "first contents");
	buf_reset(&b);
	buf_puts(&b, "2nd");
	CHECK_STR("contents after reset and append", buf_str(&b), "2nd");
	CHECK_I64("len after reset and append", b.len, 3);
	buf_free(&b);
	buf_free(&b);			/* twice is harmless */
	CHECK(b.data == NULL);
}

/* Query strings and paths built from what a user typed stay one value. */
static void
test_urlencoded(void)
{
	struct buf b = BUF_INIT;

	buf_put_urlencoded(&b, "AZaz09-._~");
	CHECK_STR("unreserved characters stay", buf_str(&b), "AZaz09-._~");
	buf_reset(&b);
	buf_put_urlencoded(&b, "a b&c=d/e?f#g%h+\"<'");
	CHECK_STR("separators are encoded", buf_str(&b),
	    "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2B%22%3C%27");
	buf_reset(&b);
	buf_put_urlencoded(&b, "Zo\xc3\xab \xe2\x82\xac");
	CHECK_STR("UTF-8 bytes one by one, upper-case hex", buf_str(&b),
	    "Zo%C3%AB%20%E2%82%AC");
	buf_reset(&b);
	buf_put_urlencoded(&b, "");
	CHECK_STR("nothing for nothing", buf_str(&b), "");
	buf_free(&b);
}

int
main(void)
{
	test_empty();
	test_urlencoded();
	test_appends();
	test_growth();
	test_printf();
	test_limit();
	test_reserve();
	test_reset_without_limit();
	return check_done("test_buf");
}
