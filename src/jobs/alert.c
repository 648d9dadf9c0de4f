/* alert: webhook alerts, sent once per condition (see alert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "db_alert.h"
#include "log.h"

#define ALERT_CONNECT_TIMEOUT	5L	/* seconds */
#define ALERT_TOTAL_TIMEOUT	10L

void
alert_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The host of url (NULL: "-"), for logs: never the path, where a
 * webhook keeps its secret. */
static const char *
url_host(const char *url, char *out, size_t outsz)
{
	CURLU		*u;
	char		*host = NULL;

	snprintf(out, outsz, "-");
	if (url == NULL || (u = curl_url()) == NULL)
		return out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		snprintf(out, outsz, "%s", host);
	else
		snprintf(out, outsz, "(unparsable URL)");
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

const char *
alert_webhook_host(char *out, size_t outsz)
{
	return url_host(config_get("ALERT_WEBHOOK_URL"), out, outsz);
}

/* The webhook of condition key's messages: the de-enrollment job's
 * ("deenroll:…") go to DE_ENROLLMENT_ALERT_WEBHOOK and e-mail nurture's
 * ("nurture:…") to NURTURE_ALERT_WEBHOOK when it is set, the rest (and
 * those, without it) to ALERT_WEBHOOK_URL. */
static const char *
webhook_for(const char *key)
{
	static const struct { const char *prefix, *setting; } routes[] = {
		{ "deenroll:", "DE_ENROLLMENT_ALERT_WEBHOOK" },
		{ "nurture:", "NURTURE_ALERT_WEBHOOK" },
	};
	const char	*url;
	size_t		 i;

	for (i = 0; key != NULL && i < sizeof(routes) / sizeof(routes[0]);
	    i++)
		if (strncmp(key, routes[i].prefix, strlen(routes[i].prefix)) ==
		    0 && (url = config_get(routes[i].setting)) != NULL &&
		    *url != '\0')
			return url;
	return config_get("ALERT_WEBHOOK_URL");
}

/* Slack reads &, < and > as markup (<!channel> pings everyone): text from
 * a workflow must not be able to do that. */
static void
slack_escape(struct buf *b, const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '&')
			buf_puts(b, "&amp;");
		else if (*text == '<')
			buf_puts(b, "&lt;");
		else if (*text == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, *text);
	}
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	(void)ptr;
	(void)ctx;
	return size * nmemb;
}

enum alert_result
alert_send(const char *text, char *err, size_t errsz)
{
	return alert_send_for(NULL, text, err, errsz);
}

enum alert_result
alert_send_for(const char *key, const char *text, char *err, size_t errsz)
{
	const char		*url = webhook_for(key);
	char			 host[256], curlerr[CURL_ERROR_SIZE] = "";
	struct buf		 escaped = BUF_INIT;
	json_object		*body;
	struct curl_slist	*headers = NULL;
	CURL			*c;
	CURLcode		 rc;
	long			 code = 0;
	enum alert_result	 out = ALERT_FAILED;

	snprintf(err, errsz, "-");
	if (url == NULL) {
		log_warn("alert (ALERT_WEBHOOK_URL unset: logged only): %s",
		    text);
		return ALERT_LOGGED;
	}
	url_host(url, host, sizeof(host));
	slack_escape(&escaped, text);
	body = json_object_new_object();
	json_object_object_add(body, "text",
	    json_object_new_string(buf_str(&escaped)));
	if (buf_failed(&escaped) || (c = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "%s: out of memory", host);
		goto out;
	}
	headers = curl_slist_append(headers,
	    "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, ALERT_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, ALERT_TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	/* libcurl's messages name the host and port, never the path (where
	 * a webhook keeps its secret). */
	if (rc != CURLE_OK)
		snprintf(err, errsz, "%s: %s", host,
		    curlerr[0] ? curlerr : curl_easy_strerror(rc));
	else if (code < 200 || code > 299)
		snprintf(err, errsz, "%s: HTTP %ld", host, code);
	else
		out = ALERT_SENT;
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
out:
	if (out == ALERT_SENT)
		log_info("alert sent to %s: %s", host, text);
	else
		log_warn("alert NOT sent (%s; kept to send on the next run): "
		    "%s", err, text);
	json_object_put(body);
	buf_free(&escaped);
	return out;
}

