/*
 * send.c: agentlogctl send: raw events from an argument or from stdin
 * (newline-delimited, streamed, any size, one connection).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/*
 * An event without a "correlation_id" member gets the one from
 * --correlation-id or the environment (else a new one) spliced in after
 * its '{'.  Returns the line to send: line itself, or *buf (malloc'd).
 */
static const char *send_add_corr(struct ctl_publish *p, const char *line,
				 size_t *len, char **buf)
{
	static const char key[] = "\"correlation_id\"";
	size_t open = 0, next, n;
	char *out;

	if (memmem(line, *len, key, sizeof(key) - 1))
		return line;
	while (open < *len && strchr(" \t\r", line[open]))
		open++;
	if (open == *len || line[open] != '{')
		return line;    /* not an object: the validator says why */
	next = open + 1;
	while (next < *len && strchr(" \t\r", line[next]))
		next++;
	ctl_publish_corr(p);
	n = *len + sizeof(key) + PROTO_UUID_LEN + 4;
	out = realloc(*buf, n);
	if (!out)
		return line;
	*buf = out;
	n = (size_t)snprintf(out, n, "%.*s%s:\"%s\"%s", (int)(open + 1), line, key,
			     p->corr_id, next < *len && line[next] == '}' ? "" : ",");
	memcpy(out + n, line + open + 1, *len - open - 1);
	*len = n + *len - open - 1;
	return out;
}

/* Publish one line (empty lines are skipped, as the daemon does). */
static void send_one(struct ctl_publish *p, const char *line, size_t len,
		     char **buf)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0)
		return;
	line = send_add_corr(p, line, &len, buf);
	ctl_publish_line(p, line, len);
}

/* Stream stdin, one event per line, over one connection. */
static void send_stdin(struct ctl_publish *p)
{
	char *line = NULL, *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0)
		send_one(p, line, (size_t)n, &buf);
	free(line);
	free(buf);
}

int ctl_cmd_send(const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		CTL_PUBLISH_OPTS,
		{ 0 }
	};
	struct ctl_publish p = { 0 };
	char *buf = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "ht:", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(cmd, stdout, 1);
			return CTL_OK;
		}
		if (c == 't') {
			p.type = optarg;
			continue;
		}
		r = ctl_publish_opt(&p, c, optarg);
		if (r < 0)
			return CTL_USAGE;
		if (r == 0)
			return ctl_usage_error(cmd, "bad option");
	}
	if (argc - optind > 1)
		return ctl_usage_error(cmd, "one EVENT at most (or '-' for stdin)");
	if (ctl_publish_open(&p) != CTL_OK)
		return p.worst;
	if (optind == argc || !strcmp(argv[optind], "-"))
		send_stdin(&p);
	else
		send_one(&p, argv[optind], strlen(argv[optind]), &buf);
	free(buf);
	ctl_publish_close(&p);
	fflush(stdout);
	return p.worst;
}
