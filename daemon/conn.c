/*
 * conn.c: stream connections: accept, frame, ingest, acknowledge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "conn.h"
#include "journal_fault.h"
#include "ingest.h"
#include "log.h"
#include "server.h"
#include "status.h"
#include "wire.h"

#define CONN_WRITE_HIGH (1024 * 1024)  /* stop reading above this */
#define CONN_WRITE_LOW (256 * 1024)    /* read again below this */

/* A reply held until the journal is durable up to need. */
struct reply {
	uint64_t need;
	char *text;          /* NULL: {"ok":true,"event_id":<id>} */
	uint8_t id[16];
};

struct conn_link {
	struct conn *prev, *next;
};

struct conn {
	uv_pipe_t h;
	struct server *s;
	struct conn_link all, wait, pause, block;
	int in_wait, in_pause, in_block;
	struct proto_source src;
	char *part;               /* a partial line carried between reads */
	uint32_t part_len, part_cap;
	int discarding;           /* skipping an over-long line */
	char *held;               /* read, not yet ingested: the journal was full */
	size_t held_len;
	int ack;                  /* acknowledged mode */
	int eof;                  /* peer finished writing: close when replies are out */
	int reading;
	int write_paused;
	int closing;
	uint64_t last_seq;        /* seq of this connection's last accepted event */
	struct reply *q;          /* ring of held replies */
	uint32_t qhead, qlen, qcap;
	size_t write_pending;
	uint64_t last_active_ms;
	uint32_t slice;
	uint64_t slice_turn;
};

struct conn_write {
	uv_write_t req;
	struct conn *c;
	size_t len;
	char data[];
};

/* The loop's one read buffer: read callbacks run one at a time. */
static char conn_rbuf[64 * 1024];
static uint64_t conn_turn;

/* Intrusive doubly linked lists: all, waiting for durability, paused. */
#define CONN_LIST_OFF(field) offsetof(struct conn, field)
static struct conn_link *conn_link(struct conn *c, size_t off)
{
	return (struct conn_link *)((char *)c + off);
}

static void conn_list_add(struct conn **head, struct conn *c, size_t off)
{
	struct conn_link *l = conn_link(c, off);
	l->prev = NULL;
	l->next = *head;
	if (*head)
		conn_link(*head, off)->prev = c;
	*head = c;
}

static void conn_list_del(struct conn **head, struct conn *c, size_t off)
{
	struct conn_link *l = conn_link(c, off);
	if (l->prev)
		conn_link(l->prev, off)->next = l->next;
	else
		*head = l->next;
	if (l->next)
		conn_link(l->next, off)->prev = l->prev;
	l->prev = l->next = NULL;
}

static void conn_close(struct conn *c);
static void conn_release(struct conn *c, uint64_t durable);
static void conn_read_start(struct conn *c);
static void conn_read_stop(struct conn *c);

/* Ask the kernel who is on the other end; the event can never say. */
static void conn_peer(struct conn *c, const char *host)
{
	c->src.pid = c->src.uid = c->src.gid = -1;
	c->src.host = host;
	c->src.via = "stream";
	uv_os_fd_t fd;
	if (uv_fileno((uv_handle_t *)&c->h, &fd) != 0)
		return;
#if defined(SO_PEERCRED)
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		c->src.pid = cr.pid;
		c->src.uid = cr.uid;
		c->src.gid = cr.gid;
	}
#elif defined(__APPLE__)
	uid_t uid;
	gid_t gid;
	if (getpeereid(fd, &uid, &gid) == 0) {
		c->src.uid = uid;
		c->src.gid = gid;
	}
	pid_t pid;
	socklen_t len = sizeof pid;
	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0)
		c->src.pid = pid;
#endif
}

