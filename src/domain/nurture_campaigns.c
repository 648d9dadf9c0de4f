/* nurture_campaigns: a nurture campaign's fields and steps, checked, and a
 * step's preview for a lead (see nurture_campaigns.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "mustache.h"
#include "mustache_json.h"
#include "nurture_campaigns.h"
#include "validate.h"

bool
nurture_step_number_valid(const char *s)
{
	long n;

	return s != NULL && s[0] >= '1' && s[0] <= '9' &&
	    parse_long(s, 1, NURTURE_STEPS_MAX, &n) == 0;
}

static void
field_error_v(struct nurture_field_error *e, const char *field,
    const char *fmt, va_list ap)
{
	e->field = field;
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

void
nurture_field_error_set(struct nurture_field_error *e, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	field_error_v(e, field, fmt, ap);
	va_end(ap);
}

static void
field_error(struct nurture_field_error *errors, size_t *n, size_t max,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	if (*n >= max)
		return;
	va_start(ap, fmt);
	field_error_v(&errors[*n], field, fmt, ap);
	va_end(ap);
	(*n)++;
}

/* Characters of s (valid UTF-8: the form parser refused any other). */
static size_t
chars(const char *s)
{
	return s == NULL ? 0 : utf8_length(s, strlen(s));
}

/*
 * A tag of a template as the scanner sees it: its sigil ('#', '^', '/',
 * '>', '<', '$', '&', '!', '=' or 0 for a variable), its name (not
 * NUL-terminated) and where it starts (1-based line and column in bytes,
 * as the engine counts them).
 */
struct tag {
	char		 sigil;
	const char	*name;
	size_t		 len;
	unsigned	 line, column;
};

typedef bool (*tag_fn)(void *closure, const struct tag *);

