/*
 * bench_wm.c: the sum of the high watermarks of a few topics, asked of the
 * brokers (ListOffsets) through one librdkafka handle kept open, so one
 * poll costs a few loopback round trips and no process start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "bench_wm.h"

#define WM_MAX 256

static rd_kafka_t *wm_rk;
static struct {
	char topic[128];
	int32_t partition;
} wm_parts[WM_MAX];
static int wm_nparts;

/* Records each partition of one topic from the cluster's metadata. */
static int wm_learn(const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *t = rd_kafka_topic_new(wm_rk, topic, NULL);
	rd_kafka_resp_err_t err;
	int rc = -1;

	err = rd_kafka_metadata(wm_rk, 0, t, &md, 10000);
	if (err) {
		fprintf(stderr, "bench_wm: rd_kafka_metadata(%s): %s\n", topic,
			rd_kafka_err2str(err));
		goto out;
	}
	if (md->topic_cnt != 1 || md->topics[0].err ||
	    md->topics[0].partition_cnt < 1) {
		fprintf(stderr, "bench_wm: topic %s has no partitions\n", topic);
		goto free_md;
	}
	for (int i = 0; i < md->topics[0].partition_cnt && wm_nparts < WM_MAX; i++) {
		snprintf(wm_parts[wm_nparts].topic, sizeof(wm_parts[0].topic),
			 "%s", topic);
		wm_parts[wm_nparts++].partition = md->topics[0].partitions[i].id;
	}
	rc = 0;
free_md:
	rd_kafka_metadata_destroy(md);
out:
	rd_kafka_topic_destroy(t);
	return rc;
}

int wm_open(const char *bootstrap, const char *topics)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256], *list = strdup(topics), *save = NULL;
	int rc = 0;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "bench_wm: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		free(list);
		return -1;
	}
	wm_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!wm_rk) {
		fprintf(stderr, "bench_wm: rd_kafka_new: %s\n", errstr);
		free(list);
		return -1;
	}
	for (char *t = strtok_r(list, ",", &save); t && !rc;
	     t = strtok_r(NULL, ",", &save))
		rc = wm_learn(t);
	free(list);
	return rc;
}

long long wm_total(void)
{
	long long sum = 0;

	for (int i = 0; i < wm_nparts; i++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			wm_rk, wm_parts[i].topic, wm_parts[i].partition, &lo,
			&hi, 5000);

		if (err) {
			fprintf(stderr, "bench_wm: watermarks of %s/%d: %s\n",
				wm_parts[i].topic, (int)wm_parts[i].partition,
				rd_kafka_err2str(err));
			return -1;
		}
		sum += hi;
	}
	return sum;
}

void wm_close(void)
{
	if (wm_rk)
		rd_kafka_destroy(wm_rk);
	wm_rk = NULL;
	wm_nparts = 0;
}
