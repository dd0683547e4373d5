/*
 * config.c: flags, environment and defaults for agentlogd.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <uv.h>

#include "config.h"
#include "forward.h"
#include "log.h"
#include "wire.h"

enum {
	OPT_SOCKET = 256, OPT_DGRAM, OPT_SOCKET_MODE, OPT_SOCKET_GROUP,
	OPT_JOURNAL_DIR, OPT_JOURNAL_MAX, OPT_SEGMENT, OPT_JOURNAL_IO, OPT_FSYNC,
	OPT_FSYNC_INTERVAL, OPT_WHEN_FULL, OPT_RETAIN_AGE, OPT_MAX_LINE,
	OPT_MAX_CONN, OPT_IDLE, OPT_BROKERS, OPT_NO_KAFKA, OPT_KPROP,
	OPT_TOPIC, OPT_TOPIC_PREFIX, OPT_QUEUE_KB, OPT_LINGER, OPT_HEADERS,
	OPT_SHUTDOWN,
	OPT_LOG_LEVEL, OPT_LOG_FILE, OPT_METRICS, OPT_CHECK, OPT_VERSION,
};

static const struct option config_longopts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "dgram-socket", required_argument, NULL, OPT_DGRAM },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
	{ "journal-dir", required_argument, NULL, OPT_JOURNAL_DIR },
	{ "journal-max-bytes", required_argument, NULL, OPT_JOURNAL_MAX },
	{ "segment-bytes", required_argument, NULL, OPT_SEGMENT },
	{ "journal-io", required_argument, NULL, OPT_JOURNAL_IO },
	{ "fsync", required_argument, NULL, OPT_FSYNC },
	{ "fsync-interval-ms", required_argument, NULL, OPT_FSYNC_INTERVAL },
	{ "when-full", required_argument, NULL, OPT_WHEN_FULL },
	{ "retain-max-age", required_argument, NULL, OPT_RETAIN_AGE },
	{ "max-line-bytes", required_argument, NULL, OPT_MAX_LINE },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "idle-timeout-ms", required_argument, NULL, OPT_IDLE },
	{ "kafka-brokers", required_argument, NULL, OPT_BROKERS },
	{ "no-kafka", no_argument, NULL, OPT_NO_KAFKA },
	{ "kafka-prop", required_argument, NULL, OPT_KPROP },
	{ "topic", required_argument, NULL, OPT_TOPIC },
	{ "topic-prefix", required_argument, NULL, OPT_TOPIC_PREFIX },
	{ "kafka-queue-kbytes", required_argument, NULL, OPT_QUEUE_KB },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "kafka-headers", required_argument, NULL, OPT_HEADERS },
	{ "shutdown-timeout-ms", required_argument, NULL, OPT_SHUTDOWN },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-file", required_argument, NULL, OPT_LOG_FILE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char config_usage[] =
"usage: agentlogd [options]\n"
"\n"
"Accepts agent events (newline-delimited JSON) on a Unix socket, journals\n"
"them to disk and forwards them to Kafka.  Runs in the foreground.\n"
"\n"
"Sockets:\n"
"  --socket PATH            stream socket (env AGENTLOG_SOCKET; default\n"
"                           $XDG_RUNTIME_DIR/agentlog/agentlogd.sock)\n"
"  --dgram-socket PATH|none datagram socket (default agentlogd.dgram beside it)\n"
"  --socket-mode MODE       octal, default 0660 (never world-writable)\n"
"  --socket-group GROUP     group owning the sockets\n"
"  --max-line-bytes N       longest accepted line (default 1M)\n"
"  --max-connections N      default 4096\n"
"  --idle-timeout-ms N      close a connection idle mid-line (default 30000)\n"
"Journal:\n"
"  --journal-dir DIR        env AGENTLOG_JOURNAL_DIR; default\n"
"                           $XDG_STATE_HOME/agentlog (/var/lib/agentlog as root)\n"
"  --journal-max-bytes N    cap on disk (default 1G)\n"
"  --segment-bytes N        segment size (default 64M)\n"
"  --journal-io auto|direct|buffered  write segments with O_DIRECT where\n"
"                           the file system takes it (auto, the default)\n"
"  --fsync never|interval|always   durability point (default interval)\n"
"  --fsync-interval-ms N    interval mode: sync at least this often (100)\n"
"  --when-full reject|drop-oldest  policy when the journal is full (reject)\n"
"  --retain-max-age SECS    journal-only mode: keep at most this long\n"
"Kafka:\n"
"  --kafka-brokers LIST     env KAFKA_BROKERS (default localhost:9092)\n"
"  --no-kafka               journal only (env KAFKA_ENABLE_LOGGING=false)\n"
"  --kafka-prop KEY=VALUE   any librdkafka property (TLS, SASL, ...); repeatable\n"
"  --topic TYPE=NAME        topic of one event type; repeatable\n"
"  --topic-prefix PREFIX    prefix for all four topics\n"
"  --kafka-queue-kbytes N   librdkafka queue cap (default 65536)\n"
"  --linger-ms N            producer linger (default 5)\n"
"  --kafka-headers LIST     record headers: none (the default), all, or a\n"
"                           list of type,event_id,schema_version\n"
"Running:\n"
"  --shutdown-timeout-ms N  on SIGTERM, wait this long for Kafka (5000)\n"
"  --log-level LEVEL        error|warn|info|debug (env AGENTLOG_LOG_LEVEL)\n"
"  --log-file PATH          log here instead of stderr (SIGHUP reopens)\n"
"  --metrics-listen H:PORT  serve Prometheus metrics over HTTP\n"
"  --check-config           validate the configuration and exit\n"
"  --version, --help\n"
"\n"
"Sizes take K, M, G suffixes (powers of 1024).\n";

/* Parse "123", "64K", "1M", "1G" into bytes.  Returns 0 or -1. */
static int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -1;
	uint64_t mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* Parse an unsigned number within [lo, hi].  Returns 0 or -1. */
