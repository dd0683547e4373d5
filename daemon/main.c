/*
 * main.c: agentlogd's life: configure, recover the journal, ingest the
 * inbox, serve the sockets, forward to Kafka, stop in order.
 *
 * Shutdown order (SIGTERM/SIGINT): stop accepting; read what clients have
 * already written and journal it; wait (bounded) for it to be durable so
 * acknowledged senders get their answers; give Kafka --shutdown-timeout-ms
 * to deliver; close the journal (sync, cursor).  Whatever Kafka did not
 * take stays journaled for the next start, so nothing accepted is lost.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "config.h"
#include "conn.h"
#include "dgram.h"
#include "inbox.h"
#include "log.h"
#include "metrics_http.h"
#include "notify.h"
#include "server.h"
#include "status.h"

/* The journal freed memory: input that had to wait is offered again. */
static int server_retry_blocked(struct server *s)
{
	int r = conn_retry_blocked(s);
	if (s->dgram && dgram_retry(s->dgram) < 0)
		r = -1;
	return r;
}

/* The journal's durable sequence moved: acknowledgements may go out. */
static void server_on_durable(void *arg, uint64_t durable_seq)
{
	struct server *s = arg;
	s->durable_seq = durable_seq;
	conn_on_durable(s, durable_seq);
	server_retry_blocked(s);
}

/* A batch was written: the forwarder's hot path; and the journal's buffer
 * has room again for input that waited. */
static void server_on_written(void *arg, const char *buf, size_t len,
			      uint64_t first_seq, uint64_t last_seq)
{
	struct server *s = arg;
	s->journal_moved = 1;
	if (s->fwd)
		fwd_on_written(s->fwd, buf, len, first_seq, last_seq);
}

/*
 * After each poll: hand the turn's records to the journal's writer (the
 * journal logs its own failures), then fairness.  Input that waits for
 * the journal is offered again only once a write or a sync went through
 * (or once a second, from the tick): each offer parses a line again and,
 * for a blocked connection, copies what it holds.
 */
static void server_on_check(uv_check_t *h)
{
	struct server *s = h->data;
	journal_flush_async(s->journal);
	conn_resume_paused(s);
	if (s->blocked && s->journal_moved) {
		s->journal_moved = 0;
		server_retry_blocked(s);
	}
}

/* Once a second: idle connections, rates, metrics, the watchdog, and
 * every few seconds the inbox (a client may have fallen back just before
 * the socket listened). */
static void server_on_tick(uv_timer_t *t)
{
	struct server *s = t->data;
	static unsigned ticks;
	if (s->blocked)
		server_retry_blocked(s);
	conn_sweep_idle(s, uv_now(s->loop));
	if (inbox_release(s, s->durable_seq) == 0 && ++ticks % 5 == 0) {
		long n = inbox_ingest(s);
		if (n > 0)
			log_info("inbox: %ld late event(s) journaled", n);
	}
	status_tick(s);
	if (s->http)
		metrics_http_update(s->http);
	if (getenv("NOTIFY_SOCKET")) {
		char msg[160];
		struct journal_stats js;
		journal_get_stats(s->journal, &js);
		snprintf(msg, sizeof msg,
			 "WATCHDOG=1\nSTATUS=%.0f events/s, %llu accepted, backlog %llu",
			 s->ingest.accept_rate,
			 (unsigned long long)ingest_accepted(&s->ingest),
			 (unsigned long long)js.backlog_events);
		notify_send(msg);
	}
}

static void server_on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	if (signum == SIGHUP) {
		int r = log_reopen();
		log_info("SIGHUP: log reopened%s", r == 0 ? "" : " (failed)");
		return;
	}
	log_info("%s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(s);
}

void server_stop(struct server *s)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	notify_send("STOPPING=1");
	if (s->listening) {
		uv_close((uv_handle_t *)&s->listener, NULL);
		s->listening = 0;
	}
	uv_stop(s->loop);
}

/* Read what every client has written, waiting for the journal if it
 * asks us to, for at most ms. */
static int server_drained(struct server *s)
{
	int r = conn_drain_all(s);
	if (s->dgram && dgram_drain(s->dgram) < 0)
		r = -1;
	journal_flush(s->journal);
	return r == 0;
}

/* Run the loop until cond(s) holds or ms have passed. */
static void server_run_until(struct server *s, int (*cond)(struct server *),
			     uint64_t ms)
{
	uint64_t deadline = uv_now(s->loop) + ms;
	while (!cond(s) && uv_now(s->loop) < deadline) {
		uv_run(s->loop, UV_RUN_ONCE);
		uv_update_time(s->loop);
	}
}

