/*
 * admin.fcgi: the admin portal. Pages are rendered with the mustache engine
 * from templates/ (compiled once, cached for the life of the process;
 * SIGHUP — `make reload` — drops the cache so edited templates are read
 * again). For now every path answers a placeholder page that says where the
 * portal stands; the lead timelines, retry queue and campaign pages come
 * next.
 */
#include <limits.h>
#include <stdlib.h>

#include "buf.h"
#include "config.h"
#include "fcgi_server.h"
#include "log.h"
#include "mustache.h"
#include "mustache_json.h"

static mustache_cache *templates;

static const char html_headers[] =
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n";

/* Render template name against data and send it; a failure is a plain
 * 500 page, never half a page. */
static void
send_page(struct http_request *req, int status, const char *name,
    json_object *data, mustache_buf *out)
{
	mustache_error	 err;
	struct buf	 page = BUF_INIT;

	if (mustache_cache_render_json(templates, name, data, 0, out,
	    &err) != 0) {
		/* The message names the template, line and column. */
		log_error("rendering %s: %s", name, err.message);
		buf_puts(&page, "<!doctype html><title>500</title>"
		    "<h1>500 Internal Server Error</h1>"
		    "<p>The page could not be rendered.</p>\n");
		http_send(req, 500, "text/html; charset=utf-8", html_headers,
		    &page);
	} else {
		buf_append(&page, out->data, out->len);
		http_send(req, status, "text/html; charset=utf-8",
		    html_headers, &page);
	}
	buf_free(&page);
}

static void
admin_handle(void *ctx, struct http_request *req)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "path", json_object_new_string(req->path));
	send_page(req, 200, "placeholder", data, ctx);
	json_object_put(data);
}

/* Once: the template cache every worker shares. */
static int
admin_init(void)
{
	char		 dir[PATH_MAX];
	const char	*configured = config_get("MINICRM_TEMPLATES");

	if (configured == NULL)
		configured = config_tree_dir("templates", dir, sizeof(dir));
	if ((templates = mustache_cache_new(configured, NULL)) == NULL)
		return -1;
	log_info("templates from %s", configured);
	return 0;
}

/* SIGHUP: read the templates again on their next use. */
static void
admin_reload(void)
{
	mustache_cache_clear(templates);
}

/* Each worker's context is its output buffer, reused across renders. */
static void *
admin_worker_new(void)
{
	return calloc(1, sizeof(mustache_buf));
}

static void
admin_worker_free(void *ctx)
{
	mustache_buf_free(ctx);
	free(ctx);
}

int
main(int argc, char **argv)
{
	static const struct fcgi_app app = {
		"admin.fcgi", admin_init, admin_worker_new, admin_worker_free,
		admin_handle, admin_reload
	};

	return fcgi_server_main(&app, argc, argv);
}
