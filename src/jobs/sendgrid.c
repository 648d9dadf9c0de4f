/* sendgrid: SendGrid's v3 mail send through libcurl (see sendgrid.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "sendgrid.h"

#define SENDGRID_BODY_MAX	(64 * 1024)	/* of an answer: kept */
#define SENDGRID_CONNECT_MAX	5L		/* seconds to connect */

/* What one call collects from the answer. */
struct answer {
	struct buf	 body;
	char		 message_id[128];
	long long	 reset_at;
	char		 curlerr[CURL_ERROR_SIZE];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct answer	*a = ctx;
	size_t		 n = size * nmemb;

	if (a->body.len + n <= SENDGRID_BODY_MAX)
		buf_append(&a->body, ptr, n);
	return n;
}

/* "Name: value\r\n": the value (trimmed) into out if name matches. */
static bool
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outsz)
{
	size_t	 n = strlen(name), i;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	for (i = 0; i < len && i + 1 < outsz; i++)
		out[i] = isprint((unsigned char)line[i]) ? line[i] : '?';
	out[i] = '\0';
	return true;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct answer	*a = ctx;
	size_t		 n = size * nmemb;
	char		 reset[32];

	header_value(ptr, n, "X-Message-Id", a->message_id,
	    sizeof(a->message_id));
	if (header_value(ptr, n, "X-RateLimit-Reset", reset, sizeof(reset)))
		a->reset_at = strtoll(reset, NULL, 10);
	return n;
}

