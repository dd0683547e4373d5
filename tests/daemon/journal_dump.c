/*
 * journal-dump: print a journal's records as NDJSON, for tests.
 * usage: journal-dump SEGMENTS_DIR [FROM_SEQ]
 * Each line: {"seq","type","key","event_id","time_ms","value"} with the
 * value as a JSON string (exactly the bytes journaled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "record.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: journal-dump SEGMENTS_DIR [FROM_SEQ]\n");
		return 2;
	}
	int err = 0;
	rec_reader_t *r = rec_reader_open(argv[1], argc > 2 ? strtoull(argv[2], NULL, 10) : 0, &err);
	if (r == NULL) {
		if (err == -2)   /* ENOENT: no journal yet, no records */
			return 0;
		fprintf(stderr, "journal-dump: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	struct rec rec;
	int n;
	while ((n = rec_reader_next(r, &rec)) > 0) {
		cJSON *o = cJSON_CreateObject();
		char id[PROTO_UUID_LEN + 1];
		proto_uuid_format(rec.event_id, id);
		cJSON_AddNumberToObject(o, "seq", (double)rec.seq);
		cJSON_AddStringToObject(o, "type", proto_type_name(rec.type) ? proto_type_name(rec.type) : "?");
		char *key = strndup(rec.key, rec.key_len);
		char *val = strndup(rec.value, rec.value_len);
		cJSON_AddStringToObject(o, "key", key);
		cJSON_AddStringToObject(o, "event_id", id);
		cJSON_AddNumberToObject(o, "time_ms", (double)rec.time_ms);
		cJSON_AddStringToObject(o, "value", val);
		char *s = cJSON_PrintUnformatted(o);
		puts(s);
		free(s);
		free(key);
		free(val);
		cJSON_Delete(o);
	}
	fprintf(stderr, "corrupt bytes skipped: %llu\n",
		(unsigned long long)rec_reader_corrupt_bytes(r));
	rec_reader_close(r);
	return n < 0 ? 1 : 0;
}
