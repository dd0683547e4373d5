/*
 * journal_fault.c: the failures journal_fault.h injects (test builds).
 * Counters are atomics: the worker thread syncs while the loop thread
 * writes.
 */
#include "journal_fault.h"

#ifdef AGENTLOG_FAULTS
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic int fault_left[JOURNAL_FAULT_COUNT];
static _Atomic int fault_skip[JOURNAL_FAULT_COUNT];
static _Atomic int fault_err[JOURNAL_FAULT_COUNT];
static _Atomic int fault_delay_ms[JOURNAL_FAULT_COUNT];
static _Atomic uint64_t fault_hits[JOURNAL_FAULT_COUNT];
static _Atomic uint64_t fault_calls[JOURNAL_FAULT_COUNT];

void journal_fault_set(enum journal_fault_op op, int n, int err)
{
	atomic_store(&fault_err[op], err);
	atomic_store(&fault_left[op], n);
}

void journal_fault_after(enum journal_fault_op op, int skip)
{
	atomic_store(&fault_skip[op], skip);
}

void journal_fault_delay(enum journal_fault_op op, int ms)
{
	atomic_store(&fault_delay_ms[op], ms);
}

uint64_t journal_fault_hits(enum journal_fault_op op)
{
	return atomic_load(&fault_hits[op]);
}

uint64_t journal_fault_calls(enum journal_fault_op op)
{
	return atomic_load(&fault_calls[op]);
}

/* Whether this call of op fails; sleeps the configured delay first. */
static int fault_fires(enum journal_fault_op op)
{
	int d = atomic_load(&fault_delay_ms[op]);
	atomic_fetch_add(&fault_calls[op], 1);
	if (d > 0) {
		struct timespec ts = { d / 1000, (long)(d % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&fault_left[op]) == 0)
		return 0;
	int skip = atomic_load(&fault_skip[op]);
	while (skip > 0)
		if (atomic_compare_exchange_weak(&fault_skip[op], &skip, skip - 1))
			return 0;
	int left = atomic_load(&fault_left[op]);
	while (left != 0) {
		int next = left > 0 ? left - 1 : left;
		if (atomic_compare_exchange_weak(&fault_left[op], &left, next)) {
			atomic_fetch_add(&fault_hits[op], 1);
			return 1;
		}
	}
	return 0;
}

ssize_t journal_fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (fault_fires(JOURNAL_FAULT_WRITE)) {
		errno = atomic_load(&fault_err[JOURNAL_FAULT_WRITE]);
		return -1;
	}
	if (n > 1 && fault_fires(JOURNAL_FAULT_SHORT))
		n /= 2;
	return pwrite(fd, buf, n, off);
}

/* A short write keeps whole 4096-byte blocks when the request is made of
 * them (a direct write), else half the bytes. */
ssize_t journal_fault_pwritev(int fd, const struct iovec *iov, int cnt,
			      off_t off)
{
	size_t total = 0, half;

	if (fault_fires(JOURNAL_FAULT_WRITE)) {
		errno = atomic_load(&fault_err[JOURNAL_FAULT_WRITE]);
		return -1;
	}
	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	half = total % 4096 == 0 ? (total / 2) & ~(size_t)4095 : total / 2;
	if (half > 0 && cnt == 1 && fault_fires(JOURNAL_FAULT_SHORT))
		return pwrite(fd, iov[0].iov_base, half, off);
	if (half > 0 && cnt == 2 && fault_fires(JOURNAL_FAULT_SHORT))
		return pwrite(fd, iov[0].iov_base, iov[0].iov_len, off);
	return pwritev(fd, iov, cnt, off);
}

int journal_fault_fdatasync(int fd)
{
	if (fault_fires(JOURNAL_FAULT_FSYNC)) {
		errno = atomic_load(&fault_err[JOURNAL_FAULT_FSYNC]);
		return -1;
	}
	return fdatasync(fd);
}

int journal_fault_fsync(int fd)
{
	if (fault_fires(JOURNAL_FAULT_FSYNC)) {
		errno = atomic_load(&fault_err[JOURNAL_FAULT_FSYNC]);
		return -1;
	}
	return fsync(fd);
}

int journal_fault_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	if (fault_fires(JOURNAL_FAULT_OPEN)) {
		errno = atomic_load(&fault_err[JOURNAL_FAULT_OPEN]);
		return -1;
	}
	return openat(dirfd, name, flags, mode);
}
#else
/* Nothing in the daemon's build: ISO C wants a declaration per file. */
typedef int journal_fault_unused;
#endif
