/*
 * test_inbox.c: the inbox under contention.  Many processes append while
 * a "daemon" keeps taking the file away exactly as the inbox protocol
 * says (client/lib/inbox.c: rename, flock once, read, unlink).  Every
 * event must be found exactly once, whole, and each writer's events in
 * the order it wrote them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentlog.h"
#include "record.h"
#include "tutil.h"

#define WRITERS 8
#define EVENTS 400
#define CORR "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"

/*
 * A writer appends half its events, waits until the "daemon" has taken the
 * file once (the gate pipe closes), then appends the rest: the takes
 * interleave with the appends whatever the scheduler does.
 */
static void writer(const char *jdir, int w, int gate)
{
	struct agentlog_opts o;
	char ev[256];
	agentlog_t *h;
	int i, n;

	agentlog_opts_init(&o);
	o.socket_path = "/nonexistent/agentlogd.sock";
	o.journal_dir = jdir;
	CHECK(agentlog_open(&h, &o) == 0);
	for (i = 0; i < EVENTS; i++) {
		char c;
		if (i == EVENTS / 2)
			while (read(gate, &c, 1) < 0 && errno == EINTR)
				;
		n = snprintf(ev, sizeof(ev), "{\"type\":\"agent_action\","
			     "\"correlation_id\":\"" CORR "\",\"agent_name\":\"w%d\","
			     "\"action_type\":\"success\",\"action_name\":\"e%d\"}",
			     w, i);
		CHECK_INT(agentlog_send(h, ev, (size_t)n), AGENTLOG_INBOXED);
	}
	agentlog_close(h);
	_exit(0);
}

/* Take the inbox away once (the daemon's side of the protocol); append
 * what it held to out.  Returns 1 when there was a file. */
static int take(const char *inbox, const char *work, FILE *out)
{
	size_t len;
	char *buf;
	int fd;

	if (rename(inbox, work) < 0) {
		CHECK(errno == ENOENT);
		return 0;
	}
	fd = open(work, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(flock(fd, LOCK_EX) == 0);   /* wait out a writer mid-append */
	buf = tu_read(work, &len);
	CHECK(buf != NULL);
	fwrite(buf, 1, len, out);
	free(buf);
	CHECK(unlink(work) == 0);
	close(fd);
	return 1;
}

int main(void)
{
	const char *dir = tu_tmpdir();
	char jdir[256], inbox[300], work[300], all[300];
	int seen[WRITERS][EVENTS], next[WRITERS] = { 0 };
	int w, i, status, running, takes = 0;
	pid_t pids[WRITERS];
	size_t len, off = 0;
	struct rec r;
	const char *a;
	FILE *out;
	char *buf;

	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(inbox, sizeof(inbox), "%s/inbox/pending.rec", jdir);
	snprintf(work, sizeof(work), "%s/inbox/ingesting.rec", jdir);
	snprintf(all, sizeof(all), "%s/all.rec", dir);
	out = fopen(all, "w");
	CHECK(out != NULL);
	int gate[2];
	CHECK(pipe(gate) == 0);
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		CHECK(pids[w] >= 0);
		if (pids[w] == 0) {
			close(gate[1]);
			writer(jdir, w, gate[0]);
		}
	}
	close(gate[0]);
	while ((takes += take(inbox, work, out)) == 0)
		usleep(1000);           /* until a first writer has appended */
	close(gate[1]);                 /* the second halves go ahead */
	for (running = WRITERS; running > 0;) {
		/* A daemon takes the inbox every few seconds; this one every
		 * 2 ms: still far more often, without starving the writers. */
		usleep(2000);
		takes += take(inbox, work, out);
		while (waitpid(-1, &status, WNOHANG) > 0) {
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			running--;
		}
	}
	takes += take(inbox, work, out);
	fclose(out);
	CHECK(takes > 1);               /* the file really was taken mid-way */
	memset(seen, 0, sizeof(seen));
	buf = tu_read(all, &len);
	CHECK(buf != NULL);
	while (off < len) {
		CHECK_INT(rec_decode(buf + off, len - off, &r), REC_OK);
		a = memmem(r.value, r.value_len, "\"agent_name\":\"w", 15);
		CHECK(a != NULL);
		CHECK(sscanf(a + 15, "%d\",\"action_type\":\"success\","
			     "\"action_name\":\"e%d", &w, &i) == 2);
		CHECK(w >= 0 && w < WRITERS && i >= 0 && i < EVENTS);
		CHECK_INT(seen[w][i], 0);       /* never twice */
		CHECK_INT(i, next[w]);          /* each writer's order kept */
		seen[w][i] = 1;
		next[w]++;
		off += r.len;
	}
	for (w = 0; w < WRITERS; w++)
		CHECK_INT(next[w], EVENTS);     /* never lost */
	free(buf);
	printf("ok: %d events, inbox taken %d times\n", WRITERS * EVENTS, takes);
	return 0;
}
