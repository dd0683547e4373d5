/*
 * mkjournal.c: write a synthetic journal for trace benchmarks.
 *
 *   mkjournal DIR MIB [WORKFLOWS]
 *
 * Fills DIR/segments/ with 64 MiB segments of records (proto/record.h)
 * holding enveloped routing_decision/agent_action events of ~350 bytes,
 * spread over WORKFLOWS correlation ids (default 1000), until MIB MiB.
 * Prints the first correlation id (to trace) and the record count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"
#include "record.h"

#define SEGMENT (64u << 20)

static void corr_of(unsigned w, char out[37])
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", w * 2654435761u, w);
}

int main(int argc, char **argv)
{
	char path[4096], corr[37], val[1024], id[37];
	unsigned long long seq = 1, target, written = 0, seg = 0;
	unsigned workflows = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
	static char buf[2048];
	FILE *f = NULL;
	struct rec r;

	if (argc < 3)
		return 2;
	target = strtoull(argv[2], NULL, 10) << 20;
	snprintf(path, sizeof(path), "%s/segments", argv[1]);
	mkdir(argv[1], 0700);
	mkdir(path, 0700);
	while (written < target) {
		unsigned w = (unsigned)(seq % workflows);
		int n;

		if (!f || seg >= SEGMENT) {
			if (f)
				fclose(f);
			snprintf(path, sizeof(path), "%s/segments/%020llu.seg", argv[1], seq);
			f = fopen(path, "w");
			if (!f)
				return 1;
			seg = 0;
		}
		corr_of(w, corr);
		memset(&r, 0, sizeof(r));
		r.seq = seq;
		r.time_ms = 1761215400000LL + (long long)seq;
		proto_event_id_new(r.event_id, r.time_ms);
		proto_uuid_format(r.event_id, id);
		r.type = seq % 3 ? PROTO_AGENT_ACTION : PROTO_ROUTING_DECISION;
		n = snprintf(val, sizeof(val), "{\"event_id\":\"%s\",\"timestamp\":"
			     "\"2025-10-23T10:30:00.000Z\",\"schema_version\":1,\"type\":"
			     "\"agent_action\",\"source\":{\"pid\":1,\"uid\":0,\"host\":\"h\","
			     "\"via\":\"stream\"},\"correlation_id\":\"%s\",\"agent_name\":"
			     "\"polymorphic-agent\",\"action_type\":\"tool_call\",\"action_name\":"
			     "\"read_file\",\"action_details\":{\"file_path\":\"/path/to/file.py\","
			     "\"lines_read\":%llu},\"duration_ms\":12}", id, corr, seq);
		r.key = corr;
		r.key_len = 36;
		r.value = val;
		r.value_len = (uint32_t)n;
		n = (int)rec_encode(buf, &r);
		fwrite(buf, 1, (size_t)n, f);
		seg += (unsigned)n;
		written += (unsigned)n;
		seq++;
	}
	fclose(f);
	corr_of(0, corr);
	printf("%s %llu\n", corr, seq - 1);
	return 0;
}
