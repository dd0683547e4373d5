/*
 * source.h: where trace and replay read events from: the local journal
 * (source_journal.c) or Kafka (the agentlog-kafka module, dlopen'ed by
 * source_kafka.c so that nothing else in agentlogctl maps librdkafka).
 *
 * A source yields raw records; filtering, de-duplication, ordering and
 * output are the commands' business, written once for both sources.
 * This header is also the whole interface of the Kafka module: keep it
 * free of anything but plain C types.
 */
#ifndef AGENTLOG_CTL_SOURCE_H
#define AGENTLOG_CTL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* Bump when struct src_opts, struct src_rec or the ops change. */
#define SRC_ABI_VERSION 2

struct src_rec {
	const char *topic;       /* Kafka topic; journal: the type's topic */
	int32_t partition;       /* -1 for the journal */
	int64_t offset;          /* Kafka offset; journal: seq */
	int64_t time_ms;         /* Kafka timestamp; journal: accept time */
	int type;                /* enum proto_type, -1 when unknown */
	const char *key;         /* the correlation id */
	size_t key_len;
	const char *value;       /* the event as delivered */
	size_t value_len;
};

struct src_opts {
	const char *journal_dir;     /* journal */
	const char *brokers;         /* Kafka bootstrap servers */
	const char *const *topics;   /* NULL-terminated; NULL: the four */
	const char *key;             /* only this correlation id (trace) */
	int64_t since_ms;            /* INT64_MIN: from the beginning */
	int64_t until_ms;            /* INT64_MAX: to the end */
	int64_t from_offset;         /* replay --offset, or -1 */
	int follow;                  /* keep waiting for new records */
	int timeout_ms;              /* Kafka requests (metadata, offsets) */
	int timeout_set;             /* given by the user */
};

struct src;
struct src_ops {
	/* 1 and a record (valid until the next call), 0 at the end, or a
	 * negative errno with a message in the source (src_error).  With
	 * follow, waits at most wait_ms for a record and returns 0 when none
	 * came (the caller loops). */
	int (*next)(struct src *s, struct src_rec *r, int wait_ms);
	const char *(*error)(const struct src *s);
	/* Records skipped: corrupt bytes in the journal, errors in Kafka. */
	uint64_t (*skipped)(const struct src *s);
	void (*close)(struct src *s);
};

struct src {
	const struct src_ops *ops;
	const char *name;            /* "journal" or "kafka" */
	char where[256];             /* the directory or the brokers */
};

/* Open the journal source.  NULL with a message in err (errlen bytes). */
struct src *src_journal_open(const struct src_opts *o, char *err,
			     size_t errlen);

/* The Kafka module's one entry point (agentlog-kafka.so). */
#define SRC_KAFKA_SYMBOL "agentlog_kafka_src_open"
typedef struct src *(*src_kafka_open_fn)(int abi, const struct src_opts *o,
					 char *err, size_t errlen);

/*
 * Open the Kafka source: dlopen agentlog-kafka.so (ctl_module_open), then
 * open.  NULL with a message in err.
 */
struct src *src_kafka_open(const struct src_opts *o, char *err, size_t errlen);

/*
 * Parse a --since/--until value: RFC 3339, Unix ms, or an age like "15m"
 * ("s", "m", "h", "d") before now.  Returns 0 and Unix ms, or -1.
 */
int src_time_parse(const char *s, int64_t *ms);

/*
 * The partition a key maps to among n, as the Java client's default
 * partitioner and librdkafka's murmur2_random do:
 * (murmur2(key) & 0x7fffffff) % n.
 */
uint32_t src_murmur2(const void *key, size_t len);
static inline int32_t src_partition(const void *key, size_t len, int32_t n)
{
	return (int32_t)((src_murmur2(key, len) & 0x7fffffff) % (uint32_t)n);
}

#endif
