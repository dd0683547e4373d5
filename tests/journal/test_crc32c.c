/*
 * test_crc32c: the CRC-32C of record.h against the standard vectors, and
 * the hardware path against the table on random buffers of every length
 * and alignment, whole and in pieces.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "crc32c.h"

/* RFC 3720 (iSCSI) appendix B.4 vectors plus the usual "123456789". */
static void test_vectors(void)
{
	unsigned char b[32];

	CHECK_EQ_U64(crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ_U64(crc32c_sw(0, "123456789", 9), 0xE3069283u);
	memset(b, 0, sizeof b);
	CHECK_EQ_U64(crc32c(0, b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof b);
	CHECK_EQ_U64(crc32c(0, b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (unsigned char)i;
	CHECK_EQ_U64(crc32c(0, b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (unsigned char)(31 - i);
	CHECK_EQ_U64(crc32c(0, b, 32), 0x113FDB5Cu);
	CHECK_EQ_U64(crc32c(0, b, 0), 0);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Hardware == table for lengths 0..4096 at every alignment mod 8 (every
 * length up to 600: either side of each three-chain block, 192 bytes on
 * x86-64), and extending a CRC piecewise equals one pass. */
static void test_hw_equals_table(void)
{
	static unsigned char buf[8192];

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rng();
	for (size_t len = 0; len <= 4096; len += (len < 600 ? 1 : 37)) {
		for (size_t al = 0; al < 8; al++) {
			uint32_t h = crc32c(0, buf + al, len);
			CHECK_EQ_U64(h, crc32c_sw(0, buf + al, len));
			size_t cut = len ? rng() % len : 0;
			uint32_t p = crc32c(0, buf + al, cut);
			CHECK_EQ_U64(crc32c(p, buf + al + cut, len - cut), h);
		}
	}
	for (int n = 0; n < 200; n++) {
		size_t off = rng() % 4096, len = rng() % 4096;
		CHECK_EQ_U64(crc32c(0, buf + off, len),
			     crc32c_sw(0, buf + off, len));
	}
}

int main(void)
{
	test_vectors();
	test_hw_equals_table();
	printf("crc32c ok (implementation: %s)\n", crc32c_impl());
	return 0;
}
