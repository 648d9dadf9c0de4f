/* json_scan: one pass over a JSON body's text (see json_scan.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

/* What the scan found in one token; messages as the API sends them. */
static const char	 M_CONTROL[] = "malformed JSON: a control character "
			    "inside a string must be escaped";
static const char	 M_SURROGATE[] = "a string holds a lone UTF-16 "
			    "surrogate";
static const char	 M_NULKEY[] = "an object key contains a NUL character "
			    "(\\u0000)";
static const char	 M_BIGINT[] = "a number does not fit in 64 bits "
			    "(send it as a string)";
static const char	 M_LITERAL[] = "malformed JSON: only true, false and "
			    "null are allowed outside strings (no NaN or "
			    "Infinity)";

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The value of the 4 hex digits at s, or -1. */
static long
hex4(const char *s)
{
	long	 v = 0;
	int	 i;

	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Scan the string starting after the opening quote at s[*i], leaving *i
 * after the closing quote. Returns M_CONTROL (not JSON), M_SURROGATE, or
 * NULL; sets *nul if the string holds a \u0000. A bad escape is left for
 * json-c to report.
 */
static const char *
scan_string(const char *s, size_t len, size_t *i, bool *nul)
{
	const char	*problem = NULL;
	long		 cp, low;

	for (*nul = false; *i < len && s[*i] != '"'; (*i)++) {
		if ((unsigned char)s[*i] < 0x20)
			return M_CONTROL;
		if (s[*i] != '\\')
			continue;
		if (++(*i) >= len || s[*i] != 'u')
			continue;
		if (len - *i < 5 || (cp = hex4(s + *i + 1)) < 0)
			continue;
		*i += 4;
		if (cp == 0)
			*nul = true;
		else if (cp >= 0xdc00 && cp <= 0xdfff)
			problem = M_SURROGATE;
		else if (cp >= 0xd800 && cp <= 0xdbff) {
			if (len - *i < 7 || s[*i + 1] != '\\' ||
			    s[*i + 2] != 'u' || (low = hex4(s + *i + 3)) <
			    0xdc00 || low > 0xdfff)
				problem = M_SURROGATE;
			else
				*i += 6;
		}
	}
	(*i)++;		/* the closing quote */
	return problem;
}

/* An integer literal that does not fit in 64 bits, at s[start..end)? */
static bool
integer_overflows(const char *s, size_t start, size_t end)
{
	char	 digits[48];
	size_t	 n = end - start, k;

	for (k = start; k < end; k++)
		if (s[k] == '.' || s[k] == 'e' || s[k] == 'E')
			return false;	/* a float: json-c keeps a double */
	if (n >= sizeof(digits))
		return true;
	memcpy(digits, s + start, n);
	digits[n] = '\0';
	errno = 0;
	(void)strtoll(digits, NULL, 10);
	return errno == ERANGE;
}

/* Room in *arr (malloc'd, *cap elements of sz bytes, n used; the scan
 * frees it) for one more; 0, or -1 when out of memory. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void	*p;
	size_t	 want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 16;
	if ((p = realloc(*arr, want * sz)) == NULL)
		return -1;
	*arr = p;
	*cap = want;
	return 0;
}

/* The cursor of a scan. */
struct cursor {
	size_t	*open;		/* per open container: its object, or NONE */
	size_t	 depth;
	bool	 in_part;	/* inside one of the root's children */
};

/*
 * Put problem on the child being scanned (its first problem is kept, as a
 * copy the part owns), or on the body if there is none. Returns 0, or -1
 * for the body (the reason in why).
 */
static int
blame(struct json_scan *sc, const struct cursor *c, const char *problem,
    char *why, size_t whysz)
{
	struct json_body_part *p;

	if (c->depth == 0 || !c->in_part) {
		snprintf(why, whysz, "%s", problem);
		return -1;
	}
	p = &sc->part[sc->nparts - 1];
	if (p->problem == NULL && (p->problem = strdup(problem)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	return 0;
}

/* A value begins at s[i]: at depth 1 that is a new child of the root. */
static int
value_begins(struct json_scan *sc, struct cursor *c, size_t i)
{
	if (c->depth != 1 || c->in_part)
		return 0;
	if (grow((void **)&sc->part, &sc->partcap, sc->nparts,
	    sizeof(*sc->part)) == -1)
		return -1;
	sc->part[sc->nparts].start = i;
	sc->part[sc->nparts].end = i;
	sc->part[sc->nparts].problem = NULL;
	sc->nparts++;
	c->in_part = true;
	return 0;
}

int
json_scan(struct json_scan *sc, const char *s, size_t len, int max_depth,
    char *why, size_t whysz)
{
	struct cursor	 c = { NULL, 0, false };
	const char	*problem;
	size_t		 i = 0, j, start;
	bool		 nul, key;
	int		 rc = 0;

	memset(sc, 0, sizeof(*sc));
	if (max_depth < 0 || (c.open = calloc((size_t)max_depth + 1,
	    sizeof(*c.open))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	while (i < len && rc == 0) {
		start = i;
		problem = NULL;
		switch (s[i]) {
		case ' ': case '\t': case '\n': case '\r': case ':':
			i++;
			continue;
		case ',':
			if (c.depth == 1)
				c.in_part = false;
			i++;
			continue;
		case '}': case ']':
			if (c.depth > 0)
				c.depth--;
			i++;
			if (c.depth >= 1 && c.in_part)
				sc->part[sc->nparts - 1].end = i;
			continue;
		case '{': case '[':
			if (c.depth == (size_t)max_depth) {
				snprintf(why, whysz, "JSON nesting is deeper "
				    "than %d", max_depth);
				rc = -1;
				break;
			}
			if (value_begins(sc, &c, i) == -1 ||
			    (s[i] == '{' && grow((void **)&sc->obj, &sc->objcap,
			    sc->nobjs, sizeof(*sc->obj)) == -1)) {
				snprintf(why, whysz, "out of memory");
				rc = -1;
				break;
			}
			c.open[c.depth] = JSON_SCAN_NONE;
			if (s[i] == '{') {
				sc->obj[sc->nobjs].start = i;
				sc->obj[sc->nobjs].members = 0;
				sc->obj[sc->nobjs].part = c.in_part ?
				    sc->nparts - 1 : JSON_SCAN_NONE;
				c.open[c.depth] = sc->nobjs++;
			}
			c.depth++;
			i++;
			continue;
		case '"':
			i++;
			problem = scan_string(s, len, &i, &nul);
			if (problem == M_CONTROL) {
				snprintf(why, whysz, "%s", problem);
				rc = -1;
				break;
			}
			for (j = i; j < len && is_ws(s[j]); j++)
				;
			key = j < len && s[j] == ':';
			if (key && c.depth > 0 &&
			    c.open[c.depth - 1] != JSON_SCAN_NONE)
				sc->obj[c.open[c.depth - 1]].members++;
			if (key && nul)
				problem = M_NULKEY;
			if (!key && value_begins(sc, &c, start) == -1) {
				snprintf(why, whysz, "out of memory");
				rc = -1;
				break;
			}
			break;
		default:
			if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
				for (i++; i < len && (strchr("+-.eE", s[i]) ||
				    (s[i] >= '0' && s[i] <= '9')); i++)
					;
				if (integer_overflows(s, start, i))
					problem = M_BIGINT;
			} else if (is_alpha(s[i])) {
				for (; i < len && is_alpha(s[i]); i++)
					;
				if (!((i - start == 4 &&
				    (memcmp(s + start, "true", 4) == 0 ||
				    memcmp(s + start, "null", 4) == 0)) ||
				    (i - start == 5 &&
				    memcmp(s + start, "false", 5) == 0))) {
					snprintf(why, whysz, "%s", M_LITERAL);
					rc = -1;
					break;
				}
			} else {
				i++;	/* not JSON: json-c says where */
				continue;
			}
			if (value_begins(sc, &c, start) == -1) {
				snprintf(why, whysz, "out of memory");
				rc = -1;
			}
			break;
		}
		if (rc == 0 && problem != NULL)
			rc = blame(sc, &c, problem, why, whysz);
		if (c.depth >= 1 && c.in_part)
			sc->part[sc->nparts - 1].end = i;
	}
	free(c.open);
	return rc;
}

void
json_scan_free(struct json_scan *sc)
{
	size_t	 i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nparts; i++)
		free(sc->part[i].problem);
	free(sc->part);
	free(sc->obj);
	memset(sc, 0, sizeof(*sc));
}
