/*
 * check.h: the few lines of test harness the proto tests share.  A failed
 * CHECK prints where and why and counts; the program exits non-zero at the
 * end when anything failed, so one run reports every failure.
 */
#ifndef AGENTLOG_TEST_CHECK_H
#define AGENTLOG_TEST_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		check_count++;                                            \
		if (!(cond)) {                                            \
			check_failures++;                                 \
			fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__,     \
				__LINE__, #cond);                         \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
		}                                                         \
	} while (0)

static inline int check_exit(const char *prog)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", prog, check_count,
		check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif
