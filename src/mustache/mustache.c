/*
 * mustache.c - compile mustache templates into a flat node array, and
 * render that array against any data through a mustache_backend.
 *
 * Compilation runs in four passes over the source:
 *   A. scan: split into text and tag tokens, applying {{=<% %>=}} as it goes;
 *   B. match: pair every section/parent/block opener with its {{/close}};
 *   C. standalone: a line holding only whitespace and one non-interpolation
 *      tag (or only inheritance tags, like {{<p}}{{$b}}) loses its
 *      whitespace and line ending (the indentation is kept on partial,
 *      parent and block tags);
 *   D. emit: build nodes; text inside a standalone block has the block's own
 *      indentation removed, to be added back where the block is expanded.
 * Rendering walks the node array recursively; sections jump over their body
 * with node.end.  Nothing is allocated while rendering except to grow the
 * caller's output buffer.
 */
#include "mustache.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Status strings and errors
 */

static const char *const status_text[] = {
	[0] = "ok",
	[1] = "out of memory",
	[2] = "syntax error",
	[3] = "unclosed section",
	[4] = "mismatched close tag",
	[5] = "bad delimiter",
	[6] = "partial not found",
	[7] = "unresolved name",
	[8] = "nesting too deep",
	[9] = "partials nested too deep",
	[10] = "output too large",
	[11] = "template too large",
	[12] = "render step limit reached",
	[13] = "I/O error",
	[14] = "invalid argument",
	[15] = "name too long",
};

const char *
mustache_strerror(int code)
{
	if (code > 0 || code <= MUSTACHE_ERR__MIN)
		return "unknown error";
	return status_text[-code];
}

/* Fill *err (if any) with code, position and printf-style detail.
 * Returns code so callers can `return seterr(...)`. */
static int
seterr(mustache_error *err, int code, const char *name, unsigned line,
       unsigned col, const char *fmt, ...)
{
	char detail[352];	/* name (127) + position (22) + detail fits message */
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	err->code = code;
	err->line = line;
	err->column = col;
	snprintf(err->template_name, sizeof err->template_name, "%s",
		 name ? name : "template");
	if (line)
		snprintf(err->message, sizeof err->message, "%s:%u:%u: %s",
			 err->template_name, line, col, detail);
	else
		snprintf(err->message, sizeof err->message, "%s: %s",
			 err->template_name, detail);
	return code;
}

void
mustache_limits_default(mustache_limits *l)
{
	l->max_template_size = 1u << 20;
	l->max_name_len = 256;
	l->max_depth = 100;
	l->max_partial_depth = 32;
	l->max_output = 8u << 20;
	l->max_steps = 50000000ul;
}

/* Effective limits: defaults when NULL, hard caps applied. */
static mustache_limits
limits_of(const mustache_limits *l)
{
	mustache_limits r;

	if (l)
		r = *l;
	else
		mustache_limits_default(&r);
	if (r.max_depth > MUSTACHE_DEPTH_CAP)
		r.max_depth = MUSTACHE_DEPTH_CAP;
	if (r.max_depth < 1)
		r.max_depth = 1;
	if (r.max_partial_depth > r.max_depth)
		r.max_partial_depth = r.max_depth;
	if (r.max_name_len > MUSTACHE_NAME_CAP)
		r.max_name_len = MUSTACHE_NAME_CAP;
	if (r.max_template_size > UINT32_MAX / 4)
		r.max_template_size = UINT32_MAX / 4;
	return r;
}

/* ------------------------------------------------------------------------
 * Compiled form
 */

enum node_type {
	N_TEXT,		/* literal text: pool[a .. a+len) */
	N_VAR,		/* {{name}}, escaped */
	N_RAW,		/* {{{name}}} / {{&name}} */
	N_SECTION,	/* {{#name}} ... body ... */
	N_INVERTED,	/* {{^name}} ... */
	N_PARTIAL,	/* {{>name}} */
	N_PARENT,	/* {{<name}} ... block overrides ... */
	N_BLOCK		/* {{$name}} ... default ... */
};

enum node_flag {
	F_DYNAMIC = 1,	/* {{>*name}}: the name is looked up in the data */
	F_HAS_NL = 2	/* text holds a '\n' */
};

struct node {
	uint8_t type;
	uint8_t flags;
	uint16_t nparts;	/* dotted name parts; 0 for "." */
	uint32_t a;		/* pool offset: text, or full NUL-terminated name */
	uint32_t len;		/* text or name length */
	uint32_t parts;		/* pool offset of the NUL-separated name parts */
	uint32_t end;		/* index of the first node after the body */
	uint32_t ind;		/* pool offset of the indentation to apply */
	uint32_t ind_len;
	uint32_t line, col;
};

struct mustache_template {
	char *name;
	struct node *nodes;
	uint32_t nnodes;
	char *pool;
	size_t pool_len;
};

const char *
mustache_template_name(const mustache_template *t)
{
	return t ? t->name : NULL;
}

void
mustache_template_free(mustache_template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->nodes);
	free(t->pool);
	free(t);
}

/* ------------------------------------------------------------------------
 * Compiler
 */

#define TK_TEXT 0
#define DELIM_MAX 16

struct tok {
	uint8_t kind;		/* TK_TEXT or the sigil: v { & # ^ / > < $ ! = */
	uint8_t standalone;
	uint8_t keep_eol;	/* standalone {{$b}}{{/b}} keeps its line end */
	uint8_t dynamic;
	uint32_t s, e;		/* text span, or whole tag span */
	uint32_t ns, ne;	/* name span */
	uint32_t line, col;
	uint32_t ind_s, ind_e;	/* leading whitespace of a standalone line */
	uint32_t eol;		/* just past the line end of a standalone line */
	uint32_t match;		/* opener <-> closer */
};

struct compiler {
	const char *name;
	const char *src;
	uint32_t len;
	mustache_limits lim;
	mustache_error *err;

	struct tok *toks;
	uint32_t ntoks, captoks;

	struct node *nodes;
	uint32_t nnodes, capnodes;
	char *pool;
	size_t pool_len, pool_cap;

	/* line counting for positions */
	uint32_t lc_pos, lc_line, lc_start;
};

