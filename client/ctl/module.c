/*
 * module.c: finding and loading agentlogctl's modules.
 *
 * agentlogctl is started once per event by hooks, so it maps as little as
 * possible: the commands that need cJSON (status, trace, replay) live in
 * agentlogctl-view.so and the Kafka reader in agentlog-kafka.so, both
 * loaded with dlopen() only by the commands that use them.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#ifndef AGENTLOG_LIBDIR
#define AGENTLOG_LIBDIR "lib"
#endif

void *ctl_module_open(const char *name, char *err, size_t errlen)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], *slash;
	const char *dir = getenv("AGENTLOG_MODULE_DIR");
	ssize_t n;
	void *h;

	if (dir && *dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!(h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
			snprintf(err, errlen, "dlopen(%s) failed: %s", path, dlerror());
		return h;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !(slash = memrchr(exe, '/', (size_t)n))) {
		snprintf(err, errlen, "cannot find the executable's directory");
		return NULL;
	}
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", exe, name);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		return h;
	snprintf(path, sizeof(path), "%s/../%s/agentlog/%s", exe, AGENTLOG_LIBDIR,
		 name);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		return h;
	snprintf(err, errlen, "the module %s is not installed (%s)", name,
		 dlerror());
	return NULL;
}
