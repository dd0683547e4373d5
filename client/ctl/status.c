/*
 * status.c: agentlogctl status: ask agentlogd for its .status and print
 * it, unchanged with --json, else as text (status_text.c).
 */
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "status.h"

int ctl_cmd_status(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_request_opts o = { 0 };
	char *reply = NULL;
	cJSON *j;
	int n;

	if ((n = ctl_request_parse(cmd, &o, argc, argv)) >= 0)
		return n;
	n = ctl_request(&o, ".status", &reply);
	if (n < 0) {
		free(reply);
		return CTL_FAIL;
	}
	j = o.json ? NULL : cJSON_Parse(reply);
	if (cJSON_IsObject(j))
		status_text_print(stdout, j, o.socket_used[0] ? o.socket_used : NULL,
				  isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	else
		printf("%s\n", reply);  /* --json, or a reply that is not ours */
	cJSON_Delete(j);
	free(reply);
	return CTL_OK;
}
