/*
 * http.c: /health, /metrics and /metrics/prometheus with libmicrohttpd.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"

struct http {
	struct MHD_Daemon *d;
	struct metrics *m;
	int port;
};

/* Queue body (malloc'd, taken over) with status and content type. */
static enum MHD_Result http_reply(struct MHD_Connection *conn,
				  unsigned status, const char *type,
				  char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer_with_free_callback(
		strlen(body), body, free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static char *http_strdup(const char *s)
{
	return strdup(s);
}

/* The request handler: GET (or HEAD) on one of three paths. */
static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **req)
{
	struct http *h = cls;
	const char *json = "application/json";
	int ok;
	char *body;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, json,
				  http_strdup("{\"error\":\"method not "
					      "allowed\"}"));
	if (strcmp(url, "/health") == 0) {
		body = metrics_health(h->m, &ok);
		return http_reply(conn, ok ? MHD_HTTP_OK :
				  MHD_HTTP_SERVICE_UNAVAILABLE, json, body);
	}
	if (strcmp(url, "/metrics") == 0)
		return http_reply(conn, MHD_HTTP_OK, json,
				  metrics_json(h->m));
	if (strcmp(url, "/metrics/prometheus") == 0)
		return http_reply(conn, MHD_HTTP_OK,
				  "text/plain; version=0.0.4; charset=utf-8",
				  metrics_prometheus(h->m));
	return http_reply(conn, MHD_HTTP_NOT_FOUND, json,
			  http_strdup("{\"error\":\"not found\"}"));
}

/* libmicrohttpd's own complaints go to our log. */
static void http_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_warn("http: %s", buf);
}

/* Split "host:port" or "[v6]:port"; returns 0 or -1. */
static int http_split(const char *addr, char *host, size_t hlen,
		      const char **port)
{
	const char *colon;
	size_t n;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':')
			return -1;
		n = (size_t)(end - addr - 1);
		addr++;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -1;
		n = (size_t)(colon - addr);
	}
	if (n >= hlen || !colon[1])
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

struct http *http_start(const char *addr, struct metrics *m)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct http *h = NULL;
	const char *port;
	char host[256];
	int rc;

	if (http_split(addr, host, sizeof(host), &port) < 0) {
		log_error("http: bad listen address '%s' (expected "
			  "HOST:PORT)", addr);
		return NULL;
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		log_error("http: getaddrinfo(%s) failed: %s", addr,
			  gai_strerror(rc));
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	h->m = m;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, http_handle, h,
				MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_END);
	if (!h->d) {
		log_error("http: MHD_start_daemon(%s) failed (address in use?)",
			  addr);
		goto fail;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	log_info("http: listening on %s%s%s:%d", ai->ai_family == AF_INET6 ?
		 "[" : "", host, ai->ai_family == AF_INET6 ? "]" : "", h->port);
	freeaddrinfo(ai);
	return h;
fail:
	free(h);
	freeaddrinfo(ai);
	return NULL;
}

int http_port(const struct http *h)
{
	return h->port;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
