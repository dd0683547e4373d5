/*
 * forward_ring.c: the delivered set behind the cursor.
 *
 * Delivery reports arrive out of order across partitions (and even
 * within the whole producer), so "the last report seen" says nothing
 * about what is safe to forget.  The cursor is the first seq not yet
 * delivered: a bitmap over the window [base, end) records which seqs are
 * done, and base moves only over a marked prefix (invariant 2).  The
 * bitmap is a ring (a seq's bit is seq mod cap) so it never moves memory;
 * the window is capped at cap seqs, which bounds memory whatever Kafka
 * does: a hole that never fills stops production, not the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forward_int.h"

#define WORD(r, seq) ((r)->bits[((seq) & ((r)->cap - 1)) >> 6])
#define BIT(seq) (UINT64_C(1) << ((seq) & 63))

/*
 * Set up an empty window starting at start.  cap is rounded up to a
 * power of two of at least 64.  Returns 0 or -ENOMEM.
 */
int fwd_ring_init(struct fwd_ring *r, uint64_t cap, uint64_t start)
{
	uint64_t c = 64;

	while (c < cap)
		c <<= 1;
	r->bits = calloc(c / 64, sizeof(uint64_t));
	if (!r->bits)
		return -ENOMEM;
	r->cap = c;
	r->base = start;
	r->end = start;
	return 0;
}

void fwd_ring_free(struct fwd_ring *r)
{
	free(r->bits);
	r->bits = NULL;
}

int fwd_ring_fits(const struct fwd_ring *r, uint64_t seq)
{
	return seq >= r->base && seq - r->base < r->cap;
}

/* Bits in [end, seq] are clear already: advance clears what it passes. */
void fwd_ring_extend(struct fwd_ring *r, uint64_t seq)
{
	if (seq >= r->end)
		r->end = seq + 1;
}

int fwd_ring_mark(struct fwd_ring *r, uint64_t seq)
{
	if (seq < r->base || seq >= r->end)
		return -1;
	if (WORD(r, seq) & BIT(seq))
		return -1;
	WORD(r, seq) |= BIT(seq);
	return 0;
}

int fwd_ring_is_marked(const struct fwd_ring *r, uint64_t seq)
{
	if (seq < r->base)
		return 1;
	if (seq >= r->end)
		return 0;
	return (WORD(r, seq) & BIT(seq)) != 0;
}

/*
 * Clear and pass every marked seq at base.  Whole words at a time where
 * the window allows (the common case under load: reports for 64
 * consecutive seqs).
 */
uint64_t fwd_ring_advance(struct fwd_ring *r)
{
	while (r->base < r->end) {
		uint64_t *w = &WORD(r, r->base);

		if ((r->base & 63) == 0 && r->end - r->base >= 64 &&
		    *w == UINT64_MAX) {
			*w = 0;
			r->base += 64;
			continue;
		}
		if (!(*w & BIT(r->base)))
			break;
		*w &= ~BIT(r->base);
		r->base++;
	}
	return r->base;
}

/*
 * Forget everything below seq (the journal dropped it): base moves to
 * seq whatever was marked, and reports for those seqs are ignored from
 * now on (fwd_ring_mark refuses them).
 */
void fwd_ring_jump(struct fwd_ring *r, uint64_t seq)
{
	if (seq <= r->base)
		return;
	if (seq - r->base >= r->cap || r->end <= r->base) {
		memset(r->bits, 0, (size_t)(r->cap / 8));
	} else {
		for (; r->base < seq && r->base < r->end; r->base++)
			WORD(r, r->base) &= ~BIT(r->base);
	}
	r->base = seq;
	if (r->end < seq)
		r->end = seq;
}
