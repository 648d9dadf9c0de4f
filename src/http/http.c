/* http: request fields, body reading and response writing (see http.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "validate.h"

/*
 * The headers of every answer are written here and nowhere else (see
 * docs/hacking.md, "Answers"): these on every response, then the content
 * security policy of the kind of answer.
 */
static const char security_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-store\r\n";

enum answer_kind {
	ANSWER_BARE,	/* redirects, plain text: nothing a browser renders */
	ANSWER_DATA,	/* JSON, downloads: data, never a page */
	ANSWER_PAGE,	/* the portal's HTML pages */
	ANSWER__MAX
};

static const char *const answer_csp[ANSWER__MAX] = {
	[ANSWER_BARE] = "",
	/* A browser that renders data anyway may load and run nothing. */
	[ANSWER_DATA] = "Content-Security-Policy: default-src 'none'; "
	    "frame-ancestors 'none'\r\n",
	/* Pages load their own scripts and styles, post their forms only to
	 * the portal, and are never framed; no inline script. */
	[ANSWER_PAGE] = "Content-Security-Policy: default-src 'self'; "
	    "frame-ancestors 'none'; form-action 'self'\r\n",
};

static const char *
param(FCGX_Request *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

void
http_request_init(struct http_request *req, FCGX_Request *fcgi)
{
	const char *v;

	req->fcgi = fcgi;
	req->method = (v = param(fcgi, "REQUEST_METHOD")) ? v : "GET";
	if ((v = param(fcgi, "DOCUMENT_URI")) == NULL &&
	    (v = param(fcgi, "SCRIPT_NAME")) == NULL)
		v = "/";
	req->path = v;
	req->query = (v = param(fcgi, "QUERY_STRING")) ? v : "";
	req->content_type = param(fcgi, "CONTENT_TYPE");
	req->content_length = param(fcgi, "CONTENT_LENGTH");
	req->api_key = param(fcgi, "HTTP_X_API_KEY");
	req->authorization = param(fcgi, "HTTP_AUTHORIZATION");
	req->remote_addr = (v = param(fcgi, "REMOTE_ADDR")) ? v : "-";
	req->cookie = param(fcgi, "HTTP_COOKIE");
	req->https = param(fcgi, "HTTPS");
	req->head = strcmp(req->method, "HEAD") == 0;
	req->request_id = param(fcgi, "REQUEST_ID");
	req->route = NULL;
	req->status = 0;
	req->bytes = 0;
	buf_reset(&req->body);
}

int
http_read_body(struct http_request *req, size_t max)
{
	long	 len;
	char	 chunk[16384];
	int	 n;

	if (req->content_length == NULL || *req->content_length == '\0')
		return 411;
	if (parse_long(req->content_length, 0, (long)1 << 40, &len) == -1)
		return 400;
	if (len == 0)
		return 411;
	if ((size_t)len > max)
		return 413;
	while (req->body.len < (size_t)len) {
		size_t want = (size_t)len - req->body.len;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		n = FCGX_GetStr(chunk, (int)want, req->fcgi->in);
		if (n <= 0)
			return 400;
		buf_append(&req->body, chunk, (size_t)n);
	}
	return buf_failed(&req->body) ? 500 : 0;
}

int
http_is_json(const struct http_request *req)
{
	const char	*ct = req->content_type;
	size_t		 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 207: return "Multi-Status";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * Status and headers into head: the security headers, the kind's policy,
 * extra_headers (NULL or CRLF-terminated lines), then Content-Length and
 * the blank line, or for a streamed body (length < 0) the blank line only.
 */
static void
put_head(struct buf *head, int status, const char *content_type,
    enum answer_kind kind, const char *extra_headers, long long length)
{
	/* libfcgi's own printf lacks %zu and friends: format here. */
	buf_printf(head, "Status: %d %s\r\nContent-Type: %s\r\n%s%s%s",
	    status, http_status_text(status), content_type, security_headers,
	    answer_csp[kind], extra_headers ? extra_headers : "");
	if (length >= 0)
		buf_printf(head, "Content-Length: %lld\r\n", length);
	buf_puts(head, "\r\n");
}

/* Render, then send: a body whose buffer failed becomes a plain 500. */
static void
send_answer(struct http_request *req, int status, const char *content_type,
    enum answer_kind kind, const char *extra_headers, const struct buf *body)
{
	FCGX_Stream	*out = req->fcgi->out;
	struct buf	 head = BUF_INIT;

	if (body != NULL && buf_failed(body)) {
		status = 500;
		content_type = "text/plain; charset=utf-8";
		kind = ANSWER_BARE;
		extra_headers = NULL;
		body = NULL;
	}
	put_head(&head, status, content_type, kind, extra_headers,
	    body ? (long long)body->len : 0);
	FCGX_PutStr(buf_str(&head), (int)head.len, out);
	buf_free(&head);
	req->status = status;
	if (body != NULL && body->len > 0 && !req->head) {
		FCGX_PutStr(body->data, (int)body->len, out);
		req->bytes += body->len;
	}
}

void
http_send(struct http_request *req, int status, const char *content_type,
    const char *extra_headers, const struct buf *body)
{
	send_answer(req, status, content_type,
	    strncmp(content_type, "application/json", 16) == 0 ?
	    ANSWER_DATA : ANSWER_BARE, extra_headers, body);
}

void
http_send_page(struct http_request *req, int status,
    const char *extra_headers, const struct buf *html)
{
	send_answer(req, status, "text/html; charset=utf-8", ANSWER_PAGE,
	    extra_headers, html);
}

int
http_stream_begin(struct http_request *req, int status,
    const char *content_type, const char *extra_headers)
{
	struct buf head = BUF_INIT;

	put_head(&head, status, content_type, ANSWER_DATA, extra_headers, -1);
	FCGX_PutStr(buf_str(&head), (int)head.len, req->fcgi->out);
	buf_free(&head);
	req->status = status;
	return req->head ? -1 : 0;
}

void
http_stream_abort(struct http_request *req)
{
	/* FCGX_Free with close set frees the streams and closes the socket
	 * without FCGI_END_REQUEST; the FCGX_Finish_r that follows every
	 * request finds nothing left to finish. */
	FCGX_FFlush(req->fcgi->out);
	FCGX_Free(req->fcgi, 1);
}

int
http_stream_write(struct http_request *req, const char *data, size_t len)
{
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(data, n, req->fcgi->out) != n)
			return -1;
		req->bytes += (unsigned long long)n;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void
http_send_json(struct http_request *req, int status,
    const char *extra_headers, json_object *obj)
{
	struct buf	 body = BUF_INIT;
	size_t		 len;
	const char	*s;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN,
	    &len);
	if (s == NULL)
		body.failed = true;
	else {
		buf_append(&body, s, len);
		buf_putc(&body, '\n');
	}
	send_answer(req, status, "application/json", ANSWER_DATA, extra_headers,
	    &body);
	buf_free(&body);
}

void
http_send_error(struct http_request *req, int status, const char *message,
    json_object *errors)
{
	json_object	*obj = json_object_new_object();
	const char	*extra = NULL;

	json_object_object_add(obj, "error", json_object_new_string(message));
	if (errors != NULL)
		json_object_object_add(obj, "errors", errors);
	if (status == 503)
		extra = "Retry-After: 5\r\n";
	else if (status == 401)
		extra = "WWW-Authenticate: ApiKey header=\"x-api-key\"\r\n";
	http_send_json(req, status, extra, obj);
	json_object_put(obj);
}