/* Queue a reply; it goes out once the journal is durable up to need. */
static void conn_reply(struct conn *c, uint64_t need, char *text,
		       const uint8_t id[16])
{
	if (c->qlen == c->qcap) {
		uint32_t cap = c->qcap ? c->qcap * 2 : 16;
		struct reply *q = malloc(cap * sizeof *q);
		if (q == NULL) {
			log_error("out of memory for replies; closing a connection");
			free(text);
			conn_close(c);
			return;
		}
		for (uint32_t i = 0; i < c->qlen; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	struct reply *r = &c->q[(c->qhead + c->qlen++) % c->qcap];
	r->need = need;
	r->text = text;
	if (id)
		memcpy(r->id, id, 16);
	if (need <= c->s->durable_seq)
		conn_release(c, c->s->durable_seq);
	else if (!c->in_wait) {
		conn_list_add(&c->s->waiting, c, CONN_LIST_OFF(wait));
		c->in_wait = 1;
	}
}

/* {"ok":false,"error":"..."} with the reason escaped for JSON. */
static char *conn_error_json(const char *msg)
{
	size_t n = strlen(msg);
	char *out = malloc(32 + n * 6);
	if (out == NULL)
		return NULL;
	char *p = out + sprintf(out, "{\"ok\":false,\"error\":\"");
	for (const unsigned char *m = (const unsigned char *)msg; *m; m++) {
		if (*m == '"' || *m == '\\')
			p += sprintf(p, "\\%c", *m);
		else if (*m < 0x20)
			p += sprintf(p, "\\u%04x", *m);
		else
			*p++ = (char)*m;
	}
	strcpy(p, "\"}");
	return out;
}

/* Reply to a rejected line (acknowledged mode only), in order. */
static void conn_reject(struct conn *c, const char *msg)
{
	if (!c->ack)
		return;
	conn_reply(c, c->last_seq, conn_error_json(msg), NULL);
}

#ifdef AGENTLOG_FAULTS
/*
 * Test builds only (agentlogd-faults): ".fault OP N ERRNO" fails the next
 * N calls of OP (write, short, fsync, open; N < 0: until cleared with
 * N = 0); ".fault delay-fsync MS" makes every sync MS slower.
 */
static char *conn_fault(const char *arg)
{
	static const char *const ops[] = { "write", "short", "fsync", "open" };
	char op[16];
	int n = 0, e = 0;
	if (sscanf(arg, "delay-fsync %d", &n) == 1) {
		journal_fault_delay(JOURNAL_FAULT_FSYNC, n);
		return strdup("{\"ok\":true}");
	}
	if (sscanf(arg, "%15s %d %d", op, &n, &e) < 2)
		return conn_error_json("fault: want OP N ERRNO");
	for (int i = 0; i < 4; i++) {
		if (strcmp(op, ops[i]) == 0) {
			journal_fault_set((enum journal_fault_op)i, n, e);
			return strdup("{\"ok\":true}");
		}
	}
	return conn_error_json("fault: unknown op");
}
#endif

/* A control request: ".hello", ".ack", ".ping", ".status". */
static void conn_control(struct conn *c, const char *line, size_t len)
{
	char req[64];
	size_t n = len < sizeof req - 1 ? len : sizeof req - 1;
	memcpy(req, line, n);
	req[n] = '\0';
	char *text = NULL;
	int ver;
	if (strcmp(req, ".ping") == 0) {
		if (asprintf(&text, "{\"pong\":true,\"version\":%d,\"daemon\":\"agentlogd %s\"}",
			     PROTO_WIRE_VERSION, AGENTLOG_VERSION) < 0)
			text = NULL;
	} else if (strcmp(req, ".status") == 0) {
		text = status_json(c->s);
#ifdef AGENTLOG_FAULTS
	} else if (strncmp(req, ".fault ", 7) == 0) {
		text = conn_fault(req + 7);
#endif
	} else if (strcmp(req, ".ack") == 0) {
		c->ack = 1;
		text = strdup("{\"ok\":true,\"ack\":true}");
	} else if (sscanf(req, ".hello %d", &ver) == 1) {
		if (ver != PROTO_WIRE_VERSION) {
			char msg[128];
			snprintf(msg, sizeof msg,
				 "protocol: version %d not supported (agentlogd speaks %d)",
				 ver, PROTO_WIRE_VERSION);
			text = conn_error_json(msg);
		} else {
			c->ack = strstr(req + 6, " ack") != NULL;
			if (asprintf(&text, "{\"ok\":true,\"version\":%d,\"ack\":%s}",
				     PROTO_WIRE_VERSION, c->ack ? "true" : "false") < 0)
				text = NULL;
		}
	} else {
		char msg[128];
		snprintf(msg, sizeof msg, "control: unknown request \"%.40s\"", req);
		ingest_count_reject(c->s, msg);
		text = conn_error_json(msg);
	}
	if (text == NULL)
		text = conn_error_json("control: out of memory");
	conn_reply(c, c->last_seq, text, NULL);
}

/* One complete line, newline removed.  Returns -1 when the journal asks
 * us to wait (the line was not consumed), else 0. */
static int conn_line(struct conn *c, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	if (line[0] == '.') {
		conn_control(c, line, len);
		return 0;
	}
	uint64_t seq;
	uint8_t id[16];
	char err[PROTO_ERR_MAX];
	int r = ingest_line(c->s, line, len, &c->src, &seq, id, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		c->last_seq = seq;
		if (c->ack)
			conn_reply(c, seq, NULL, id);
	} else {
		log_debug("rejected a line from pid %lld: %s", (long long)c->src.pid, err);
		conn_reject(c, err);
	}
	return 0;
}

/*
 * The journal is waiting for the disk: keep the bytes not yet ingested
 * (head, then rest) and stop reading until conn_retry_blocked() succeeds.
 */
static void conn_block(struct conn *c, const char *head, size_t hn,
		       const char *rest, size_t rn)
{
	char *b = malloc(hn + rn);
	if (b == NULL) {
		log_error("out of memory holding a blocked connection's input; closing it");
		conn_close(c);
		return;
	}
	memcpy(b, head, hn);
	if (rn > 0)
		memcpy(b + hn, rest, rn);
	free(c->held);
	c->held = b;
	c->held_len = hn + rn;
	conn_read_stop(c);
	if (!c->in_block) {
		conn_list_add(&c->s->blocked, c, CONN_LIST_OFF(block));
		c->in_block = 1;
	}
}

/* A line past the limit: reject it once and skip to its newline. */
static void conn_oversize(struct conn *c)
{
	char msg[128];
	snprintf(msg, sizeof msg, "line: longer than %u bytes (--max-line-bytes)",
		 c->s->cfg->max_line);
	ingest_count_reject(c->s, msg);
	conn_reject(c, msg);
	c->part_len = 0;
}

/* Keep the tail of a read that has no newline yet. */
static int conn_keep(struct conn *c, const char *p, size_t n)
{
	/* One spare byte: a blocked line is held again with its newline. */
	if (c->part_len + n + 1 > c->part_cap) {
		uint32_t cap = c->part_cap ? c->part_cap : 1024;
		while (cap < c->part_len + n + 1)
			cap *= 2;
		char *b = realloc(c->part, cap);
		if (b == NULL)
			return -1;
		c->part = b;
		c->part_cap = cap;
	}
	memcpy(c->part + c->part_len, p, n);
	c->part_len += (uint32_t)n;
	return 0;
}

/* Give back a large partial-line buffer once it is empty: bounded RSS. */
static void conn_shrink(struct conn *c)
{
	if (c->part_len == 0 && c->part_cap > 64 * 1024) {
		free(c->part);
		c->part = NULL;
		c->part_cap = 0;
	}
}

/* Frame bytes just read into lines. */
static void conn_feed(struct conn *c, const char *p, size_t n)
{
	const char *end = p + n;
	uint32_t max = c->s->cfg->max_line;
	if (c->discarding || c->part_len > 0) {
		const char *nl = memchr(p, '\n', n);
		if (c->discarding) {
			if (nl == NULL)
				return;
			c->discarding = 0;
		} else {
			size_t take = nl ? (size_t)(nl - p) : n;
			if (c->part_len + take > max) {
				conn_oversize(c);
				c->discarding = nl == NULL;
			} else if (conn_keep(c, p, take) < 0) {
				conn_close(c);
				return;
			} else if (nl != NULL) {
				size_t l = c->part_len;
				c->part_len = 0;
				if (conn_line(c, c->part, l) < 0) {
					/* Hold the whole line again, newline included. */
					c->part[l] = '\n';
					conn_block(c, c->part, l + 1, nl + 1,
						   (size_t)(end - nl - 1));
					return;
				}
			}
			if (nl == NULL)
				return;
		}
		p = nl + 1;
		conn_shrink(c);
	}
	while (p < end && !c->closing) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			size_t rest = (size_t)(end - p);
			if (rest > max) {
				conn_oversize(c);
				c->discarding = 1;
			} else if (conn_keep(c, p, rest) < 0) {
				conn_close(c);
			}
			return;
		}
		size_t len = (size_t)(nl - p);
		if (len > max) {
			conn_oversize(c);
		} else if (conn_line(c, p, len) < 0) {
			conn_block(c, p, (size_t)(end - p), NULL, 0);
			return;
		}
		p = nl + 1;
	}
}

