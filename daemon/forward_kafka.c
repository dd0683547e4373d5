/*
 * forward_kafka.c: the forwarder's librdkafka producer.
 *
 * librdkafka runs its own threads; everything it tells us (delivery
 * reports, errors, its log lines) goes through its main queue, which the
 * report thread serves (forward_reports.c).  Our callbacks run there and
 * only note each report; fwd_kafka_report() gives it its meaning on the
 * loop thread.
 *
 * A fatal error (rd_kafka_fatal_error: the idempotent producer lost track
 * of its sequence numbers) leaves the handle useless: we destroy it,
 * build a new one and resume from the cursor.  What was in flight may
 * then reach Kafka twice; it is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "forward_int.h"

#define FWD_QUEUE_KBYTES_DEFAULT 32768
#define FWD_LINGER_MS_DEFAULT 5

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque);
static void on_error(rd_kafka_t *rk, int err, const char *reason,
		     void *opaque);
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf);
static int topic_index(const struct fwd *f, const rd_kafka_topic_t *rkt);

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v,
		    char *err, size_t errlen)
{
	char why[512];

	if (rd_kafka_conf_set(conf, k, v, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "Kafka property %s=%s: %s", k, v, why);
	return -EINVAL;
}

/* A "key=value" property from opts->props. */
static int conf_set_prop(rd_kafka_conf_t *conf, const char *prop, char *err,
			 size_t errlen)
{
	const char *eq = strchr(prop, '=');
	char key[256];

	if (!eq || eq == prop || (size_t)(eq - prop) >= sizeof(key)) {
		snprintf(err, errlen, "Kafka property %s: expected key=value",
			 prop);
		return -EINVAL;
	}
	memcpy(key, prop, (size_t)(eq - prop));
	key[eq - prop] = '\0';
	return conf_set(conf, key, eq + 1, err, errlen);
}

/*
 * Our settings (see forward.h for why each), then the user's props,
 * which may override any of them.
 */
static rd_kafka_conf_t *make_conf(struct fwd *f, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char kbytes[32], linger[32];
	const char *set[][2] = {
		{ "bootstrap.servers", f->brokers },
		{ "client.id", "agentlogd" },
		{ "enable.idempotence", "true" },
		{ "acks", "all" },
		{ "compression.codec", f->opts.compression ? f->opts.compression
							  : "lz4" },
		{ "linger.ms", linger },
		{ "partitioner", "murmur2_random" },
		{ "message.timeout.ms", "0" },
		{ "queue.buffering.max.kbytes", kbytes },
		{ "queue.buffering.max.messages", "500000" },
		{ "message.max.bytes", "4194304" },
		{ "reconnect.backoff.max.ms", "1000" },
		{ "log.queue", "true" },
		{ "log.connection.close", "false" },
	};
	size_t i;

	snprintf(kbytes, sizeof(kbytes), "%llu", (unsigned long long)
		 (f->opts.queue_max_kbytes ? f->opts.queue_max_kbytes
					   : FWD_QUEUE_KBYTES_DEFAULT));
	snprintf(linger, sizeof(linger), "%d", f->opts.linger_ms >= 0
		 ? f->opts.linger_ms : FWD_LINGER_MS_DEFAULT);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (conf_set(conf, set[i][0], set[i][1], err, errlen))
			goto fail;
	for (i = 0; f->props && f->props[i]; i++)
		if (conf_set_prop(conf, f->props[i], err, errlen))
			goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, f);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/*
 * Create the producer, its topic handles, and point its main queue (and
 * its log lines) at our wake-up pipe.  Returns 0 or -EINVAL/-ENOMEM with
 * a message in err.
 */
int fwd_kafka_new(struct fwd *f, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = make_conf(f, err, errlen);
	char why[512];
	int i, rc;

	if (!conf)
		return -EINVAL;
	f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!f->rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "rd_kafka_new() failed: %s", why);
		return -EINVAL;
	}
	rd_kafka_set_log_queue(f->rk, NULL);
	for (i = 0; i < PROTO_TYPE_COUNT; i++) {
		f->rkt[i] = rd_kafka_topic_new(f->rk, f->topic[i], NULL);
		if (!f->rkt[i]) {
			snprintf(err, errlen, "rd_kafka_topic_new(%s) failed: %s",
				 f->topic[i], rd_kafka_err2str(rd_kafka_last_error()));
			fwd_kafka_destroy(f);
			return -EINVAL;
		}
	}
	if ((rc = fwd_reports_start(f)) < 0) {
		snprintf(err, errlen, "cannot start the Kafka report thread: %s",
			 strerror(-rc));
		fwd_kafka_destroy(f);
		return rc;
	}
	return 0;
}

/*
 * Drop the producer now: what it still holds is purged (it stays in the
 * journal) and no callback of ours runs for it.
 */
void fwd_kafka_destroy(struct fwd *f)
{
	int i;

	if (!f->rk)
		return;
	fwd_reports_stop(f);
	f->discarding = 1;
	rd_kafka_purge(f->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
		       RD_KAFKA_PURGE_F_NON_BLOCKING);
	for (i = 0; i < PROTO_TYPE_COUNT; i++) {
		if (f->rkt[i])
			rd_kafka_topic_destroy(f->rkt[i]);
		f->rkt[i] = NULL;
	}
	rd_kafka_destroy(f->rk);
	f->rk = NULL;
	f->discarding = 0;
}

/*
 * After a fatal error: a new producer, resuming from the cursor.  What
 * the old one had in flight is produced again (possible duplicates).
 * Returns 0, or -EINVAL when no producer could be built (retry later).
 */
