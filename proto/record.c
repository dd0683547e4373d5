/*
 * record.c: encode, decode and resynchronise the journal/inbox record of
 * record.h.  Every multi-byte field is little-endian whatever the host;
 * decoding never reads past the buffer it is given and rejects lengths no
 * writer could have produced before it looks at the CRC.
 */
#include <assert.h>
#include <string.h>

#include "crc32c.h"
#include "record.h"

static const unsigned char rec_magic[4] = { 'A', 'L', 'R', '1' };

static inline void rec_put16(char *p, uint16_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)(v >> 8);
}

static inline void rec_put32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)((v >> (8 * i)) & 0xff);
}

static inline void rec_put64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char)((v >> (8 * i)) & 0xff);
}

static inline uint16_t rec_get16(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint16_t)(u[0] | (u[1] << 8));
}

static inline uint32_t rec_get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	       (uint32_t)u[3] << 24;
}

static inline uint64_t rec_get64(const char *p)
{
	return (uint64_t)rec_get32(p) | (uint64_t)rec_get32(p + 4) << 32;
}

uint32_t rec_seal(char *buf, const struct rec *r, size_t key_len,
		  size_t value_len)
{
	size_t len = rec_size(key_len, value_len);

	assert(key_len <= UINT16_MAX && len <= REC_MAX);
	memcpy(buf, rec_magic, 4);
	rec_put32(buf + 4, (uint32_t)len);
	rec_put64(buf + 12, r->seq);
	rec_put64(buf + 20, (uint64_t)r->time_ms);
	memcpy(buf + 28, r->event_id, 16);
	buf[44] = (char)r->type;
	buf[45] = (char)r->flags;
	rec_put16(buf + 46, (uint16_t)key_len);
	rec_put32(buf + 8, crc32c(0, buf + 12, len - 12));
	return (uint32_t)len;
}

uint32_t rec_encode(char *buf, const struct rec *r)
{
	memmove(buf + REC_HDR, r->key, r->key_len);
	memmove(buf + REC_HDR + r->key_len, r->value, r->value_len);
	return rec_seal(buf, r, r->key_len, r->value_len);
}

/* Check the fixed header as far as buf[0..len) allows, without the CRC.
 * REC_OK here means: the whole record is in buf, CRC not yet checked. */
static enum rec_status rec_check_header(const char *buf, size_t len)
{
	if (len < 4)
		return memcmp(buf, rec_magic, len) == 0 ? REC_SHORT : REC_BAD;
	if (memcmp(buf, rec_magic, 4) != 0)
		return REC_BAD;
	if (len < 8)
		return REC_SHORT;
	uint32_t rlen = rec_get32(buf + 4);
	if (rlen < REC_HDR || rlen > REC_MAX)
		return REC_BAD;
	if (len < REC_HDR)
		return REC_SHORT;
	if (rec_get16(buf + 46) > rlen - REC_HDR)
		return REC_BAD;
	return len < rlen ? REC_SHORT : REC_OK;
}

/* The fields of a record whose header checked out. */
static void rec_fields(const char *buf, uint32_t rlen, struct rec *r)
{
	r->len = rlen;
	r->seq = rec_get64(buf + 12);
	r->time_ms = (int64_t)rec_get64(buf + 20);
	memcpy(r->event_id, buf + 28, 16);
	r->type = (uint8_t)buf[44];
	r->flags = (uint8_t)buf[45];
	r->key_len = rec_get16(buf + 46);
	r->key = buf + REC_HDR;
	r->value = buf + REC_HDR + r->key_len;
	r->value_len = rlen - REC_HDR - r->key_len;
}

enum rec_status rec_decode(const char *buf, size_t len, struct rec *r)
{
	enum rec_status st = rec_check_header(buf, len);
	if (st != REC_OK)
		return st;
	uint32_t rlen = rec_get32(buf + 4);
	if (crc32c(0, buf + 12, rlen - 12) != rec_get32(buf + 8))
		return REC_BAD;
	rec_fields(buf, rlen, r);
	return REC_OK;
}

enum rec_status rec_decode_sealed(const char *buf, size_t len, struct rec *r)
{
	enum rec_status st = rec_check_header(buf, len);
	if (st != REC_OK)
		return st;
	rec_fields(buf, rec_get32(buf + 4), r);
	return REC_OK;
}

size_t rec_resync(const char *buf, size_t len)
{
	struct rec r;
	size_t off = 1;

	while (off < len) {
		const char *a = memchr(buf + off, rec_magic[0], len - off);
		if (a == NULL)
			break;
		off = (size_t)(a - buf);
		if (rec_decode(a, len - off, &r) != REC_BAD)
			return off;
		off++;
	}
	return len;
}

size_t rec_find(const char *buf, size_t len)
{
	struct rec r;
	size_t off = 0;

	if (len > 0 && rec_decode(buf, len, &r) == REC_OK)
		return 0;
	while (off < len) {
		off += rec_resync(buf + off, len - off);
		if (off < len && rec_decode(buf + off, len - off, &r) == REC_OK)
			return off;
	}
	return len;
}

int rec_is_padding(const char *buf, size_t len, uint64_t end_off)
{
	if (len == 0 || len >= REC_PAD_BLOCK || end_off % REC_PAD_BLOCK != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\0')
			return 0;
	return 1;
}
