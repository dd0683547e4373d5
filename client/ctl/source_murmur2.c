/*
 * source_murmur2.c: Kafka's murmur2, byte for byte the Java client's
 * Utils.murmur2 (and librdkafka's rd_murmur2), so trace reads exactly the
 * partition a correlation id was produced to.
 */
#include "source.h"

uint32_t src_murmur2(const void *key, size_t len)
{
	const uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
	const unsigned char *d = key;
	uint32_t h = seed ^ (uint32_t)len, k;
	size_t i, n4 = len & ~(size_t)3;

	for (i = 0; i < n4; i += 4) {
		k = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 |
		    (uint32_t)d[i + 2] << 16 | (uint32_t)d[i + 3] << 24;
		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)d[n4 + 2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)d[n4 + 1] << 8;
		/* fall through */
	case 1:
		h ^= d[n4];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}