static int config_parse_uint(const char *s, uint64_t lo, uint64_t hi,
			     uint64_t *out)
{
	if (config_parse_size(s, out) != 0 || *out < lo || *out > hi)
		return -1;
	return 0;
}

/* Set the defaults, then what the environment says. */
static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->socket_mode = 0660;
	cfg->max_line = PROTO_MAX_LINE_DEFAULT;
	cfg->max_connections = 4096;
	cfg->idle_timeout_ms = 30000;
	cfg->kafka_enabled = 1;
	cfg->brokers = "localhost:9092";
	cfg->kafka_queue_kbytes = 65536;
	cfg->linger_ms = 5;
	cfg->shutdown_timeout_ms = 5000;
	cfg->log_level = LOG_INFO;
	journal_opts_init(&cfg->journal);   /* 1 GiB, 64 MiB segments, interval */
	for (int t = 0; t < PROTO_TYPE_COUNT; t++)
		cfg->topic[t] = proto_type_topic(t);

	const char *v;
	if ((v = getenv("KAFKA_BROKERS")) != NULL && *v)
		cfg->brokers = v;
	if ((v = getenv("KAFKA_ENABLE_LOGGING")) != NULL &&
	    (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	     strcasecmp(v, "no") == 0))
		cfg->kafka_enabled = 0;
	if ((v = getenv("AGENTLOG_LOG_LEVEL")) != NULL && log_level_parse(v) >= 0)
		cfg->log_level = log_level_parse(v);
}

/* --topic TYPE=NAME: TYPE is a type name or a default topic name. */
static int config_set_topic(struct config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq[1] == '\0')
		return -1;
	int t = proto_type_lookup(arg, (size_t)(eq - arg));
	if (t < 0)
		return -1;
	free(cfg->topic_buf[t]);
	cfg->topic_buf[t] = strdup(eq + 1);
	cfg->topic[t] = cfg->topic_buf[t];
	return 0;
}

static int config_set_prefix(struct config *cfg, const char *prefix)
{
	for (int t = 0; t < PROTO_TYPE_COUNT; t++) {
		size_t n = strlen(prefix) + strlen(cfg->topic[t]) + 1;
		char *s = malloc(n);
		if (s == NULL)
			return -1;
		snprintf(s, n, "%s%s", prefix, cfg->topic[t]);
		free(cfg->topic_buf[t]);
		cfg->topic_buf[t] = s;
		cfg->topic[t] = s;
	}
	return 0;
}

