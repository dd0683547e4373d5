/*
 * source_time.c: --since/--until values: an RFC 3339 time, Unix
 * milliseconds, or an age ("90s", "15m", "2h", "7d" ago).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "source.h"

int src_time_parse(const char *s, int64_t *ms)
{
	struct timespec now;
	char *end;
	long long v;
	int64_t unit;

	if (proto_timestamp_parse(s, strlen(s), ms) == 0)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (*end == '\0') {
		*ms = v;
		return 0;
	}
	if (end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = 60 * 1000; break;
	case 'h': unit = 3600 * 1000; break;
	case 'd': unit = 86400 * 1000; break;
	default: return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	*ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - v * unit;
	return 0;
}
