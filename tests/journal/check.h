/*
 * check.h: the journal tests' assertions.  A failed CHECK prints the file,
 * line and expression and exits 1, so ctest reports it; no test framework.
 */
#ifndef AGENTLOG_TEST_CHECK_H
#define AGENTLOG_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			__LINE__, #cond); \
		exit(1); \
	} \
} while (0)

#define CHECK_EQ_U64(a, b) do { \
	unsigned long long ca_ = (unsigned long long)(a); \
	unsigned long long cb_ = (unsigned long long)(b); \
	if (ca_ != cb_) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", \
			__FILE__, __LINE__, #a, #b, ca_, cb_); \
		exit(1); \
	} \
} while (0)

#endif
