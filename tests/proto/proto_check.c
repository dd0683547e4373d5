/*
 * proto-check: run the C validator over lines of stdin.
 *
 * For each line (split on '\n' only: every other byte is part of the
 * line) print "ok" or "error: <message>", or with --splice the enriched
 * event the daemon would journal.  The schema-agreement test feeds it the
 * corpus; it is also handy by hand:
 *
 *   echo '{"type":"agent_action",...}' | proto-check --splice
 *
 * Options: --type NAME (the default type for lines without one),
 * --splice, --json (check each line is any one JSON value, with
 * proto_json_check(), instead of an event).  Exit status 0, or 2 on a
 * usage or read error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct opts {
	int default_type;
	int splice;
	int json;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	o->default_type = -1;
	o->splice = 0;
	o->json = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--splice") == 0) {
			o->splice = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
		} else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
			i++;
			o->default_type = proto_type_lookup(argv[i],
							    strlen(argv[i]));
			if (o->default_type < 0) {
				fprintf(stderr, "proto-check: unknown type "
					"%s\n", argv[i]);
				return -1;
			}
		} else {
			fprintf(stderr, "usage: proto-check [--type NAME] "
				"[--splice | --json] < lines\n");
			return -1;
		}
	}
	return 0;
}

/* Validate one line and print the verdict. */
static void check_line(const struct opts *o, const char *line, size_t len,
		       struct proto_event *ev, char *out)
{
	static const struct proto_source src = {
		.pid = 1, .uid = 0, .gid = 0, .host = "proto-check",
		.via = "stream",
	};
	char err[PROTO_ERR_MAX];
	uint8_t id[16];
	size_t n;

	if (o->json) {
		if (proto_json_check(line, len, err) != 0)
			printf("error: %s\n", err);
		else
			puts("ok");
		return;
	}
	if (proto_event_parse(ev, line, len, o->default_type, err) != 0) {
		printf("error: %s\n", err);
		return;
	}
	if (!o->splice) {
		puts("ok");
		return;
	}
	proto_event_id_new(id, 1761215400123);
	n = proto_envelope_splice(ev, line, len, id, 1761215400123, &src,
				  out);
	fwrite(out, 1, n, stdout);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct opts o;
	struct proto_event *ev = malloc(sizeof *ev);
	char *line = NULL, *out = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (ev == NULL || parse_args(argc, argv, &o) != 0) {
		rc = 2;
		goto out;
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		free(out);
		out = malloc((size_t)len + PROTO_ENVELOPE_MAX(16));
		if (out == NULL) {
			perror("proto-check: malloc");
			rc = 2;
			goto out;
		}
		check_line(&o, line, (size_t)len, ev, out);
	}
	if (ferror(stdin)) {
		perror("proto-check: read");
		rc = 2;
	}
out:
	free(ev);
	free(line);
	free(out);
	return rc;
}
