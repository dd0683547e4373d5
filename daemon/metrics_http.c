/*
 * metrics_http.c: the agentlogd-metrics.so module: GET /metrics
 * (Prometheus text) with libmicrohttpd.  See metrics_http.h.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics_http.h"

#define EXPORT __attribute__((visibility("default")))

struct metrics_mod {
	metrics_render_fn render;
	void *arg;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *text;                 /* the latest snapshot */
};

/* Answer one request from the snapshot (HTTP thread). */
static enum MHD_Result metrics_http_answer(void *cls, struct MHD_Connection *conn,
					   const char *url, const char *method,
					   const char *version, const char *data,
					   size_t *size, void **ctx)
{
	struct metrics_mod *m = cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_NO;
	int found = strcmp(url, "/metrics") == 0;
	char *body;
	if (found) {
		pthread_mutex_lock(&m->lock);
		body = strdup(m->text ? m->text : "");
		pthread_mutex_unlock(&m->lock);
	} else {
		body = strdup("not found: try /metrics\n");
	}
	if (body == NULL)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				found ? "text/plain; version=0.0.4" : "text/plain");
	enum MHD_Result ret = MHD_queue_response(
		conn, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
	MHD_destroy_response(r);
	return ret;
}

/* Resolve "host:port" (numeric or a name; "[::1]:9100" for IPv6). */
static int metrics_http_addr(const char *listen, struct sockaddr_storage *ss,
			     char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof host)
		return snprintf(err, errlen, "--metrics-listen: host too long"), -1;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	char *h = host;
	if (h[0] == '[' && hl > 1 && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res;
	int r = getaddrinfo(h, colon + 1, &hints, &res);
	if (r != 0)
		return snprintf(err, errlen, "--metrics-listen %s: %s", listen,
				gai_strerror(r)), -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

EXPORT int agentlogd_metrics_start(const char *listen, metrics_render_fn render,
				   void *arg, void **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	if (metrics_http_addr(listen, &ss, err, errlen) < 0)
		return -1;
	struct metrics_mod *m = calloc(1, sizeof *m);
	if (m == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	m->render = render;
	m->arg = arg;
	pthread_mutex_init(&m->lock, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	agentlogd_metrics_update(m);
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_http_answer, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				  MHD_OPTION_END);
	if (m->mhd == NULL) {
		snprintf(err, errlen, "cannot serve metrics on %s (address in use?)",
			 listen);
		free(m->text);
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

EXPORT void agentlogd_metrics_update(void *mod)
{
	struct metrics_mod *m = mod;
	char *text = m->render(m->arg);
	if (text == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	char *old = m->text;
	m->text = text;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

EXPORT void agentlogd_metrics_stop(void *mod)
{
	struct metrics_mod *m = mod;
	if (m == NULL)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
