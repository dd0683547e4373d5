/*
 * metrics_http.h: the optional Prometheus endpoint (--metrics-listen).
 *
 * The HTTP server is libmicrohttpd, which drags gnutls and friends into a
 * process (about 2.5 MiB of resident library pages): so it lives in a
 * module, agentlogd-metrics.so, that the daemon loads only when the
 * endpoint is configured.  The module serves GET /metrics on its own
 * thread from a text snapshot the loop thread renders once a second and
 * swaps in under a mutex, so the event path stays lock-free.
 *
 * The module is found in $AGENTLOG_MODULE_DIR, else next to agentlogd,
 * else in <prefix>/<libdir>/agentlog/ (as agentlogctl finds its own).
 */
#ifndef AGENTLOGD_METRICS_HTTP_H
#define AGENTLOGD_METRICS_HTTP_H

#include <stddef.h>

/* Renders the exposition text (malloc'd) on the loop thread. */
typedef char *(*metrics_render_fn)(void *arg);

/* The module's three entry points (dlsym names). */
typedef int (*metrics_start_fn)(const char *listen, metrics_render_fn render,
				void *arg, void **out, char *err, size_t errlen);
typedef void (*metrics_update_fn)(void *m);
typedef void (*metrics_stop_fn)(void *m);
#define METRICS_START "agentlogd_metrics_start"
#define METRICS_UPDATE "agentlogd_metrics_update"
#define METRICS_STOP "agentlogd_metrics_stop"
#define METRICS_MODULE "agentlogd-metrics.so"

/* Defined by the module (metrics_http.c). */
int agentlogd_metrics_start(const char *listen, metrics_render_fn render,
			    void *arg, void **out, char *err, size_t errlen);
void agentlogd_metrics_update(void *m);
void agentlogd_metrics_stop(void *m);

struct server;
struct metrics_http;

/* Load the module and listen on "host:port".  0, or -1 with err set. */
int metrics_http_start(struct server *s, const char *listen,
		       struct metrics_http **out, char *err, size_t errlen);
/* Render a fresh snapshot (loop thread, once a second). */
void metrics_http_update(struct metrics_http *m);
void metrics_http_stop(struct metrics_http *m);

#endif
