/*
 * source_kafka.c: load the Kafka module and open its source.
 *
 * agentlogctl itself never links librdkafka: starting a binary linked
 * with it costs about three times as much, and every `agentlogctl send`
 * would pay that.  The Kafka reader lives in agentlog-kafka.so, loaded
 * here only by trace/replay --from kafka.  A module (rather than a second
 * executable) keeps one implementation of filtering, de-duplication,
 * ordering and rendering for both sources, with no pipe in between.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

#ifndef AGENTLOG_LIBDIR
#define AGENTLOG_LIBDIR "lib"
#endif
#define MODULE_NAME "agentlog-kafka.so"

/* dlopen the first of: $AGENTLOG_KAFKA_MODULE, next to the executable
 * (the build tree), <exe>/../<libdir>/agentlog/ (an installed tree). */
static void *kafka_dlopen(char *err, size_t errlen)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], *slash;
	const char *env = getenv("AGENTLOG_KAFKA_MODULE");
	ssize_t n;
	void *h;

	if (env && *env) {
		h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			snprintf(err, errlen, "dlopen(%s) failed: %s", env, dlerror());
		return h;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(err, errlen, "cannot find the executable's directory");
		return NULL;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", exe, MODULE_NAME);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		return h;
	snprintf(path, sizeof(path), "%s/../%s/agentlog/%s", exe, AGENTLOG_LIBDIR,
		 MODULE_NAME);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		return h;
	snprintf(err, errlen, "the Kafka module %s is not installed: %s",
		 MODULE_NAME, dlerror());
	return NULL;
}

struct src *src_kafka_open(const struct src_opts *o, char *err, size_t errlen)
{
	src_kafka_open_fn fn;
	void *h;

	h = kafka_dlopen(err, errlen);
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
