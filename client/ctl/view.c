/*
 * view.c: status, trace, replay and hook are run by agentlogctl-view (see
 * module.c for why they are not in this executable).
 */
#include <string.h>

#include "ctl.h"

int ctl_cmd_view(const struct ctl_cmd *cmd, int argc, char **argv)
{
	int rc = ctl_module_exec("agentlogctl-view", argc, argv);
	/* The hook's promise is to never fail its caller (Claude Code): the
	 * warning is on stderr, the exit status stays 0. */
	if (strcmp(cmd->name, "hook") == 0)
		return 0;
	return rc;
}
