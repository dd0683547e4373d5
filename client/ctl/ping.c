/*
 * ping.c: agentlogctl ping, and the control-request plumbing status shares
 * (status itself lives with the commands that need cJSON, in the view
 * module: see view.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define CTL_REPLY_MAX (1024 * 1024)

int ctl_request_parse(const struct ctl_cmd *cmd, struct ctl_request_opts *o,
		      int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': ctl_usage(cmd, stdout, 1); return CTL_OK;
		case 'S': o->socket = optarg; break;
		case 'j': o->json = 1; break;
		case 'T':
			o->timeout_ms = atoi(optarg);
			if (o->timeout_ms <= 0)
				return ctl_usage_error(cmd, "--timeout: expects ms");
			break;
		default: return ctl_usage_error(cmd, "bad option");
		}
	}
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int ctl_request(struct ctl_request_opts *o, const char *request,
		char **reply)
{
	struct agentlog_opts ao;
	const char *err;
	agentlog_t *h;
	int n;

	agentlog_opts_init(&ao);
	ao.socket_path = o->socket;
	ao.timeout_ms = o->timeout_ms;
	o->socket_used[0] = '\0';
	n = agentlog_open(&h, &ao);
	if (n < 0) {
		ctl_warn("%s%s%s", o->socket ? o->socket : "",
			 o->socket ? ": " : "", strerror(-n));
		return n;
	}
	snprintf(o->socket_used, sizeof(o->socket_used), "%s",
		 agentlog_socket_path(h));
	*reply = malloc(CTL_REPLY_MAX);
	n = *reply ? agentlog_request(h, request, *reply, CTL_REPLY_MAX) : -1;
	if (n < 0) {
		/* Name the socket, unless the library's message already does
		 * (a failed connect() does; a timeout does not). */
		err = agentlog_error(h);
		if (strstr(err, o->socket_used))
			ctl_warn("agentlogd unreachable: %s", err);
		else
			ctl_warn("agentlogd unreachable on %s: %s",
				 o->socket_used, err);
	}
	agentlog_close(h);
	return n;
}

int ctl_cmd_ping(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_request_opts o = { 0 };
	struct timespec t0, t1;
	char *reply = NULL;
	double ms;
	int n;

	if ((n = ctl_request_parse(cmd, &o, argc, argv)) >= 0)
		return n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = ctl_request(&o, ".ping", &reply);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n < 0) {
		free(reply);
		return CTL_FAIL;
	}
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (o.json)
		printf("%s\n", reply);
	else
		printf("pong from agentlogd in %.3f ms: %s\n", ms, reply);
	free(reply);
	return CTL_OK;
}