static void
position(struct compiler *c, uint32_t off, uint32_t *line, uint32_t *col)
{
	const char *p;

	/* tokens are produced in order, so the counter only moves forward */
	if (off < c->lc_pos) {
		c->lc_pos = 0;
		c->lc_line = 1;
		c->lc_start = 0;
	}
	while (c->lc_pos < off &&
	       (p = memchr(c->src + c->lc_pos, '\n', off - c->lc_pos)) != NULL) {
		c->lc_line++;
		c->lc_pos = (uint32_t)(p - c->src) + 1;
		c->lc_start = c->lc_pos;
	}
	c->lc_pos = off;
	*line = c->lc_line;
	*col = off - c->lc_start + 1;
}

static int
cerr(struct compiler *c, int code, const struct tok *t, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return seterr(c->err, code, c->name, t ? t->line : 1, t ? t->col : 1,
		      "%s", detail);
}

static int
push_tok(struct compiler *c, const struct tok *t)
{
	if (c->ntoks == c->captoks) {
		uint32_t n = c->captoks ? c->captoks * 2 : 64;
		struct tok *p = realloc(c->toks, (size_t)n * sizeof *p);

		if (!p)
			return MUSTACHE_ERR_NOMEM;
		c->toks = p;
		c->captoks = n;
	}
	c->toks[c->ntoks++] = *t;
	return 0;
}

/* First occurrence of needle in src[from, len), or UINT32_MAX. */
static uint32_t
find(const struct compiler *c, uint32_t from, const char *needle, size_t nlen)
{
	const char *p = c->src + from, *end = c->src + c->len;

	while ((size_t)(end - p) >= nlen) {
		p = memchr(p, needle[0], (size_t)(end - p) - nlen + 1);
		if (!p)
			break;
		if (memcmp(p, needle, nlen) == 0)
			return (uint32_t)(p - c->src);
		p++;
	}
	return UINT32_MAX;
}

static inline bool
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

