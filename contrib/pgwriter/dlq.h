/*
 * dlq.h: the dead-letter producer.
 *
 * A dead letter is the original record, byte for byte (key, value and
 * headers), plus headers naming where it came from and why it can never
 * be stored:
 *   origin_topic, origin_partition, origin_offset, error
 * A batch's offsets are committed only after every one of its dead letters
 * is acknowledged (acks=all), so no message is ever skipped silently: a
 * crash in between sends the dead letter again (at least once).
 */
#ifndef PGW_DLQ_H
#define PGW_DLQ_H

#include <stddef.h>

#include "batch.h"
#include "config.h"
#include "metrics.h"

struct dlq;

/* NULL with err on a configuration error. */
struct dlq *dlq_new(const struct config *cfg, struct metrics *m, char *err,
		    size_t errlen);
/* Waits for what is in flight, then destroys the producer. */
void dlq_free(struct dlq *d);

/*
 * Send the batch's dead letters not yet acknowledged and wait for their
 * delivery reports.  Returns 0 when all are acknowledged, -1 (a transient
 * failure: Kafka unreachable) with a reason in err otherwise.
 */
int dlq_send(struct dlq *d, struct batch *b, char *err, size_t errlen);

#endif
