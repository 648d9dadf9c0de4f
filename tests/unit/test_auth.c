/*
 * test_auth.c - the pure parts of the admin portal's access (auth.h and
 * session_http.h): password hash and verify, tokens and their hashes, CSRF
 * tokens, the throttling decision, the Cookie header, Set-Cookie lines and
 * form decoding. (Sessions and throttling against the database are the
 * HTTP tests' job.)
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "check.h"
#include "session_http.h"

static void
test_password(void)
{
	char	 h1[AUTH_PWHASH_LEN], h2[AUTH_PWHASH_LEN], gen[21];
	char	 longpw[AUTH_PASSWORD_MAX + 2];

	CHECK_I64("hash", auth_password_hash("correct horse battery", h1), 0);
	CHECK(strncmp(h1, "$argon2id$", 10) == 0);
	CHECK_I64("hash again", auth_password_hash("correct horse battery",
	    h2), 0);
	CHECK(strcmp(h1, h2) != 0);		/* salted */
	CHECK(auth_password_verify(h1, "correct horse battery"));
	CHECK(auth_password_verify(h2, "correct horse battery"));
	CHECK(!auth_password_verify(h1, "correct horse batterY"));
	CHECK(!auth_password_verify(h1, ""));
	CHECK(!auth_password_verify(h1, NULL));
	CHECK(!auth_password_verify(NULL, "correct horse battery"));
	CHECK(!auth_password_verify("", "correct horse battery"));
	CHECK(!auth_password_verify("$argon2i$v=19$m=4096,t=3,p=1$xx$yy",
	    "correct horse battery"));
	CHECK(!auth_password_needs_rehash(h1));

	/* Length limits: refused before any hashing. */
	CHECK_I64("short", auth_password_hash("elevenchars", h2), -1);
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	CHECK_I64("long", auth_password_hash(longpw, h2), -1);
	CHECK(!auth_password_verify(h1, longpw));
	longpw[AUTH_PASSWORD_MAX] = '\0';
	CHECK_I64("longest", auth_password_hash(longpw, h2), 0);
	CHECK(auth_password_verify(h2, longpw));

	CHECK_I64("generate", auth_password_generate(gen, 20), 0);
	CHECK_I64("generated length", (int64_t)strlen(gen), 20);
	CHECK_I64("too short to generate", auth_password_generate(gen, 8),
	    AUTH_ESYS);
}

static void
test_roles_emails(void)
{
	enum auth_role	 r = AUTH_ROLE_VIEWER;

	CHECK(auth_role_parse("admin", &r) == 0 && r == AUTH_ROLE_ADMIN);
	CHECK(auth_role_parse("viewer", &r) == 0 && r == AUTH_ROLE_VIEWER);
	CHECK(auth_role_parse("Admin", &r) == -1);
	CHECK(auth_role_parse(NULL, &r) == -1);
	CHECK_STR("role name", auth_role_name(AUTH_ROLE_ADMIN), "admin");
	CHECK(auth_role_can_write(AUTH_ROLE_ADMIN));
	CHECK(!auth_role_can_write(AUTH_ROLE_VIEWER));

	CHECK(auth_email_valid("ops@example.com"));
	CHECK(auth_email_valid("Zoë@exämple.de"));
	CHECK(!auth_email_valid("ops"));
	CHECK(!auth_email_valid("@example.com"));
	CHECK(!auth_email_valid("ops@"));
	CHECK(!auth_email_valid("a@b@c"));
	CHECK(!auth_email_valid("o ps@example.com"));
	CHECK(!auth_email_valid("ops@exa\tmple.com"));
	CHECK(!auth_email_valid("ops@\xff.com"));
	CHECK(!auth_email_valid(NULL));
}