/* Apply one option; returns 0, 1 (handled, exit 0) or -1 (usage error). */
static int config_apply(struct config *cfg, int c, const char *arg)
{
	uint64_t n;
	switch (c) {
	case OPT_SOCKET:
		if (strlen(arg) >= sizeof cfg->socket_path)
			return fprintf(stderr, "agentlogd: --socket: path longer than %zu bytes\n",
				       sizeof cfg->socket_path - 1), -1;
		strcpy(cfg->socket_path, arg);
		return 0;
	case OPT_DGRAM:
		if (strlen(arg) >= sizeof cfg->dgram_path)
			return fprintf(stderr, "agentlogd: --dgram-socket: path too long\n"), -1;
		strcpy(cfg->dgram_path, strcmp(arg, "none") == 0 ? "-" : arg);
		return 0;
	case OPT_SOCKET_MODE: {
		char *end;
		unsigned long m = strtoul(arg, &end, 8);
		if (*arg == '\0' || *end != '\0' || m > 0777)
			return fprintf(stderr, "agentlogd: --socket-mode: not an octal mode: %s\n", arg), -1;
		if (m & 0002)
			return fprintf(stderr, "agentlogd: --socket-mode: refusing a world-writable socket (%04lo)\n", m), -1;
		cfg->socket_mode = (unsigned)m;
		return 0;
	}
	case OPT_SOCKET_GROUP: {
		struct group *gr = getgrnam(arg);
		if (gr == NULL)
			return fprintf(stderr, "agentlogd: --socket-group: no such group: %s\n", arg), -1;
		cfg->socket_group = arg;
		cfg->socket_gid = gr->gr_gid;
		return 0;
	}
	case OPT_JOURNAL_DIR:
		if (strlen(arg) >= sizeof cfg->journal_dir)
			return fprintf(stderr, "agentlogd: --journal-dir: path too long\n"), -1;
		strcpy(cfg->journal_dir, arg);
		return 0;
	case OPT_JOURNAL_MAX:
		if (config_parse_uint(arg, 1 << 20, UINT64_MAX, &n) != 0)
			return fprintf(stderr, "agentlogd: --journal-max-bytes: want a size of at least 1M: %s\n", arg), -1;
		cfg->journal.max_bytes = n;
		return 0;
	case OPT_SEGMENT:
		if (config_parse_uint(arg, 64 << 10, 1ull << 32, &n) != 0)
			return fprintf(stderr, "agentlogd: --segment-bytes: want a size between 64K and 4G: %s\n", arg), -1;
		cfg->journal.segment_bytes = n;
		return 0;
	case OPT_JOURNAL_IO:
		if (strcmp(arg, "auto") == 0)
			cfg->journal.io = JOURNAL_IO_AUTO;
		else if (strcmp(arg, "direct") == 0)
			cfg->journal.io = JOURNAL_IO_DIRECT;
		else if (strcmp(arg, "buffered") == 0)
			cfg->journal.io = JOURNAL_IO_BUFFERED;
		else
			return fprintf(stderr, "agentlogd: --journal-io: want auto, direct or buffered: %s\n", arg), -1;
		return 0;
	case OPT_FSYNC:
		if (strcmp(arg, "never") == 0)
			cfg->journal.fsync = JOURNAL_FSYNC_NEVER;
		else if (strcmp(arg, "interval") == 0)
			cfg->journal.fsync = JOURNAL_FSYNC_INTERVAL;
		else if (strcmp(arg, "always") == 0)
			cfg->journal.fsync = JOURNAL_FSYNC_ALWAYS;
		else
			return fprintf(stderr, "agentlogd: --fsync: want never, interval or always: %s\n", arg), -1;
		return 0;
	case OPT_FSYNC_INTERVAL:
		if (config_parse_uint(arg, 1, 3600000, &n) != 0)
			return fprintf(stderr, "agentlogd: --fsync-interval-ms: want 1..3600000: %s\n", arg), -1;
		cfg->journal.fsync_interval_ms = n;
		return 0;
	case OPT_WHEN_FULL:
		if (strcmp(arg, "reject") == 0)
			cfg->journal.when_full = JOURNAL_FULL_REJECT;
		else if (strcmp(arg, "drop-oldest") == 0)
			cfg->journal.when_full = JOURNAL_FULL_DROP_OLDEST;
		else
			return fprintf(stderr, "agentlogd: --when-full: want reject or drop-oldest: %s\n", arg), -1;
		return 0;
	case OPT_RETAIN_AGE:
		if (config_parse_uint(arg, 1, UINT32_MAX, &n) != 0)
			return fprintf(stderr, "agentlogd: --retain-max-age: want seconds: %s\n", arg), -1;
		cfg->journal.max_age_s = n;
		return 0;
	case OPT_MAX_LINE:
		if (config_parse_uint(arg, 1024, 64 << 20, &n) != 0)
			return fprintf(stderr, "agentlogd: --max-line-bytes: want 1K..64M: %s\n", arg), -1;
		cfg->max_line = (uint32_t)n;
		return 0;
	case OPT_MAX_CONN:
		if (config_parse_uint(arg, 1, 1 << 20, &n) != 0)
			return fprintf(stderr, "agentlogd: --max-connections: want 1..1048576: %s\n", arg), -1;
		cfg->max_connections = (uint32_t)n;
		return 0;
	case OPT_IDLE:
		if (config_parse_uint(arg, 10, 86400000, &n) != 0)
			return fprintf(stderr, "agentlogd: --idle-timeout-ms: want 10..86400000: %s\n", arg), -1;
		cfg->idle_timeout_ms = (uint32_t)n;
		return 0;
	case OPT_BROKERS:
		cfg->brokers = arg;
		return 0;
	case OPT_NO_KAFKA:
		cfg->kafka_enabled = 0;
		return 0;
	case OPT_KPROP:
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			return fprintf(stderr, "agentlogd: --kafka-prop: want KEY=VALUE: %s\n", arg), -1;
		if (cfg->nprops >= CONFIG_MAX_PROPS)
			return fprintf(stderr, "agentlogd: --kafka-prop: at most %d\n", CONFIG_MAX_PROPS), -1;
		cfg->props[cfg->nprops++] = arg;
		return 0;
	case OPT_TOPIC:
		if (config_set_topic(cfg, arg) != 0)
			return fprintf(stderr, "agentlogd: --topic: want TYPE=NAME with TYPE one of agent_action, routing_decision, transformation, performance_metrics: %s\n", arg), -1;
		return 0;
	case OPT_TOPIC_PREFIX:
		return config_set_prefix(cfg, arg);
	case OPT_QUEUE_KB:
		if (config_parse_uint(arg, 1024, 2097151, &n) != 0)
			return fprintf(stderr, "agentlogd: --kafka-queue-kbytes: want 1024..2097151: %s\n", arg), -1;
		cfg->kafka_queue_kbytes = n;
		return 0;
	case OPT_HEADERS: {
		char why[160];
		if (fwd_headers_parse(arg, &cfg->kafka_headers, why, sizeof why) != 0)
			return fprintf(stderr, "agentlogd: --kafka-headers: %s\n", why), -1;
		return 0;
	}
	case OPT_LINGER:
		if (config_parse_uint(arg, 0, 900000, &n) != 0)
			return fprintf(stderr, "agentlogd: --linger-ms: want 0..900000: %s\n", arg), -1;
		cfg->linger_ms = (int)n;
		return 0;
	case OPT_SHUTDOWN:
		if (config_parse_uint(arg, 0, 3600000, &n) != 0)
			return fprintf(stderr, "agentlogd: --shutdown-timeout-ms: want 0..3600000: %s\n", arg), -1;
		cfg->shutdown_timeout_ms = (uint32_t)n;
		return 0;
	case OPT_LOG_LEVEL:
		if ((cfg->log_level = log_level_parse(arg)) < 0)
			return fprintf(stderr, "agentlogd: --log-level: want error, warn, info or debug: %s\n", arg), -1;
		return 0;
	case OPT_LOG_FILE:
		cfg->log_file = arg;
		return 0;
	case OPT_METRICS:
		if (strrchr(arg, ':') == NULL)
			return fprintf(stderr, "agentlogd: --metrics-listen: want HOST:PORT: %s\n", arg), -1;
		cfg->metrics_listen = arg;
		return 0;
	case OPT_CHECK:
		cfg->check_config = 1;
		return 0;
	case OPT_VERSION:
		printf("agentlogd %s (wire protocol %d, schema %d, libuv %s, librdkafka %s)\n",
		       AGENTLOG_VERSION, PROTO_WIRE_VERSION, PROTO_SCHEMA_VERSION,
		       uv_version_string(), rd_kafka_version_str());
		return 1;
	case 'h':
		fputs(config_usage, stdout);
		return 1;
	default:
		fputs(config_usage, stderr);
		return -1;
	}
}