static inline bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Printable excerpt of a name for messages. */
static const char *
excerpt(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < size; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Check a tag name: non-empty, no whitespace, length limit; dotted names
 * must not have empty parts ("." alone is the implicit iterator). */
static int
check_name(struct compiler *c, const struct tok *t, bool dotted)
{
	const char *s = c->src + t->ns;
	uint32_t n = t->ne - t->ns, i;
	char ex[80];

	if (n == 0)
		return cerr(c, MUSTACHE_ERR_SYNTAX, t, "empty tag name");
	if (n > c->lim.max_name_len)
		return cerr(c, MUSTACHE_ERR_NAME_LENGTH, t,
			    "tag name longer than %zu bytes",
			    c->lim.max_name_len);
	for (i = 0; i < n; i++)
		if (is_ws(s[i]))
			return cerr(c, MUSTACHE_ERR_SYNTAX, t,
				    "invalid tag name '%s': contains whitespace",
				    excerpt(s, n, ex, sizeof ex));
	if (dotted && !(n == 1 && s[0] == '.')) {
		bool dots = false;

		for (i = 0; i + 1 < n && !dots; i++)
			dots = s[i] == '.' && s[i + 1] == '.';
		if (s[0] == '.' || s[n - 1] == '.' || dots)
			return cerr(c, MUSTACHE_ERR_SYNTAX, t,
				    "invalid tag name '%s': empty part in dotted name",
				    excerpt(s, n, ex, sizeof ex));
	}
	return 0;
}

/* Pass A: tokens. */
static int
scan(struct compiler *c)
{
	char otag[DELIM_MAX + 1] = "{{", ctag[DELIM_MAX + 2] = "}}";
	char close[DELIM_MAX + 2];
	size_t olen = 2, clen = 2;
	uint32_t pos = 0;
	int rc;

	while (pos < c->len) {
		struct tok t;
		uint32_t p = find(c, pos, otag, olen), q, r;
		size_t closelen;
		char ex[80];

		if (p == UINT32_MAX)
			p = c->len;
		if (p > pos) {
			memset(&t, 0, sizeof t);
			t.kind = TK_TEXT;
			t.s = pos;
			t.e = p;
			if ((rc = push_tok(c, &t)) != 0)
				return rc;
		}
		if (p == c->len)
			break;

		memset(&t, 0, sizeof t);
		t.s = p;
		position(c, p, &t.line, &t.col);
		q = p + (uint32_t)olen;
		if (q >= c->len)
			return cerr(c, MUSTACHE_ERR_SYNTAX, &t,
				    "unclosed tag: no '%s' after '%s'", ctag, otag);
		switch (c->src[q]) {
		case '{':
			t.kind = '{';
			close[0] = '}';
			memcpy(close + 1, ctag, clen);
			closelen = clen + 1;
			q++;
			break;
		case '=':
			t.kind = '=';
			close[0] = '=';
			memcpy(close + 1, ctag, clen);
			closelen = clen + 1;
			q++;
			break;
		case '&': case '#': case '^': case '/': case '>': case '<':
		case '$': case '!':
			t.kind = (uint8_t)c->src[q];
			memcpy(close, ctag, clen);
			closelen = clen;
			q++;
			break;
		default:
			t.kind = 'v';
			memcpy(close, ctag, clen);
			closelen = clen;
			break;
		}
		r = find(c, q, close, closelen);
		if (r == UINT32_MAX) {
			uint32_t el = c->len - p < 24 ? c->len - p : 24;
			const char *nl = memchr(c->src + p, '\n', el);

			if (nl)
				el = (uint32_t)(nl - (c->src + p));
			close[closelen] = '\0';
			return cerr(c, MUSTACHE_ERR_SYNTAX, &t,
				    "unclosed tag: no '%s' after '%s'", close,
				    excerpt(c->src + p, el, ex, sizeof ex));
		}
		t.e = r + (uint32_t)closelen;
		pos = t.e;
		/* trim the content */
		while (q < r && is_ws(c->src[q]))
			q++;
		while (r > q && is_ws(c->src[r - 1]))
			r--;
		t.ns = q;
		t.ne = r;

		switch (t.kind) {
		case '!':
			break;
		case '=': {
			/* two whitespace-separated delimiters, no '=' in them */
			uint32_t a = q, ae, b, be;

			for (ae = a; ae < r && !is_ws(c->src[ae]); ae++)
				;
			for (b = ae; b < r && is_ws(c->src[b]); b++)
				;
			for (be = b; be < r && !is_ws(c->src[be]); be++)
				;
			if (ae == a || b == be || be != r ||
			    memchr(c->src + a, '=', ae - a) ||
			    memchr(c->src + b, '=', be - b))
				return cerr(c, MUSTACHE_ERR_BAD_DELIMITER, &t,
					    "bad delimiter tag '%s': expected two "
					    "delimiters without whitespace or '='",
					    excerpt(c->src + t.s, t.e - t.s, ex, sizeof ex));
			if (ae - a > DELIM_MAX || be - b > DELIM_MAX)
				return cerr(c, MUSTACHE_ERR_BAD_DELIMITER, &t,
					    "bad delimiter tag: delimiters longer "
					    "than %d bytes", DELIM_MAX);
			olen = ae - a;
			memcpy(otag, c->src + a, olen);
			otag[olen] = '\0';
			clen = be - b;
			memcpy(ctag, c->src + b, clen);
			ctag[clen] = '\0';
			break;
		}
		case '>': case '<':
			if (t.ns < t.ne && c->src[t.ns] == '*') {
				t.dynamic = 1;
				t.ns++;
				while (t.ns < t.ne && is_ws(c->src[t.ns]))
					t.ns++;
				if ((rc = check_name(c, &t, true)) != 0)
					return rc;
			}
			if ((rc = check_name(c, &t, false)) != 0)
				return rc;
			break;
		case '/':
			if (t.ns < t.ne && c->src[t.ns] == '*') {
				/* closes a {{<*dynamic}} parent: compare the name after '*' */
				t.dynamic = 1;
				t.ns++;
				while (t.ns < t.ne && is_ws(c->src[t.ns]))
					t.ns++;
			}
			if ((rc = check_name(c, &t, false)) != 0)
				return rc;
			break;
		case '$':
			if ((rc = check_name(c, &t, false)) != 0)
				return rc;
			break;
		default:	/* v { & # ^ */
			if ((rc = check_name(c, &t, true)) != 0)
				return rc;
			break;
		}
		if ((rc = push_tok(c, &t)) != 0)
			return rc;
	}
	return 0;
}

static bool
is_opener(uint8_t k)
{
	return k == '#' || k == '^' || k == '<' || k == '$';
}

/* Pass B: pair openers and closers. */
static int
match(struct compiler *c)
{
	uint32_t *stack, depth = 0, i;
	char ex1[80], ex2[80];
	int rc = 0;

	stack = malloc(((size_t)c->lim.max_depth + 1) * sizeof *stack);
	if (!stack)
		return MUSTACHE_ERR_NOMEM;
	for (i = 0; i < c->ntoks && rc == 0; i++) {
		struct tok *t = &c->toks[i];

		if (is_opener(t->kind)) {
			if (depth >= c->lim.max_depth) {
				rc = cerr(c, MUSTACHE_ERR_DEPTH, t,
					  "sections nested deeper than %u",
					  c->lim.max_depth);
				break;
			}
			stack[depth++] = i;
		} else if (t->kind == '/') {
			struct tok *o;

			if (depth == 0) {
				rc = cerr(c, MUSTACHE_ERR_MISMATCHED_CLOSE, t,
					  "unexpected close tag {{/%s}}: no section is open",
					  excerpt(c->src + t->ns, t->ne - t->ns, ex1, sizeof ex1));
				break;
			}
			o = &c->toks[stack[--depth]];
			if (o->dynamic != t->dynamic || o->ne - o->ns != t->ne - t->ns ||
			    memcmp(c->src + o->ns, c->src + t->ns, t->ne - t->ns) != 0) {
				rc = cerr(c, MUSTACHE_ERR_MISMATCHED_CLOSE, t,
					  "mismatched close tag {{/%s%s}}: expected {{/%s%s}} "
					  "(opened at %u:%u)",
					  t->dynamic ? "*" : "",
					  excerpt(c->src + t->ns, t->ne - t->ns, ex1, sizeof ex1),
					  o->dynamic ? "*" : "",
					  excerpt(c->src + o->ns, o->ne - o->ns, ex2, sizeof ex2),
					  o->line, o->col);
				break;
			}
			o->match = i;
			t->match = stack[depth];
		}
	}
	if (rc == 0 && depth > 0) {
		struct tok *o = &c->toks[stack[depth - 1]];

		rc = cerr(c, MUSTACHE_ERR_UNCLOSED_SECTION, o,
			  "unclosed section '%s': no {{/%s}} before the end of the template",
			  excerpt(c->src + o->ns, o->ne - o->ns, ex1, sizeof ex1),
			  excerpt(c->src + o->ns, o->ne - o->ns, ex2, sizeof ex2));
	}
	free(stack);
	return rc;
}

static bool
is_interp(uint8_t k)
{
	return k == 'v' || k == '{' || k == '&';
}

/* Tags that may share a standalone line with others: the inheritance
 * pairs {{<p}}{{/p}}, {{<p}}{{$b}}, {{/b}}{{/p}} and {{$b}}{{/b}}. */
static bool
is_inherit(const struct compiler *c, const struct tok *t)
{
	return t->kind == '<' || t->kind == '$' ||
	       (t->kind == '/' && (c->toks[t->match].kind == '<' ||
				   c->toks[t->match].kind == '$'));
}

/* Pass C: standalone lines.  A line is standalone when its text is only
 * spaces/tabs and it holds one non-interpolation tag, or only inheritance
 * tags. */
static void
standalone(struct compiler *c)
{
	uint32_t i = 0, off = c->ntoks ? c->toks[0].s : 0;

	while (i < c->ntoks) {
		uint32_t j = i, o = off, ntags = 0, first = UINT32_MAX, last = 0;
		uint32_t endtok = UINT32_MAX, nl = 0;
		bool ok = true, inherit = true;

		/* find the end of the line that starts at token i, offset off */
		while (j < c->ntoks) {
			struct tok *t = &c->toks[j];

			if (t->kind == TK_TEXT) {
				const char *p = memchr(c->src + o, '\n', t->e - o);
				uint32_t se = p ? (uint32_t)(p - c->src) : t->e, k;

				for (k = o; ok && k < se; k++)
					if (!is_blank(c->src[k]) &&
					    !(p && k == se - 1 && c->src[k] == '\r'))
						ok = false;
				if (p) {
					endtok = j;
					nl = se;
					break;
				}
			} else {
				if (is_interp(t->kind))
					ok = false;
				if (!is_inherit(c, t))
					inherit = false;
				ntags++;
				if (first == UINT32_MAX)
					first = j;
				last = j;
			}
			j++;
			if (j < c->ntoks)
				o = c->toks[j].s;
		}

		if (ok && (ntags == 1 || (ntags > 1 && inherit))) {
			uint32_t ind_e = c->toks[first].s, k, eol;
			bool keep = false;
			struct tok *lt = &c->toks[last];

			if (lt->kind == '/' && c->toks[lt->match].kind == '$' &&
			    lt->match >= i)
				keep = true;
			eol = endtok == UINT32_MAX ? c->len : nl + 1;
			/* leading whitespace: end the first text token here */
			if (c->toks[i].kind == TK_TEXT && i < first)
				c->toks[i].e = off;
			for (k = i; k < (endtok == UINT32_MAX ? c->ntoks : endtok); k++) {
				struct tok *t = &c->toks[k];

				if (t->kind == TK_TEXT) {
					if (k != i)
						t->s = t->e;
				} else {
					t->standalone = 1;
					t->keep_eol = keep;
					t->ind_s = off;
					t->ind_e = ind_e;
					t->eol = eol;
				}
			}
			if (endtok != UINT32_MAX) {
				struct tok *t = &c->toks[endtok];

				if (keep) {
					uint32_t ls = nl;

					if (ls > t->s && c->src[ls - 1] == '\r')
						ls--;
					t->s = ls;
				} else {
					t->s = nl + 1;
				}
			}
		}
		if (endtok == UINT32_MAX)
			break;
		i = endtok;
		off = nl + 1;
	}
}

/* Pool and node builders. */
static int
pool_add(struct compiler *c, const char *s, size_t n, uint32_t *off)
{
	if (c->pool_len + n + 1 > c->pool_cap) {
		size_t cap = c->pool_cap ? c->pool_cap : 256;
		char *p;

		while (cap < c->pool_len + n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return MUSTACHE_ERR_TEMPLATE_SIZE;
		p = realloc(c->pool, cap);
		if (!p)
			return MUSTACHE_ERR_NOMEM;
		c->pool = p;
		c->pool_cap = cap;
	}
	*off = (uint32_t)c->pool_len;
	if (n)
		memcpy(c->pool + c->pool_len, s, n);
	c->pool_len += n;
	return 0;
}

static int
pool_end(struct compiler *c)
{
	uint32_t off;
	int rc = pool_add(c, "", 0, &off);

	if (rc == 0)
		c->pool[c->pool_len++] = '\0';
	return rc;
}

static int
new_node(struct compiler *c, uint8_t type, const struct tok *t, struct node **out)
{
	struct node *n;

	if (c->nnodes == c->capnodes) {
		uint32_t cap = c->capnodes ? c->capnodes * 2 : 32;
		struct node *p = realloc(c->nodes, (size_t)cap * sizeof *p);

		if (!p)
			return MUSTACHE_ERR_NOMEM;
		c->nodes = p;
		c->capnodes = cap;
	}
	n = &c->nodes[c->nnodes++];
	memset(n, 0, sizeof *n);
	n->type = type;
	if (t) {
		n->line = t->line;
		n->col = t->col;
	}
	*out = n;
	return 0;
}

/* Store the tag's name (full, then its dotted parts) into node n. */
static int
node_name(struct compiler *c, struct node *n, const struct tok *t, bool dotted)
{
	const char *s = c->src + t->ns;
	uint32_t len = t->ne - t->ns, off, i;
	int rc;

	if ((rc = pool_add(c, s, len, &off)) != 0 || (rc = pool_end(c)) != 0)
		return rc;
	n->a = off;
	n->len = len;
	if (!dotted)
		return 0;
	if (len == 1 && s[0] == '.') {
		n->nparts = 0;
		return 0;
	}
	if ((rc = pool_add(c, s, len, &off)) != 0 || (rc = pool_end(c)) != 0)
		return rc;
	n->parts = off;
	n->nparts = 1;
	for (i = 0; i < len; i++)
		if (c->pool[off + i] == '.') {
			c->pool[off + i] = '\0';
			if (n->nparts == UINT16_MAX)
				return cerr(c, MUSTACHE_ERR_NAME_LENGTH, t,
					    "too many parts in dotted name");
			n->nparts++;
		}
	return 0;
}

/* Length of the common prefix of two whitespace runs. */
static uint32_t
common_prefix(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t i = 0;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	return i;
}

/* The indentation shared by the non-blank lines of src[s, e). */
static void
dedent_of(const struct compiler *c, uint32_t s, uint32_t e, uint32_t *ds,
	  uint32_t *dlen)
{
	bool first = true;
	uint32_t pos = s;

	*ds = s;
	*dlen = 0;
	while (pos < e) {
		const char *p = memchr(c->src + pos, '\n', e - pos);
		uint32_t le = p ? (uint32_t)(p - c->src) : e, k = pos;

		while (k < le && is_blank(c->src[k]))
			k++;
		if (k < le && !(k + 1 == le && c->src[k] == '\r')) {
			if (first) {
				*ds = pos;
				*dlen = k - pos;
				first = false;
			} else {
				*dlen = common_prefix(c->src + *ds, *dlen, c->src + pos,
						      k - pos);
			}
		}
		pos = le + 1;
	}
}

/* Indentation stored for a partial/parent/block: the tag's leading
 * whitespace less the part removed by the enclosing block (strip). */
static int
node_indent(struct compiler *c, struct node *n, uint32_t s, uint32_t len,
	    uint32_t strip_s, uint32_t strip_len)
{
	uint32_t k = common_prefix(c->src + s, len, c->src + strip_s, strip_len);
	uint32_t off;
	int rc;

	if (len - k == 0)
		return 0;
	if ((rc = pool_add(c, c->src + s + k, len - k, &off)) != 0)
		return rc;
	n->ind = off;
	n->ind_len = len - k;
	return 0;
}

struct frame {
	uint32_t node;		/* node index of the opener */
	uint32_t strip_s, strip_len;	/* indentation removed inside */
	bool parent;		/* directly inside {{<parent}}: only blocks count */
};

/* Append text src[s,e) as a node, dropping up to strip_len bytes of the
 * strip prefix at the start of each line. */
static int
emit_text(struct compiler *c, uint32_t s, uint32_t e, uint32_t strip_s,
	  uint32_t strip_len, int32_t *merge)
{
	struct node *n;
	uint32_t start_len = (uint32_t)c->pool_len, off, pos0 = s;
	bool bol = s > 0 && c->src[s - 1] == '\n';
	int rc;

	while (s < e) {
		const char *p;
		uint32_t le;

		if (bol && strip_len) {
			uint32_t k = 0;

			while (k < strip_len && s < e && c->src[s] == c->src[strip_s + k])
				s++, k++;
		}
		p = memchr(c->src + s, '\n', e - s);
		le = p ? (uint32_t)(p - c->src) + 1 : e;
		if ((rc = pool_add(c, c->src + s, le - s, &off)) != 0)
			return rc;
		s = le;
		bol = true;
	}
	if (c->pool_len == start_len)
		return 0;
	if (*merge >= 0 && c->nodes[*merge].a + c->nodes[*merge].len == start_len) {
		n = &c->nodes[*merge];
		n->len += (uint32_t)(c->pool_len - start_len);
	} else {
		if ((rc = new_node(c, N_TEXT, NULL, &n)) != 0)
			return rc;
		position(c, pos0, &n->line, &n->col);
		n->a = start_len;
		n->len = (uint32_t)(c->pool_len - start_len);
		*merge = (int32_t)(c->nnodes - 1);
	}
	if (memchr(c->pool + start_len, '\n', c->pool_len - start_len))
		n->flags |= F_HAS_NL;
	return 0;
}

/* Pass D: nodes. */
static int
emit(struct compiler *c)
{
	struct frame *st;
	uint32_t depth = 0, i;
	uint32_t strip_s = 0, strip_len = 0;
	bool in_parent = false;
	int32_t merge = -1;
	int rc = 0;

	st = malloc(((size_t)c->lim.max_depth + 1) * sizeof *st);
	if (!st)
		return MUSTACHE_ERR_NOMEM;
	for (i = 0; i < c->ntoks && rc == 0; i++) {
		struct tok *t = &c->toks[i];
		struct node *n;

		if (in_parent && t->kind != '$' && t->kind != '/') {
			/* text and tags directly inside a parent are ignored */
			if (is_opener(t->kind))
				i = t->match;
			continue;
		}
		switch (t->kind) {
		case TK_TEXT:
			if (t->s < t->e)
				rc = emit_text(c, t->s, t->e, strip_s, strip_len, &merge);
			continue;
		case '!':
		case '=':
			continue;
		case 'v': case '{': case '&':
			merge = -1;
			if ((rc = new_node(c, t->kind == 'v' ? N_VAR : N_RAW, t, &n)) == 0)
				rc = node_name(c, n, t, true);
			continue;
		case '>':
			merge = -1;
			if ((rc = new_node(c, N_PARTIAL, t, &n)) != 0)
				break;
			n->flags = t->dynamic ? F_DYNAMIC : 0;
			if ((rc = node_name(c, n, t, t->dynamic)) == 0 && t->standalone)
				rc = node_indent(c, n, t->ind_s, t->ind_e - t->ind_s,
						 strip_s, strip_len);
			continue;
		case '/': {
			struct frame *f = &st[--depth];

			merge = -1;
			c->nodes[f->node].end = c->nnodes;
			if (depth > 0) {
				strip_s = st[depth - 1].strip_s;
				strip_len = st[depth - 1].strip_len;
				in_parent = st[depth - 1].parent;
			} else {
				strip_s = strip_len = 0;
				in_parent = false;
			}
			continue;
		}
		default:	/* # ^ < $ */
			break;
		}
		if (rc)
			break;

		/* openers */
		merge = -1;
		{
			uint8_t type = t->kind == '#' ? N_SECTION :
				       t->kind == '^' ? N_INVERTED :
				       t->kind == '<' ? N_PARENT : N_BLOCK;
			struct frame *f = &st[depth++];
			uint32_t ns = strip_s, nl = strip_len;

			if ((rc = new_node(c, type, t, &n)) != 0)
				break;
			n->flags = t->dynamic ? F_DYNAMIC : 0;
			rc = node_name(c, n, t, type == N_SECTION || type == N_INVERTED ||
					       (type == N_PARENT && t->dynamic));
			if (rc)
				break;
			if (type == N_PARENT && t->standalone)
				rc = node_indent(c, n, t->ind_s, t->ind_e - t->ind_s,
						 strip_s, strip_len);
			if (type == N_BLOCK && t->standalone) {
				/* the block's own indentation: shared by its lines */
				const struct tok *ct = &c->toks[t->match];
				uint32_t cs = t->eol, ce = ct->standalone ? ct->ind_s : ct->s;
				uint32_t ds, dl;

				if (ce < cs)
					ce = cs;
				dedent_of(c, cs, ce, &ds, &dl);
				if (dl > 0)
					rc = node_indent(c, n, ds, dl, strip_s, strip_len);
				else
					rc = node_indent(c, n, t->ind_s, t->ind_e - t->ind_s,
							 strip_s, strip_len);
				ns = ds;
				nl = dl;
			}
			if (rc)
				break;
			f->node = c->nnodes - 1;
			f->strip_s = ns;
			f->strip_len = nl;
			f->parent = type == N_PARENT;
			strip_s = ns;
			strip_len = nl;
			in_parent = f->parent;
		}
	}
	free(st);
	return rc;
}

int
mustache_compile(const char *name, const char *src, size_t len,
		 const mustache_limits *limits, mustache_template **out,
		 mustache_error *err)
{
	struct compiler c;
	mustache_template *t = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!out || (!src && len))
		return seterr(err, MUSTACHE_ERR_INVALID, name, 0, 0,
			      "invalid argument");
	memset(&c, 0, sizeof c);
	c.name = name ? name : "template";
	c.src = src ? src : "";
	c.lim = limits_of(limits);
	c.err = err;
	c.lc_line = 1;
	if (len > c.lim.max_template_size)
		return seterr(err, MUSTACHE_ERR_TEMPLATE_SIZE, c.name, 1, 1,
			      "template of %zu bytes is larger than the limit of %zu",
			      len, c.lim.max_template_size);
	c.len = (uint32_t)len;

	if ((rc = scan(&c)) == 0 && (rc = match(&c)) == 0) {
		standalone(&c);
		rc = emit(&c);
	}
	if (rc == 0 && (rc = pool_end(&c)) == 0) {
		t = calloc(1, sizeof *t);
		if (!t || !(t->name = strdup(c.name))) {
			free(t);
			t = NULL;
			rc = MUSTACHE_ERR_NOMEM;
		}
	}
	free(c.toks);
	if (rc) {
		if (rc == MUSTACHE_ERR_NOMEM || rc == MUSTACHE_ERR_TEMPLATE_SIZE)
			seterr(err, rc, c.name, 0, 0, "%s while compiling",
			       mustache_strerror(rc));
		free(c.nodes);
		free(c.pool);
		return rc;
	}
	t->nodes = c.nodes;
	t->nnodes = c.nnodes;
	t->pool = c.pool;
	t->pool_len = c.pool_len;
	*out = t;
	return 0;
}

/* ------------------------------------------------------------------------
 * Renderer
 */

#define PMEMO_SLOTS 32

struct pframe {			/* a {{<parent}} call: its block overrides */
	const mustache_template *t;
	uint32_t begin, end;
};

struct indent {
	const char *s;
	uint32_t len;
};

struct rs {
	const mustache_backend *be;
	void *cl;
	const mustache_partials *partials;
	unsigned flags;
	mustache_limits lim;
	struct buf *out;
	size_t max_out;		/* max_output, or out's own limit if lower */
	mustache_error *err;
	int status;		/* sticky: first error wins, everything stops */

	unsigned depth, pdepth;
	unsigned long steps;
	bool pending;		/* at a line start whose indentation is not out yet */

	unsigned nctx, nind, nchain;
	mustache_value ctx[MUSTACHE_DEPTH_CAP + 2];
	struct indent ind[MUSTACHE_DEPTH_CAP + 2];
	struct pframe chain[MUSTACHE_DEPTH_CAP + 2];
	char scratch[MUSTACHE_SCRATCH];
	struct {		/* static partial names already found this render */
		const char *name;
		const mustache_template *t;
	} pmemo[PMEMO_SLOTS];
};

static void render_nodes(struct rs *rs, const mustache_template *t,
			 uint32_t i, uint32_t end);

static void
rfail(struct rs *rs, int code, const mustache_template *t, const struct node *n,
      const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	if (rs->status)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	rs->status = seterr(rs->err, code, t->name, n ? n->line : 0,
			    n ? n->col : 0, "%s", detail);
}

/* Room in the output for `add` more bytes (plus the final NUL). */
static bool
grow(struct rs *rs, size_t add, const mustache_template *t, const struct node *n)
{
	struct buf *b = rs->out;

	if (rs->status)
		return false;
	if (add > rs->max_out - b->len) {
		rfail(rs, MUSTACHE_ERR_OUTPUT_SIZE, t, n,
		      "output larger than the limit of %zu bytes", rs->max_out);
		return false;
	}
	/* Within the limit, so only memory can fail; out->limit is max_out
	 * while rendering, so the buffer never holds room it cannot use. */
	if (!buf_reserve(b, add)) {
		rfail(rs, MUSTACHE_ERR_NOMEM, t, n, "out of memory");
		return false;
	}
	return true;
}

static inline void
put(struct rs *rs, const char *s, size_t n, const mustache_template *t,
    const struct node *nd)
{
	struct buf *b = rs->out;

	if ((n >= b->cap - b->len || n > rs->max_out - b->len) &&
	    !grow(rs, n, t, nd))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void
put_indent(struct rs *rs, const mustache_template *t, const struct node *n)
{
	unsigned i;

	for (i = 0; i < rs->nind; i++)
		put(rs, rs->ind[i].s, rs->ind[i].len, t, n);
}

static const unsigned char esc_class[256] = {
	['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5
};
static const char *const esc_text[] = { "", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
static const unsigned char esc_len[] = { 0, 5, 4, 4, 6, 5 };

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Non-zero if one of the 8 bytes of w equals byte c (times ONES). */
#define HAS_BYTE(w, c) ((((w) ^ (c)) - ONES) & ~((w) ^ (c)) & HIGHS)

/* Index of the first byte of s[i, n) that needs escaping, or n.  Eight
 * bytes at a time: most values have nothing to escape. */
static inline size_t
next_special(const char *s, size_t i, size_t n)
{
	while (i + 8 <= n) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (HAS_BYTE(w, ONES * '&') | HAS_BYTE(w, ONES * '<') |
		    HAS_BYTE(w, ONES * '>') | HAS_BYTE(w, ONES * '"') |
		    HAS_BYTE(w, ONES * '\''))
			break;
		i += 8;
	}
	while (i < n && !esc_class[(unsigned char)s[i]])
		i++;
	return i;
}

/* Write s escaping & < > " ' for HTML. */
static void
put_escaped(struct rs *rs, const char *s, size_t n, const mustache_template *t,
	    const struct node *nd)
{
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char k;

		i = next_special(s, i, n);
		if (i == n)
			break;
		k = esc_class[(unsigned char)s[i]];
		if (i > run)
			put(rs, s + run, i - run, t, nd);
		put(rs, esc_text[k], esc_len[k], t, nd);
		run = ++i;
	}
	if (n > run)
		put(rs, s + run, n - run, t, nd);
}

/* Literal template text: indentation goes before every non-empty line. */
static void
put_text(struct rs *rs, const mustache_template *t, const struct node *n)
{
	const char *s = t->pool + n->a, *end = s + n->len;

	if (rs->nind == 0) {
		put(rs, s, n->len, t, n);
		return;
	}
	if (!(n->flags & F_HAS_NL)) {
		if (rs->pending) {
			put_indent(rs, t, n);
			rs->pending = false;
		}
		put(rs, s, n->len, t, n);
		return;
	}
	while (s < end) {
		const char *nl;

		if (rs->pending) {
			if (*s != '\n')
				put_indent(rs, t, n);
			rs->pending = false;
		}
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl) {
			put(rs, s, (size_t)(end - s), t, n);
			break;
		}
		put(rs, s, (size_t)(nl + 1 - s), t, n);
		s = nl + 1;
		rs->pending = true;
	}
}

/* Resolve the node's dotted name against the context stack: the first part
 * in the innermost context that has it, the rest inside that value. */
static mustache_value
lookup(struct rs *rs, const mustache_template *t, const struct node *n)
{
	const char *p;
	mustache_value v = NULL;
	unsigned k, part;

	if (n->nparts == 0)
		return rs->ctx[rs->nctx - 1];
	p = t->pool + n->parts;
	for (k = rs->nctx; k-- > 0;)
		if (rs->ctx[k] && (v = rs->be->member(rs->cl, rs->ctx[k], p)) != NULL)
			break;
	for (part = 1; v && part < n->nparts; part++) {
		p += strlen(p) + 1;	/* only dotted names get here */
		v = rs->be->member(rs->cl, v, p);
	}
	return v;
}

static void
unresolved(struct rs *rs, const mustache_template *t, const struct node *n)
{
	char ex[300];

	rfail(rs, MUSTACHE_ERR_UNRESOLVED, t, n, "unresolved name '%s'",
	      excerpt(t->pool + n->a, n->len, ex, sizeof ex));
}

static void
interpolate(struct rs *rs, const mustache_template *t, const struct node *n)
{
	mustache_value v = lookup(rs, t, n);
	const char *s;
	size_t len = 0;

	if (!v) {
		if (rs->flags & MUSTACHE_STRICT)
			unresolved(rs, t, n);
		return;
	}
	s = rs->be->text(rs->cl, v, rs->scratch, &len);
	if (!s) {
		if (rs->flags & MUSTACHE_STRICT) {
			char ex[300];

			rfail(rs, MUSTACHE_ERR_UNRESOLVED, t, n,
			      "name '%s' is a list or a map, not a value",
			      excerpt(t->pool + n->a, n->len, ex, sizeof ex));
		}
		return;
	}
	if (len == 0)
		return;
	if (rs->nind && rs->pending) {
		put_indent(rs, t, n);
		rs->pending = false;
	}
	if (n->type == N_VAR)
		put_escaped(rs, s, len, t, n);
	else
		put(rs, s, len, t, n);
}

static bool
enter(struct rs *rs, const mustache_template *t, const struct node *n)
{
	if (rs->depth >= rs->lim.max_depth) {
		rfail(rs, MUSTACHE_ERR_DEPTH, t, n,
		      "rendering nested deeper than %u", rs->lim.max_depth);
		return false;
	}
	rs->depth++;
	return true;
}

static void
section(struct rs *rs, const mustache_template *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	mustache_value v = lookup(rs, t, n);
	long len;

	if (!v) {
		if (rs->flags & MUSTACHE_STRICT)
			unresolved(rs, t, n);
		if (n->type == N_INVERTED && !rs->status && enter(rs, t, n)) {
			render_nodes(rs, t, i + 1, n->end);
			rs->depth--;
		}
		return;
	}
	len = rs->be->list_len(rs->cl, v);
	if (n->type == N_INVERTED) {
		if (len > 0 || (len < 0 && rs->be->truthy(rs->cl, v)))
			return;
		if (enter(rs, t, n)) {
			render_nodes(rs, t, i + 1, n->end);
			rs->depth--;
		}
		return;
	}
	if (len < 0) {
		if (!rs->be->truthy(rs->cl, v))
			return;
		if (enter(rs, t, n)) {
			rs->ctx[rs->nctx++] = v;
			render_nodes(rs, t, i + 1, n->end);
			rs->nctx--;
			rs->depth--;
		}
		return;
	}
	if (len == 0 || !enter(rs, t, n))
		return;
	for (long k = 0; k < len && !rs->status; k++) {
		rs->ctx[rs->nctx++] = rs->be->list_item(rs->cl, v, (size_t)k);
		render_nodes(rs, t, i + 1, n->end);
		rs->nctx--;
	}
	rs->depth--;
}

/* The template named by a partial or parent node, or NULL (missing and
 * allowed to be, or an error already recorded).  Kept out of line: its
 * buffers (2 KiB) must not stay on the stack of every recursion level. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static const mustache_template *
find_partial(struct rs *rs, const mustache_template *t, const struct node *n)
{
	char buf[MUSTACHE_NAME_CAP + 1], ex[300];
	const char *name = t->pool + n->a;
	const mustache_template *pt = NULL;
	mustache_error perr;
	int rc;

	if (n->flags & F_DYNAMIC) {
		mustache_value v = lookup(rs, t, n);
		const char *s = NULL;
		size_t len = 0;

		if (v)
			s = rs->be->text(rs->cl, v, rs->scratch, &len);
		if (!v || !s || len == 0) {
			if (rs->flags & MUSTACHE_STRICT)
				unresolved(rs, t, n);
			return NULL;
		}
		if (len > rs->lim.max_name_len || memchr(s, '\0', len)) {
			if (!(rs->flags & MUSTACHE_MISSING_PARTIAL_EMPTY))
				rfail(rs, MUSTACHE_ERR_PARTIAL_NOT_FOUND, t, n,
				      "partial '%s' (from '*%s') not found",
				      excerpt(s, len, ex, sizeof ex), name);
			return NULL;
		}
		memcpy(buf, s, len);
		buf[len] = '\0';
		name = buf;
	}
	/* a static name lives at a fixed address: remember what it found, so
	 * a partial in a 100-row loop is looked up once per render */
	if (!(n->flags & F_DYNAMIC)) {
		size_t k = ((uintptr_t)name >> 2) % PMEMO_SLOTS;

		if (rs->pmemo[k].name == name)
			pt = rs->pmemo[k].t;
	}
	if (pt)
		rc = 0;
	else
		rc = rs->partials ? rs->partials->get(rs->partials->closure, name, &pt, &perr)
				  : MUSTACHE_ERR_PARTIAL_NOT_FOUND;
	if (rc == 0 && !(n->flags & F_DYNAMIC)) {
		size_t k = ((uintptr_t)name >> 2) % PMEMO_SLOTS;

		rs->pmemo[k].name = name;
		rs->pmemo[k].t = pt;
	}
	if (rc == MUSTACHE_ERR_PARTIAL_NOT_FOUND) {
		if (!(rs->flags & MUSTACHE_MISSING_PARTIAL_EMPTY))
			rfail(rs, rc, t, n, "partial '%s' not found",
			      excerpt(name, strlen(name), ex, sizeof ex));
		return NULL;
	}
	if (rc < 0) {
		if (!rs->status) {
			rs->status = rc;
			if (rs->err)
				*rs->err = perr;
		}
		return NULL;
	}
	if (rs->pdepth >= rs->lim.max_partial_depth) {
		rfail(rs, MUSTACHE_ERR_PARTIAL_DEPTH, t, n,
		      "partials nested deeper than %u (recursive partial '%s'?)",
		      rs->lim.max_partial_depth,
		      excerpt(name, strlen(name), ex, sizeof ex));
		return NULL;
	}
	return pt;
}

