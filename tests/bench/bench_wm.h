/*
 * bench_wm: count what reached Kafka by the sum of the high watermarks of
 * some topics (the mock broker keeps a bounded log, so counting records
 * is not possible; every append moves the high watermark).
 */
#ifndef BENCH_WM_H
#define BENCH_WM_H

/* Connects to bootstrap and learns the partitions of topics (comma
 * separated).  Returns 0, or -1 with a message on stderr. */
int wm_open(const char *bootstrap, const char *topics);

/* The sum of the high watermarks now, or -1 on an error. */
long long wm_total(void);

void wm_close(void);

#endif