/* Derive what the flags left open: socket paths and the journal dir. */
static int config_resolve(struct config *cfg)
{
	if (cfg->socket_path[0] == '\0' &&
	    proto_socket_path(cfg->socket_path, sizeof cfg->socket_path) != 0)
		return fprintf(stderr, "agentlogd: socket path too long; use --socket\n"), -1;
	if (strcmp(cfg->dgram_path, "-") == 0)
		cfg->dgram_path[0] = '\0';
	else if (cfg->dgram_path[0] == '\0' &&
		 proto_dgram_path(cfg->socket_path, cfg->dgram_path,
				  sizeof cfg->dgram_path) != 0)
		return fprintf(stderr, "agentlogd: datagram socket path too long; use --dgram-socket\n"), -1;
	if (cfg->journal_dir[0] == '\0' &&
	    proto_journal_dir(cfg->journal_dir, sizeof cfg->journal_dir) != 0)
		return fprintf(stderr, "agentlogd: cannot resolve the journal directory; use --journal-dir\n"), -1;
	cfg->journal.dir = cfg->journal_dir;
	if (!cfg->kafka_enabled)
		cfg->journal.retain_only = 1;
	if (cfg->journal.segment_bytes > cfg->journal.max_bytes / 4) {
		cfg->journal.segment_bytes = cfg->journal.max_bytes / 4;
		if (cfg->journal.segment_bytes < (64 << 10))
			cfg->journal.segment_bytes = 64 << 10;
	}
	return 0;
}

