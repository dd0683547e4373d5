/*
 * trace.h: trace and replay (trace.c, replay.c) share choosing a source
 * and writing an event value.
 */
#ifndef AGENTLOG_CTL_TRACE_H
#define AGENTLOG_CTL_TRACE_H

#include <stdio.h>

#include "ctl.h"
#include "source.h"

enum trace_format { TRACE_TABLE, TRACE_NDJSON, TRACE_JSON };
enum trace_from { FROM_AUTO, FROM_JOURNAL, FROM_KAFKA };

struct trace_opts {
	struct src_opts src;
	enum trace_from from;
	int brokers_explicit;        /* --brokers or $KAFKA_BROKERS given */
	enum trace_format format;
	int color;
	const char *corr;            /* canonical lower case */
	char corr_buf[64];
};

/*
 * Open the source: the journal, Kafka, or (auto) Kafka when brokers are
 * configured and answer, else the journal (saying so on stderr).
 */
struct src *trace_source(struct src_opts *o, enum trace_from from,
			 int brokers_explicit);
/* Write an event value as JSON: itself when it is one line of valid
 * JSON, else as a JSON string. */
void trace_value(FILE *out, const char *v, size_t len);
int trace_run(struct trace_opts *o);

/*
 * Parse the options trace and replay share (--from, --journal-dir,
 * --brokers, --since, --until, --timeout).  Returns 1 when c was one of
 * them, 0 when not, -1 on a bad value (reported).
 */
int trace_opt(const struct ctl_cmd *cmd, struct trace_opts *o, int c,
	      const char *arg);
void trace_opts_init(struct trace_opts *o);

#define TRACE_OPTS \
	{ "from", required_argument, NULL, 'F' }, \
	{ "journal-dir", required_argument, NULL, 'J' }, \
	{ "brokers", required_argument, NULL, 'B' }, \
	{ "since", required_argument, NULL, 's' }, \
	{ "until", required_argument, NULL, 'u' }, \
	{ "timeout", required_argument, NULL, 'T' }, \
	{ "format", required_argument, NULL, 'f' }, \
	{ "help", no_argument, NULL, 'h' }

#define TRACE_HELP \
	"  --from SRC         journal, kafka, or auto (default: Kafka when brokers\n" \
	"                     are configured and answer, else the local journal)\n" \
	"  --brokers LIST     Kafka bootstrap servers (else $KAFKA_BROKERS)\n" \
	"  --journal-dir DIR  the local journal (else $AGENTLOG_JOURNAL_DIR)\n" \
	"  --since TIME       from this time: RFC 3339, Unix ms, or an age (15m, 2h)\n" \
	"  --until TIME       up to this time (same forms)\n" \
	"  --timeout MS       Kafka requests (default 5000)\n"

#endif
