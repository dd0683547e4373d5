/*
 * handle.c: agentlog_t's life: options, path resolution, errors, close.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentlog_int.h"
#include "wire.h"

void agentlog_opts_init(struct agentlog_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int agentlog__fail(agentlog_t *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Resolve the socket and inbox paths from opts, else as proto says. */
static int handle_paths(agentlog_t *h, const struct agentlog_opts *o)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int n;

	if (o->socket_path) {
		if (strlen(o->socket_path) >= sizeof(h->sock_path))
			return -ENAMETOOLONG;
		strcpy(h->sock_path, o->socket_path);
	} else if (proto_socket_path(h->sock_path, sizeof(h->sock_path)) < 0) {
		return -ENAMETOOLONG;
	}
	if (o->journal_dir) {
		if (strlen(o->journal_dir) >= sizeof(dir))
			return -ENAMETOOLONG;
		strcpy(dir, o->journal_dir);
	} else if (proto_journal_dir(dir, sizeof(dir)) < 0) {
		return 0;               /* no inbox: no HOME, say */
	}
	n = snprintf(path, sizeof(path), "%s/%s/%s", dir, PROTO_INBOX_DIR,
		     AGENTLOG_INBOX_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	h->inbox_path = strdup(path);
	return h->inbox_path ? 0 : -ENOMEM;
}

int agentlog_open(agentlog_t **out, const struct agentlog_opts *opts)
{
	struct agentlog_opts defaults;
	agentlog_t *h;
	int rc;

	if (!opts) {
		agentlog_opts_init(&defaults);
		opts = &defaults;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->ack_fd = -1;
	h->flags = opts->flags;
	h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
					     : AGENTLOG_TIMEOUT_DEFAULT_MS;
	h->default_type = -1;
	if (opts->default_type) {
		h->default_type = proto_type_lookup(opts->default_type,
						    strlen(opts->default_type));
		if (h->default_type < 0) {
			free(h);
			return -EINVAL;
		}
	}
	rc = handle_paths(h, opts);
	if (rc < 0) {
		agentlog_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

const char *agentlog_error(const agentlog_t *h)
{
	return h->err;
}

const char *agentlog_socket_path(const agentlog_t *h)
{
	return h->sock_path;
}

const char *agentlog_inbox_path(const agentlog_t *h)
{
	return h->inbox_path ? h->inbox_path : "";
}

const char *agentlog_inbox_event_id(const agentlog_t *h)
{
	return h->inbox_id;
}

void agentlog_close(agentlog_t *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	if (h->ack_fd >= 0)
		close(h->ack_fd);
	free(h->inbox_path);
	free(h->ack_buf);
	free(h);
}

const char *agentlog_version(void)
{
	return AGENTLOG_VERSION;
}
