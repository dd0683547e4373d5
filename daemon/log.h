/*
 * log.h: agentlogd's own log.  Lines go to stderr (or --log-file) with a
 * level; a line is for what a human must know (start, configuration, Kafka
 * up/down, drops), never one per event.  SIGHUP reopens the file.
 */
#ifndef AGENTLOGD_LOG_H
#define AGENTLOGD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parse "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *s);
void log_set_level(enum log_level level);
/* Log to path (append) instead of stderr; NULL for stderr.  Returns 0 or -errno. */
int log_open(const char *path);
/* Reopen the file after rotation (SIGHUP).  Returns 0 or -errno. */
int log_reopen(void);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
