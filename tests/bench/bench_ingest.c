/*
 * bench_ingest: how fast a daemon takes events off its socket, against the
 * ceiling of this machine: a reader that does nothing but read() and
 * discard, measured in the same run with the same senders.
 *
 * usage: bench_ingest --socket PATH [--senders 4] [--events 1000000]
 *                     [--until accepted|delivered|watermarks]
 *                     [--bootstrap B --topics T1,T2] [--pid PID]
 *                     [--stall S]
 *        bench_ingest --discard [--senders 4] [--events 1000000]
 *
 * Each sender thread writes its share of ~400-byte events over one stream
 * connection in 64 KiB writes.  The clock stops
 *   --discard               when the reader has read every byte;
 *   --until accepted        (default) when agentlogd's ".status" counts every
 *                           event accepted (socket -> journal);
 *   --until delivered       when ".status" counts every event delivered to
 *                           Kafka (socket -> Kafka acknowledged);
 *   --until watermarks      when the high watermarks of --topics grew by
 *                           the number of events (any daemon: rsyslog,
 *                           syslog-ng, ... forwarding to the same broker).
 * With --pid, also the CPU seconds that process used between the first
 * write and the stop (all threads, /proc/PID/stat) and its peak RSS
 * (VmHWM) at the stop.  Prints one line of key=value pairs.  When the
 * count stops short (no progress for --stall seconds, default 10: a daemon
 * that lost events), the figures are of the events counted, up to the
 * last one, with lost=N, and the exit status is 3.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_wm.h"

static const char *bench_sock;
static long bench_events = 1000000;
static int bench_senders = 4;
static char *bench_data;       /* one sender's whole stream */
static size_t bench_len;

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ~400 bytes, a realistic routing decision with a distinct correlation id. */
static size_t bench_event(char *out, long i)
{
	return (size_t)sprintf(out,
		"{\"type\":\"routing_decision\",\"correlation_id\":\"%08lx-b7d0-4a47-86bf-7ec298ce2c81\","
		"\"selected_agent\":\"agent-performance\",\"confidence_score\":0.92,"
		"\"routing_strategy\":\"enhanced_fuzzy_matching\",\"routing_time_ms\":45,"
		"\"user_request\":\"optimize my database queries please, they are slow\","
		"\"reasoning\":\"High confidence match on 'optimize' and 'performance' triggers\","
		"\"alternatives\":[\"agent-api\",\"agent-debug\"],\"context\":{\"domain\":\"db\",\"n\":%ld}}\n",
		(unsigned long)(i % 1000), i);
}

static void bench_build(void)
{
	long per = bench_events / bench_senders;
	bench_data = malloc((size_t)per * 512);
	for (long i = 0; i < per; i++)
		bench_len += bench_event(bench_data + bench_len, i);
}

static int bench_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", bench_sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void *bench_sender(void *arg)
{
	int fd = bench_connect();
	for (size_t off = 0; off < bench_len; ) {
		size_t n = bench_len - off < 65536 ? bench_len - off : 65536;
		ssize_t w = write(fd, bench_data + off, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("write");
			exit(1);
		}
		off += (size_t)w;
	}
	close(fd);
	return NULL;
}

/* Ask agentlogd for one counter of its ".status" reply: key is the JSON
 * text just before the number, e.g. "\"delivered\":". */
static long bench_status(const char *key)
{
	int fd = bench_connect();
	if (write(fd, ".status\n", 8) != 8)
		exit(1);
	static char buf[1 << 16];
	size_t len = 0;
	while (len < sizeof buf - 1) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			break;
	}
	close(fd);
	buf[len] = '\0';
	const char *p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