int fwd_kafka_rebuild(struct fwd *f)
{
	char err[512];

	fwd_kafka_destroy(f);
	fwd_reports_handle(f);          /* what the old one reported */
	f->reproduced += f->in_flight;
	f->in_flight = 0;
	f->fatal = 0;
	f->rewind = 0;
	if (fwd_kafka_new(f, err, sizeof(err))) {
		fwd_log(f, LOG_ERR, "rebuilding the Kafka producer: %s", err);
		f->fatal = 1;
		return -EINVAL;
	}
	f->rebuilds++;
	f->blocked = 0;
	f->next_seq = f->ring.base;
	fwd_cold_start(f);
	return 0;
}

/* Which of our topics rkt is (for a failed report's message). */
static int topic_index(const struct fwd *f, const rd_kafka_topic_t *rkt)
{
	for (int i = 0; i < PROTO_TYPE_COUNT; i++)
		if (f->rkt[i] == rkt)
			return i;
	return -1;
}

/* The callbacks below run on the report thread: they only take note. */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct fwd *f = opaque;
	uint64_t seq = (uint64_t)(uintptr_t)m->_private;

	if (f->discarding || rk != f->rep.rk)
		return;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		fwd_reports_note(f, FWD_REP_DELIVERED, 0, seq, 0, NULL);
	else
		fwd_reports_note(f, FWD_REP_FAILED, m->err, seq,
				 topic_index(f, m->rkt), NULL);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
		     void *opaque)
{
	struct fwd *f = opaque;
	char why[512];

	if (f->discarding || rk != f->rep.rk)
		return;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		reason = why;
	}
	fwd_reports_note(f, FWD_REP_ERROR, err, 0, 0, reason);
}

/*
 * librdkafka's own log lines (served from the main queue: log.queue).
 * Connection failures ("FAIL") also come as error events: on_error
 * speaks for them.
 */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	struct fwd *f = rd_kafka_opaque(rk);
	char line[240];

	if (!f || f->discarding || rk != f->rep.rk || level > LOG_WARNING ||
	    strcmp(fac, "FAIL") == 0)
		return;
	snprintf(line, sizeof line, "%s: %s", fac, buf);
	fwd_reports_note(f, FWD_REP_LOG, level, 0, 0, line);
}

/*
 * A delivery report, on the loop thread.  Only a report without error
 * marks its seq delivered; a failure sends the forwarder back to the
 * first undelivered seq (after what is in flight has reported).
 */
static void report_delivery(struct fwd *f, const struct fwd_rep *e)
{
	struct journal_stats js;
	const char *topic = e->type >= 0 ? f->topic[e->type] : "?";

	if (f->in_flight)
		f->in_flight--;
	if (e->kind == FWD_REP_FAILED) {
		const char *why = rd_kafka_err2str((rd_kafka_resp_err_t)e->code);
		f->failed++;
		f->rewind = 1;
		fwd_set_error(f, "delivery to %s failed: %s", topic, why);
		fwd_log_limited(f, LOG_WARNING, "delivery of seq %llu to %s "
				"failed: %s; it will be produced again",
				(unsigned long long)e->seq, topic, why);
		return;
	}
	if (fwd_ring_mark(&f->ring, e->seq) == 0)
		f->delivered++;
	f->retry_ms = 0;
	if (!f->up) {
		f->up = 1;
		journal_get_stats(f->j, &js);
		fwd_log(f, LOG_NOTICE, "Kafka back, draining %llu events",
			(unsigned long long)(js.next_seq - f->ring.base));
	}
}

/*
 * librdkafka's error events.  The last broker going away is the one line
 * an outage earns; what follows during it (reconnect failures) is only
 * remembered for status.
 */
static void report_error(struct fwd *f, int err, const char *reason)
{
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		fwd_set_error(f, "fatal: %s", reason);
		fwd_log(f, LOG_ERR, "Kafka producer fatal error: %s; rebuilding "
			"it and resuming from the cursor", reason);
		f->fatal = 1;
		return;
	}
	fwd_set_error(f, "%s", reason);
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (f->up) {
			f->up = 0;
			fwd_log(f, LOG_WARNING, "Kafka unreachable: %s", reason);
		}
		return;
	}
	/* One connection failing is routine (librdkafka reconnects); the
	 * last one failing is the outage line above. */
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__RESOLVE)
		return;
	if (f->up)
		fwd_log_limited(f, LOG_WARNING, "Kafka: %s", reason);
}

/* One report, on the loop thread; text is an error's or a log line's. */
void fwd_kafka_report(struct fwd *f, const struct fwd_rep *e,
		      const char *text)
{
	switch (e->kind) {
	case FWD_REP_DELIVERED:
	case FWD_REP_FAILED:
		report_delivery(f, e);
		break;
	case FWD_REP_ERROR:
		report_error(f, e->code, text);
		break;
	case FWD_REP_LOG:
		if (f->up)
			fwd_log_limited(f, e->code, "librdkafka %s", text);
		break;
	}
}

/* Reports the report thread could not note (out of memory): failed
 * deliveries of unknown seqs, so production goes back to the cursor. */
void fwd_kafka_lost(struct fwd *f, uint64_t n)
{
	if (n == 0)
		return;
	f->in_flight = f->in_flight > n ? f->in_flight - n : 0;
	f->failed += n;
	f->rewind = 1;
	fwd_log_limited(f, LOG_ERR, "%llu Kafka reports lost (out of memory); "
			"producing again from the cursor", (unsigned long long)n);
}
