/*
 * agentlog-test-broker: a real Kafka protocol endpoint for tests, built on
 * librdkafka's mock cluster (rdkafka_mock.h, what librdkafka's own test
 * suite runs against).
 *
 *   agentlog-test-broker [--brokers N] [--partitions P] [--topics a,b,...]
 *
 * Starts N brokers on loopback, creates the topics with P partitions each,
 * prints exactly one line "bootstrap=<host:port,...>" on stdout, then
 * serves one command per line on stdin, answering "ok" or "error <why>":
 *
 *   down <id|all>                 disconnect a broker, refuse connections
 *   up <id|all>                   accept connections again
 *   rtt <id|all> <ms>             delay every response by ms
 *   err <ApiKey> <count> <error>  fail the next count requests of ApiKey
 *                                 (number or name: Produce, Metadata...)
 *                                 with error (number or name such as
 *                                 NOT_LEADER_FOR_PARTITION, _TRANSPORT)
 *   create <topic> <partitions>
 *   quit
 *
 * SIGUSR1 takes all brokers down, SIGUSR2 brings them up; SIGTERM, SIGINT
 * or EOF on stdin exit cleanly.
 *
 * Limits of the mock cluster: each partition keeps a bounded log (about
 * 5 MiB or 100,000 message sets); older records are gone and the low
 * watermark moves.  Large tests count by high watermarks or consume while
 * producing.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define DEFAULT_TOPICS "agent-actions,agent-routing-decisions," \
	"agent-transformation-events,router-performance-metrics," \
	"agent-observability-dlq"

struct broker {
	rd_kafka_t *rk;                  /* owns the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	int nbrokers;
};

/* Kafka protocol request types by name (the subset tests inject into). */
static const struct {
	const char *name;
	int16_t key;
} api_keys[] = {
	{ "Produce", 0 }, { "Fetch", 1 }, { "ListOffsets", 2 },
	{ "Metadata", 3 }, { "OffsetCommit", 8 }, { "OffsetFetch", 9 },
	{ "FindCoordinator", 10 }, { "JoinGroup", 11 }, { "Heartbeat", 12 },
	{ "SyncGroup", 14 }, { "ApiVersions", 18 }, { "InitProducerId", 22 },
};

/* Answer a command: "ok", or "error <why><arg>". */
static void reply(const char *why, const char *arg)
{
	if (why)
		printf("error %s%s\n", why, arg ? arg : "");
	else
		printf("ok\n");
	fflush(stdout);
}

/* Parse a non-negative decimal; -1 when s is not one. */
static long parse_num(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	return v;
}

/* "all" is -1 (every broker); otherwise a broker id 1..N.  -2 on error. */
static int parse_broker_id(const struct broker *b, const char *s)
{
	long id;

	if (s && strcmp(s, "all") == 0)
		return -1;
	id = parse_num(s);
	if (id < 1 || id > b->nbrokers)
		return -2;
	return (int)id;
}

static int parse_api_key(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++)
		if (s && strcasecmp(s, api_keys[i].name) == 0)
			return api_keys[i].key;
	return (int)parse_num(s);
}

/*
 * An error code by number (possibly negative, librdkafka's internal ones)
 * or by librdkafka's name ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT",
 * "ERR_REQUEST_TIMED_OUT").  Returns 0 and the code, or -1.
 */
static int parse_error(const char *s, rd_kafka_resp_err_t *out)
{
	const struct rd_kafka_err_desc *descs;
	size_t n, i;
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end == '\0') {
		*out = (rd_kafka_resp_err_t)v;
		return 0;
	}
	if (strncasecmp(s, "ERR_", 4) == 0)
		s += 4;
	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++) {
		if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
			*out = descs[i].code;
			return 0;
		}
	}
	return -1;
}

