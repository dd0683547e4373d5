/*
 * source_journal.c: records from the local journal's segments, with
 * rec_reader (proto/record.h): no Kafka needed, no JSON parsed (the record
 * header has the type, the key and the accept time).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "record.h"
#include "source.h"
#include "wire.h"

struct src_journal {
	struct src base;
	rec_reader_t *rd;
	struct src_opts o;
	char err[512];
};

static int journal_next(struct src *s, struct src_rec *out, int wait_ms)
{
	struct src_journal *j = (struct src_journal *)s;
	struct rec r;
	int n;

	for (;;) {
		n = rec_reader_next(j->rd, &r);
		if (n < 0) {
			snprintf(j->err, sizeof(j->err), "reading %s: %s",
				 s->where, strerror(-n));
			return n;
		}
		if (n == 0) {
			if (!j->o.follow)
				return 0;
			/* The journal has no notification for readers:
			 * look again shortly (tail -f does the same). */
			poll(NULL, 0, wait_ms < 50 ? wait_ms : 50);
			n = rec_reader_next(j->rd, &r);
			if (n <= 0)
				return n;
		}
		if (r.time_ms < j->o.since_ms)
			continue;
		if (r.time_ms > j->o.until_ms)
			return 0;       /* accept times only grow */
		if (j->o.key && (r.key_len != strlen(j->o.key) ||
				 memcmp(r.key, j->o.key, r.key_len)))
			continue;
		break;
	}
	out->topic = proto_type_topic(r.type);
	out->partition = -1;
	out->offset = (int64_t)r.seq;
	out->time_ms = r.time_ms;
	out->type = r.type < PROTO_TYPE_COUNT ? r.type : -1;
	out->key = r.key;
	out->key_len = r.key_len;
	out->value = r.value;
	out->value_len = r.value_len;
	return 1;
}

static const char *journal_error(const struct src *s)
{
	return ((const struct src_journal *)s)->err;
}

static uint64_t journal_skipped(const struct src *s)
{
	return rec_reader_corrupt_bytes(((const struct src_journal *)s)->rd);
}

static void journal_close(struct src *s)
{
	struct src_journal *j = (struct src_journal *)s;

	rec_reader_close(j->rd);
	free(j);
}

static const struct src_ops journal_ops = {
	journal_next, journal_error, journal_skipped, journal_close,
};

struct src *src_journal_open(const struct src_opts *o, char *err,
			     size_t errlen)
{
	char dir[PATH_MAX];
	struct src_journal *j;
	int e = 0;

	if (!o->journal_dir && proto_journal_dir(dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "no journal directory (set "
			 "AGENTLOG_JOURNAL_DIR or --journal-dir)");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->base.ops = &journal_ops;
	j->base.name = "journal";
	j->o = *o;
	if ((size_t)snprintf(j->base.where, sizeof(j->base.where), "%s/segments",
			     o->journal_dir ? o->journal_dir : dir) >=
	    sizeof(j->base.where)) {
		snprintf(err, errlen, "journal path too long");
		free(j);
		return NULL;
	}
	j->rd = rec_reader_open(j->base.where, o->from_offset > 0 ?
				(uint64_t)o->from_offset : 0, &e);
	if (!j->rd) {
		snprintf(err, errlen, "cannot read the journal %s: %s",
			 j->base.where, strerror(-e));
		free(j);
		return NULL;
	}
	return &j->base;
}