/* Render body [i, end) of t with node n's indentation pushed. */
static void
with_indent(struct rs *rs, const struct node *site, const mustache_template *site_t,
	    const mustache_template *t, uint32_t i, uint32_t end)
{
	bool pushed = false;

	if (site->ind_len) {
		rs->ind[rs->nind].s = site_t->pool + site->ind;
		rs->ind[rs->nind].len = site->ind_len;
		rs->nind++;
		rs->pending = true;
		pushed = true;
	}
	render_nodes(rs, t, i, end);
	if (pushed)
		rs->nind--;
}

static void
partial(struct rs *rs, const mustache_template *t, const struct node *n)
{
	const mustache_template *pt = find_partial(rs, t, n);

	if (!pt || !enter(rs, t, n))
		return;
	rs->pdepth++;
	with_indent(rs, n, t, pt, 0, pt->nnodes);
	rs->pdepth--;
	rs->depth--;
}

static void
parent(struct rs *rs, const mustache_template *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	const mustache_template *pt = find_partial(rs, t, n);

	if (!pt || !enter(rs, t, n))
		return;
	rs->chain[rs->nchain].t = t;
	rs->chain[rs->nchain].begin = i + 1;
	rs->chain[rs->nchain].end = n->end;
	rs->nchain++;
	rs->pdepth++;
	with_indent(rs, n, t, pt, 0, pt->nnodes);
	rs->pdepth--;
	rs->nchain--;
	rs->depth--;
}

