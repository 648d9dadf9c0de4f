/*
 * test_metrics.c - the shared counters (metrics.h) and their exposition
 * (prom.h, metrics_text.h): label values escaped, histograms cumulative
 * with +Inf equal to _count, counts made in a forked child (as a request
 * process does) seen by the parent, and a process killed outright keeps
 * what it counted; many threads count without losing an addition.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "metrics.h"
#include "metrics_text.h"
#include "prom.h"

static void
test_prom(void)
{
	struct buf	 b = BUF_INIT;
	const char	*lab[] = { "route", "/a \"b\" \\c\nd" };
	const double	 bounds[] = { 0.5, 1 };
	const uint64_t	 counts[] = { 2, 0, 1 };

	prom_family(&b, "x_total", "counter", "Things.");
	prom_sample(&b, "x_total", 3, 1, lab);
	prom_sample(&b, "x_ratio", 0.25, 0, NULL);
	CHECK_STR("samples and escapes", buf_str(&b),
	    "# HELP x_total Things.\n# TYPE x_total counter\n"
	    "x_total{route=\"/a \\\"b\\\" \\\\c\\nd\"} 3\n"
	    "x_ratio 0.25\n");
	buf_reset(&b);
	prom_histogram(&b, "h", bounds, 2, counts, 1.5, 0, NULL);
	CHECK_STR("a histogram, cumulative", buf_str(&b),
	    "h_bucket{le=\"0.5\"} 2\nh_bucket{le=\"1\"} 2\n"
	    "h_bucket{le=\"+Inf\"} 3\nh_sum 1.5\nh_count 3\n");
	buf_free(&b);
}

static void *
count_requests(void *arg)
{
	int	 i;

	(void)arg;
	for (i = 0; i < 10000; i++)
		metrics_request("/threads", 200, 0.002, 10);
	return NULL;
}

/* The line of out that starts with prefix, or NULL. */
static const char *
line_of(const char *out, const char *prefix)
{
	static char	 found[512];
	const char	*p = out;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			n = strcspn(p, "\n");
			if (n >= sizeof(found))
				n = sizeof(found) - 1;
			memcpy(found, p, n);
			found[n] = '\0';
			return found;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static void
test_shared(void)
{
	char		 dir[] = "/tmp/minicrm-test-metrics.XXXXXX";
	struct buf	 b = BUF_INIT;
	pthread_t	 t[4];
	pid_t		 pid;
	int		 i, status;

	CHECK(mkdtemp(dir) != NULL);
	setenv("METRICS_DIR", dir, 1);
	CHECK(metrics_open(METRICS_API) == 0);

	/* A child counts, then dies by SIGKILL: its counts stay. */
	if ((pid = fork()) == 0) {
		metrics_child_started();
		metrics_request("/api/internal/log-activity", 201, 0.003, 46);
		metrics_request("/api/internal/log-activity", 201, 0.7, 46);
		metrics_request("/api/internal/log-activity", 400, 20, 80);
		metrics_request(NULL, 404, 0.0001, 30);
		metrics_request("/odd", 299, 0.0001, 0);
		metrics_db_error(METRICS_DB_UNAVAILABLE);
		metrics_db_reconnect(true);
		metrics_batch(7);
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, count_requests, NULL) == 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	metrics_text_write(&b);
	CHECK(!buf_failed(&b));
	CHECK_STR("the api is up", line_of(buf_str(&b), "minicrm_up{program=\"api\"}"),
	    "minicrm_up{program=\"api\"} 1");
	CHECK_STR("the admin, without a file, is not",
	    line_of(buf_str(&b), "minicrm_up{program=\"admin\"}"),
	    "minicrm_up{program=\"admin\"} 0");
	CHECK_STR("the killed child's 201s", line_of(buf_str(&b),
	    "minicrm_http_requests_total{program=\"api\",route=\"/api/internal/log-activity\",status=\"201\"}"),
	    "minicrm_http_requests_total{program=\"api\",route=\"/api/internal/log-activity\",status=\"201\"} 2");
	CHECK_STR("a status not in the table is other", line_of(buf_str(&b),
	    "minicrm_http_requests_total{program=\"api\",route=\"/odd\""),
	    "minicrm_http_requests_total{program=\"api\",route=\"/odd\",status=\"other\"} 1");
	CHECK_STR("no route: (unmatched)", line_of(buf_str(&b),
	    "minicrm_http_requests_total{program=\"api\",route=\"(unmatched)\""),
	    "minicrm_http_requests_total{program=\"api\",route=\"(unmatched)\",status=\"404\"} 1");
	CHECK_STR("bucket 0.005 holds the 3 ms one", line_of(buf_str(&b),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"0.005\"}"),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"0.005\"} 1");
	CHECK_STR("bucket 1 the 0.7 s one too", line_of(buf_str(&b),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"1\"}"),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"1\"} 2");
	CHECK_STR("+Inf all three", line_of(buf_str(&b),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"+Inf\"}"),
	    "minicrm_http_request_duration_seconds_bucket{program=\"api\",route=\"/api/internal/log-activity\",le=\"+Inf\"} 3");
	CHECK_STR("_count as +Inf", line_of(buf_str(&b),
	    "minicrm_http_request_duration_seconds_count{program=\"api\",route=\"/api/internal/log-activity\"}"),
	    "minicrm_http_request_duration_seconds_count{program=\"api\",route=\"/api/internal/log-activity\"} 3");
	CHECK_STR("_sum in seconds", line_of(buf_str(&b),
	    "minicrm_http_request_duration_seconds_sum{program=\"api\",route=\"/api/internal/log-activity\"}"),
	    "minicrm_http_request_duration_seconds_sum{program=\"api\",route=\"/api/internal/log-activity\"} 20.703");
	CHECK_STR("4 threads x 10000, none lost", line_of(buf_str(&b),
	    "minicrm_http_requests_total{program=\"api\",route=\"/threads\""),
	    "minicrm_http_requests_total{program=\"api\",route=\"/threads\",status=\"200\"} 40000");
	CHECK_STR("bytes", line_of(buf_str(&b),
	    "minicrm_http_response_bytes_total{program=\"api\",route=\"/threads\"}"),
	    "minicrm_http_response_bytes_total{program=\"api\",route=\"/threads\"} 400000");
	CHECK_STR("database errors", line_of(buf_str(&b),
	    "minicrm_db_errors_total{program=\"api\",kind=\"unavailable\"}"),
	    "minicrm_db_errors_total{program=\"api\",kind=\"unavailable\"} 1");
	CHECK_STR("reconnects", line_of(buf_str(&b),
	    "minicrm_db_reconnects_total{program=\"api\",outcome=\"ok\"}"),
	    "minicrm_db_reconnects_total{program=\"api\",outcome=\"ok\"} 1");
	CHECK_STR("batch of 7 in le=10", line_of(buf_str(&b),
	    "minicrm_group_commit_batch_size_bucket{program=\"api\",le=\"10\"}"),
	    "minicrm_group_commit_batch_size_bucket{program=\"api\",le=\"10\"} 1");
	CHECK_STR("child starts", line_of(buf_str(&b),
	    "minicrm_child_starts_total{program=\"api\"}"),
	    "minicrm_child_starts_total{program=\"api\"} 1");
	CHECK(line_of(buf_str(&b), "minicrm_process_resident_memory_bytes{program=\"api\",process=\"master\"}") != NULL);

	/* Another process reads the same file (what api.fcgi does with the
	 * admin's): the counts are there. */
	{
		const struct metrics_file *m = metrics_map(METRICS_API);

		CHECK(m != NULL && m != metrics_self());
		CHECK(m != NULL && m->master_pid == (int64_t)getpid());
		metrics_unmap(m);
	}
	buf_free(&b);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/api.metrics", dir);
		unlink(path);
		rmdir(dir);
	}
}

int
main(void)
{
	test_prom();
	test_shared();
	return check_done("test_metrics");
}