/* The final line of a peer that finished writing, newline or not. */
static int conn_final_line(struct conn *c)
{
	if (c->part_len == 0 || c->discarding)
		return 0;
	size_t l = c->part_len;
	c->part_len = 0;
	if (conn_line(c, c->part, l) < 0) {
		c->part_len = (uint32_t)l;
		return -1;
	}
	return 0;
}

/*
 * Offer a blocked connection's held bytes again.  Returns 0 when it is
 * unblocked (and reading again), -1 while the journal still waits.
 */
static int conn_unblock(struct conn *c)
{
	char *held = c->held;
	size_t n = c->held_len;
	c->held = NULL;
	c->held_len = 0;
	conn_list_del(&c->s->blocked, c, CONN_LIST_OFF(block));
	c->in_block = 0;
	if (n > 0)              /* blocked at EOF on the final line: none held */
		conn_feed(c, held, n);
	free(held);
	if (c->in_block || c->closing)
		return -1;
	if (c->eof) {
		if (conn_final_line(c) < 0) {
			conn_list_add(&c->s->blocked, c, CONN_LIST_OFF(block));
			c->in_block = 1;
			return -1;
		}
		if (c->qlen == 0 && c->write_pending == 0)
			conn_close(c);
		return 0;
	}
	conn_read_start(c);
	return 0;
}

