/*
 * admin.fcgi: the admin portal. For now it answers every page with a
 * placeholder that says where the portal stands and links to the health
 * API; the lead timelines, retry queue and campaign pages come next.
 */
#include <stdlib.h>

#include "buf.h"
#include "fcgi_server.h"

static const char placeholder[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>minicrm admin</title>"
    "<link rel=\"stylesheet\" href=\"/static/minicrm.css\"></head>\n"
    "<body><h1>minicrm</h1>\n"
    "<p>The admin portal is being built. The activity log is live: see "
    "<a href=\"/api/internal/activity-health\">activity health</a>.</p>"
    "\n</body></html>\n";

static void
admin_handle(void *ctx, struct http_request *req)
{
	struct buf page = BUF_INIT;

	(void)ctx;
	buf_puts(&page, placeholder);
	http_send(req, 200, "text/html; charset=utf-8",
	    "Content-Security-Policy: default-src 'self'; "
	    "frame-ancestors 'none'\r\n", &page);
	buf_free(&page);
}

static void *
admin_worker_new(void)
{
	static int nothing;

	return &nothing;
}

static void
admin_worker_free(void *ctx)
{
	(void)ctx;
}

int
main(int argc, char **argv)
{
	static const struct fcgi_app app = {
		"admin.fcgi", NULL, admin_worker_new, admin_worker_free,
		admin_handle, NULL
	};

	return fcgi_server_main(&app, argc, argv);
}
