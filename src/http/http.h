/*
 * http: one FastCGI request as the handlers see it, and the one place where
 * responses are written. A response is rendered completely into a buffer
 * first; status and headers are written only when the outcome is known.
 * Every response carries the same security headers, and the content
 * security policy of its kind: pages (http_send_page), data (JSON,
 * downloads), or neither (redirects, plain text). All are in http.c.
 */
#ifndef MINICRM_HTTP_H
#define MINICRM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"

struct http_request {
	FCGX_Request	*fcgi;
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* without the query string */
	const char	*query;		/* "" if none */
	const char	*content_type;	/* NULL if absent */
	const char	*content_length;/* NULL if absent */
	const char	*api_key;	/* x-api-key header, NULL if absent */
	const char	*authorization;	/* Authorization header, NULL if absent */
	const char	*remote_addr;
	const char	*cookie;	/* Cookie header, NULL if absent */
	const char	*https;		/* "on" behind TLS, else NULL */
	bool		 head;		/* HEAD: answer as GET, without a body */
	const char	*request_id;	/* nginx's $request_id, NULL if none */
	struct buf	 body;		/* filled by http_read_body() */
	/* For the request's log line and metrics: the route's label, which
	 * the program's router sets (its pattern, never the path: no ids, no
	 * secrets; NULL: no route matched); what was answered. */
	const char	*route;
	int		 status;	/* 0 until an answer is written */
	unsigned long long bytes;	/* body bytes written */
};

/* Fill the request's fields from the FastCGI parameters. */
void	http_request_init(struct http_request *, FCGX_Request *);

/*
 * Read the body (at most max bytes). Returns 0, or the HTTP status to
 * answer: 411 without a length, 413 over max, 400 if it is cut short.
 */
int	http_read_body(struct http_request *, size_t max);

/* Is the content type application/json (parameters such as charset ok)? */
int	http_is_json(const struct http_request *);

/*
 * Write a complete response that is not a page: an application/json body
 * is data (the data CSP), anything else (a redirect, plain text) gets the
 * security headers only. extra_headers is NULL or CRLF-terminated header
 * lines. A body whose buffer failed becomes a plain 500. To a HEAD
 * request the headers go out as for GET (Content-Length included), the
 * body does not. body (NULL for none) stays the caller's.
 */
void	http_send(struct http_request *, int status, const char *content_type,
	    const char *extra_headers, const struct buf *body);

/*
 * Write an HTML page rendered into html (the buffer it was rendered into,
 * not a copy; it stays the caller's): text/html, with the pages' CSP. As
 * http_send otherwise: a failed buffer becomes a plain 500, HEAD gets the
 * headers only.
 */
void	http_send_page(struct http_request *, int status,
	    const char *extra_headers, const struct buf *html);

/*
 * A streamed response, for bodies too large to hold (CSV exports): the
 * status and headers now, without Content-Length (nginx sends the body
 * chunked), then the body in pieces with http_stream_write(). Once begun,
 * the status cannot change: check what can fail before beginning.
 * http_stream_begin returns 0 when a body is wanted, -1 for a HEAD request
 * (the headers are all it gets: write nothing more).
 * http_stream_write returns 0, or -1 once the client has gone away.
 */
int	http_stream_begin(struct http_request *, int status,
	    const char *content_type, const char *extra_headers)
	    __attribute__((warn_unused_result));
int	http_stream_write(struct http_request *, const char *data, size_t len);

/*
 * End a streamed response as failed, when what is left of it cannot be
 * produced (the database went away half way). What was written reaches
 * the client, then the connection to nginx closes without the FastCGI end
 * of the request, so nginx drops the client's connection before the last
 * chunk: the client sees a cut transfer (curl: exit 18), never a short
 * file that looks whole. Nothing may be written to the request after it.
 */
void	http_stream_abort(struct http_request *);

/* Serialize obj (not freed: the caller owns it) and send it. */
void	http_send_json(struct http_request *, int status,
	    const char *extra_headers, json_object *obj);

/*
 * Send {"error": message} plus "errors" if given (ownership of errors
 * passes to this function).
 */
void	http_send_error(struct http_request *, int status, const char *message,
	    json_object *errors);

const char *http_status_text(int status);

#endif
