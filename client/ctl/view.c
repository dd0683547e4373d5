/*
 * view.c: status, trace and replay, run from agentlogctl-view.so (see
 * module.c for why they are not in the executable).
 */
#include <dlfcn.h>

#include "ctl.h"

#define VIEW_MODULE "agentlogctl-view.so"

int ctl_cmd_view(const struct ctl_cmd *cmd, int argc, char **argv)
{
	char err[512];
	ctl_handler fn;
	void *h;

	h = ctl_module_open(VIEW_MODULE, err, sizeof(err));
	if (!h) {
		ctl_warn("%s", err);
		return CTL_FAIL;
	}
	*(void **)&fn = dlsym(h, cmd->data);
	if (!fn) {
		ctl_warn("%s: no %s", VIEW_MODULE, (const char *)cmd->data);
		return CTL_FAIL;
	}
	return fn(cmd, argc, argv);
}
