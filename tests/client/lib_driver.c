/*
 * lib_driver.c: one libagentlog handle driven over stdin, for tests that
 * restart the real daemon under a long-lived client.
 *
 *   lib_driver SOCKET JOURNAL_DIR
 *   stdin:  "send N TAG"   send N events named TAG-0 .. TAG-(N-1)
 *           "wait TAG"     one event in acknowledged mode
 *   stdout: "sent S inboxed I failed F" per command
 */
#include <stdio.h>
#include <string.h>

#include "agentlog.h"

#define CORR "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"

static int event(char *buf, size_t cap, const char *tag, int i)
{
	return snprintf(buf, cap, "{\"type\":\"agent_action\",\"correlation_id\":"
			"\"" CORR "\",\"agent_name\":\"driver\",\"action_type\":"
			"\"tool_call\",\"action_name\":\"%s-%d\"}", tag, i);
}

int main(int argc, char **argv)
{
	char line[256], tag[64], ev[512], id[AGENTLOG_UUID_LEN + 1];
	struct agentlog_opts o;
	agentlog_t *h;
	int n, i, rc, c[3];

	if (argc != 3)
		return 2;
	agentlog_opts_init(&o);
	o.socket_path = argv[1];
	o.journal_dir = argv[2];
	if (agentlog_open(&h, &o) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		memset(c, 0, sizeof(c));
		if (sscanf(line, "send %d %63s", &n, tag) == 2) {
			for (i = 0; i < n; i++) {
				rc = agentlog_send(h, ev, (size_t)event(ev, sizeof(ev), tag, i));
				c[rc == 0 ? 0 : rc == AGENTLOG_INBOXED ? 1 : 2]++;
			}
		} else if (sscanf(line, "wait %63s", tag) == 1) {
			rc = agentlog_send_wait(h, ev, (size_t)event(ev, sizeof(ev), tag, 0), id);
			c[rc == 0 ? 0 : rc == AGENTLOG_INBOXED ? 1 : 2]++;
		} else {
			return 2;
		}
		printf("sent %d inboxed %d failed %d\n", c[0], c[1], c[2]);
	}
	agentlog_close(h);
	return 0;
}
