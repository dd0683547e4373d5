/*
 * dlq.c: produce dead letters and wait until Kafka has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlq.h"
#include "kafka.h"
#include "log.h"

/* How long one attempt waits for acknowledgements (message.timeout.ms
 * is a little shorter, so librdkafka gives up first). */
#define DLQ_TIMEOUT_MS 10000
#define DLQ_WAIT_MS (DLQ_TIMEOUT_MS + 5000)

struct dlq {
	rd_kafka_t *rk;
	const struct config *cfg;
	struct metrics *m;
	int failed;                   /* delivery failures this attempt */
	char last_err[256];
};

/* A delivery report: mark the dead letter acknowledged, or count why not. */
static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *msg,
			  void *opaque)
{
	struct dlq *d = opaque;
	struct batch_msg *bm = msg->_private;

	if (msg->err) {
		d->failed++;
		snprintf(d->last_err, sizeof(d->last_err), "%s",
			 rd_kafka_err2str(msg->err));
		return;
	}
	bm->dlq_done = 1;
	metrics_dlq(d->m, 1);
}

struct dlq *dlq_new(const struct config *cfg, struct metrics *m, char *err,
		    size_t errlen)
{
	static const char *const defaults[][2] = {
		{ "linger.ms", "5" },
	};
	rd_kafka_conf_t *conf = kafka_conf_new(cfg, defaults, 1, err, errlen);
	struct dlq *d;
	char tmo[16];

	if (!conf)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		abort();
	d->cfg = cfg;
	d->m = m;
	snprintf(tmo, sizeof(tmo), "%d", DLQ_TIMEOUT_MS);
	/* Dead letters are acknowledged by every replica before the batch's
	 * offsets move; a delivery fails within DLQ_TIMEOUT_MS. */
	if (kafka_conf_set(conf, "acks", "all", err, errlen) < 0 ||
	    kafka_conf_set(conf, "message.timeout.ms", tmo, err, errlen) < 0)
		goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, dlq_delivered);
	rd_kafka_conf_set_opaque(conf, d);
	d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (!d->rk)
		goto fail;
	return d;
fail:
	rd_kafka_conf_destroy(conf);
	free(d);
	return NULL;
}

void dlq_free(struct dlq *d)
{
	if (!d)
		return;
	rd_kafka_flush(d->rk, 5000);
	rd_kafka_destroy(d->rk);
	free(d);
}

/* The record's headers with ours set (any old ones of those names go). */
static rd_kafka_headers_t *dlq_headers(const struct batch_msg *bm)
{
	static const char *const names[] = { "origin_topic", "origin_partition",
					     "origin_offset", "error" };
	const rd_kafka_message_t *rkm = bm->rkm;
	rd_kafka_headers_t *orig, *h;
	char part[16], off[24];

	if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR)
		h = rd_kafka_headers_copy(orig);
	else
		h = rd_kafka_headers_new(4);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		rd_kafka_header_remove(h, names[i]);
	snprintf(part, sizeof(part), "%d", (int)rkm->partition);
	snprintf(off, sizeof(off), "%lld", (long long)rkm->offset);
	rd_kafka_header_add(h, "origin_topic", -1,
			    rd_kafka_topic_name(rkm->rkt), -1);
	rd_kafka_header_add(h, "origin_partition", -1, part, -1);
	rd_kafka_header_add(h, "origin_offset", -1, off, -1);
	rd_kafka_header_add(h, "error", -1, bm->error, -1);
	return h;
}

/* Queue one dead letter; waits while librdkafka's queue is full. */
static int dlq_produce(struct dlq *d, struct batch_msg *bm, char *err,
		       size_t errlen)
{
	const rd_kafka_message_t *rkm = bm->rkm;
	rd_kafka_resp_err_t e;
	rd_kafka_headers_t *h;

	for (;;) {
		h = dlq_headers(bm);
		e = rd_kafka_producev(d->rk,
				      RD_KAFKA_V_TOPIC(d->cfg->dlq_topic),
				      RD_KAFKA_V_KEY(rkm->key, rkm->key_len),
				      RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_HEADERS(h),
				      RD_KAFKA_V_OPAQUE(bm),
				      RD_KAFKA_V_END);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			return 0;
		rd_kafka_headers_destroy(h);
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			snprintf(err, errlen, "dead-letter produce to %s failed: "
				 "%s", d->cfg->dlq_topic, rd_kafka_err2str(e));
			return -1;
		}
		rd_kafka_poll(d->rk, 100);
	}
}

/*
 * Wait for every delivery report.  Whatever is still queued after the
 * wait is purged, and its reports served, so no report outlives the
 * batch its opaque points into.
 */
static void dlq_wait(struct dlq *d)
{
	if (rd_kafka_flush(d->rk, DLQ_WAIT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE |
		       RD_KAFKA_PURGE_F_INFLIGHT);
	/* Purged messages report at once; a minute is a broken client. */
	for (int i = 0; i < 600 && rd_kafka_outq_len(d->rk) > 0; i++)
		rd_kafka_poll(d->rk, 100);
	if (rd_kafka_outq_len(d->rk) > 0) {
		log_error("kafka: dead-letter reports never came back");
		abort();
	}
}

int dlq_send(struct dlq *d, struct batch *b, char *err, size_t errlen)
{
	int pending = 0, rc = 0;

	d->failed = 0;
	for (int i = 0; i < b->n; i++) {
		struct batch_msg *bm = &b->msgs[i];
		if (!bm->error || bm->dlq_done)
			continue;
		if (dlq_produce(d, bm, err, errlen) < 0) {
			rc = -1;
			break;
		}
		pending++;
	}
	if (pending)
		dlq_wait(d);
	for (int i = 0; rc == 0 && i < b->n; i++) {
		if (b->msgs[i].error && !b->msgs[i].dlq_done) {
			snprintf(err, errlen, "dead letters to %s not "
				 "acknowledged (%d failed: %s)",
				 d->cfg->dlq_topic, d->failed,
				 d->failed ? d->last_err : "timed out");
			rc = -1;
		}
	}
	return rc;
}