static int create_topic(struct broker *b, const char *topic, int partitions)
{
	int rf = b->nbrokers < 3 ? b->nbrokers : 3;
	rd_kafka_resp_err_t err;

	err = rd_kafka_mock_topic_create(b->mc, topic, partitions, rf);
	if (err) {
		fprintf(stderr, "agentlog-test-broker: create %s: %s\n", topic,
			rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

static void cmd_updown(struct broker *b, const char *id_s, int up)
{
	int id = parse_broker_id(b, id_s);
	rd_kafka_resp_err_t err;

	if (id == -2) {
		reply("bad broker id: ", id_s ? id_s : "(none)");
		return;
	}
	err = up ? rd_kafka_mock_broker_set_up(b->mc, id)
		 : rd_kafka_mock_broker_set_down(b->mc, id);
	if (err)
		reply(rd_kafka_err2str(err), NULL);
	else
		reply(NULL, NULL);
}

static void cmd_rtt(struct broker *b, const char *id_s, const char *ms_s)
{
	int id = parse_broker_id(b, id_s);
	long ms = parse_num(ms_s);
	rd_kafka_resp_err_t err;

	if (id == -2 || ms < 0) {
		reply("usage: rtt <id|all> <ms>", NULL);
		return;
	}
	err = rd_kafka_mock_broker_set_rtt(b->mc, id, (int)ms);
	if (err)
		reply(rd_kafka_err2str(err), NULL);
	else
		reply(NULL, NULL);
}

static void cmd_err(struct broker *b, const char *api_s, const char *cnt_s,
		    const char *err_s)
{
	int api = parse_api_key(api_s);
	long cnt = parse_num(cnt_s);
	rd_kafka_resp_err_t code, *codes;
	long i;

	if (api < 0 || cnt < 1 || cnt > 1000000 || parse_error(err_s, &code)) {
		reply("usage: err <ApiKey> <count> <errcode>", NULL);
		return;
	}
	codes = malloc(sizeof(*codes) * (size_t)cnt);
	if (!codes) {
		reply("out of memory", NULL);
		return;
	}
	for (i = 0; i < cnt; i++)
		codes[i] = code;
	rd_kafka_mock_push_request_errors_array(b->mc, (int16_t)api,
						(size_t)cnt, codes);
	free(codes);
	reply(NULL, NULL);
}

static void cmd_create(struct broker *b, const char *topic, const char *p_s)
{
	long p = parse_num(p_s);

	if (!topic || p < 1 || p > 10000) {
		reply("usage: create <topic> <partitions>", NULL);
		return;
	}
	if (create_topic(b, topic, (int)p))
		reply("could not create ", topic);
	else
		reply(NULL, NULL);
}

/* Run one command line.  Returns 1 when the helper should exit. */
static int run_command(struct broker *b, char *line)
{
	char *argv[5] = { NULL };
	char *save = NULL, *tok;
	int argc = 0;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < 5;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "down") == 0)
		cmd_updown(b, argv[1], 0);
	else if (strcmp(argv[0], "up") == 0)
		cmd_updown(b, argv[1], 1);
	else if (strcmp(argv[0], "rtt") == 0)
		cmd_rtt(b, argv[1], argv[2]);
	else if (strcmp(argv[0], "err") == 0)
		cmd_err(b, argv[1], argv[2], argv[3]);
	else if (strcmp(argv[0], "create") == 0)
		cmd_create(b, argv[1], argv[2]);
	else if (strcmp(argv[0], "quit") == 0) {
		reply(NULL, NULL);
		return 1;
	} else
		reply("unknown command: ", argv[0]);
	return 0;
}

/*
 * Read what stdin has and run every whole line.  Returns 1 at EOF or quit.
 */
static int serve_stdin(struct broker *b, char *buf, size_t cap, size_t *used)
{
	ssize_t n;
	char *nl;

	n = read(STDIN_FILENO, buf + *used, cap - 1 - *used);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	*used += (size_t)n;
	buf[*used] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		size_t take = (size_t)(nl - buf) + 1;

		*nl = '\0';
		if (run_command(b, buf))
			return 1;
		memmove(buf, buf + take, *used - take + 1);
		*used -= take;
	}
	if (*used == cap - 1) {
		reply("line too long", NULL);
		*used = 0;
	}
	return 0;
}

/* Handle one signal from the signalfd.  Returns 1 when we should exit. */
static int serve_signal(struct broker *b, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo == SIGUSR1)
		rd_kafka_mock_broker_set_down(b->mc, -1);
	else if (si.ssi_signo == SIGUSR2)
		rd_kafka_mock_broker_set_up(b->mc, -1);
	else
		return 1;
	return 0;
}

static void serve(struct broker *b, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	static char buf[4096];
	size_t used = 0;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("agentlog-test-broker: poll() failed");
			return;
		}
		if (pfd[1].revents && serve_signal(b, sfd))
			return;
		if (pfd[0].revents && serve_stdin(b, buf, sizeof(buf), &used))
			return;
	}
}

static int start_cluster(struct broker *b, int partitions, char *topics)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512], *save = NULL, *t;

	rd_kafka_conf_set(conf, "client.id", "agentlog-test-broker", errstr,
			  sizeof(errstr));
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!b->rk) {
		fprintf(stderr, "agentlog-test-broker: rd_kafka_new() failed: %s\n",
			errstr);
		return -1;
	}
	b->mc = rd_kafka_mock_cluster_new(b->rk, b->nbrokers);
	if (!b->mc) {
		fprintf(stderr, "agentlog-test-broker: "
			"rd_kafka_mock_cluster_new() failed\n");
		return -1;
	}
	for (t = strtok_r(topics, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (*t && create_topic(b, t, partitions))
			return -1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: agentlog-test-broker [--brokers N] "
		"[--partitions P] [--topics a,b,...]\n");
}

int main(int argc, char **argv)
{
	struct broker b = { .nbrokers = 3 };
	char *topics = strdup(DEFAULT_TOPICS);
	long partitions = 4;
	sigset_t mask;
	int i, sfd, rc = 1;

	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--brokers") == 0 && v) {
			b.nbrokers = (int)parse_num(v);
		} else if (strcmp(argv[i], "--partitions") == 0 && v) {
			partitions = parse_num(v);
		} else if (strcmp(argv[i], "--topics") == 0 && v) {
			free(topics);
			topics = strdup(v);
		} else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (b.nbrokers < 1 || b.nbrokers > 64 || partitions < 1 || !topics) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Block before librdkafka starts its threads so they inherit it. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("agentlog-test-broker: signalfd() failed");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (start_cluster(&b, (int)partitions, topics))
		goto out;
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(b.mc));
	fflush(stdout);
	serve(&b, sfd);
	rc = 0;
out:
	if (b.mc)
		rd_kafka_mock_cluster_destroy(b.mc);
	if (b.rk)
		rd_kafka_destroy(b.rk);
	free(topics);
	return rc;
}