int
sendgrid_open(struct sendgrid *sg, char *err, size_t errsz)
{
	const char	*key = config_get("SENDGRID_API_KEY");
	const char	*url = config_get("SENDGRID_API_URL");
	const char	*sandbox = config_get("SENDGRID_SANDBOX");
	struct buf	 auth = BUF_INIT, endpoint = BUF_INIT;
	CURLU		*u;
	char		*host = NULL;
	long		 i;

	memset(sg, 0, sizeof(*sg));
	if (key == NULL || *key == '\0') {
		snprintf(err, errsz, "SENDGRID_API_KEY is not set");
		return -1;
	}
	if (url == NULL || *url == '\0')
		url = SENDGRID_URL_DEFAULT;
	buf_puts(&endpoint, url);
	while (endpoint.len > 0 && buf_str(&endpoint)[endpoint.len - 1] == '/')
		endpoint.len--;
	buf_puts(&endpoint, "/v3/mail/send");
	buf_printf(&auth, "Authorization: Bearer %s", key);
	sg->timeout = config_get_long("SENDGRID_TIMEOUT",
	    SENDGRID_TIMEOUT_DEFAULT, 1, 300);
	sg->sandbox = sandbox != NULL && strcmp(sandbox, "1") == 0;
	snprintf(sg->host, sizeof(sg->host), "(unparsable SENDGRID_API_URL)");
	if ((u = curl_url()) != NULL) {
		if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
			snprintf(sg->host, sizeof(sg->host), "%s", host);
		curl_free(host);
		curl_url_cleanup(u);
	}
	if (!buf_failed(&endpoint) && !buf_failed(&auth))
		sg->endpoint = strdup(buf_str(&endpoint));
	if (sg->endpoint != NULL)
		sg->headers = curl_slist_append(NULL, buf_str(&auth));
	if (sg->headers != NULL)
		sg->headers = curl_slist_append(sg->headers,
		    "Content-Type: application/json");
	/* No "Expect: 100-continue" for a body over 1 KB: a round trip more
	 * per e-mail, for a body SendGrid reads anyway. */
	if (sg->headers != NULL)
		sg->headers = curl_slist_append(sg->headers, "Expect:");
	/* The key's copy in the buffer is wiped, not just freed. */
	if (auth.data != NULL)
		memset(auth.data, 0, auth.cap);
	buf_free(&auth);
	buf_free(&endpoint);
	sg->connections = config_get_long("NURTURE_SENDER_CONNECTIONS",
	    SENDGRID_CONNECTIONS_DEFAULT, 1, SENDGRID_CONNECTIONS_MAX);
	if (sg->headers == NULL || (sg->multi = curl_multi_init()) == NULL ||
	    (sg->easy = calloc((size_t)sg->connections, sizeof(CURL *))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < sg->connections; i++)
		if ((sg->easy[i] = curl_easy_init()) == NULL)
			goto nomem;
	curl_multi_setopt(sg->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    sg->connections);
	curl_multi_setopt(sg->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    sg->connections);
	return 0;
nomem:
	sendgrid_close(sg);
	snprintf(err, errsz, "out of memory");
	return -1;
}

void
sendgrid_close(struct sendgrid *sg)
{
	long	 i;

	if (sg == NULL)
		return;
	for (i = 0; sg->easy != NULL && i < sg->connections; i++)
		if (sg->easy[i] != NULL)
			curl_easy_cleanup(sg->easy[i]);
	if (sg->multi != NULL)
		curl_multi_cleanup(sg->multi);
	curl_slist_free_all(sg->headers);
	free(sg->easy);
	free(sg->endpoint);
	sg->easy = NULL;
	sg->multi = NULL;
	sg->headers = NULL;
	sg->endpoint = NULL;
}

static void
add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The request body of m; json_object_put() it. */
static json_object *
request_body(const struct sendgrid *sg, const struct nurture_mail *m)
{
	json_object	*body = json_object_new_object();
	json_object	*p = json_object_new_object(), *to = json_object_new_object();
	json_object	*tos = json_object_new_array(), *ps = json_object_new_array();
	json_object	*from = json_object_new_object(), *args = json_object_new_object();
	json_object	*content = json_object_new_object(), *cs = json_object_new_array();
	char		 step[24];

	add_string(to, "email", m->to);
	json_object_array_add(tos, to);
	json_object_object_add(p, "to", tos);
	json_object_array_add(ps, p);
	json_object_object_add(body, "personalizations", ps);
	add_string(from, "email", m->from_email);
	if (m->from_name != NULL && *m->from_name != '\0')
		add_string(from, "name", m->from_name);
	json_object_object_add(body, "from", from);
	add_string(body, "subject", m->subject);
	add_string(content, "type", "text/html");
	add_string(content, "value", m->html);
	json_object_array_add(cs, content);
	json_object_object_add(body, "content", cs);
	snprintf(step, sizeof(step), "%ld", m->step);
	add_string(args, "email_send_id", m->send_id);
	add_string(args, "lead_id", m->lead_id);
	add_string(args, "campaign_id", m->campaign_id);
	add_string(args, "step", step);
	json_object_object_add(body, "custom_args", args);
	if (sg->sandbox) {
		json_object	*settings = json_object_new_object();
		json_object	*mode = json_object_new_object();

		json_object_object_add(mode, "enable",
		    json_object_new_boolean(1));
		json_object_object_add(settings, "sandbox_mode", mode);
		json_object_object_add(body, "mail_settings", settings);
	}
	return body;
}

/* SendGrid's errors[].message, joined by "; ", one line, into out ("" if
 * the answer has none). */
static void
error_messages(const struct buf *answer, char *out, size_t outsz)
{
	json_object	*doc, *errors, *e, *msg;
	struct buf	 b = BUF_INIT;
	size_t		 i, n;
	char		*p;

	*out = '\0';
	if (answer->len == 0 ||
	    (doc = json_tokener_parse(buf_str(answer))) == NULL)
		return;
	if (json_object_object_get_ex(doc, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array)) {
		n = json_object_array_length(errors);
		for (i = 0; i < n && i < 5; i++) {
			e = json_object_array_get_idx(errors, i);
			if (json_object_object_get_ex(e, "message", &msg) &&
			    json_object_is_type(msg, json_type_string))
				buf_printf(&b, "%s%s", b.len > 0 ? "; " : "",
				    json_object_get_string(msg));
		}
	}
	json_object_put(doc);
	if (!buf_failed(&b) && b.len > 0)
		snprintf(out, outsz, "%s", buf_str(&b));
	buf_free(&b);
	for (p = out; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
}

/* Set easy up to post m, its answer into a. */
static void
start(const struct sendgrid *sg, CURL *c, const struct nurture_mail *m,
    struct answer *a)
{
	json_object	*body = request_body(sg, m);

	buf_reset(&a->body);
	a->message_id[0] = a->curlerr[0] = '\0';
	a->reset_at = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, sg->endpoint);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sg->headers);
	curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS,
	    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, sg->timeout <
	    SENDGRID_CONNECT_MAX ? sg->timeout : SENDGRID_CONNECT_MAX);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, sg->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->curlerr);
}