/* The ceiling: one thread polls every connection and discards the bytes. */
static void *bench_discard(void *arg)
{
	int lfd = *(int *)arg;
	int fds[64];
	struct pollfd pfd[64];
	for (int i = 0; i < bench_senders; i++)
		fds[i] = accept(lfd, NULL, NULL);
	size_t want = bench_len * (size_t)bench_senders, got = 0;
	static char buf[65536];
	while (got < want) {
		for (int i = 0; i < bench_senders; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		poll(pfd, (nfds_t)bench_senders, 1000);
		for (int i = 0; i < bench_senders; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(fds[i], buf, sizeof buf);
			if (n > 0)
				got += (size_t)n;
		}
	}
	for (int i = 0; i < bench_senders; i++)
		close(fds[i]);
	return NULL;
}

/* What the clock waits for, once every sender has written everything. */
enum bench_until { UNTIL_ACCEPTED, UNTIL_DELIVERED, UNTIL_WATERMARKS };

static const char *const bench_until_names[] = { "accepted", "delivered",
						  "watermarks" };
static const char *const bench_status_keys[] = {
	"\"events\":{\"accepted\":", "\"delivered\":", NULL };

static long long bench_count(enum bench_until u)
{
	if (u == UNTIL_WATERMARKS)
		return wm_total();
	return bench_status(bench_status_keys[u]);
}

/* Polls the count until it grew by total (1 ms apart: the daemon's own
 * count is the clock), or until it has not moved for stall seconds (a
 * daemon that lost events).  Returns how many it counted; *t_last is when
 * the count last moved. */
static long long bench_wait(enum bench_until u, long long base, long total,
			    double stall, double *t_last)
{
	long long n, seen = -1;

	*t_last = bench_now();
	while ((n = bench_count(u)) - base < total) {
		struct timespec ms = { 0, 1000000 };

		if (n < 0)
			return -1;
		if (n != seen) {
			seen = n;
			*t_last = bench_now();
		} else if (bench_now() - *t_last > stall) {
			fprintf(stderr, "bench_ingest: %lld of %ld events %s, "
				"none for %.0f s\n", n - base, total,
				bench_until_names[u], stall);
			return n - base;
		}
		nanosleep(&ms, NULL);
	}
	*t_last = bench_now();
	return n - base;
}

/* The ceiling run's listening socket, served by bench_discard. */
static int bench_listen(char *path, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(path, len, "/tmp/bench-discard-%ld.sock", (long)getpid());
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("bind");
		exit(1);
	}
	return lfd;
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: bench_ingest (--socket PATH | --discard) "
		"[--senders N] [--events N]\n"
		"       [--until accepted|delivered|watermarks] "
		"[--bootstrap B --topics T] [--pid PID] [--stall S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *topics = NULL;
	enum bench_until until = UNTIL_ACCEPTED;
	double stall = 10, cpu0 = 0;
	long long counted;
	int discard = 0;
	pid_t pid = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--discard")) {
			discard = 1;
			continue;
		}
		if (!v)
			bench_usage();
		i++;
		if (!strcmp(argv[i - 1], "--socket"))
			bench_sock = v;
		else if (!strcmp(argv[i - 1], "--senders"))
			bench_senders = atoi(v);
		else if (!strcmp(argv[i - 1], "--events"))
			bench_events = atol(v);
		else if (!strcmp(argv[i - 1], "--bootstrap"))
			bootstrap = v;
		else if (!strcmp(argv[i - 1], "--topics"))
			topics = v;
		else if (!strcmp(argv[i - 1], "--pid"))
			pid = (pid_t)atol(v);
		else if (!strcmp(argv[i - 1], "--stall"))
			stall = atof(v);
		else if (!strcmp(argv[i - 1], "--until")) {
			until = !strcmp(v, "delivered") ? UNTIL_DELIVERED :
				!strcmp(v, "watermarks") ? UNTIL_WATERMARKS :
				!strcmp(v, "accepted") ? UNTIL_ACCEPTED : 99;
			if (until == 99)
				bench_usage();
		} else
			bench_usage();
	}
	if (bench_senders < 1 || bench_senders > 64 || (!discard && !bench_sock) ||
	    (until == UNTIL_WATERMARKS && (!bootstrap || !topics)))
		bench_usage();
	if (until == UNTIL_WATERMARKS && wm_open(bootstrap, topics))
		return 1;
	bench_build();
	long total = bench_events / bench_senders * bench_senders;

	pthread_t reader;
	char path[108];
	int lfd = -1;
	long long base = 0;
	if (discard) {
		lfd = bench_listen(path, sizeof path);
		bench_sock = path;
		pthread_create(&reader, NULL, bench_discard, &lfd);
	} else {
		base = bench_count(until);
		if (base < 0)
			return 1;
	}
	if (pid)
		cpu0 = proc_cpu_s(pid);

	double t0 = bench_now(), t_end;
	pthread_t th[64];
	for (int i = 0; i < bench_senders; i++)
		pthread_create(&th[i], NULL, bench_sender, NULL);
	for (int i = 0; i < bench_senders; i++)
		pthread_join(th[i], NULL);
	if (discard) {
		pthread_join(reader, NULL);
		close(lfd);
		unlink(path);
		counted = total;
		t_end = bench_now();
	} else {
		counted = bench_wait(until, base, total, stall, &t_end);
		if (counted < 0)
			return 1;
	}
	/* events that never arrived: the rate is of those that did, up to
	 * the last one; the caller sees lost= and exit status 3 */
	double dt = t_end - t0;
	printf("%s events=%lld senders=%d bytes_per_event=%zu seconds=%.3f "
	       "events_per_s=%.0f lost=%lld",
	       discard ? "discard" : bench_until_names[until], counted,
	       bench_senders, bench_len / (size_t)(bench_events / bench_senders),
	       dt, (double)counted / dt, total - counted);
	if (pid) {
		double cpu = proc_cpu_s(pid) - cpu0;

		printf(" cpu_s=%.3f cpu_s_per_million=%.3f hwm_kib=%ld",
		       cpu, cpu * 1e6 / (double)counted,
		       proc_status_kib(pid, "VmHWM"));
	}
	printf("\n");
	wm_close();
	free(bench_data);
	return counted < total ? 3 : 0;
}