void
alert_record(struct db *db, const char *kind, const char *key,
    const char *text, enum alert_result r, const char *err)
{
	const char	*url = webhook_for(key);
	char		 host[256];
	int		 rc;

	if (kind == NULL)
		kind = key != NULL ? key : "alert";
	if (url == NULL)
		snprintf(host, sizeof(host), "-");
	else
		url_host(url, host, sizeof(host));
	rc = db_alert_history_add(db, kind, text, host,
	    r == ALERT_SENT ? "sent" : r == ALERT_LOGGED ? "logged" : "failed",
	    r == ALERT_FAILED ? err : NULL);
	if (rc != DB_OK)
		log_warn("alert history: could not record the %s alert (%s; "
		    "%s): the alert itself is unaffected", kind,
		    db_status_text(rc), db->error);
}

enum alert_result
alert_deliver(struct db *db, const char *kind, const char *key,
    const char *text, char *err, size_t errsz)
{
	enum alert_result	 r = alert_send_for(key, text, err, errsz);

	alert_record(db, kind, key, text, r, err);
	return r;
}

int
alert_condition(struct db *db, const char *key, bool active,
    const char *raise_text, const char *clear_text)
{
	int	 changed;

	changed = active ? db_alert_raise(db, key, raise_text) :
	    db_alert_clear(db, key, clear_text);
	if (changed > 0)
		log_info("alert condition %s %s", key,
		    active ? "raised" : "cleared");
	return changed;
}

/* One attempt of alert_flush's, to record after its transaction. */
struct flushed {
	const struct db_alert_msg *msg;
	enum alert_result	 r;
	char			 err[512];
};

/* Record done[0..n) and free done. */
static void
flushed_record(struct db *db, struct flushed *done, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		alert_record(db, NULL, done[i].msg->key, done[i].msg->message,
		    done[i].r, done[i].err);
	free(done);
}

int
alert_flush(struct db *db, int *sent, int *failed)
{
	struct db_alert_msg	*msgs;
	struct flushed		*done;
	enum alert_result	 r;
	const char		*down = NULL;
	char			 err[512];
	size_t			 n, i, ndone = 0;
	int			 rc;

	*sent = *failed = 0;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	/* The rows stay locked while they are sent, so two jobs flushing at
	 * once never send one message twice. */
	if ((rc = db_alert_pending(db, &msgs, &n)) != DB_OK)
		goto fail;
	/* What was tried, recorded once the transaction is over (a commit
	 * or a rollback: the attempts happened either way). */
	if ((done = calloc(n > 0 ? n : 1, sizeof(*done))) == NULL)
		log_warn("alert history: out of memory; this flush's "
		    "attempts are not recorded");
	for (i = 0; i < n; i++) {
		/* A webhook that failed is down: its other messages would
		 * wait for their timeouts too. Next run; another webhook's
		 * messages still go. */
		if (down != NULL && webhook_for(msgs[i].key) != NULL &&
		    strcmp(webhook_for(msgs[i].key), down) == 0)
			continue;
		r = alert_send_for(msgs[i].key, msgs[i].message, err,
		    sizeof(err));
		if (done != NULL) {
			done[ndone].msg = &msgs[i];
			done[ndone].r = r;
			snprintf(done[ndone].err, sizeof(done[ndone].err), "%s",
			    err);
			ndone++;
		}
		rc = r == ALERT_FAILED ?
		    db_alert_send_failed(db, msgs[i].key, err) :
		    db_alert_sent(db, msgs[i].key);
		if (rc != DB_OK) {
			db_rollback(db);
			flushed_record(db, done, ndone);
			free(msgs);
			return rc;
		}
		if (r == ALERT_FAILED) {
			down = webhook_for(msgs[i].key);
			continue;
		}
		(*sent)++;
	}
	*failed = (int)n - *sent;
	if ((rc = db_commit(db)) != DB_OK)
		db_rollback(db);
	flushed_record(db, done, ndone);
	free(msgs);
	return rc;
fail:
	db_rollback(db);
	return rc;
}