/* A block site: the outermost override of its name wins, else its default. */
static void
block(struct rs *rs, const mustache_template *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	const char *name = t->pool + n->a;
	unsigned f;

	if (!enter(rs, t, n))
		return;
	for (f = 0; f < rs->nchain; f++) {
		const struct pframe *fr = &rs->chain[f];
		uint32_t k = fr->begin;

		while (k < fr->end) {
			const struct node *o = &fr->t->nodes[k];

			/* scanning overrides is work too: bound it like rendering */
			if (++rs->steps > rs->lim.max_steps) {
				rfail(rs, MUSTACHE_ERR_STEPS, t, n,
				      "render stopped after %lu steps", rs->lim.max_steps);
				rs->depth--;
				return;
			}
			if (o->type == N_BLOCK && o->len == n->len &&
			    memcmp(fr->t->pool + o->a, name, n->len) == 0) {
				with_indent(rs, n, t, fr->t, k + 1, o->end);
				rs->depth--;
				return;
			}
			k = o->end > k ? o->end : k + 1;
		}
	}
	with_indent(rs, n, t, t, i + 1, n->end);
	rs->depth--;
}

static void
render_nodes(struct rs *rs, const mustache_template *t, uint32_t i, uint32_t end)
{
	while (i < end && !rs->status) {
		const struct node *n = &t->nodes[i];

		if (++rs->steps > rs->lim.max_steps) {
			rfail(rs, MUSTACHE_ERR_STEPS, t, n,
			      "render stopped after %lu steps", rs->lim.max_steps);
			return;
		}
		switch (n->type) {
		case N_TEXT:
			put_text(rs, t, n);
			i++;
			break;
		case N_VAR:
		case N_RAW:
			interpolate(rs, t, n);
			i++;
			break;
		case N_SECTION:
		case N_INVERTED:
			section(rs, t, i);
			i = n->end;
			break;
		case N_PARTIAL:
			partial(rs, t, n);
			i++;
			break;
		case N_PARENT:
			parent(rs, t, i);
			i = n->end;
			break;
		case N_BLOCK:
			block(rs, t, i);
			i = n->end;
			break;
		default:
			abort();	/* the compiler makes no other node */
		}
	}
}

