/*
 * module.c: finding agentlogctl's companions (agentlogctl-view,
 * agentlog-kafka.so) and handing a command over to agentlogctl-view.
 *
 * agentlogctl is started once per event by hooks, so it is as light as
 * possible (a static executable, libc only): the commands that need cJSON
 * (status, trace, replay, hook) are in agentlogctl-view, an ordinary dynamic
 * executable it runs with execv(), and the Kafka reader is
 * agentlog-kafka.so, which agentlogctl-view loads with dlopen() only when
 * it reads Kafka.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#ifndef AGENTLOG_LIBDIR
#define AGENTLOG_LIBDIR "lib"
#endif

int ctl_module_path(const char *name, char *out, size_t outlen)
{
	char exe[PATH_MAX], *slash;
	const char *dir = getenv("AGENTLOG_MODULE_DIR");
	ssize_t n;

	if (dir && *dir) {
		snprintf(out, outlen, "%s/%s", dir, name);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !(slash = memrchr(exe, '/', (size_t)n)))
		return -1;
	*slash = '\0';
	snprintf(out, outlen, "%s/%s", exe, name);
	if (access(out, F_OK) == 0)
		return 0;
	snprintf(out, outlen, "%s/../%s/agentlog/%s", exe, AGENTLOG_LIBDIR, name);
	return 0;
}

int ctl_module_exec(const char *name, int argc, char **argv)
{
	char path[PATH_MAX + 64];
	char **av;
	int i;

	if (ctl_module_path(name, path, sizeof(path)) < 0) {
		ctl_warn("cannot find the executable's directory");
		return CTL_FAIL;
	}
	av = calloc((size_t)argc + 2, sizeof(*av));
	if (!av)
		return CTL_FAIL;
	av[0] = path;
	for (i = 0; i < argc; i++)
		av[i + 1] = argv[i];
	fflush(stdout);
	execv(path, av);
	ctl_warn("cannot run %s: %s", path, strerror(errno));
	free(av);
	return CTL_FAIL;
}
