/*
 * journal_fault.h: fault injection for the journal's tests.
 *
 * The journal calls its write-side syscalls through these wrappers.  In
 * the daemon they are the plain calls.  Built with AGENTLOG_FAULTS (only
 * the tests' CMake sets it, for the objects they compile themselves) a
 * test can make them fail on demand, to show the failure paths:
 *
 *   journal_fault_set(JOURNAL_FAULT_FSYNC, 3, EIO);   next 3 syncs fail
 *   journal_fault_set(JOURNAL_FAULT_WRITE, -1, ENOSPC); until cleared
 *   journal_fault_set(JOURNAL_FAULT_SHORT, 1, 0);     next write half done
 *   journal_fault_delay(JOURNAL_FAULT_FSYNC, 20);     syncs take 20 ms more
 *   journal_fault_after(JOURNAL_FAULT_WRITE, 1);      ...after one good call
 */
#ifndef AGENTLOG_JOURNAL_FAULT_H
#define AGENTLOG_JOURNAL_FAULT_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum journal_fault_op {
	JOURNAL_FAULT_WRITE,    /* pwrite/pwritev fail with err */
	JOURNAL_FAULT_SHORT,    /* they write half (whole blocks) and say so */
	JOURNAL_FAULT_FSYNC,    /* fdatasync / fsync fail with err */
	JOURNAL_FAULT_OPEN,     /* opening a new segment fails with err */
	JOURNAL_FAULT_COUNT
};

#ifdef AGENTLOG_FAULTS
/* Fail the next n calls of op (n < 0: every call until set again). */
void journal_fault_set(enum journal_fault_op op, int n, int err);
/* Let the next skip calls of op through before the failures start. */
void journal_fault_after(enum journal_fault_op op, int skip);
/* Add ms of sleep to each call of op (the worker's syncs: a slow disk). */
void journal_fault_delay(enum journal_fault_op op, int ms);
/* How many calls of op were failed so far. */
uint64_t journal_fault_hits(enum journal_fault_op op);
/* Calls of op made so far, failed or not. */
uint64_t journal_fault_calls(enum journal_fault_op op);

ssize_t journal_fault_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t journal_fault_pwritev(int fd, const struct iovec *iov, int cnt,
			      off_t off);
int journal_fault_fdatasync(int fd);
int journal_fault_fsync(int fd);
int journal_fault_openat(int dirfd, const char *name, int flags, mode_t mode);
#else
#define journal_fault_pwrite pwrite
#define journal_fault_pwritev pwritev
#define journal_fault_fdatasync fdatasync
#define journal_fault_fsync fsync
#define journal_fault_openat openat
#endif

#endif
