/*
 * agentlog_int.h: libagentlog's internals, shared by its .c files only.
 *
 * Internal functions are agentlog__* (two underscores, like libuv's uv__*):
 * they are hidden from the shared library by its version script, which
 * exports agentlog_[a-z]* only.
 */
#ifndef AGENTLOG_INT_H
#define AGENTLOG_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "agentlog.h"
#include "proto.h"

#define AGENTLOG_TIMEOUT_DEFAULT_MS 1000
/* Replies on the acknowledged connection are short JSON objects. */
#define AGENTLOG_REPLY_MAX 4096
/* An inbox larger than this refuses further events (disk protection). */
#define AGENTLOG_INBOX_MAX ((int64_t)1 << 30)
#define AGENTLOG_INBOX_FILE "pending.rec"

struct agentlog {
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *inbox_path;           /* malloc'd; NULL: no inbox (no HOME...) */
	int timeout_ms;
	int default_type;           /* enum proto_type, or -1 */
	unsigned flags;
	int fd;                     /* fire-and-forget connection, or -1 */
	int ack_fd;                 /* acknowledged-mode connection, or -1 */
	size_t ack_have;            /* bytes buffered in ack_buf */
	char *ack_buf;              /* AGENTLOG_REPLY_MAX, malloc'd on first use
				     * (a one-event process never touches it) */
	char err[AGENTLOG_ERR_MAX];
	char inbox_id[AGENTLOG_UUID_LEN + 1]; /* id of the last inbox event */
	struct proto_event ev;      /* scratch for validation */
};

/* Record a one-line failure message on h; returns code (for chaining). */
int agentlog__fail(agentlog_t *h, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Milliseconds on the monotonic clock. */
int64_t agentlog__now_mono_ms(void);

/*
 * Connect a blocking stream socket to path; connect() waits at most
 * timeout_ms when the daemon's backlog is full (SO_SNDTIMEO).  Returns
 * the fd or a negative errno, with a message in h.
 */
int agentlog__conn_open(agentlog_t *h, const char *path, int timeout_ms);

/*
 * Write all of iov[0..n) to fd (a socket from agentlog__conn_open, whose
 * SO_SNDTIMEO is timeout_ms), waiting for room until deadline (monotonic
 * ms).  Returns 0, or a negative errno (-ETIMEDOUT); *sent says how many
 * bytes went out (a short count means the stream now ends inside a line
 * and must be closed).
 */
int agentlog__conn_writev(int fd, const struct iovec *iov, int n,
			  int64_t deadline, int64_t timeout_ms, size_t *sent);

/*
 * Read one '\n'-terminated line from fd into buf (cap bytes), where *have
 * bytes are already buffered, waiting until deadline.  On success returns
 * the line's length (the '\n' replaced by a NUL); the caller consumes it
 * with agentlog__conn_consume().  Returns a negative errno otherwise:
 * -ETIMEDOUT, -ECONNRESET (EOF), -EMSGSIZE (no newline within cap - 1).
 */
int agentlog__conn_read_line(int fd, char *buf, size_t cap, size_t *have,
			     int64_t deadline);
void agentlog__conn_consume(char *buf, size_t *have, size_t linelen);

/* The members of a daemon reply that the library looks at. */
struct agentlog__reply {
	int ok;                              /* 1, 0, or -1 when absent */
	char event_id[AGENTLOG_UUID_LEN + 1];
	char error[AGENTLOG_ERR_MAX - 64];
};

/*
 * Parse a NUL-terminated reply line (len bytes).  Returns 0, or -1 when it
 * is not one well-formed JSON object.
 */
int agentlog__reply_parse(const char *line, size_t len,
			  struct agentlog__reply *r);

/*
 * Append one event to the inbox file at path (creating it and its
 * directories 0700, the file 0600).  line is the raw event (no newline);
 * type and the correlation id key go into the record header, with a fresh
 * UUIDv7 event id whose text is written to event_id ("" in the rare case
 * none could be made: the daemon then assigns one).  Safe with any number
 * of concurrent writers and threads.  Returns 0 or a negative errno with a
 * message in h.
 */
int agentlog__inbox_append(agentlog_t *h, const char *path, int type,
			   const char *key, size_t key_len,
			   const char *line, size_t len,
			   char event_id[AGENTLOG_UUID_LEN + 1]);

#endif
