/*
 * session_http: the HTTP side of the admin portal's sessions — reading the
 * session cookie from the Cookie header, writing Set-Cookie, and decoding
 * an application/x-www-form-urlencoded body. Pure: no database, no global
 * state, safe from any thread. auth.h holds what the tokens mean.
 */
#ifndef MINICRM_SESSION_HTTP_H
#define MINICRM_SESSION_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Cookie names. Over TLS the "__Host-" prefix is used: the browser then
 * accepts the cookie only with Secure, Path=/ and no Domain, so a sibling
 * subdomain cannot plant one. Pick the name with session_cookie_name().
 */
#define SESSION_COOKIE		"minicrm_session"
#define SESSION_COOKIE_TLS	"__Host-minicrm_session"
/* The login form's pre-session cookie, which its CSRF token is bound to. */
#define LOGIN_COOKIE		"minicrm_login"
#define LOGIN_COOKIE_TLS	"__Host-minicrm_login"

/* A Set-Cookie line fits in this. */
#define SESSION_SETCOOKIE_MAX	256

/* Is the FastCGI parameter HTTPS "on" (case-insensitive)? NULL is false. */
bool	session_https(const char *https_param);

/* SESSION_COOKIE or SESSION_COOKIE_TLS; LOGIN_COOKIE likewise. */
const char *session_cookie_name(bool https);
const char *login_cookie_name(bool https);

/*
 * Find cookie `name` in a Cookie header (HTTP_COOKIE; NULL if absent) and
 * copy its value (without surrounding double quotes) into out. Returns 0,
 * or -1 if it is absent, empty, holds characters a cookie value may not,
 * or does not fit in outsz - 1 bytes. With several of the same name the
 * first is taken (the browser sends the most specific first).
 */
int	session_cookie_get(const char *header, const char *name, char *out,
	    size_t outsz);

/*
 * Write a complete header line "Set-Cookie: name=value; Path=/; Max-Age=N;
 * HttpOnly; SameSite=Lax[; Secure]\r\n" into out (for http_send's
 * extra_headers). max_age > 0 lasts that many seconds; 0 deletes the
 * cookie (value ignored); < 0 makes a browser-session cookie. Returns 0, or
 * -1 if the name or value holds characters a cookie may not or the line
 * does not fit.
 */
int	session_set_cookie(char *out, size_t outsz, const char *name,
	    const char *value, long max_age, bool secure);

/* Is content_type application/x-www-form-urlencoded (with parameters)? */
bool	session_is_form(const char *content_type);

#define FORM_MAX_BYTES		(64 * 1024)
#define FORM_MAX_FIELDS		64

enum form_error {
	FORM_OK = 0,
	FORM_TOO_LARGE = -1,	/* over FORM_MAX_BYTES */
	FORM_TOO_MANY = -2,	/* over FORM_MAX_FIELDS */
	FORM_BAD_ESCAPE = -3,	/* '%' not followed by two hex digits */
	FORM_NUL = -4,		/* a NUL byte, raw or as %00 */
	FORM_BAD_UTF8 = -5,	/* a name or value is not UTF-8 */
	FORM_NOMEM = -6
};

struct form_field {
	const char	*name;		/* decoded, NUL-terminated */
	const char	*value;		/* decoded, NUL-terminated */
	size_t		 value_len;
};

struct form {
	char			*buf;	/* owns the decoded text */
	size_t			 bufsz;
	size_t			 n;
	struct form_field	 field[FORM_MAX_FIELDS];
};

/*
 * Decode body[0..len) into f ('+' is a space, %XX a byte; empty pairs are
 * skipped; a name without '=' has the value ""). Returns FORM_OK, or a
 * form_error and f holds nothing. Either way release f with form_free().
 */
int	form_parse(struct form *f, const char *body, size_t len)
	    __attribute__((warn_unused_result));

/* The first value of field `name`, or NULL if absent. Valid until free. */
const char *form_get(const struct form *, const char *name);

/* Wipe (forms carry passwords) and free. NULL-safe; f may be reused. */
void	form_free(struct form *f);

const char *form_strerror(int);

#endif
