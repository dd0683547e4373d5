/*
 * status.h: agentlogctl status.
 *
 * Files:
 *   status.c       the subcommand: the request, --json (the daemon's reply
 *                  unchanged), the exit status
 *   status_text.c  the human form: a few labelled lines an operator reads
 *                  at a glance, problems last
 */
#ifndef AGENTLOG_CTL_STATUS_H
#define AGENTLOG_CTL_STATUS_H

#include <stdio.h>

struct cJSON;

/*
 * Print the daemon's .status reply st (a parsed object) as text on out.
 * socket is the path the request went to (NULL: not shown); color adds
 * ANSI bold red to what is wrong.  Members missing from st (an older
 * daemon) leave their part out; unknown members are ignored.
 */
void status_text_print(FILE *out, const struct cJSON *st, const char *socket,
		       int color);

#endif