int conn_retry_blocked(struct server *s)
{
	while (s->blocked) {
		if (conn_unblock(s->blocked) < 0)
			return -1;
	}
	return 0;
}

/* A reply write finished: free it, resume reading below the low mark. */
static void conn_on_write(uv_write_t *req, int status)
{
	struct conn_write *w = (struct conn_write *)req;
	struct conn *c = w->c;
	c->write_pending -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("reply write failed: %s", uv_strerror(status));
		conn_close(c);
		return;
	}
	if (c->write_paused && c->write_pending < CONN_WRITE_LOW) {
		c->write_paused = 0;
		conn_read_start(c);
	}
	if (c->eof && c->qlen == 0 && c->write_pending == 0)
		conn_close(c);
}

/* Format the replies whose durability point has passed; one write. */
static void conn_release(struct conn *c, uint64_t durable)
{
	if (c->closing)
		return;
	size_t bytes = 0;
	uint32_t n = 0;
	for (; n < c->qlen; n++) {
		struct reply *r = &c->q[(c->qhead + n) % c->qcap];
		if (r->need > durable)
			break;
		bytes += r->text ? strlen(r->text) + 1 : 64;
	}
	if (n == 0)
		return;
	struct conn_write *w = malloc(sizeof *w + bytes);
	if (w == NULL) {
		log_error("out of memory for replies; closing a connection");
		conn_close(c);
		return;
	}
	char *p = w->data;
	for (uint32_t i = 0; i < n; i++) {
		struct reply *r = &c->q[c->qhead];
		if (r->text) {
			size_t l = strlen(r->text);
			memcpy(p, r->text, l);
			p[l] = '\n';
			p += l + 1;
			free(r->text);
		} else {
			char id[PROTO_UUID_LEN + 1];
			proto_uuid_format(r->id, id);
			p += sprintf(p, "{\"ok\":true,\"event_id\":\"%s\"}\n", id);
		}
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	w->c = c;
	w->len = (size_t)(p - w->data);
	c->write_pending += w->len;
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
	int r = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, conn_on_write);
	if (r != 0) {
		c->write_pending -= w->len;
		free(w);
		conn_close(c);
		return;
	}
	if (c->qlen == 0 && c->in_wait) {
		conn_list_del(&c->s->waiting, c, CONN_LIST_OFF(wait));
		c->in_wait = 0;
	}
	/* A peer that does not read its replies is not read either. */
	if (c->write_pending > CONN_WRITE_HIGH && !c->write_paused) {
		c->write_paused = 1;
		conn_read_stop(c);
	}
}

