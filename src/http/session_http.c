/* session_http: cookies and form bodies (see session_http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "session_http.h"
#include "validate.h"

bool
session_https(const char *https_param)
{
	return https_param != NULL && strcasecmp(https_param, "on") == 0;
}

const char *
session_cookie_name(bool https)
{
	return https ? SESSION_COOKIE_TLS : SESSION_COOKIE;
}

const char *
login_cookie_name(bool https)
{
	return https ? LOGIN_COOKIE_TLS : LOGIN_COOKIE;
}

/* RFC 6265 cookie-octet: printable ASCII but '"', ',', ';', '\\'. */
static bool
cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

/* RFC 7230 tchar, what a cookie name is made of. */
static bool
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

int
session_cookie_get(const char *header, const char *name, char *out,
    size_t outsz)
{
	size_t		 nlen, vlen, i;
	const char	*p, *v, *end;

	if (header == NULL || name == NULL || outsz == 0)
		return -1;
	nlen = strlen(name);
	for (p = header; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) <= nlen || strncmp(p, name, nlen) != 0 ||
		    p[nlen] != '=')
			continue;
		v = p + nlen + 1;
		vlen = (size_t)(end - v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen == 0 || vlen >= outsz)
			return -1;
		for (i = 0; i < vlen; i++)
			if (!cookie_octet((unsigned char)v[i]))
				return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -1;
}

int
session_set_cookie(char *out, size_t outsz, const char *name,
    const char *value, long max_age, bool secure)
{
	char	 age[40] = "";
	size_t	 i;
	int	 n;

	if (name == NULL || *name == '\0')
		return -1;
	for (i = 0; name[i] != '\0'; i++)
		if (!token_char((unsigned char)name[i]))
			return -1;
	if (max_age == 0)
		value = "";
	else if (value == NULL)
		return -1;
	for (i = 0; value[i] != '\0'; i++)
		if (!cookie_octet((unsigned char)value[i]))
			return -1;
	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
	n = snprintf(out, outsz, "Set-Cookie: %s=%s; Path=/%s; HttpOnly; "
	    "SameSite=Lax%s\r\n", name, value, age, secure ? "; Secure" : "");
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

bool
session_is_form(const char *ct)
{
	static const char	 want[] = "application/x-www-form-urlencoded";
	size_t			 n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/*
 * Decode s[0..len) in place (the result is never longer) and terminate
 * it. Returns its length, or a form_error.
 */
static long
decode(char *s, size_t len)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= len ||
			    (hi = hex_digit_value((unsigned char)s[i + 1])) < 0 ||
			    (lo = hex_digit_value((unsigned char)s[i + 2])) < 0)
				return FORM_BAD_ESCAPE;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return FORM_NUL;
		s[o++] = (char)c;
	}
	s[o] = '\0';
	if (!utf8_valid(s, o))
		return FORM_BAD_UTF8;
	return (long)o;
}

int
form_parse(struct form *f, const char *body, size_t len)
{
	char	*p, *end, *amp, *eq;
	long	 nl, vl;
	int	 rc = FORM_OK;

	memset(f, 0, sizeof(*f));
	if (len > FORM_MAX_BYTES)
		return FORM_TOO_LARGE;
	if (len > 0 && memchr(body, '\0', len) != NULL)
		return FORM_NUL;
	if ((f->buf = malloc(len + 1)) == NULL)
		return FORM_NOMEM;
	f->bufsz = len + 1;
	if (len > 0)
		memcpy(f->buf, body, len);
	f->buf[len] = '\0';

	for (p = f->buf, end = f->buf + len; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;		/* "&&" */
		if (f->n == FORM_MAX_FIELDS) {
			rc = FORM_TOO_MANY;
			break;
		}
		*amp = '\0';
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL)
			*eq = '\0';
		if ((nl = decode(p, (size_t)((eq ? eq : amp) - p))) < 0) {
			rc = (int)nl;
			break;
		}
		f->field[f->n].name = p;
		if (eq == NULL) {
			f->field[f->n].value = "";
			f->field[f->n].value_len = 0;
		} else {
			if ((vl = decode(eq + 1, (size_t)(amp - eq - 1))) < 0) {
				rc = (int)vl;
				break;
			}
			f->field[f->n].value = eq + 1;
			f->field[f->n].value_len = (size_t)vl;
		}
		f->n++;
	}
	if (rc != FORM_OK) {
		form_free(f);
		return rc;
	}
	return FORM_OK;
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->field[i].name, name) == 0)
			return f->field[i].value;
	return NULL;
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL) {
		sodium_memzero(f->buf, f->bufsz);
		free(f->buf);
	}
	memset(f, 0, sizeof(*f));
}

const char *
form_strerror(int e)
{
	switch (e) {
	case FORM_OK:
		return "ok";
	case FORM_TOO_LARGE:
		return "the form is too large";
	case FORM_TOO_MANY:
		return "the form has too many fields";
	case FORM_BAD_ESCAPE:
		return "the form has a malformed %-escape";
	case FORM_NUL:
		return "the form holds a NUL byte";
	case FORM_BAD_UTF8:
		return "the form is not valid UTF-8";
	case FORM_NOMEM:
		return "out of memory";
	default:
		return "unknown form error";
	}
}