static int server_all_durable(struct server *s)
{
	struct journal_stats js;
	journal_get_stats(s->journal, &js);
	return s->durable_seq >= js.written_seq;
}

static int server_replies_out(struct server *s)
{
	return conn_writes_pending(s) == 0;
}

static void server_close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The orderly end described at the top of this file. */
static void server_shutdown(struct server *s)
{
	uint64_t grace = s->cfg->shutdown_timeout_ms > 1000 ? s->cfg->shutdown_timeout_ms : 1000;
	server_run_until(s, server_drained, grace);
	server_run_until(s, server_all_durable, grace);
	server_run_until(s, server_replies_out, 1000);
	inbox_release(s, s->durable_seq);
	if (s->fwd)
		fwd_stop(s->fwd, (int)s->cfg->shutdown_timeout_ms);
	conn_close_all(s);
	if (s->dgram)
		dgram_close(s->dgram);
	metrics_http_stop(s->http);
	s->http = NULL;
	journal_close(s->journal);
	s->journal = NULL;
	uv_walk(s->loop, server_close_walk, NULL);
	uv_run(s->loop, UV_RUN_DEFAULT);
	int r = uv_loop_close(s->loop);
	if (r != 0)
		log_warn("uv_loop_close() failed: %s", uv_strerror(r));
}

