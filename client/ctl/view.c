/*
 * view.c: status, trace, replay and hook are run by agentlogctl-view (see
 * module.c for why they are not in this executable).
 */
#include "ctl.h"

int ctl_cmd_view(const struct ctl_cmd *cmd, int argc, char **argv)
{
	(void)cmd;
	return ctl_module_exec("agentlogctl-view", argc, argv);
}
