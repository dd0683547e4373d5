/*
 * bench_ingest: how fast agentlogd takes events off its socket into the
 * journal, against the ceiling of this machine: a reader that does nothing
 * but read() and discard, measured in the same run with the same senders.
 *
 * usage: bench_ingest --socket PATH [--senders 4] [--events 1000000]
 *        bench_ingest --discard [--senders 4] [--events 1000000]
 *
 * Each sender thread writes its share of ~400-byte events over one stream
 * connection in 64 KiB writes.  Against the daemon, the clock stops when
 * ".status" reports every event accepted; against --discard, when the
 * reader has read every byte.  Prints one line: events, seconds, events/s.
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

/* Ask the daemon how many events it accepted (".status"). */
static long bench_accepted(void)
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
	static const char key[] = "\"events\":{\"accepted\":";
	const char *p = strstr(buf, key);
	return p ? atol(p + sizeof key - 1) : -1;
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

int main(int argc, char **argv)
{
	int discard = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			bench_sock = argv[++i];
		else if (!strcmp(argv[i], "--senders") && i + 1 < argc)
			bench_senders = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--events") && i + 1 < argc)
			bench_events = atol(argv[++i]);
		else if (!strcmp(argv[i], "--discard"))
			discard = 1;
		else {
			fprintf(stderr, "usage: bench_ingest (--socket PATH | --discard) [--senders N] [--events N]\n");
			return 2;
		}
	}
	if (bench_senders < 1 || bench_senders > 64 || (!discard && !bench_sock))
		return 2;
	bench_build();
	long total = bench_events / bench_senders * bench_senders;

	pthread_t reader;
	char path[108];
	int lfd = -1;
	long base = 0;
	if (discard) {
		snprintf(path, sizeof path, "/tmp/bench-discard-%ld.sock", (long)getpid());
		unlink(path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
		if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 64) < 0) {
			perror("bind");
			return 1;
		}
		bench_sock = path;
		pthread_create(&reader, NULL, bench_discard, &lfd);
	} else {
		base = bench_accepted();
	}

	double t0 = bench_now();
	pthread_t th[64];
	for (int i = 0; i < bench_senders; i++)
		pthread_create(&th[i], NULL, bench_sender, NULL);
	for (int i = 0; i < bench_senders; i++)
		pthread_join(th[i], NULL);
	if (discard) {
		pthread_join(reader, NULL);
		close(lfd);
		unlink(path);
	} else {
		while (bench_accepted() - base < total) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);   /* polling the daemon's own count */
		}
	}
	double dt = bench_now() - t0;
	printf("%s events=%ld senders=%d bytes_per_event=%zu seconds=%.3f events_per_s=%.0f\n",
	       discard ? "discard" : "agentlogd", total, bench_senders,
	       bench_len / (size_t)(bench_events / bench_senders), dt, (double)total / dt);
	free(bench_data);
	return 0;
}
