/*
 * test_journal_reopen: start-up time does not grow with the backlog.
 * 1,000,000 records of ~400 bytes (about 480 MB, eight 64 MiB segments),
 * none delivered; journal_open is timed (median of 5) and must be far
 * under the daemon's 200 ms accept budget: only the tail of the last
 * segment is read.  Then the same with a torn tail to cut.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jtest.h"
#include "tdir.h"

#define N 1000000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Open and close five times; the median open time in ms. */
static double time_open(struct jt *t)
{
	double ms[5];

	for (int i = 0; i < 5; i++) {
		double t0 = tdir_now_ms();
		jt_open(t);
		ms[i] = tdir_now_ms() - t0;
		struct journal_stats st = jt_stats(t);
		CHECK_EQ_U64(st.next_seq, N + 1);
		CHECK_EQ_U64(st.backlog_events, N);
		jt_close(t);
	}
	qsort(ms, 5, sizeof ms[0], cmp_double);
	return ms[2];
}

int main(void)
{
	struct jt t;
	int err;

	jt_init(&t, "jreopen");
	jt_open(&t);
	double t0 = tdir_now_ms();
	CHECK_EQ_U64(jt_append(&t, N, 400, 256, &err), N);
	double wms = tdir_now_ms() - t0;
	struct journal_stats st = jt_stats(&t);
	printf("wrote %d records, %.0f MB in %llu segments in %.0f ms\n", N,
	       st.bytes / 1e6, (unsigned long long)st.segments, wms);
	jt_close(&t);

	double ms = time_open(&t);
	printf("journal_open with %d undelivered records: %.2f ms (median "
	       "of 5)\n", N, ms);
	CHECK(ms < 100);

	/* a torn tail: 300 bytes of half a record */
	char seg[700];
	uint64_t last_first = 0;
	DIR *d = opendir(t.segdir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		uint64_t s = strtoull(e->d_name, NULL, 10);
		if (strstr(e->d_name, ".seg") && s > last_first)
			last_first = s;
	}
	closedir(d);
	snprintf(seg, sizeof seg, "%s/%020" PRIu64 ".seg", t.segdir, last_first);
	char junk[300];
	memcpy(junk, "ALR1", 4);
	memset(junk + 4, 0x01, sizeof junk - 4);
	CHECK(tdir_write(seg, junk, sizeof junk, 1) == 0);
	t0 = tdir_now_ms();
	jt_open(&t);
	ms = tdir_now_ms() - t0;
	CHECK_EQ_U64(jt_stats(&t).torn_bytes, 300);
	CHECK_EQ_U64(jt_stats(&t).next_seq, N + 1);
	printf("journal_open cutting a torn tail: %.2f ms\n", ms);
	CHECK(ms < 200);
	jt_fini(&t);
	printf("journal reopen ok\n");
	return 0;
}
