/*
 * row.h: how each event type becomes a row of its table.
 *
 * One table of columns per type says where each column's value comes from
 * in the event, what JSON type it must have, whether it is required, and
 * what is stored when an optional member is absent or null.  row_map()
 * walks that table: it is both the validation of an event and its
 * conversion to the text form PostgreSQL reads (COPY text format or text
 * parameters).  Range rules (confidence 0..1, action_type's values,
 * non-negative durations) belong to the schema's CHECK constraints: a row
 * that breaks one is refused by the database and dead-lettered.
 */
#ifndef PGW_ROW_H
#define PGW_ROW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum row_type {
	ROW_AGENT_ACTION = 0,
	ROW_ROUTING_DECISION,
	ROW_TRANSFORMATION,
	ROW_PERFORMANCE_METRICS,
	ROW_TYPE_COUNT
};

enum row_kind {
	ROW_UUID,        /* string, proto_uuid_check(); stored lower-case */
	ROW_TIMESTAMP,   /* string, proto_timestamp_parse()'s RFC 3339 */
	ROW_TEXT,        /* string */
	ROW_INT,         /* integral number within PostgreSQL's integer */
	ROW_NUMBER,      /* finite number */
	ROW_BOOL,        /* true or false */
	ROW_OBJECT,      /* object, stored as jsonb */
	ROW_ARRAY,       /* array, stored as jsonb */
	ROW_CONTEXT,     /* optional object; stored with correlation_id set */
};

struct row_column {
	const char *name;      /* the table's column */
	const char *field;     /* the event's member */
	enum row_kind kind;
	int required;
	const char *dflt;      /* stored when absent or null; NULL: SQL NULL */
};

struct row_table {
	const char *type;      /* "agent_action", the event's "type" */
	const char *table;     /* "agent_actions" */
	const char *topic;     /* the default Kafka topic */
	const struct row_column *cols;
	int ncols;
};

#define ROW_MAX_COLS 16
#define ROW_ERR_MAX 256

extern const struct row_table row_tables[ROW_TYPE_COUNT];

/* The type named name ("agent_action", ...), or -1. */
int row_type_lookup(const char *name);

/*
 * A row's values: NUL-terminated text at buf + off[i], or len[i] == -1
 * for SQL NULL.  Offsets, not pointers, so the buffer may grow.
 */
struct row {
	int type;
	uint32_t off[ROW_MAX_COLS];
	int32_t len[ROW_MAX_COLS];
};

/* A growable byte buffer the values of a batch live in. */
struct row_buf {
	char *data;
	size_t len;
	size_t cap;
};

/*
 * Validate ev (a parsed event object) against the columns of type and
 * append its values to buf.  Returns 0 and fills r, or -1 with one line
 * "field: reason" in err (ROW_ERR_MAX bytes); on failure buf is left as
 * it was.  May modify ev (the context object gains correlation_id).
 * Exits on out-of-memory.
 */
int row_map(int type, cJSON *ev, struct row *r, struct row_buf *buf,
	    char *err);

/* The value of column i of r, or NULL for SQL NULL. */
static inline const char *row_value(const struct row *r,
				    const struct row_buf *buf, int i)
{
	return r->len[i] < 0 ? NULL : buf->data + r->off[i];
}

/*
 * Append r's COPY text line (text format: fields separated by tabs, \N for
 * SQL NULL, backslash escapes for backslash, newline, carriage return and
 * tab; a newline at the end) to out.  The values are read from vals.
 */
void row_copy_line(const struct row *r, const struct row_buf *vals,
		   struct row_buf *out);

/* Make room for n more bytes; aborts when memory runs out. */
void row_buf_reserve(struct row_buf *buf, size_t n);
void row_buf_free(struct row_buf *buf);

#endif
