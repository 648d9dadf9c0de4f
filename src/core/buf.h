/*
 * buf: a growable byte buffer with a sticky error flag.
 *
 * Responses are rendered into a buf before anything is sent, so a failure
 * half-way through rendering still becomes a clean error response: the
 * writer checks buf_failed() once, at the end, instead of after every append.
 */
#ifndef MINICRM_BUF_H
#define MINICRM_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	size_t	 limit;		/* 0: no limit; appending past it fails */
	bool	 failed;	/* sticky: set by the first failed append */
};

/* A zeroed struct buf is an empty, valid buffer with no limit. */
#define BUF_INIT { NULL, 0, 0, 0, false }

/*
 * Make room for `more` bytes after the contents (and the NUL after them)
 * without changing the contents, so a writer can fill data + len itself
 * and add to len. Capacity doubles from 256 bytes, and never exceeds
 * limit + 1 when there is a limit. Returns false, and the buffer is
 * failed, if it cannot: no memory, past the limit, or already failed.
 */
bool	 buf_reserve(struct buf *, size_t more)
	    __attribute__((warn_unused_result));
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
/* Append s percent-encoded for a URL's query or path (RFC 3986: all but
 * the unreserved A-Z a-z 0-9 - . _ ~ become %XX). */
void	 buf_put_urlencoded(struct buf *, const char *s);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Forget the contents but keep the memory for reuse. Clears the error. */
void	 buf_reset(struct buf *);
/* Release the memory; the buffer is empty and reusable afterwards (its
 * limit stays). NULL is fine. */
void	 buf_free(struct buf *);
/* The contents as a C string ("" when empty); owned by the buffer. */
const char *buf_str(const struct buf *);
bool	 buf_failed(const struct buf *);

#endif
