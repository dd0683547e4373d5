/*
 * forward_log.c: the forwarder's lines in the daemon's log.
 *
 * An outage must read as two lines ("Kafka unreachable: ...", "Kafka
 * back, draining N events"), not as one line per reconnect attempt:
 * librdkafka retries every broker every second or so.  Routine lines go
 * through fwd_log_limited(): at most one per FWD_LOG_INTERVAL_MS, with a
 * count of what was held back.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "forward_int.h"

#define FWD_LOG_INTERVAL_MS 10000

uint64_t fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void emit(struct fwd *f, int level, const char *msg)
{
	if (f->opts.log)
		f->opts.log(f->opts.log_arg, level, msg);
	else
		fprintf(stderr, "agentlogd: forward: %s\n", msg);
}

/* One line, always. */
void fwd_log(struct fwd *f, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(f, level, msg);
}

/* One line unless another went out less than FWD_LOG_INTERVAL_MS ago. */
void fwd_log_limited(struct fwd *f, int level, const char *fmt, ...)
{
	uint64_t now = fwd_now_ms();
	char msg[512];
	size_t n;
	va_list ap;

	if (f->log_last_ms && now - f->log_last_ms < FWD_LOG_INTERVAL_MS) {
		f->log_suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strnlen(msg, sizeof(msg));
	if (f->log_suppressed && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, " (%u similar lines held back)",
			 f->log_suppressed);
	f->log_suppressed = 0;
	f->log_last_ms = now;
	emit(f, level, msg);
}

/* Remember the last error for status. */
void fwd_set_error(struct fwd *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
	va_end(ap);
}