/* --check-config: everything that can be checked without side effects. */
static int server_check_config(const struct config *cfg)
{
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	char err[512];
	int ok = 1;
	for (int i = 0; i < cfg->nprops; i++) {
		char kv[1024];
		snprintf(kv, sizeof kv, "%s", cfg->props[i]);
		char *eq = strchr(kv, '=');
		*eq = '\0';
		if (rd_kafka_conf_set(kc, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
			fprintf(stderr, "agentlogd: --kafka-prop %s: %s\n", cfg->props[i], err);
			ok = 0;
		}
	}
	rd_kafka_conf_destroy(kc);
	if (!ok)
		return 2;
	printf("agentlogd: configuration OK\n");
	printf("socket %s\ndatagram socket %s\njournal %s\nkafka %s\n",
	       cfg->socket_path, cfg->dgram_path[0] ? cfg->dgram_path : "off",
	       cfg->journal_dir, cfg->kafka_enabled ? cfg->brokers : "disabled");
	return 0;
}

/* The journal's log lines, into ours. */
static void server_journal_log(void *arg, int level, const char *msg)
{
	log_msg(level == JOURNAL_LOG_ERROR ? LOG_ERROR :
		level == JOURNAL_LOG_WARN ? LOG_WARN : LOG_INFO, "journal: %s", msg);
}

/* The forwarder's (syslog levels: 3 error, 4 warning, 7 debug). */
static void server_fwd_log(void *arg, int level, const char *msg)
{
	enum log_level l = level <= 3 ? LOG_ERROR : level == 4 ? LOG_WARN :
			   level <= 6 ? LOG_INFO : LOG_DEBUG;
	if (log_enabled(l))
		log_msg(l, "kafka: %s", msg);
}

/* Start the forwarder from the journal's cursor. */
static int server_start_kafka(struct server *s, char *err, size_t errlen)
{
	struct config *cfg = s->cfg;
	struct fwd_opts fo = { 0 };
	fo.brokers = cfg->brokers;
	for (int t = 0; t < PROTO_TYPE_COUNT; t++)
		fo.topic[t] = cfg->topic[t];
	fo.props = cfg->props;
	fo.queue_max_kbytes = cfg->kafka_queue_kbytes;
	fo.linger_ms = cfg->linger_ms;
	fo.headers = cfg->kafka_headers;
	fo.log = server_fwd_log;
	struct journal_stats js;
	journal_get_stats(s->journal, &js);
	if (fwd_start(s->loop, s->journal, &fo, js.cursor, &s->fwd, err, errlen) < 0)
		return -1;
	journal_set_drop_callback(s->journal, fwd_on_dropped, s->fwd);
	return 0;
}

/* Serve the sockets the listeners opened. */
static int server_serve(struct server *s, char *err, size_t errlen)
{
	int r;
	if (s->listeners.stream_fd >= 0) {
		uv_pipe_init(s->loop, &s->listener, 0);
		s->listener.data = s;
		r = uv_pipe_open(&s->listener, s->listeners.stream_fd);
		if (r == 0)
			r = uv_listen((uv_stream_t *)&s->listener, 1024, conn_on_connection);
		if (r != 0)
			return snprintf(err, errlen, "listen: %s", uv_strerror(r)), -1;
		s->listeners.stream_fd = -1;   /* libuv owns it now */
		s->listening = 1;
	}
	if (s->listeners.dgram_fd >= 0) {
		r = dgram_start(s, s->listeners.dgram_fd, &s->dgram);
		if (r != 0)
			return snprintf(err, errlen, "datagram socket: %s", uv_strerror(r)), -1;
		s->listeners.dgram_fd = -1;
	}
	return 0;
}

/* Handles that live as long as the daemon. */
static void server_start_handles(struct server *s)
{
	uv_check_init(s->loop, &s->flush_check);
	s->flush_check.data = s;
	uv_check_start(&s->flush_check, server_on_check);
	uint64_t every = 1000, wd = notify_watchdog_ms();
	if (wd > 0 && wd / 2 < every)
		every = wd / 2 ? wd / 2 : 1;
	uv_timer_init(s->loop, &s->tick);
	s->tick.data = s;
	uv_timer_start(&s->tick, server_on_tick, every, every);
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	for (int i = 0; i < 3; i++) {
		uv_signal_init(s->loop, &s->sig[i]);
		s->sig[i].data = s;
		uv_signal_start(&s->sig[i], server_on_signal, sigs[i]);
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	int r = config_load(&cfg, argc, argv);
	if (r != 0)
		return r > 0 ? 0 : 2;
	log_set_level(cfg.log_level);
	if (cfg.check_config)
		return server_check_config(&cfg);
	if (cfg.log_file && (r = log_open(cfg.log_file)) < 0) {
		fprintf(stderr, "agentlogd: open(%s) failed: %s\n", cfg.log_file, strerror(-r));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	static struct server s;
	s.loop = uv_default_loop();
	s.cfg = &cfg;
	s.start_ms = (uint64_t)server_now_ms();
	if (gethostname(s.host, sizeof s.host - 1) < 0)
		strcpy(s.host, "localhost");
	char err[512];

	log_info("agentlogd %s starting (pid %ld)", AGENTLOG_VERSION, (long)getpid());
	cfg.journal.log = server_journal_log;
	config_log(&cfg);
	if (listen_open(&s.listeners, &cfg, err, sizeof err) < 0)
		goto fail;
	if (journal_open(s.loop, &cfg.journal, &s.journal, err, sizeof err) < 0)
		goto fail_listen;
	journal_set_callbacks(s.journal, server_on_durable, server_on_written, &s);
	struct journal_stats js;
	journal_get_stats(s.journal, &js);
	s.durable_seq = js.durable_seq;
	log_info("journal: segments written %s", js.direct ? "with O_DIRECT"
		 : "through the page cache");
	long inbox = inbox_ingest(&s);
	if (inbox > 0)
		log_info("inbox: %ld event(s) journaled", inbox);
	server_run_until(&s, server_all_durable, 5000);
	inbox_release(&s, s.durable_seq);
	if (cfg.kafka_enabled && server_start_kafka(&s, err, sizeof err) < 0)
		goto fail_journal;
	if (server_serve(&s, err, sizeof err) < 0)
		goto fail_journal;
	server_start_handles(&s);
	if (cfg.metrics_listen &&
	    metrics_http_start(&s, cfg.metrics_listen, &s.http, err, sizeof err) < 0)
		goto fail_serving;

	notify_send("READY=1");
	log_info("ready: listening on %s", cfg.socket_path);
	uv_run(s.loop, UV_RUN_DEFAULT);
	server_shutdown(&s);
	listen_close(&s.listeners, &cfg);
	log_info("stopped: %llu event(s) accepted, %llu rejected",
		 (unsigned long long)ingest_accepted(&s.ingest),
		 (unsigned long long)ingest_rejected(&s.ingest));
	config_free(&cfg);
	return 0;

fail_serving:
	s.stopping = 1;
	server_shutdown(&s);
	goto fail_listen;
fail_journal:
	if (s.fwd)
		fwd_stop(s.fwd, 0);
	journal_close(s.journal);
fail_listen:
	listen_close(&s.listeners, &cfg);
fail:
	log_error("%s", err);
	config_free(&cfg);
	return 1;
}
