/*
 * eventid.c: event ids, UUIDv7 (RFC 9562) from a buffered CSPRNG.
 *
 * libuuid's uuid_generate() makes one getrandom() call per id (~1.9 us
 * here: alone it would cap ingest near 500k events/s).  Taking the random
 * bits from a 64 KiB buffer refilled by one getrandom() call costs a few
 * tens of nanoseconds per id.  The leading 48-bit millisecond time makes
 * ids time-ordered, which keeps a downstream primary-key index compact.
 *
 * The buffer is per process: call from one thread.  A forked child must
 * not hand out the ids its parent will, so fork empties the buffer.
 * proto_event_id_new_unpooled() makes the same ids without the buffer, for
 * a library that makes one now and then from any thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef __APPLE__
#include <sys/random.h>
#endif

#include "proto.h"

#define POOL_SIZE (64 * 1024)

static unsigned char pool[POOL_SIZE];
static size_t pool_pos = POOL_SIZE;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
	pool_pos = POOL_SIZE;
}

static void pool_register_atfork(void)
{
	pthread_atfork(NULL, NULL, pool_forget);
}

#ifdef __APPLE__
static void fill_random(unsigned char *buf, size_t n)
{
	arc4random_buf(buf, n);
}
#else
/* Fill buf from the kernel's CSPRNG; without randomness ids are not
 * unique, so failing here is fatal. */
static void fill_random(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "agentlog: getrandom() failed: %s\n",
				strerror(errno));
			abort();
		}
		got += (size_t)r;
	}
}
#endif

/* Take n random bytes from the pool, refilling it when empty. */
static void take_random(unsigned char *out, size_t n)
{
	if (POOL_SIZE - pool_pos < n) {
		pthread_once(&atfork_once, pool_register_atfork);
		fill_random(pool, POOL_SIZE);
		pool_pos = 0;
	}
	memcpy(out, pool + pool_pos, n);
	pool_pos += n;
}

/* Make id a UUIDv7 for now_ms around the random bytes in id[6..16). */
static void uuid7_stamp(uint8_t id[16], int64_t now_ms)
{
	uint64_t ms = (uint64_t)now_ms;

	for (int i = 0; i < 6; i++)
		id[i] = (uint8_t)(ms >> (40 - 8 * i));
	id[6] = (uint8_t)(0x70 | (id[6] & 0x0f));     /* version 7 */
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));     /* variant 10 */
}

/* A fresh UUIDv7 for now_ms (see proto.h). */
void proto_event_id_new(uint8_t id[16], int64_t now_ms)
{
	take_random(id + 6, 10);
	uuid7_stamp(id, now_ms);
}

/*
 * The same from a getrandom() call of its own: thread-safe, no buffer, and
 * never blocking (GRND_NONBLOCK: before the kernel's pool is initialised
 * it fails with -EAGAIN rather than wait).
 */
int proto_event_id_new_unpooled(uint8_t id[16], int64_t now_ms)
{
#ifdef __APPLE__
	arc4random_buf(id + 6, 10);
#else
	ssize_t r;

	do {
		r = getrandom(id + 6, 10, GRND_NONBLOCK);
	} while (r < 0 && errno == EINTR);
	if (r != 10)
		return r < 0 ? -errno : -EIO;
#endif
	uuid7_stamp(id, now_ms);
	return 0;
}

/* The canonical lower-case text of a UUID, NUL-terminated. */
void proto_uuid_format(const uint8_t id[16], char out[PROTO_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[id[i] >> 4];
		*o++ = hex[id[i] & 15];
	}
	*o = '\0';
}
