/*
 * bench_journal: figures for the journal (not a ctest test; run by hand).
 *
 *   bench_journal [records] [per_flush]     defaults 1000000 and 64
 *
 * Append+flush throughput of ~400-byte events (a 36-byte key, a 400-byte
 * value: a 484-byte record) through journal_reserve/commit/flush on a real
 * uv loop, for each fsync mode, in a fresh directory under $TMPDIR (or
 * /tmp); per_flush records per flush stand for one loop turn's batch.  The
 * run ends when every record is durable.  Then CRC-32C throughput, hardware
 * and table, on 1 MiB and 484-byte buffers.  Every figure is the median of
 * 5 runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "journal.h"
#include "tdir.h"

#define RUNS 5
#define KEY "0b7e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"

static uint64_t durable;

static void on_durable(void *arg, uint64_t seq)
{
	(void)arg;
	durable = seq;
}

static void quiet(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == JOURNAL_LOG_ERROR)
		fprintf(stderr, "journal: %s\n", msg);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof *v, cmp);
	return v[RUNS / 2];
}

/* One run: n records, a flush every per_flush; seconds until durable. */
static double run_append(enum journal_fsync mode, uint64_t n,
			 uint64_t per_flush, uint64_t *fsyncs, uint64_t *stalls)
{
	uv_loop_t loop;
	struct journal_opts o;
	journal_t *j;
	char dir[600], err[256], value[400];
	uint8_t id[16] = { 0 };
	int e;

	uv_loop_init(&loop);
	snprintf(dir, sizeof dir, "%s/j", tdir_make("bench"));
	journal_opts_init(&o);
	o.dir = dir;
	o.fsync = mode;
	o.max_bytes = 4ull << 30;
	o.log = quiet;
	memset(value, 'x', sizeof value);
	value[0] = '{';
	value[sizeof value - 1] = '}';
	if (journal_open(&loop, &o, &j, err, sizeof err) != 0) {
		fprintf(stderr, "journal_open: %s\n", err);
		exit(1);
	}
	journal_set_callbacks(j, on_durable, NULL, NULL);
	durable = 0;
	double t0 = tdir_now_ms();
	for (uint64_t i = 1; i <= n; i++) {
		char *p = journal_reserve(j, 36, sizeof value, &e);
		while (p == NULL && e == -ENOBUFS) {
			/* the disk is behind: wait for a sync, as the daemon
			 * would by pausing its readers */
			(*stalls)++;
			journal_flush(j);
			uv_run(&loop, UV_RUN_ONCE);
			p = journal_reserve(j, 36, sizeof value, &e);
		}
		if (p == NULL) {
			fprintf(stderr, "reserve: %s\n", strerror(-e));
			exit(1);
		}
		memcpy(p, KEY, 36);
		memcpy(p + 36, value, sizeof value);
		memcpy(id, &i, 8);
		journal_commit(j, 0, id, 1700000000000, 36, sizeof value);
		if (i % per_flush == 0) {
			journal_flush(j);
			uv_run(&loop, UV_RUN_NOWAIT);
		}
	}
	journal_flush(j);
	while (durable < n)
		uv_run(&loop, UV_RUN_ONCE);
	double s = (tdir_now_ms() - t0) / 1000;
	struct journal_stats st;
	journal_get_stats(j, &st);
	*fsyncs = st.fsyncs;
	journal_close(j);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	tdir_remove(dir);
	return s;
}

static void bench_append(uint64_t n, uint64_t per_flush)
{
	static const char *names[] = { "never", "interval", "always" };
	enum journal_fsync modes[] = { JOURNAL_FSYNC_NEVER,
				       JOURNAL_FSYNC_INTERVAL,
				       JOURNAL_FSYNC_ALWAYS };

	for (int m = 0; m < 3; m++) {
		double s[RUNS];
		uint64_t fsyncs = 0, stalls = 0;
		for (int r = 0; r < RUNS; r++)
			s[r] = run_append(modes[m], n, per_flush, &fsyncs,
					  &stalls);
		double med = median(s);
		printf("append+flush fsync=%-8s %llu x 484 B, flush per %llu: "
		       "%.0f events/s, %.0f MB/s (median of %d; last run: %llu "
		       "syncs; %llu waits for the disk in all runs)\n", names[m],
		       (unsigned long long)n, (unsigned long long)per_flush,
		       n / med, n * 484.0 / med / 1e6, RUNS,
		       (unsigned long long)fsyncs, (unsigned long long)stalls);
	}
}

static void bench_crc(const char *what, uint32_t (*f)(uint32_t, const void *,
		       size_t), size_t len)
{
	size_t total = 256u << 20;
	char *buf = malloc(len);
	double gbs[RUNS];
	uint32_t sink = 0;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 131);
	for (int r = 0; r < RUNS; r++) {
		double t0 = tdir_now_ms();
		for (size_t done = 0; done < total; done += len)
			sink += f(sink, buf, len);
		gbs[r] = total / ((tdir_now_ms() - t0) / 1000) / 1e9;
	}
	printf("crc32c %-6s %8zu-byte buffers: %.2f GB/s (median of %d)%s\n",
	       what, len, median(gbs), RUNS, sink == 1 ? " " : "");
	free(buf);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t per_flush = argc > 2 ? strtoull(argv[2], NULL, 10) : 64;

	bench_append(n, per_flush);
	bench_crc(crc32c_impl(), crc32c, 1u << 20);
	bench_crc(crc32c_impl(), crc32c, 484);
	bench_crc("table", crc32c_sw, 1u << 20);
	bench_crc("table", crc32c_sw, 484);
	return 0;
}