static void
test_tokens_csrf(void)
{
	char	 t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	char	 h1[AUTH_HASH_HEX_LEN + 1], h2[AUTH_HASH_HEX_LEN + 1];
	char	 c1[AUTH_CSRF_LEN + 1], c2[AUTH_CSRF_LEN + 1];
	char	 bad[AUTH_CSRF_LEN + 1];

	CHECK_I64("token", auth_token_generate(t1, h1), 0);
	CHECK_I64("token 2", auth_token_generate(t2, h2), 0);
	CHECK_I64("token length", (int64_t)strlen(t1), AUTH_TOKEN_LEN);
	CHECK_I64("hash length", (int64_t)strlen(h1), AUTH_HASH_HEX_LEN);
	CHECK(strcmp(t1, t2) != 0 && strcmp(h1, h2) != 0);
	CHECK_I64("rehash", auth_token_hash(t1, h2), 0);
	CHECK_STR("hash of a token", h2, h1);
	/* SHA-256("AAAA...A" x 43), so the stored form is pinned down. */
	CHECK_I64("known", auth_token_hash(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", h2), 0);
	CHECK_STR("known hash", h2, "0f007385b6f9d4b7eeb2748605afe1a9"
	    "84a0a3bfa3f014d09e2a784ce9e5cd1a");
	CHECK_I64("short token", auth_token_hash("abc", h2), -1);
	CHECK_I64("token with '='", auth_token_hash(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", h2), -1);
	CHECK_I64("long token", auth_token_hash(
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", h2), -1);
	CHECK_I64("NULL token", auth_token_hash(NULL, h2), -1);

	CHECK_I64("csrf", auth_csrf_token(t1, c1), 0);
	CHECK_I64("csrf 2", auth_csrf_token(t2, c2), 0);
	CHECK_I64("csrf length", (int64_t)strlen(c1), AUTH_CSRF_LEN);
	CHECK(strcmp(c1, c2) != 0);
	CHECK(strcmp(c1, t1) != 0);		/* not the cookie itself */
	CHECK(auth_csrf_verify(t1, c1));
	CHECK(auth_csrf_verify(t2, c2));
	CHECK(!auth_csrf_verify(t1, c2));	/* another session's */
	CHECK(!auth_csrf_verify(t2, c1));
	CHECK(!auth_csrf_verify(t1, NULL));
	CHECK(!auth_csrf_verify(t1, ""));
	CHECK(!auth_csrf_verify(NULL, c1));
	CHECK(!auth_csrf_verify("short", c1));
	memcpy(bad, c1, sizeof(bad));
	bad[AUTH_CSRF_LEN - 1] = bad[AUTH_CSRF_LEN - 1] == 'A' ? 'B' : 'A';
	CHECK(!auth_csrf_verify(t1, bad));
	memcpy(bad, c1, sizeof(bad));
	bad[AUTH_CSRF_LEN - 1] = '\0';		/* a prefix */
	CHECK(!auth_csrf_verify(t1, bad));
	{
		char longer[AUTH_CSRF_LEN + 2];

		snprintf(longer, sizeof(longer), "%sA", c1);
		CHECK(!auth_csrf_verify(t1, longer));
	}
}

static void
test_throttle(void)
{
	CHECK_I64("none", auth_throttle_wait(0, 0, 0, 0), 0);
	CHECK_I64("address below", auth_throttle_wait(
	    AUTH_THROTTLE_ADDRESS - 1, 60, 0, 0), 0);
	CHECK_I64("address at limit", auth_throttle_wait(
	    AUTH_THROTTLE_ADDRESS, 60, 0, 0), AUTH_THROTTLE_WINDOW - 60);
	CHECK_I64("account below", auth_throttle_wait(0, 0,
	    AUTH_THROTTLE_ACCOUNT - 1, 10), 0);
	CHECK_I64("account at limit", auth_throttle_wait(0, 0,
	    AUTH_THROTTLE_ACCOUNT, 100), AUTH_THROTTLE_WINDOW - 100);
	CHECK_I64("the longer wait", auth_throttle_wait(
	    AUTH_THROTTLE_ADDRESS, 600, AUTH_THROTTLE_ACCOUNT, 100),
	    AUTH_THROTTLE_WINDOW - 100);
	CHECK_I64("at least a second", auth_throttle_wait(
	    AUTH_THROTTLE_ADDRESS, AUTH_THROTTLE_WINDOW + 5, 0, 0), 1);
	CHECK_I64("negative age", auth_throttle_wait(
	    AUTH_THROTTLE_ADDRESS, -5, 0, 0), AUTH_THROTTLE_WINDOW);
}

static void
test_cookie_get(void)
{
	char	 v[64];

	CHECK_I64("only", session_cookie_get("minicrm_session=abc",
	    SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("only value", v, "abc");
	CHECK_I64("among", session_cookie_get("a=1; minicrm_session=xyz-_9; "
	    "b=2", SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("among value", v, "xyz-_9");
	CHECK_I64("no spaces", session_cookie_get("a=1;minicrm_session=q",
	    SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("no spaces value", v, "q");
	CHECK_I64("quoted", session_cookie_get("minicrm_session=\"qq\"",
	    SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("quoted value", v, "qq");
	CHECK_I64("first of two", session_cookie_get("minicrm_session=one; "
	    "minicrm_session=two", SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("first of two value", v, "one");
	CHECK_I64("trailing blanks", session_cookie_get(
	    "minicrm_session=t  ; x=1", SESSION_COOKIE, v, sizeof(v)), 0);
	CHECK_STR("trailing blanks value", v, "t");

	/* Names must match whole. */
	CHECK_I64("suffix name", session_cookie_get("xminicrm_session=a",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("prefix name", session_cookie_get("minicrm_session2=a",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("tls name", session_cookie_get("minicrm_session=a",
	    SESSION_COOKIE_TLS, v, sizeof(v)), -1);
	CHECK_I64("tls name found", session_cookie_get(
	    "__Host-minicrm_session=a", session_cookie_name(true), v,
	    sizeof(v)), 0);
	CHECK_I64("absent", session_cookie_get("a=1; b=2", SESSION_COOKIE, v,
	    sizeof(v)), -1);
	CHECK_I64("NULL header", session_cookie_get(NULL, SESSION_COOKIE, v,
	    sizeof(v)), -1);
	CHECK_I64("empty header", session_cookie_get("", SESSION_COOKIE, v,
	    sizeof(v)), -1);
	CHECK_I64("empty value", session_cookie_get("minicrm_session=; a=1",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("no '='", session_cookie_get("minicrm_session",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("too long", session_cookie_get("minicrm_session=0123456789",
	    SESSION_COOKIE, v, 10), -1);
	CHECK_I64("just fits", session_cookie_get("minicrm_session=012345678",
	    SESSION_COOKIE, v, 10), 0);
	CHECK_I64("bad octet", session_cookie_get("minicrm_session=a\\b",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("control", session_cookie_get("minicrm_session=a\x01z",
	    SESSION_COOKIE, v, sizeof(v)), -1);
	CHECK_I64("inner space", session_cookie_get("minicrm_session=a b",
	    SESSION_COOKIE, v, sizeof(v)), -1);
}

static void
test_set_cookie(void)
{
	char	 line[SESSION_SETCOOKIE_MAX];

	CHECK(session_https("on"));
	CHECK(session_https("ON"));
	CHECK(!session_https("off"));
	CHECK(!session_https(""));
	CHECK(!session_https(NULL));
	CHECK_STR("name", session_cookie_name(false), "minicrm_session");
	CHECK_STR("tls name", session_cookie_name(true),
	    "__Host-minicrm_session");
	CHECK_STR("login name", login_cookie_name(true),
	    "__Host-minicrm_login");

	CHECK_I64("set", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE, "tok", 3600, false), 0);
	CHECK_STR("set line", line, "Set-Cookie: minicrm_session=tok; Path=/; "
	    "Max-Age=3600; HttpOnly; SameSite=Lax\r\n");
	CHECK_I64("set secure", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE_TLS, "tok", -1, true), 0);
	CHECK_STR("secure line", line, "Set-Cookie: __Host-minicrm_session=tok;"
	    " Path=/; HttpOnly; SameSite=Lax; Secure\r\n");
	CHECK_I64("clear", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE, "ignored", 0, false), 0);
	CHECK_STR("clear line", line, "Set-Cookie: minicrm_session=; Path=/; "
	    "Max-Age=0; HttpOnly; SameSite=Lax\r\n");
	CHECK_I64("header injection", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE, "a\r\nX-Evil: 1", 60, false), -1);
	CHECK_I64("';' in value", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE, "a; Domain=evil", 60, false), -1);
	CHECK_I64("bad name", session_set_cookie(line, sizeof(line),
	    "a=b", "v", 60, false), -1);
	CHECK_I64("NULL value", session_set_cookie(line, sizeof(line),
	    SESSION_COOKIE, NULL, 60, false), -1);
	CHECK_I64("does not fit", session_set_cookie(line, 20,
	    SESSION_COOKIE, "tok", 60, false), -1);

	CHECK(session_is_form("application/x-www-form-urlencoded"));
	CHECK(session_is_form("Application/X-WWW-Form-Urlencoded; "
	    "charset=UTF-8"));
	CHECK(!session_is_form("application/x-www-form-urlencodedx"));
	CHECK(!session_is_form("multipart/form-data"));
	CHECK(!session_is_form(NULL));
}

/* form_parse must refuse body with error e. */
static void
form_bad(int line, const char *body, size_t len, int e)
{
	struct form	 f;
	char		 what[64];

	snprintf(what, sizeof(what), "form_parse error (line %d)", line);
	check_i64(__FILE__, line, what, form_parse(&f, body, len), e);
	check_i64(__FILE__, line, "no fields after an error", (int64_t)f.n, 0);
	form_free(&f);
}
#define FORM_BAD(s, e)	form_bad(__LINE__, (s), sizeof(s) - 1, (e))

static void
test_form(void)
{
	static char	 big[FORM_MAX_BYTES + 2];
	struct form	 f;
	char		 many[FORM_MAX_FIELDS * 4 + 8];
	size_t		 i, n = 0;
	const char	*body;

	body = "email=ops%40example.com&password=a+b%2Bc%26d%3D&csrf=x";
	CHECK_I64("parse", form_parse(&f, body, strlen(body)), FORM_OK);
	CHECK_I64("fields", (int64_t)f.n, 3);
	CHECK_STR("email", form_get(&f, "email"), "ops@example.com");
	CHECK_STR("password", form_get(&f, "password"), "a b+c&d=");
	CHECK_STR("csrf", form_get(&f, "csrf"), "x");
	CHECK_STR("absent", form_get(&f, "nope"), NULL);
	form_free(&f);
	form_free(&f);		/* twice is harmless */
	form_free(NULL);

	body = "a=1&&b&c=&a=2&d%20e=%C3%A9%e2%82%ac&=v";
	CHECK_I64("odd", form_parse(&f, body, strlen(body)), FORM_OK);
	CHECK_I64("odd fields", (int64_t)f.n, 6);
	CHECK_STR("first a", form_get(&f, "a"), "1");
	CHECK_STR("b, no '='", form_get(&f, "b"), "");
	CHECK_STR("c, empty", form_get(&f, "c"), "");
	CHECK_STR("encoded name", form_get(&f, "d e"), "\xc3\xa9\xe2\x82\xac");
	CHECK_STR("empty name", form_get(&f, ""), "v");
	CHECK_I64("value_len", (int64_t)f.field[4].value_len, 5);
	form_free(&f);

	CHECK_I64("empty body", form_parse(&f, "", 0), FORM_OK);
	CHECK_I64("empty body fields", (int64_t)f.n, 0);
	form_free(&f);
	/* len bounds what is read, not a NUL. */
	CHECK_I64("length bound", form_parse(&f, "a=12345", 4), FORM_OK);
	CHECK_STR("cut", form_get(&f, "a"), "12");
	form_free(&f);

	FORM_BAD("a=%", FORM_BAD_ESCAPE);
	FORM_BAD("a=%4", FORM_BAD_ESCAPE);
	FORM_BAD("a=%4g", FORM_BAD_ESCAPE);
	FORM_BAD("a=%%41", FORM_BAD_ESCAPE);
	FORM_BAD("%zz=1", FORM_BAD_ESCAPE);
	FORM_BAD("a=%00", FORM_NUL);
	FORM_BAD("a%00=1", FORM_NUL);
	FORM_BAD("a=b\0c", FORM_NUL);
	FORM_BAD("a=%ff", FORM_BAD_UTF8);
	FORM_BAD("a=%C0%AF", FORM_BAD_UTF8);		/* overlong '/' */
	FORM_BAD("a=%ED%A0%80", FORM_BAD_UTF8);		/* surrogate */
	FORM_BAD("a=%e2%82", FORM_BAD_UTF8);		/* truncated */
	FORM_BAD("%80=1", FORM_BAD_UTF8);
	FORM_BAD("a=\xc3", FORM_BAD_UTF8);		/* raw, not escaped */

	memset(big, 'a', sizeof(big));
	big[0] = 'x';
	big[1] = '=';
	CHECK_I64("largest", form_parse(&f, big, FORM_MAX_BYTES), FORM_OK);
	form_free(&f);
	CHECK_I64("too large", form_parse(&f, big, FORM_MAX_BYTES + 1),
	    FORM_TOO_LARGE);
	form_free(&f);

	for (i = 0; i < FORM_MAX_FIELDS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "a=%c&",
		    'a' + (int)(i % 26));
	CHECK_I64("most fields", form_parse(&f, many, n), FORM_OK);
	CHECK_I64("most fields n", (int64_t)f.n, FORM_MAX_FIELDS);
	form_free(&f);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "z=1");
	CHECK_I64("too many", form_parse(&f, many, n), FORM_TOO_MANY);
	form_free(&f);

	CHECK_STR("strerror", form_strerror(FORM_NUL),
	    "the form holds a NUL byte");
}

int
main(void)
{
	test_password();
	test_roles_emails();
	test_tokens_csrf();
	test_throttle();
	test_cookie_get();
	test_set_cookie();
	test_form();
	return check_done("test_auth");
}
