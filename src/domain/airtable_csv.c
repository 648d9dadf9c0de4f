/*
 * airtable_csv: an RFC 4180 reader for Airtable's exports (airtable.h).
 * Reads blocks, not characters: a million-row export is read at the speed
 * of memchr-free byte loops over 64 KiB at a time. A record's syntax
 * problem does not stop the file: the record comes back flagged, so its
 * row is refused and the next one read.
 */
#include <stdlib.h>
#include <string.h>

#include "airtable.h"

void
airtable_csv_open(struct airtable_csv *c, FILE *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->next_line = 1;
}

void
airtable_csv_close(struct airtable_csv *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c->offs);
	c->text = NULL;
	c->offs = NULL;
}

const char *
airtable_csv_problem_text(enum airtable_csv_problem p)
{
	switch (p) {
	case CSV_BAD_QUOTE:
		return "a double quote where CSV allows none (quote the whole "
		    "cell and double the quotes inside it)";
	case CSV_UNTERMINATED:
		return "a quoted cell is never closed: the record runs to the "
		    "end of the file";
	case CSV_NUL:
		return "contains a NUL byte";
	default:
		return "ok";
	}
}

/* The next byte, or -1 at the end of the file (or a read error). */
static int
next_byte(struct airtable_csv *c)
{
	if (c->pos == c->end) {
		if (c->eof)
			return -1;
		c->end = fread(c->block, 1, sizeof(c->block), c->f);
		c->pos = 0;
		if (c->end < sizeof(c->block)) {
			c->eof = true;
			if (ferror(c->f))
				c->io_error = true;
		}
		if (c->end == 0)
			return -1;
	}
	c->bytes++;
	return (unsigned char)c->block[c->pos++];
}

static int
peek_byte(struct airtable_csv *c)
{
	int	 ch = next_byte(c);

	if (ch != -1) {
		c->pos--;
		c->bytes--;
	}
	return ch;
}

static bool
put_byte(struct airtable_csv *c, char ch)
{
	if (c->len + 1 >= c->cap) {
		size_t	 ncap = c->cap ? c->cap * 2 : 4096;
		char	*n = realloc(c->text, ncap);

		if (n == NULL)
			return false;
		c->text = n;
		c->cap = ncap;
	}
	c->text[c->len++] = ch;
	return true;
}

static bool
start_field(struct airtable_csv *c)
{
	if (c->nfields == c->capfields) {
		size_t	 ncap = c->capfields ? c->capfields * 2 : 32;
		size_t	*n = realloc(c->offs, ncap * sizeof(*n));

		if (n == NULL)
			return false;
		c->offs = n;
		c->capfields = ncap;
	}
	c->offs[c->nfields++] = c->len;
	return true;
}

/* Read one record's bytes; -1 when memory ran out, 0 at EOF with nothing
 * read, 1 otherwise. */
static int
read_record(struct airtable_csv *c)
{
	bool	 quoted = false, after_quote = false, any = false;
	int	 ch;

	c->len = 0;
	c->nfields = 0;
	c->problem = CSV_OK;
	c->line = c->next_line;
	if (!start_field(c))
		return -1;
	for (;;) {
		ch = next_byte(c);
		if (ch == -1) {
			if (quoted)
				c->problem = CSV_UNTERMINATED;
			break;
		}
		any = true;
		if (ch == 0) {
			c->problem = CSV_NUL;
			continue;
		}
		if (quoted) {
			if (ch == '"') {
				if (peek_byte(c) == '"') {
					(void)next_byte(c);
					if (!put_byte(c, '"'))
						return -1;
				} else {
					quoted = false;
					after_quote = true;
				}
				continue;
			}
			if (ch == '\n')
				c->next_line++;
			if (!put_byte(c, (char)ch))
				return -1;
			continue;
		}
		if (ch == ',') {
			if (!put_byte(c, '\0') || !start_field(c))
				return -1;
			after_quote = false;
			continue;
		}
		if (ch == '\r' && peek_byte(c) == '\n')
			continue;
		if (ch == '\n') {
			c->next_line++;
			break;
		}
		if (ch == '"') {
			if (c->len == c->offs[c->nfields - 1] && !after_quote) {
				quoted = true;
				continue;
			}
			c->problem = CSV_BAD_QUOTE;
		} else if (after_quote)
			c->problem = CSV_BAD_QUOTE;
		if (!put_byte(c, (char)ch))
			return -1;
	}
	if (!put_byte(c, '\0'))
		return -1;
	return any ? 1 : 0;
}

int
airtable_csv_next(struct airtable_csv *c)
{
	int	 rc;

	if (!c->started) {
		c->started = true;
		if (peek_byte(c) == 0xef) {
			(void)next_byte(c);
			if (peek_byte(c) == 0xbb) {
				(void)next_byte(c);
				if (peek_byte(c) == 0xbf)
					(void)next_byte(c);
				else
					c->pos -= 2, c->bytes -= 2;
			} else
				c->pos--, c->bytes--;
		}
	}
	for (;;) {
		if ((rc = read_record(c)) <= 0)
			return rc == 0 && c->io_error ? -1 : rc;
		if (c->io_error)
			return -1;
		/* A blank line (or a last line of only CR) is no record. */
		if (c->nfields == 1 && c->text[0] == '\0' &&
		    c->problem == CSV_OK)
			continue;
		return 1;
	}
}

const char *
airtable_csv_field(const struct airtable_csv *c, size_t i)
{
	return i < c->nfields ? c->text + c->offs[i] : "";
}
