/*
 * status.c: agentlogctl status and ping: the daemon's control requests.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "jsonout.h"

#define STATUS_REPLY_MAX (1024 * 1024)

struct status_opts {
	const char *socket;
	int json;
	int timeout_ms;
};

/* Parse --socket, --json, --timeout, --help.  -1 to go on, else exit code. */
static int status_parse(const struct ctl_cmd *cmd, struct status_opts *o,
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

/* Send request; the reply goes into a malloc'd *reply.  Returns its length. */
static int status_request(const struct status_opts *o, const char *request,
			  char **reply)
{
	struct agentlog_opts ao;
	agentlog_t *h;
	int n;

	agentlog_opts_init(&ao);
	ao.socket_path = o->socket;
	ao.timeout_ms = o->timeout_ms;
	n = agentlog_open(&h, &ao);
	if (n < 0) {
		ctl_warn("%s", strerror(-n));
		return n;
	}
	*reply = malloc(STATUS_REPLY_MAX);
	n = *reply ? agentlog_request(h, request, *reply, STATUS_REPLY_MAX) : -1;
	if (n < 0)
		ctl_warn("agentlogd unreachable: %s", agentlog_error(h));
	agentlog_close(h);
	return n;
}

/* Print one member as "  prefix.key  value", recursing into objects. */
static void status_print(const cJSON *it, const char *prefix, int depth)
{
	char name[256];
	const cJSON *c;

	snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
		 it->string ? it->string : "");
	if (cJSON_IsObject(it) && depth < 8) {
		cJSON_ArrayForEach(c, it)
			status_print(c, it->string ? name : prefix, depth + 1);
		return;
	}
	printf("%-32s ", name);
	if (cJSON_IsString(it))
		jsonout_str(stdout, it->valuestring, strlen(it->valuestring), 0);
	else if (cJSON_IsNumber(it) && it->valuedouble == (double)(long long)it->valuedouble)
		printf("%lld", (long long)it->valuedouble);
	else {
		char *s = cJSON_PrintUnformatted(it);
		fputs(s ? s : "?", stdout);
		free(s);
	}
	fputc('\n', stdout);
}

int ctl_cmd_status(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct status_opts o = { 0 };
	char *reply = NULL;
	cJSON *j;
	int n;

	if ((n = status_parse(cmd, &o, argc, argv)) >= 0)
		return n;
	n = status_request(&o, ".status", &reply);
	if (n < 0) {
		free(reply);
		return CTL_FAIL;
	}
	if (o.json) {
		printf("%s\n", reply);
	} else if ((j = cJSON_Parse(reply))) {
		status_print(j, "", 0);
		cJSON_Delete(j);
	} else {
		printf("%s\n", reply);
	}
	free(reply);
	return CTL_OK;
}

int ctl_cmd_ping(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct status_opts o = { 0 };
	struct timespec t0, t1;
	char *reply = NULL;
	double ms;
	int n;

	if ((n = status_parse(cmd, &o, argc, argv)) >= 0)
		return n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = status_request(&o, ".ping", &reply);
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