/* Where p is in src. */
static void
position(const char *src, const char *p, unsigned *line, unsigned *column)
{
	const char *s, *bol = src;

	*line = 1;
	for (s = src; s < p; s++)
		if (*s == '\n') {
			(*line)++;
			bol = s + 1;
		}
	*column = (unsigned)(p - bol) + 1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim [*s, *e) of white space. */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/*
 * Walk the tags of src (a template that compiled, so every tag is closed
 * and every delimiter change well formed), calling fn for each until it
 * returns false.
 */
static void
scan(const char *src, tag_fn fn, void *closure)
{
	char		 open[16] = "{{", close[16] = "}}";
	const char	*p = src, *start, *end, *s, *e;
	struct tag	 t;

	while ((start = strstr(p, open)) != NULL) {
		s = start + strlen(open);
		memset(&t, 0, sizeof(t));
		if (strcmp(open, "{{") == 0 && *s == '{') {
			/* {{{name}}}: a variable, not escaped. */
			s++;
			if ((end = strstr(s, "}}}")) == NULL)
				return;
			p = end + 3;
			e = end;
		} else {
			if ((end = strstr(s, close)) == NULL)
				return;
			p = end + strlen(close);
			e = end;
			trim(&s, &e);
			if (s < e && strchr("#^/><$&!=", *s) != NULL)
				t.sigil = *s++;
		}
		if (t.sigil == '=') {
			/* {{=<% %>=}}: the new delimiters. */
			const char *a, *b;

			if (e > s && e[-1] == '=')
				e--;
			trim(&s, &e);
			for (a = s; a < e && !is_space(*a); a++)
				;
			for (b = a; b < e && is_space(*b); b++)
				;
			if ((size_t)(a - s) >= sizeof(open) ||
			    (size_t)(e - b) >= sizeof(close) || a == s || b == e)
				return;
			snprintf(open, sizeof(open), "%.*s", (int)(a - s), s);
			snprintf(close, sizeof(close), "%.*s", (int)(e - b), b);
			continue;
		}
		trim(&s, &e);
		t.name = s;
		t.len = (size_t)(e - s);
		position(src, start, &t.line, &t.column);
		if (!fn(closure, &t))
			return;
	}
}

/* The first partial or parent of a template, if any. */
struct partial_found {
	bool		 found;
	struct tag	 tag;
};

static bool
find_partial(void *closure, const struct tag *t)
{
	struct partial_found *f = closure;

	if (t->sigil != '>' && t->sigil != '<')
		return true;
	f->found = true;
	f->tag = *t;
	return false;
}

/* Check one template field: it compiles and includes nothing. */
static void
template_check(const char *field, const char *label, const char *src,
    struct nurture_step_check *out)
{
	mustache_template	*t = NULL;
	mustache_error		 err;
	struct partial_found	 partial = { false, { 0, NULL, 0, 0, 0 } };
	const char		*text;

	if (mustache_compile(field, src, strlen(src), NULL, &t, &err) != 0) {
		/* The engine's message is "NAME:LINE:COLUMN: text". */
		text = err.message;
		if (err.line > 0) {
			const char *colon = strstr(err.message, ": ");

			if (colon != NULL)
				text = colon + 2;
			field_error(out->errors, &out->nerrors, 3, field,
			    "The %s does not compile: line %u, column %u: %s",
			    label, err.line, err.column, text);
		} else
			field_error(out->errors, &out->nerrors, 3, field,
			    "The %s does not compile: %s", label, text);
		return;
	}
	mustache_template_free(t);
	scan(src, find_partial, &partial);
	if (partial.found)
		field_error(out->errors, &out->nerrors, 3, field,
		    "The %s includes another template at line %u, column %u "
		    "({{%c%.*s}}): an e-mail has none to include.", label,
		    partial.tag.line, partial.tag.column, partial.tag.sigil,
		    (int)(partial.tag.len > 100 ? 100 : partial.tag.len),
		    partial.tag.name);
}

size_t
nurture_step_check(const char *subject, const char *body, const char *delay,
    struct nurture_step_check *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (subject == NULL)
		subject = "";
	if (body == NULL)
		body = "";
	n = chars(subject);
	if (n == 0 || n > NURTURE_SUBJECT_MAX)
		field_error(out->errors, &out->nerrors, 3, "subject",
		    "The subject must be 1 to %d characters (it has %zu).",
		    NURTURE_SUBJECT_MAX, n);
	else if (strpbrk(subject, "\r\n") != NULL)
		field_error(out->errors, &out->nerrors, 3, "subject",
		    "The subject is one line: no line breaks.");
	else
		template_check("subject", "subject", subject, out);
	n = chars(body);
	if (n == 0 || n > NURTURE_BODY_MAX)
		field_error(out->errors, &out->nerrors, 3, "body",
		    "The body must be 1 to %d characters (it has %zu).",
		    NURTURE_BODY_MAX, n);
	else
		template_check("body", "body", body, out);
	if (delay == NULL || *delay == '\0' || parse_long(delay, 0,
	    NURTURE_DELAY_MAX, &out->delay) == -1)
		field_error(out->errors, &out->nerrors, 3, "delay_minutes",
		    "The delay is a whole number of minutes, 0 to %d (a year).",
		    NURTURE_DELAY_MAX);
	return out->nerrors;
}

size_t
nurture_campaign_check(const char *client, const char *name,
    const char *from_email, const char *from_name, const char *description,
    struct nurture_campaign_check *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (client == NULL || *client == '\0')
		field_error(out->errors, &out->nerrors, 5, "client",
		    "Choose the campaign's client.");
	n = chars(name);
	if (n == 0 || n > NURTURE_NAME_MAX)
		field_error(out->errors, &out->nerrors, 5, "name",
		    "The name must be 1 to %d characters.", NURTURE_NAME_MAX);
	if (from_email == NULL || strlen(from_email) > NURTURE_EMAIL_MAX ||
	    !auth_email_valid(from_email))
		field_error(out->errors, &out->nerrors, 5, "from_email",
		    "The sender's address must be an e-mail address "
		    "(name@domain).");
	if (chars(from_name) > NURTURE_FROM_NAME_MAX)
		field_error(out->errors, &out->nerrors, 5, "from_name",
		    "The sender's name must be at most %d characters.",
		    NURTURE_FROM_NAME_MAX);
	if (chars(description) > NURTURE_DESCRIPTION_MAX)
		field_error(out->errors, &out->nerrors, 5, "description",
		    "The description must be at most %d characters.",
		    NURTURE_DESCRIPTION_MAX);
	return out->nerrors;
}

/* The names seen so far, and where they go. */
struct names {
	struct buf	*out;
	struct buf	 seen;	/* "\n" then "name\n" for each: repeats are
				 * found as "\nname\n" */
	size_t		 n;
};

static bool
add_name(void *closure, const struct tag *t)
{
	struct names	*names = closure;
	struct buf	 key = BUF_INIT;

	if (t->sigil != 0 && t->sigil != '#' && t->sigil != '^' &&
	    t->sigil != '&')
		return true;
	if (t->len == 0 || (t->len == 1 && t->name[0] == '.'))
		return true;
	buf_printf(&key, "\n%.*s\n", (int)t->len, t->name);
	if (strstr(buf_str(&names->seen), buf_str(&key)) == NULL) {
		buf_printf(&names->seen, "%.*s\n", (int)t->len, t->name);
		buf_printf(names->out, "%s{{%.*s}}", names->n > 0 ? ", " : "",
		    (int)t->len, t->name);
		names->n++;
	}
	buf_free(&key);
	return true;
}

size_t
nurture_template_names(const char *src, struct buf *out)
{
	return nurture_step_names(src, NULL, out);
}

size_t
nurture_step_names(const char *subject, const char *body, struct buf *out)
{
	struct names names = { out, BUF_INIT, 0 };

	buf_putc(&names.seen, '\n');
	if (subject != NULL)
		scan(subject, add_name, &names);
	if (body != NULL)
		scan(body, add_name, &names);
	buf_free(&names.seen);
	return names.n;
}
