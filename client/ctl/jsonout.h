/*
 * jsonout.h: writing JSON text by hand (results, status, trace output),
 * where building a cJSON tree would only be printed once.
 */
#ifndef AGENTLOG_CTL_JSONOUT_H
#define AGENTLOG_CTL_JSONOUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s[0..len) as a JSON string (quoted, escaped; bytes that are not
 * valid UTF-8 become U+FFFD), or null when is_null.
 */
void jsonout_str(FILE *out, const char *s, size_t len, int is_null);

#endif
