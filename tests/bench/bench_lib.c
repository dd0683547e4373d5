/*
 * bench_lib.c: agentlog_send() cost per event over many events.
 *
 *   bench_lib [-n EVENTS] [-s SOCKET] [-V]
 *
 * With -s, sends to that socket (a running agentlogd); without, starts a
 * reader thread on a private socket that reads and discards (the daemon's
 * ceiling), so the figure is the library's own cost.  -V validates each event
 * in the library first (AGENTLOG_VALIDATE).  Prints the caller's CPU and wall
 * ns per event and events/s;
 * exits 1 if any send did not reach the socket (inboxed or failed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agentlog.h"

static int lfd = -1;
static volatile long long drained;

static void *reader(void *arg)
{
	char buf[1 << 16];
	ssize_t r;
	int fd;

	(void)arg;
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			drained += r;
		close(fd);
	}
	return NULL;
}

static void start_reader(char *path, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;

	snprintf(path, cap, "/tmp/agentlog-bench-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 8) < 0 || pthread_create(&t, NULL, reader, NULL)) {
		perror("reader");
		exit(1);
	}
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char path[108], ev[512];
	const char *sock = NULL;
	struct agentlog_opts o;
	long i, n = 1000000, bad = 0;
	int c, len;
	agentlog_t *h;
	double t0, t, c0, cpu;

	agentlog_opts_init(&o);
	while ((c = getopt(argc, argv, "n:s:V")) != -1) {
		if (c == 'n')
			n = atol(optarg);
		else if (c == 's')
			sock = optarg;
		else if (c == 'V')
			o.flags |= AGENTLOG_VALIDATE;
		else
			return 2;
	}
	if (!sock) {
		start_reader(path, sizeof(path));
		sock = path;
	}
	o.socket_path = sock;
	o.journal_dir = "/nonexistent-agentlog-bench";   /* never inbox */
	o.flags |= AGENTLOG_NO_INBOX;
	if (agentlog_open(&h, &o) < 0)
		return 1;
	len = snprintf(ev, sizeof(ev), "{\"type\":\"agent_action\","
		       "\"correlation_id\":\"ad12146a-b7d0-4a47-86bf-7ec298ce2c81\","
		       "\"agent_name\":\"polymorphic-agent\",\"action_type\":\"tool_call\","
		       "\"action_name\":\"read_file\",\"action_details\":{\"file_path\":"
		       "\"/path/to/file.py\",\"lines_read\":150},\"debug_mode\":true,"
		       "\"duration_ms\":12}");
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < n; i++)
		bad += agentlog_send(h, ev, (size_t)len) != 0;
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	t = clock_s(CLOCK_MONOTONIC) - t0;
	/* CPU time of the calling thread is what a send costs the caller;
	 * wall time also includes waiting while the reader drains a full
	 * socket buffer (on 2 shared cores, the reader competes for CPU). */
	printf("%ld events of %d bytes: %.0f ns/event CPU of the caller, "
	       "%.0f ns/event wall (%.0f events/s)%s%s\n",
	       n, len, cpu * 1e9 / (double)n, t * 1e9 / (double)n, (double)n / t,
	       o.flags & AGENTLOG_VALIDATE ? " (validated)" : "",
	       lfd >= 0 ? " (in-process reader)" : "");
	if (bad)
		fprintf(stderr, "%ld sends failed: %s\n", bad, agentlog_error(h));
	agentlog_close(h);
	if (lfd >= 0)
		unlink(path);
	return bad ? 1 : 0;
}