void conn_on_durable(struct server *s, uint64_t durable_seq)
{
	struct conn *c = s->waiting;
	while (c) {
		struct conn *next = c->wait.next;
		conn_release(c, durable_seq);
		c = next;
	}
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	buf->base = conn_rbuf;
	buf->len = sizeof conn_rbuf;
}

static void conn_on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = (struct conn *)h;
	if (nread > 0) {
		c->last_active_ms = uv_now(c->s->loop);
		conn_feed(c, buf->base, (size_t)nread);
		if (c->slice_turn != conn_turn) {
			c->slice_turn = conn_turn;
			c->slice = 0;
		}
		c->slice += (uint32_t)nread;
		if (c->slice >= CONN_SLICE && !c->closing && !c->in_pause) {
			conn_read_stop(c);
			conn_list_add(&c->s->paused, c, CONN_LIST_OFF(pause));
			c->in_pause = 1;
		}
		return;
	}
	if (nread == 0)
		return;
	if (nread == UV_EOF) {
		/* A final line without a newline counts: the sender is done. */
		conn_read_stop(c);
		c->eof = 1;
		if (c->in_block)
			return;         /* conn_unblock() finishes it */
		if (conn_final_line(c) < 0) {
			conn_list_add(&c->s->blocked, c, CONN_LIST_OFF(block));
			c->in_block = 1;
			return;
		}
		if (c->qlen == 0 && c->write_pending == 0)
			conn_close(c);
		return;
	}
	log_debug("read from pid %lld failed: %s", (long long)c->src.pid,
		  uv_strerror((int)nread));
	conn_close(c);
}

static void conn_read_start(struct conn *c)
{
	if (c->reading || c->closing || c->eof || c->write_paused || c->in_pause ||
	    c->in_block)
		return;
	if (uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_on_read) == 0)
		c->reading = 1;
}

static void conn_read_stop(struct conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->h);
	c->reading = 0;
}

void conn_resume_paused(struct server *s)
{
	conn_turn++;
	while (s->paused) {
		struct conn *c = s->paused;
		conn_list_del(&s->paused, c, CONN_LIST_OFF(pause));
		c->in_pause = 0;
		conn_read_start(c);
	}
}

static void conn_on_close(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h;
	for (uint32_t i = 0; i < c->qlen; i++)
		free(c->q[(c->qhead + i) % c->qcap].text);
	free(c->q);
	free(c->part);
	free(c->held);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	struct server *s = c->s;
	conn_list_del(&s->conns, c, CONN_LIST_OFF(all));
	if (c->in_wait)
		conn_list_del(&s->waiting, c, CONN_LIST_OFF(wait));
	if (c->in_pause)
		conn_list_del(&s->paused, c, CONN_LIST_OFF(pause));
	if (c->in_block)
		conn_list_del(&s->blocked, c, CONN_LIST_OFF(block));
	c->in_wait = c->in_pause = c->in_block = 0;
	s->nconns--;
	uv_close((uv_handle_t *)&c->h, conn_on_close);
}

