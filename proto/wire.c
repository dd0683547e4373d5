/*
 * wire.c: where the daemon and its senders meet on this machine.
 *
 * Both sides resolve the same paths by the same rules (wire.h), from the
 * environment and the effective uid only; nothing is created here (the
 * daemon creates its directories with mode 0700, a client only connects).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "wire.h"

/* An environment variable, or NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* An XDG base directory variable: the XDG spec says a relative one is
 * invalid and must be ignored. */
static const char *xdg_env(const char *name)
{
	const char *v = env(name);

	return v != NULL && v[0] == '/' ? v : NULL;
}

/* snprintf into out; -1 when the result does not fit. */
__attribute__((format(printf, 3, 4)))
static int fmt(char *out, size_t outlen, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, outlen, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Resolve the stream socket path (see wire.h). */
int proto_socket_path(char *out, size_t outlen)
{
	const char *v;

	if ((v = env("AGENTLOG_SOCKET")) != NULL)
		return fmt(out, outlen, "%s", v);
	if ((v = xdg_env("XDG_RUNTIME_DIR")) != NULL)
		return fmt(out, outlen, "%s/agentlog/%s", v, PROTO_SOCKET_NAME);
	if (geteuid() == 0)
		return fmt(out, outlen, "/run/agentlog/%s", PROTO_SOCKET_NAME);
	return fmt(out, outlen, "/tmp/agentlog-%u/%s", (unsigned)geteuid(),
		   PROTO_SOCKET_NAME);
}

/* Resolve the datagram socket path (see wire.h). */
int proto_dgram_path(const char *stream_path, char *out, size_t outlen)
{
	const char *v;
	size_t n = strlen(stream_path);

	if ((v = env("AGENTLOG_DGRAM_SOCKET")) != NULL)
		return fmt(out, outlen, "%s", v);
	/* Derived from the stream path, so daemons on two stream sockets in
	 * one directory never share a datagram socket. */
	if (n > 5 && strcmp(stream_path + n - 5, ".sock") == 0)
		return fmt(out, outlen, "%.*s.dgram", (int)(n - 5), stream_path);
	return fmt(out, outlen, "%s.dgram", stream_path);
}

/* Resolve the journal directory (see wire.h). */
int proto_journal_dir(char *out, size_t outlen)
{
	const char *v;

	if ((v = env("AGENTLOG_JOURNAL_DIR")) != NULL)
		return fmt(out, outlen, "%s", v);
	if ((v = xdg_env("XDG_STATE_HOME")) != NULL)
		return fmt(out, outlen, "%s/agentlog", v);
	if (geteuid() == 0)
		return fmt(out, outlen, "/var/lib/agentlog");
	if ((v = env("HOME")) == NULL)
		return -1;
	return fmt(out, outlen, "%s/.local/state/agentlog", v);
}
