/*
 * log.h: agentlog-pgwriter's log, one line per message on stderr.
 *
 * Lines look like "2025-10-23T10:30:00.123Z pgwriter: warn: ...".  Safe to
 * call from any thread (the HTTP thread, librdkafka's threads): each line
 * goes out in one write().
 */
#ifndef PGW_LOG_H
#define PGW_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above level are dropped.  The default is LOG_INFO. */
void log_set_level(int level);
int log_enabled(int level);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