int
mustache_render(const mustache_template *t, const mustache_backend *be,
		void *be_closure, mustache_value root,
		const mustache_partials *partials, unsigned flags,
		const mustache_limits *limits, struct buf *out,
		mustache_error *err)
{
	struct rs rs;
	size_t caller_limit;

	if (!t || !be || !out)
		return seterr(err, MUSTACHE_ERR_INVALID, t ? t->name : NULL, 0, 0,
			      "invalid argument");
	buf_reset(out);
	rs.be = be;
	rs.cl = be_closure;
	rs.partials = partials;
	rs.flags = flags;
	rs.lim = limits_of(limits);
	rs.out = out;
	rs.max_out = rs.lim.max_output;
	caller_limit = out->limit;
	if (caller_limit != 0 && caller_limit < rs.max_out)
		rs.max_out = caller_limit;
	out->limit = rs.max_out;
	rs.err = err;
	rs.status = 0;
	rs.depth = rs.pdepth = 0;
	rs.steps = 0;
	rs.pending = false;
	rs.nctx = rs.nind = rs.nchain = 0;
	memset(rs.pmemo, 0, sizeof rs.pmemo);
	rs.ctx[rs.nctx++] = root;

	render_nodes(&rs, t, 0, t->nnodes);
	if (rs.status == 0 && grow(&rs, 0, t, NULL))
		out->data[out->len] = '\0';
	out->limit = caller_limit;
	if (rs.status) {
		buf_reset(out);
		out->failed = true;	/* sticky: sent anyway, it is a 500 */
		return rs.status;
	}
	return 0;
}
