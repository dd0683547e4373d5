/*
 * record.h: the on-disk record shared by the journal (written by agentlogd,
 * read by agentlogd's forwarder and by agentlogctl trace/replay) and by the
 * inbox (written by clients while the daemon is down, read by agentlogd).
 *
 * A record is a fixed little-endian header followed by the key and the
 * value:
 *
 *   off size field
 *     0    4  magic     "ALR1"
 *     4    4  len       bytes of the whole record, header included
 *     8    4  crc       CRC32C of bytes 12..len (everything after crc)
 *    12    8  seq       journal sequence number (0 in the inbox)
 *    20    8  time_ms   Unix ms when the daemon accepted it (inbox: sent)
 *    28   16  event_id  binary UUID (inbox: the client's UUIDv7, which the
 *                       daemon keeps; zero: the daemon assigns one)
 *    44    1  type      enum proto_type
 *    45    1  flags     0
 *    46    2  key_len   bytes of key (the correlation id)
 *    48    -  key, then value (the enriched event JSON; inbox: raw line)
 *
 * Storing type, key and event id means the forwarder's cold path and
 * trace never re-parse JSON.  The magic lets a reader resynchronise after
 * a corrupt record (it scans for the next plausible header whose CRC
 * matches).
 */
#ifndef AGENTLOG_RECORD_H
#define AGENTLOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC 0x31524c41u   /* "ALR1" read as little-endian u32 */
#define REC_HDR 48
#define REC_MAX (REC_HDR + 255 + 64 * 1024 * 1024)

struct rec {
	uint64_t seq;
	int64_t time_ms;
	uint8_t event_id[16];
	uint8_t type;
	uint8_t flags;
	const char *key;
	uint16_t key_len;
	const char *value;
	uint32_t value_len;
	uint32_t len;          /* whole record */
};

/* Bytes a record with these key and value lengths takes. */
static inline size_t rec_size(size_t key_len, size_t value_len)
{
	return REC_HDR + key_len + value_len;
}

/*
 * Write the header for a record whose key and value already sit at
 * buf + REC_HDR (key_len bytes of key, then value_len bytes of value),
 * and compute the CRC.  Returns the record's length.
 */
uint32_t rec_seal(char *buf, const struct rec *r, size_t key_len,
		  size_t value_len);

/*
 * Encode a whole record into buf (rec_size() bytes).  Returns its length.
 */
uint32_t rec_encode(char *buf, const struct rec *r);

enum rec_status {
	REC_OK = 0,       /* a whole, valid record */
	REC_SHORT = 1,    /* buf ends inside a record (a torn tail, or read more) */
	REC_BAD = -1,     /* bad magic, impossible length or CRC mismatch */
};

/*
 * Decode the record at the start of buf[0..len).  On REC_OK, r points
 * into buf.  Never reads past buf + len.  REC_BAD as soon as the bytes
 * present rule a record out (wrong magic, a length outside
 * [REC_HDR, REC_MAX], a key longer than the record, a CRC mismatch);
 * REC_SHORT when they are a plausible start but end too early.  The type
 * and flags bytes are returned as stored: check type < PROTO_TYPE_COUNT
 * before using it as an index.
 */
enum rec_status rec_decode(const char *buf, size_t len, struct rec *r);

/*
 * rec_decode() without the CRC: for records this process sealed and
 * still holds in its own memory (the journal's written batches handed to
 * the forwarder).  The CRC guards bytes that went through a disk; these
 * did not, and checking it again costs as much as the seal did.  Header
 * checks (magic, lengths) still run.  Never for bytes read from a file.
 */
enum rec_status rec_decode_sealed(const char *buf, size_t len, struct rec *r);

/*
 * After REC_BAD at buf: the offset (>= 1) of the next position at which a
 * record may start, or len when none does within buf.  A position
 * qualifies when rec_decode() there gives REC_OK, or REC_SHORT (a plausible
 * header running past buf: decode again there once more bytes are in).
 * Everything before the returned offset is corrupt.
 *
 * Why a false start is rare: a candidate needs the magic, a length in
 * [REC_HDR, REC_MAX] and a matching CRC.  Bytes of JSON text can never pass
 * the length test (every byte is >= 0x20, so the high byte of the length
 * alone makes it >= 512 MiB), so only the binary header fields of real
 * records could fake one, and then the CRC rejects it.
 */
size_t rec_resync(const char *buf, size_t len);

/*
 * The offset of the first position in buf[0..len) at which a whole valid
 * record (REC_OK) starts, or len.  Used where a plausible-but-short header
 * must not count, e.g. to tell a torn tail from corrupt bytes followed by
 * more records.
 */
size_t rec_find(const char *buf, size_t len);

/*
 * Journal segments written with direct I/O (agentlogd --journal-io) end
 * in whole blocks of REC_PAD_BLOCK bytes: the segment being written may
 * carry, after its last record, up to REC_PAD_BLOCK - 1 zero bytes that
 * run to the end of the file at a block boundary.  1 when buf[0..len),
 * the last bytes of a file that ends at file offset end_off, are exactly
 * such padding (the end of the data, not corruption), else 0.
 */
#define REC_PAD_BLOCK 4096u
int rec_is_padding(const char *buf, size_t len, uint64_t end_off);

/*
 * A reader over a journal's segment files (<dir>/<20-digit seq>.seg), from a
 * sequence number on, in order.  Used by agentlogd's forwarder (cold path)
 * and by agentlogctl trace/replay --from journal.  Corrupt records are
 * skipped (the reader resynchronises on the next valid header), counted,
 * and passed to the corrupt callback so the daemon can quarantine them.
 * A torn record at the very end of the last segment is not corruption:
 * the reader stops there (it may be mid-write) and reports the end; nor
 * is direct-write padding (rec_is_padding) at the end of any segment.
 */
typedef struct rec_reader rec_reader_t;
typedef void (*rec_corrupt_cb)(void *arg, const char *path, uint64_t offset,
			       const char *bytes, size_t len);

/* Returns NULL with *errp a negative errno (a missing directory is -ENOENT). */
rec_reader_t *rec_reader_open(const char *segdir, uint64_t from_seq, int *errp);
void rec_reader_on_corrupt(rec_reader_t *r, rec_corrupt_cb cb, void *arg);
/* 1 and a record (valid until the next call), 0 at the end, <0 errno.
 * After 0, a later call sees records appended since. */
int rec_reader_next(rec_reader_t *r, struct rec *out);
/* Bytes skipped as corrupt so far. */
uint64_t rec_reader_corrupt_bytes(const rec_reader_t *r);
void rec_reader_close(rec_reader_t *r);

#endif