/* Over --max-connections: accept and close at once, so the peer learns. */
static void conn_refuse(struct server *s, uv_stream_t *listener)
{
	uv_pipe_t *tmp = malloc(sizeof *tmp);
	if (tmp == NULL)
		return;
	uv_pipe_init(s->loop, tmp, 0);
	if (uv_accept(listener, (uv_stream_t *)tmp) == 0)
		s->conns_refused++;
	uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
	if (s->conns_refused == 1 || s->conns_refused % 1000 == 0)
		log_warn("refused %llu connection(s): --max-connections %u reached",
			 (unsigned long long)s->conns_refused, s->cfg->max_connections);
}

void conn_on_connection(uv_stream_t *listener, int status)
{
	struct server *s = listener->data;
	static uint64_t accept_errors;
	if (status < 0) {
		if (accept_errors++ % 1000 == 0)
			log_warn("accept() failed: %s (%llu so far)", uv_strerror(status),
				 (unsigned long long)accept_errors);
		return;
	}
	if (s->nconns >= s->cfg->max_connections) {
		conn_refuse(s, listener);
		return;
	}
	struct conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		conn_refuse(s, listener);
		return;
	}
	c->s = s;
	uv_pipe_init(s->loop, &c->h, 0);
	if (uv_accept(listener, (uv_stream_t *)&c->h) != 0) {
		uv_close((uv_handle_t *)&c->h, (uv_close_cb)free);
		return;
	}
	conn_list_add(&s->conns, c, CONN_LIST_OFF(all));
	s->nconns++;
	s->conns_total++;
	conn_peer(c, s->host);
	c->last_active_ms = uv_now(s->loop);
	conn_read_start(c);
}

void conn_sweep_idle(struct server *s, uint64_t now_ms)
{
	uint64_t limit = s->cfg->idle_timeout_ms;
	struct conn *c = s->conns;
	while (c) {
		struct conn *next = c->all.next;
		if ((c->part_len > 0 || c->discarding) &&
		    now_ms - c->last_active_ms >= limit) {
			char msg[128];
			snprintf(msg, sizeof msg,
				 "line: incomplete line idle for %llu ms (--idle-timeout-ms)",
				 (unsigned long long)(now_ms - c->last_active_ms));
			ingest_count_reject(s, msg);
			s->idle_closed++;
			conn_close(c);
		}
		c = next;
	}
}

/*
 * Shutdown: read whatever each client has already written, synchronously
 * and without waiting for more, so a burst sent just before SIGTERM is
 * journaled rather than lost with the socket buffers.
 */
int conn_drain_all(struct server *s)
{
	if (conn_retry_blocked(s) < 0)
		return -1;
	for (struct conn *c = s->conns; c; ) {
		struct conn *next = c->all.next;
		uv_os_fd_t fd;
		while (!c->eof && !c->in_block && !c->closing &&
		       uv_fileno((uv_handle_t *)&c->h, &fd) == 0) {
			ssize_t n = read(fd, conn_rbuf, sizeof conn_rbuf);
			if (n > 0) {
				conn_feed(c, conn_rbuf, (size_t)n);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0) {
				c->eof = 1;
				if (conn_final_line(c) < 0) {
					conn_list_add(&s->blocked, c, CONN_LIST_OFF(block));
					c->in_block = 1;
				}
			}
			break;
		}
		conn_read_stop(c);
		c = next;
	}
	return s->blocked ? -1 : 0;
}

void conn_close_all(struct server *s)
{
	while (s->conns)
		conn_close(s->conns);
}

size_t conn_writes_pending(struct server *s)
{
	size_t n = 0;
	for (struct conn *c = s->conns; c; c = c->all.next)
		n += c->write_pending;
	return n;
}
