/*
 * source_kafka.c: load the Kafka module and open its source.
 *
 * agentlogctl itself never links librdkafka: starting a binary linked
 * with it costs about three times as much, and every `agentlogctl send`
 * would pay that.  The Kafka reader lives in agentlog-kafka.so, loaded
 * here only when trace/replay read Kafka.  A module (rather than a second
 * executable) keeps one implementation of filtering, de-duplication,
 * ordering and rendering for both sources, with no pipe in between.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>

#include "ctl.h"
#include "source.h"

#define MODULE_NAME "agentlog-kafka.so"

void *ctl_module_open(const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	void *h;

	if (ctl_module_path(name, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "cannot find the executable's directory");
		return NULL;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		snprintf(err, errlen, "cannot load %s: %s", name, dlerror());
	return h;
}

struct src *src_kafka_open(const struct src_opts *o, char *err, size_t errlen)
{
	src_kafka_open_fn fn;
	void *h;

	h = ctl_module_open(MODULE_NAME, err, errlen);
	if (!h)
		return NULL;
	*(void **)&fn = dlsym(h, SRC_KAFKA_SYMBOL);
	if (!fn) {
		snprintf(err, errlen, "%s: no %s", MODULE_NAME, SRC_KAFKA_SYMBOL);
		dlclose(h);
		return NULL;
	}
	/* The module stays loaded until exit: its source may outlive us. */
	return fn(SRC_ABI_VERSION, o, err, errlen);
}
