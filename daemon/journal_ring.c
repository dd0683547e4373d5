/*
 * journal_ring.c: the batch buffer's memory, the same pages mapped twice
 * in a row.
 *
 * Records are sealed in place and a write job sends a range of them with
 * one pwritev(), so every range of the buffer must be contiguous memory.
 * A plain buffer gets that by moving its kept bytes (unsynced, not yet
 * written) down whenever its end is reached: under a steady stream that
 * copied about a third of every journaled byte a second time, on the loop
 * thread.  With the pages mapped again right after themselves, a range
 * of up to cap bytes starting anywhere in the first copy runs on into the
 * second, which is the first: offsets simply wrap (journal__at()), and
 * bytes move only when the buffer grows or shrinks.
 *
 * The pages come from a memfd (Linux) or an unlinked POSIX shared memory
 * object elsewhere: mapping a file twice is what makes the alias.  The
 * mapping is page aligned, as direct I/O wants.  A page touched through
 * both mappings counts twice in the RSS (not in memory used): only the
 * ranges that straddle the ring's end go through the alias, a write job
 * (JOURNAL_WRITE_MAX) at most, so the RSS overstates by 2 MiB at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "journal_int.h"

/* An anonymous file of cap bytes: an fd, or -1 with errno set. */
static int journal_ring_file(size_t cap)
{
	int fd;
#if defined(__linux__)
	fd = memfd_create("agentlog-journal", MFD_CLOEXEC);
#else
	char name[64];
	static unsigned serial;

	snprintf(name, sizeof name, "/agentlog-journal-%ld-%u", (long)getpid(),
		 serial++);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		shm_unlink(name);
#endif
	if (fd >= 0 && ftruncate(fd, (off_t)cap) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * cap bytes (a multiple of the page size) mapped at p and again at
 * p + cap.  NULL with errno set on failure.
 */
char *journal__ring_map(size_t cap)
{
	const int prot = PROT_READ | PROT_WRITE, fl = MAP_SHARED | MAP_FIXED;
	int fd = journal_ring_file(cap), e;
	char *p;

	if (fd < 0)
		return NULL;
	/* Reserve both halves first, so nothing else lands in the second. */
	p = mmap(NULL, 2 * cap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED &&
	    (mmap(p, cap, prot, fl, fd, 0) == MAP_FAILED ||
	     mmap(p + cap, cap, prot, fl, fd, 0) == MAP_FAILED)) {
		e = errno;
		munmap(p, 2 * cap);
		errno = e;
		p = MAP_FAILED;
	}
	e = errno;
	close(fd);
	errno = e;
	return p == MAP_FAILED ? NULL : p;
}

void journal__ring_unmap(char *p, size_t cap)
{
	if (p != NULL)
		munmap(p, 2 * cap);
}

/*
 * Move the n bytes at logical offset from up by d in the ring buf of cap
 * bytes.  Not one memmove(): through the alias the source and the
 * destination can overlap in memory while their addresses do not, and
 * memmove, judging by addresses, would copy forward over bytes it has
 * yet to read.  So: from the last bytes back, in pieces that cross the
 * ring's end in neither place.  The span [from, from + n + d) must fit
 * in cap.
 */
void journal__ring_move_up(char *buf, size_t cap, size_t from, size_t n,
			   size_t d)
{
	size_t mask = cap - 1, s, t, k;

	while (n > 0) {
		s = (from + n) & mask;          /* end of the last source piece */
		t = (from + d + n) & mask;      /* and of its destination */
		k = n;
		if (s != 0 && s < k)
			k = s;
		if (t != 0 && t < k)
			k = t;
		memmove(buf + (t ? t : cap) - k, buf + (s ? s : cap) - k, k);
		n -= k;
	}
}
