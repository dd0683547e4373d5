/*
 * metrics.c: load agentlogd-metrics.so when --metrics-listen asks for it,
 * and drive it from the loop thread (see metrics_http.h).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics_http.h"
#include "server.h"
#include "status.h"

#ifndef AGENTLOG_LIBDIR
#define AGENTLOG_LIBDIR "lib"
#endif

struct metrics_http {
	void *dl;
	void *mod;
	metrics_update_fn update;
	metrics_stop_fn stop;
};

/* $AGENTLOG_MODULE_DIR, else next to the executable, else ../<libdir>/agentlog. */
static void metrics_module_path(char *out, size_t outlen)
{
	const char *dir = getenv("AGENTLOG_MODULE_DIR");
	if (dir && *dir) {
		snprintf(out, outlen, "%s/%s", dir, METRICS_MODULE);
		return;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
	if (slash == NULL) {
		snprintf(out, outlen, "%s", METRICS_MODULE);   /* the loader's search */
		return;
	}
	*slash = '\0';
	snprintf(out, outlen, "%s/%s", exe, METRICS_MODULE);
	if (access(out, F_OK) != 0)
		snprintf(out, outlen, "%s/../%s/agentlog/%s", exe, AGENTLOG_LIBDIR,
			 METRICS_MODULE);
}

static char *metrics_render(void *arg)
{
	return status_prometheus(arg);
}

int metrics_http_start(struct server *s, const char *listen,
		       struct metrics_http **out, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	metrics_module_path(path, sizeof path);
	struct metrics_http *m = calloc(1, sizeof *m);
	if (m == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		snprintf(err, errlen, "--metrics-listen: cannot load %s", dlerror());
		goto fail;
	}
	metrics_start_fn start = (metrics_start_fn)dlsym(m->dl, METRICS_START);
	m->update = (metrics_update_fn)dlsym(m->dl, METRICS_UPDATE);
	m->stop = (metrics_stop_fn)dlsym(m->dl, METRICS_STOP);
	if (start == NULL || m->update == NULL || m->stop == NULL) {
		snprintf(err, errlen, "--metrics-listen: %s is not agentlogd's metrics module", path);
		goto fail;
	}
	if (start(listen, metrics_render, s, &m->mod, err, errlen) < 0)
		goto fail;
	log_info("metrics on http://%s/metrics", listen);
	*out = m;
	return 0;
fail:
	if (m->dl)
		dlclose(m->dl);
	free(m);
	return -1;
}

void metrics_http_update(struct metrics_http *m)
{
	m->update(m->mod);
}

void metrics_http_stop(struct metrics_http *m)
{
	if (m == NULL)
		return;
	m->stop(m->mod);
	dlclose(m->dl);
	free(m);
}
