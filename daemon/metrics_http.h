/*
 * metrics_http.h: the optional Prometheus endpoint (--metrics-listen),
 * served by libmicrohttpd on its own thread.  The loop thread renders the
 * text once a second into a snapshot the HTTP thread copies under a mutex,
 * so the event path stays lock-free.
 */
#ifndef AGENTLOGD_METRICS_HTTP_H
#define AGENTLOGD_METRICS_HTTP_H

#include <stddef.h>

struct server;
struct metrics_http;

/* Listen on "host:port".  Returns 0 or -1 with err set. */
int metrics_http_start(struct server *s, const char *listen,
		       struct metrics_http **out, char *err, size_t errlen);
/* Render a fresh snapshot (loop thread, once a second). */
void metrics_http_update(struct metrics_http *m);
void metrics_http_stop(struct metrics_http *m);

#endif
