/*
 * bench_mustache.c - render the timeline page (bench/mustache/templates,
 * data.json) with our engine: renders per CPU-second of this process (and
 * per wall-clock second), then the memory check:
 * 1,000,000 renders of the compiled page into one reused buffer must not
 * allocate (engine malloc/realloc/calloc calls counted by wrapping them at
 * link time), nor grow the heap (mallinfo2), nor grow the RSS after the
 * first 10% of the renders.
 *
 * usage: bench_mustache DIR [SECONDS] [MEMORY_RENDERS] [OUT.html]
 * Prints "key value" lines for bench/mustache/run.sh; exit 1 on any failure.
 */
#include <json-c/json.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mustache.h"
#include "mustache_json.h"

/*
 * Allocation counting: the bench is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, which routes the calls
 * made by our own objects (the engine from build/libminicrm.a, and this
 * file) through these wrappers.  Without the flags the counts stay 0 and
 * the check rests on mallinfo2 and RSS only.
 */
static unsigned long allocs;

#ifdef BENCH_WRAP_MALLOC
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *
__wrap_malloc(size_t n)
{
	allocs++;
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	allocs++;
	return __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	allocs++;
	return __real_realloc(p, n);
}
#endif

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: what a render costs, whatever else the machine
 * is running (wall time is printed too). */
static double
now(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static long
rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "bench/mustache";
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 3.0;
	long mem_renders = argc > 3 ? strtol(argv[3], NULL, 10) : 1000000;
	const char *out_path = argc > 4 ? argv[4] : NULL;
	char path[4096];
	mustache_cache *cache;
	const mustache_template *page;
	json_object *data;
	mustache_error err;
	struct buf out = BUF_INIT;
	double t0, el, wall0;
	long n, i, rss0, rss1, rss10 = 0;
	size_t heap0, heap1;
	unsigned long a0, a1;
	int rc, failed = 0;

	snprintf(path, sizeof path, "%s/data.json", dir);
	if (!(data = json_object_from_file(path))) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		return 1;
	}
	snprintf(path, sizeof path, "%s/templates", dir);
	cache = mustache_cache_new(path, NULL);
	/* compile once: the page and, on first render, its partials */
	if (!cache || mustache_cache_get(cache, "page", &page, &err) != 0 ||
	    mustache_cache_render_json(cache, "page", data, MUSTACHE_STRICT, &out, &err) != 0) {
		fprintf(stderr, "bench: %s\n", cache ? err.message : "out of memory");
		return 1;
	}
	printf("ours_bytes %zu\n", out.len);
	if (out_path) {
		FILE *f = fopen(out_path, "w");

		if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
			fprintf(stderr, "bench: cannot write %s\n", out_path);
			return 1;
		}
	}

	/* speed: as many renders as fit in `seconds` */
	for (i = 0; i < 1000; i++)
		(void)!mustache_cache_render_json(cache, "page", data, 0, &out, &err);
	n = 0;
	t0 = now();
	wall0 = clock_s(CLOCK_MONOTONIC);
	do {
		for (i = 0; i < 200; i++)
			rc = mustache_cache_render_json(cache, "page", data, 0, &out, &err);
		n += 200;
		el = now() - t0;
	} while (el < seconds && rc == 0);
	if (rc != 0) {
		fprintf(stderr, "bench: %s\n", err.message);
		return 1;
	}
	printf("ours_renders %ld\nours_cpu_seconds %.3f\nours_per_sec %.0f\n", n, el, n / el);
	printf("ours_wall_per_sec %.0f\n", n / (clock_s(CLOCK_MONOTONIC) - wall0));
	printf("ours_mb_per_sec %.1f\n", (double)out.len * n / el / 1e6);

	/* memory: compile once, render many */
	if (mem_renders > 0) {
		struct mallinfo2 m0, m1;

		rss0 = rss_kb();
		m0 = mallinfo2();
		a0 = allocs;
		t0 = now();
		for (i = 0; i < mem_renders && rc == 0; i++) {
			rc = mustache_cache_render_json(cache, "page", data, 0, &out, &err);
			if (i + 1 == mem_renders / 10)
				rss10 = rss_kb();
		}
		el = now() - t0;
		a1 = allocs;
		m1 = mallinfo2();
		rss1 = rss_kb();
		heap0 = m0.uordblks;
		heap1 = m1.uordblks;
		if (rc != 0) {
			fprintf(stderr, "bench: %s\n", err.message);
			return 1;
		}
		printf("mem_renders %ld\nmem_seconds %.1f\n", mem_renders, el);
		printf("mem_allocs_during %lu\n", a1 - a0);
		printf("mem_heap_before %zu\nmem_heap_after %zu\n", heap0, heap1);
		printf("mem_rss_kb_before %ld\nmem_rss_kb_at_10pct %ld\nmem_rss_kb_after %ld\n",
		       rss0, rss10, rss1);
		/* no engine allocation, no heap growth, and no RSS growth over the
		 * last 90% of the renders (the first pages touched may be
		 * code and stack faulted in once) */
		if (a1 != a0 || heap1 > heap0 || rss1 > rss10) {
			printf("mem_verdict GROWS\n");
			failed = 1;
		} else {
			printf("mem_verdict flat\n");
		}
#ifdef BENCH_WRAP_MALLOC
		printf("mem_alloc_counting on\n");
#else
		printf("mem_alloc_counting off\n");
#endif
	}
	buf_free(&out);
	mustache_cache_free(cache);
	json_object_put(data);
	return failed;
}
