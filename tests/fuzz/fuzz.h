/*
 * fuzz.h: what the fuzz targets share.
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with clang and
 * -fsanitize=fuzzer (AGENTLOG_FUZZ) it is a libFuzzer binary; built with
 * replay.c instead it runs the checked-in corpus and the regression
 * inputs once, in every build (ctest fuzz_*_corpus), so a crash found once
 * stays fixed.
 *
 * A target checks properties, not only memory safety: FUZZ_CHECK aborts
 * with the failed condition, which both drivers report as a crash.
 */
#ifndef AGENTLOG_FUZZ_H
#define AGENTLOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* A cursor over the fuzzer's bytes: every read is bounded, past the end
 * reads give zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline unsigned fuzz_u8(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned fuzz_u16(struct fuzz_in *in)
{
	unsigned lo = fuzz_u8(in);

	return lo | fuzz_u8(in) << 8;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Take up to n bytes; returns how many were taken (at *out). */
static inline size_t fuzz_take(struct fuzz_in *in, size_t n,
			       const uint8_t **out)
{
	if (n > in->n)
		n = in->n;
	*out = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

#endif
