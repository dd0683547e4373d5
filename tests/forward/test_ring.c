/*
 * test_ring: the delivered set behind the forwarder's cursor
 * (daemon/forward_ring.c).  Delivery reports arrive out of order; the
 * cursor (base) must never pass a seq whose report has not said
 * delivered (invariant 2), whatever the order, across the ring's wrap,
 * and the window must stay bounded.
 */
#include <stdio.h>
#include <stdlib.h>

#include "forward_int.h"

static int failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",       \
				__FILE__, __LINE__, #cond);                \
			failures++;                                        \
		}                                                          \
	} while (0)

/* Produce seqs [from, to): the window grows. */
static void produce(struct fwd_ring *r, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s < to; s++) {
		CHECK(fwd_ring_fits(r, s));
		fwd_ring_extend(r, s);
	}
}

static void test_hole_holds_cursor(void)
{
	struct fwd_ring r;

	CHECK(fwd_ring_init(&r, 100, 1) == 0);
	CHECK(r.cap == 128);
	produce(&r, 1, 11);
	/* 2..10 delivered, 1 not: the cursor stays at 1. */
	for (uint64_t s = 10; s >= 2; s--)
		CHECK(fwd_ring_mark(&r, s) == 0);
	CHECK(fwd_ring_advance(&r) == 1);
	CHECK(!fwd_ring_is_marked(&r, 1));
	CHECK(fwd_ring_is_marked(&r, 5));
	/* A second report for the same seq is refused, the count stays right. */
	CHECK(fwd_ring_mark(&r, 5) == -1);
	/* Outside the window: refused. */
	CHECK(fwd_ring_mark(&r, 11) == -1);
	CHECK(fwd_ring_mark(&r, 0) == -1);
	CHECK(fwd_ring_mark(&r, 1) == 0);
	CHECK(fwd_ring_advance(&r) == 11);
	CHECK(fwd_ring_mark(&r, 3) == -1);   /* behind the cursor now */
	CHECK(fwd_ring_is_marked(&r, 3));
	fwd_ring_free(&r);
}

/* Random out-of-order reports, many times around the ring: after each
 * report the cursor is exactly the first unreported seq. */
static void test_random_order_wraps(void)
{
	enum { CAP = 256, TOTAL = 200000 };
	static unsigned char done[TOTAL + 1];
	uint64_t next = 1, first = 1, pending[CAP];
	size_t npending = 0;
	struct fwd_ring r;

	srand(12345);
	CHECK(fwd_ring_init(&r, CAP, 1) == 0);
	while (first <= TOTAL) {
		/* Produce while the window allows. */
		while (next <= TOTAL && fwd_ring_fits(&r, next) &&
		       npending < CAP) {
			fwd_ring_extend(&r, next);
			pending[npending++] = next++;
		}
		CHECK(!fwd_ring_fits(&r, r.base + r.cap));
		/* Report a random one. */
		size_t i = (size_t)rand() % npending;
		uint64_t s = pending[i];

		pending[i] = pending[--npending];
		CHECK(fwd_ring_mark(&r, s) == 0);
		done[s] = 1;
		while (first <= TOTAL && done[first])
			first++;
		CHECK(fwd_ring_advance(&r) == first);
		if (failures > 10)
			break;
	}
	CHECK(r.base == TOTAL + 1);
	fwd_ring_free(&r);
}

/* Whole words at a time, and a hole at the last bit of a word. */
static void test_word_steps(void)
{
	struct fwd_ring r;

	CHECK(fwd_ring_init(&r, 1024, 64) == 0);
	produce(&r, 64, 64 + 512);
	for (uint64_t s = 64; s < 64 + 512; s++)
		if (s != 64 + 191)
			CHECK(fwd_ring_mark(&r, s) == 0);
	CHECK(fwd_ring_advance(&r) == 64 + 191);
	CHECK(fwd_ring_mark(&r, 64 + 191) == 0);
	CHECK(fwd_ring_advance(&r) == 64 + 512);
	/* The bits behind are clear again: a full lap later they start empty. */
	produce(&r, 64 + 512, 64 + 512 + 1024);
	CHECK(!fwd_ring_fits(&r, 64 + 512 + 1024));
	CHECK(fwd_ring_advance(&r) == 64 + 512);
	for (uint64_t s = 64 + 512; s < 64 + 512 + 1024; s++)
		CHECK(!fwd_ring_is_marked(&r, s));
	fwd_ring_free(&r);
}

/* The journal dropped seqs: the cursor jumps, late reports are ignored. */
static void test_jump(void)
{
	struct fwd_ring r;

	CHECK(fwd_ring_init(&r, 128, 1) == 0);
	produce(&r, 1, 101);
	CHECK(fwd_ring_mark(&r, 60) == 0);
	CHECK(fwd_ring_mark(&r, 30) == 0);
	fwd_ring_jump(&r, 50);
	CHECK(r.base == 50);
	CHECK(fwd_ring_mark(&r, 30) == -1);
	CHECK(fwd_ring_advance(&r) == 50);
	CHECK(fwd_ring_mark(&r, 50) == 0);
	CHECK(fwd_ring_advance(&r) == 51);
	/* Past the end: the window is empty at the new place. */
	fwd_ring_jump(&r, 1000);
	CHECK(r.base == 1000 && r.end == 1000);
	produce(&r, 1000, 1128);
	for (uint64_t s = 1000; s < 1128; s++)
		CHECK(!fwd_ring_is_marked(&r, s));
	fwd_ring_free(&r);
}

int main(void)
{
	test_hole_holds_cursor();
	test_random_order_wraps();
	test_word_steps();
	test_jump();
	if (failures) {
		fprintf(stderr, "test_ring: %d failures\n", failures);
		return 1;
	}
	printf("test_ring: ok\n");
	return 0;
}
