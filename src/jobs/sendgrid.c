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
	/* The key's copy in the buffer is wiped, not just freed. */
	if (auth.data != NULL)
		memset(auth.data, 0, auth.cap);
	buf_free(&auth);
	buf_free(&endpoint);
	if (sg->headers == NULL || (sg->curl = curl_easy_init()) == NULL) {
		sendgrid_close(sg);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

void
sendgrid_close(struct sendgrid *sg)
{
	if (sg == NULL)
		return;
	if (sg->curl != NULL)
		curl_easy_cleanup(sg->curl);
	curl_slist_free_all(sg->headers);
	free(sg->endpoint);
	sg->curl = NULL;
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

void
sendgrid_send(void *ctx, const struct nurture_mail *m,
    struct nurture_mail_result *r)
{
	struct sendgrid	*sg = ctx;
	CURL		*c = sg->curl;
	struct answer	 a;
	json_object	*body;
	char		 curlerr[CURL_ERROR_SIZE] = "", said[400];
	CURLcode	 rc;
	long		 code = 0;

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	body = request_body(sg, m);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, sg->endpoint);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sg->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, sg->timeout <
	    SENDGRID_CONNECT_MAX ? sg->timeout : SENDGRID_CONNECT_MAX);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, sg->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	rc = curl_easy_perform(c);
	json_object_put(body);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	r->http_status = code;
	error_messages(&a.body, said, sizeof(said));
	/* libcurl's messages name the host and port, never a header. */
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		r->status = NURTURE_MAIL_TIMEOUT;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: no answer "
		    "from %s within %ld s", sg->host, sg->timeout);
	} else if (rc != CURLE_OK) {
		r->status = NURTURE_MAIL_TRANSPORT;
		snprintf(r->reason, sizeof(r->reason), "SendGrid: %s",
		    curlerr[0] ? curlerr : curl_easy_strerror(rc));
	} else if (code >= 200 && code <= 299) {
		r->status = NURTURE_MAIL_ACCEPTED;
		snprintf(r->message_id, sizeof(r->message_id), "%s",
		    a.message_id);
	} else if (code == 429) {
		r->status = NURTURE_MAIL_RATE_LIMITED;
		r->reset_at = a.reset_at;
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
	buf_free(&a.body);
}
