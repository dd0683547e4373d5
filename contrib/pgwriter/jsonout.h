/*
 * jsonout.h: the compact JSON text of a parsed value, for jsonb columns.
 *
 * cJSON_PrintUnformatted() writes every number with sprintf() and reads
 * it back with sscanf() to choose its precision, and grows its output
 * with malloc(): it was a third of the writer's time per event.  This
 * writes the same JSON straight into the batch's buffer, integers with
 * no library call; PostgreSQL's jsonb keeps the same values either way.
 */
#ifndef PGW_JSONOUT_H
#define PGW_JSONOUT_H

#include <cjson/cJSON.h>

#include "row.h"

/* Append v as compact JSON text to out (no NUL).  Aborts when memory runs
 * out. */
void jsonout_value(struct row_buf *out, const cJSON *v);

/*
 * A finite number as text, the way cJSON prints it: an integer plainly,
 * else the shortest of %.15g and %.17g that reads back exactly.  Writes
 * at most 31 bytes and a NUL; returns the length.
 */
int jsonout_number(double v, char out[32]);

#endif
