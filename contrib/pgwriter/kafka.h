/*
 * kafka.h: the consumer-group side of the writer.
 *
 * A high-level KafkaConsumer: auto.offset.reset=earliest (a database
 * writer never skips history), enable.auto.commit=false and
 * enable.auto.offset.store=false (offsets are committed by the writer,
 * only after the batch's transaction committed).  Rebalancing is eager:
 * on a revoke the owner's revoke callback either stores its batch or
 * drops it; either way every partition is re-assigned from its committed
 * offset, so a dropped batch is consumed again, not lost.
 *
 * librdkafka's statistics (once a second) feed the per-partition lag and
 * Kafka's health into the metrics.
 */
#ifndef PGW_KAFKA_H
#define PGW_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "metrics.h"

struct kafka;

/* Called (on the polling thread) before the assignment is revoked. */
typedef void kafka_revoke_fn(void *arg);

/*
 * A configuration with the brokers, client id, the given defaults, then
 * the -X properties (which may override them) and logging set; shared by
 * the consumer and the dead-letter producer.  NULL with err on a bad
 * property.
 */
rd_kafka_conf_t *kafka_conf_new(const struct config *cfg,
				const char *const (*defaults)[2], int ndefaults,
				char *err, size_t errlen);
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
		   const char *value, char *err, size_t errlen);

/* Create the consumer and subscribe to the four topics. */
struct kafka *kafka_new(const struct config *cfg, struct metrics *m,
			kafka_revoke_fn *revoke, void *arg, char *err,
			size_t errlen);

/* The next message (the caller destroys it), or NULL after timeout_ms.
 * Serves rebalances, statistics and commit results. */
rd_kafka_message_t *kafka_poll(struct kafka *k, int timeout_ms);

/* Commit offsets (next offset per partition): async, or sync (0 / -1). */
int kafka_commit(struct kafka *k,
		 const rd_kafka_topic_partition_list_t *offsets, int sync);

/* Stop / restart fetching for the whole assignment. */
void kafka_pause(struct kafka *k);
void kafka_resume(struct kafka *k);

/* Leave the group (serving the final revoke) and destroy the consumer. */
void kafka_close(struct kafka *k);

#endif
