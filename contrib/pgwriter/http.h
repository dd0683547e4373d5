/*
 * http.h: the writer's HTTP endpoints, served by libmicrohttpd on its own
 * thread:
 *   GET /health              200 {"status":"healthy","consumer":"running"}
 *                            503 {"status":"unhealthy",...,"reason":...}
 *   GET /metrics             the seed's metrics JSON (+ lag, dlq count)
 *   GET /metrics/prometheus  the same in Prometheus's text format
 */
#ifndef PGW_HTTP_H
#define PGW_HTTP_H

#include "metrics.h"

struct http;

/*
 * Listen on addr ("127.0.0.1:8080", "[::1]:8080", "localhost:0"; port 0
 * picks a free one) and serve m.  Returns NULL after logging why.
 */
struct http *http_start(const char *addr, struct metrics *m);
/* The port actually bound. */
int http_port(const struct http *h);
void http_stop(struct http *h);

#endif
