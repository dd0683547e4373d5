/*
 * tdir.h: temporary directories for the journal tests (under $TMPDIR or
 * /tmp, removed at the end, also when a test fails via atexit).
 */
#ifndef AGENTLOG_TEST_TDIR_H
#define AGENTLOG_TEST_TDIR_H

#include <stddef.h>
#include <stdint.h>

/* Create a fresh directory; removed at exit.  Returns its path. */
const char *tdir_make(const char *tag);
/* Remove a tree now. */
void tdir_remove(const char *path);
/* Write a whole file (mode 0600); 0 or -errno. */
int tdir_write(const char *path, const void *buf, size_t len, int append);
/* Read a whole file into a malloc'd buffer; NULL when missing. */
char *tdir_read(const char *path, size_t *len);
/* Files in dir whose names end with suffix. */
int tdir_count(const char *dir, const char *suffix);
/* Monotonic milliseconds, as a double. */
double tdir_now_ms(void);

#endif