int config_load(struct config *cfg, int argc, char **argv)
{
	config_defaults(cfg);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hV", config_longopts, NULL)) != -1) {
		if (c == 'V')
			c = OPT_VERSION;
		int r = config_apply(cfg, c, optarg);
		if (r != 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "agentlogd: unexpected argument: %s (see --help)\n", argv[optind]);
		return -1;
	}
	return config_resolve(cfg);
}

void config_log(const struct config *cfg)
{
	static const char *const fs[] = { "never", "interval", "always" };
	log_info("socket %s (mode %04o%s%s), datagram %s", cfg->socket_path,
		 cfg->socket_mode, cfg->socket_group ? ", group " : "",
		 cfg->socket_group ? cfg->socket_group : "",
		 cfg->dgram_path[0] ? cfg->dgram_path : "off");
	log_info("journal %s (max %llu bytes, fsync %s, when full %s%s)",
		 cfg->journal_dir, (unsigned long long)cfg->journal.max_bytes,
		 fs[cfg->journal.fsync],
		 cfg->journal.when_full == JOURNAL_FULL_REJECT ? "reject" : "drop-oldest",
		 cfg->journal.retain_only ? ", journal only" : "");
	if (cfg->kafka_enabled)
		log_info("kafka %s, topics %s %s %s %s", cfg->brokers,
			 cfg->topic[0], cfg->topic[1], cfg->topic[2], cfg->topic[3]);
	else
		log_info("kafka disabled: journal only");
}

void config_free(struct config *cfg)
{
	for (int t = 0; t < PROTO_TYPE_COUNT; t++) {
		free(cfg->topic_buf[t]);
		cfg->topic_buf[t] = NULL;
	}
}