/* The outcome of a finished transfer (rc, and c's status) into *r. */
static void
finish(const struct sendgrid *sg, CURL *c, CURLcode rc,
    const struct answer *a, struct nurture_mail_result *r)
{
	char	 said[400];
	long	 code = 0;

	memset(r, 0, sizeof(*r));
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	r->http_status = code;
	error_messages(&a->body, said, sizeof(said));
	/* libcurl's messages name the host and port, never a header. */
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		r->status = NURTURE_MAIL_TIMEOUT;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: no answer "
		    "from %s within %ld s", sg->host, sg->timeout);
	} else if (rc != CURLE_OK) {
		r->status = NURTURE_MAIL_TRANSPORT;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: %s",
		    a->curlerr[0] ? a->curlerr : curl_easy_strerror(rc));
	} else if (code >= 200 && code <= 299) {
		r->status = NURTURE_MAIL_ACCEPTED;
		snprintf(r->message_id, sizeof(r->message_id), "%s",
		    a->message_id);
	} else if (code == 429) {
		r->status = NURTURE_MAIL_RATE_LIMITED;
		r->reset_at = a->reset_at;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: rate limited "
		    "(HTTP 429)");
	} else if (code == 401 || code == 403) {
		r->status = NURTURE_MAIL_KEY_REFUSED;
		snprintf(r->reason, sizeof(r->reason), "SendGrid refused the "
		    "API key (HTTP %ld)%s%s", code, said[0] ? ": " : "", said);
	} else if (code >= 400 && code <= 499) {
		r->status = NURTURE_MAIL_REFUSED;
		snprintf(r->reason, sizeof(r->reason), "SendGrid refused it "
		    "(HTTP %ld)%s%s", code, said[0] ? ": " : "", said);
	} else {
		r->status = NURTURE_MAIL_SERVER_ERROR;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: HTTP %ld%s%s",
		    code, said[0] ? ": " : "", said);
	}
}

void
sendgrid_send(void *ctx, const struct nurture_mail *mails, size_t n,
    struct nurture_mail_result *results)
{
	struct sendgrid	*sg = ctx;
	size_t		 conns = (size_t)sg->connections, next = 0, done = 0;
	size_t		 s, *mail_of;
	struct answer	*a;
	bool		*busy;
	CURLMsg		*msg;
	int		 running = 0, left;
	bool		 no_more = false;

	a = calloc(conns, sizeof(*a));
	mail_of = calloc(conns, sizeof(*mail_of));
	busy = calloc(conns, sizeof(*busy));
	if (a == NULL || mail_of == NULL || busy == NULL) {
		for (s = 0; s < n; s++) {
			memset(&results[s], 0, sizeof(results[s]));
			results[s].status = NURTURE_MAIL_TRANSPORT;
			snprintf(results[s].reason, sizeof(results[s].reason),
			    "SendGrid: not called: out of memory");
		}
		goto out;
	}
	while (done < n) {
		/* A refused key is refused for every e-mail: the rest of the
		 * batch is not sent with it; nor after a stop signal (the
		 * calls in flight finish). */
		if (sg->stop != NULL && *sg->stop)
			no_more = true;
		for (; no_more && next < n; next++, done++) {
			memset(&results[next], 0, sizeof(results[next]));
			results[next].status = NURTURE_MAIL_NOT_CALLED;
		}
		for (s = 0; s < conns && next < n; s++) {
			if (busy[s])
				continue;
			start(sg, sg->easy[s], &mails[next], &a[s]);
			mail_of[s] = next++;
			if (curl_multi_add_handle(sg->multi, sg->easy[s]) !=
			    CURLM_OK) {
				finish(sg, sg->easy[s], CURLE_FAILED_INIT, &a[s],
				    &results[mail_of[s]]);
				done++;
				continue;
			}
			busy[s] = true;
		}
		curl_multi_perform(sg->multi, &running);
		while ((msg = curl_multi_info_read(sg->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (s = 0; s < conns && sg->easy[s] !=
			    msg->easy_handle; s++)
				;
			if (s == conns)
				continue;
			finish(sg, sg->easy[s], msg->data.result, &a[s],
			    &results[mail_of[s]]);
			if (results[mail_of[s]].status ==
			    NURTURE_MAIL_KEY_REFUSED)
				no_more = true;
			curl_multi_remove_handle(sg->multi, sg->easy[s]);
			busy[s] = false;
			done++;
		}
		if (done < n && running > 0)
			curl_multi_poll(sg->multi, NULL, 0, 1000, NULL);
	}
out:
	for (s = 0; a != NULL && s < conns; s++)
		buf_free(&a[s].body);
	free(a);
	free(mail_of);
	free(busy);
}
