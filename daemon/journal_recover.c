/*
 * journal_recover.c: start-up.  Directories, the segment list, the cursor
 * and the end of the last segment.
 *
 * Start-up must be quick whatever the backlog (the daemon accepts within
 * 200 ms with a million events journaled), so only the tail of the last
 * segment is read: its last MiB, from the first whole valid record in it
 * to the end.  The older segments are only listed and stat'ed; corruption
 * in them is met later by the forwarder's reader (journal_quarantine).
 *
 * A torn tail (bytes after the last valid record that no valid record
 * follows: a write cut by a crash) is copied to quarantine/ and cut off
 * with ftruncate + fsync, so the next append starts on a record boundary.
 * Nothing is ever dropped without a copy and a log line.  The zeros that
 * end a segment written with direct I/O (rec_is_padding) are no data:
 * they are cut without either.
 *
 * Here the journal also decides how it writes (opts.io): with O_DIRECT
 * when the file system takes it.  A direct write starts at a block
 * boundary, so a recovered last segment whose length is not a whole
 * number of blocks is left as it is and the journal goes on in a new one.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"

#define RECOVER_TAIL (1u << 20)

/* mkdir -p for the parents of path, each 0700 (a fresh account may lack
 * ~/.local/state).  Failures show in the final mkdir. */
static void journal_mkdir_parents(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0700);
		*s = '/';
	}
}

/* mkdir -m 0700 (parents too) that also fixes an existing directory's mode. */
static int journal_mkdir(const char *path, char *err, size_t errlen)
{
	int r = mkdir(path, 0700);
	if (r < 0 && errno == ENOENT) {
		journal_mkdir_parents(path);
		r = mkdir(path, 0700);
	}
	if (r < 0 && errno != EEXIST)
		goto fail;
	if (chmod(path, 0700) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "mkdir(%s) failed: %s", path, strerror(errno));
	return -errno;
}

static int journal_seg_cmp(const void *a, const void *b)
{
	const struct jseg *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Read a segment name: 0 and its seq, or -1. */
static int journal_seg_parse(const char *name, uint64_t *seq)
{
	uint64_t v = 0;

	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + 20, ".seg") != 0)
		return -1;
	*seq = v;
	return 0;
}

/* The accept time of a segment's first record (one small pread), or 0. */
static int64_t journal_first_ms(int dirfd, const char *name)
{
	char hdr[REC_HDR];
	uint64_t t;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, hdr, sizeof hdr, 0);
	close(fd);
	if (n != REC_HDR || memcmp(hdr, "ALR1", 4) != 0)
		return 0;
	memcpy(&t, hdr + 20, 8);
	return (int64_t)le64toh(t);
}

/* List segments/ into j->segs, oldest first, with sizes and times. */
static int journal_list(journal_t *j, char *err, size_t errlen)
{
	DIR *d = fdopendir(dup(j->segdirfd));
	struct dirent *e;
	struct stat st;
	uint64_t seq;

	if (d == NULL) {
		snprintf(err, errlen, "opendir(%s) failed: %s", j->segdir,
			 strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (journal_seg_parse(e->d_name, &seq) != 0 ||
		    fstatat(j->segdirfd, e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (journal__seg_add(j, seq, -1, (uint64_t)st.st_size) < 0) {
			closedir(d);
			return snprintf(err, errlen, "out of memory"), -ENOMEM;
		}
		j->segs[j->nsegs - 1].last_ms =
			(int64_t)st.st_mtim.tv_sec * 1000 +
			st.st_mtim.tv_nsec / 1000000;
		j->segs[j->nsegs - 1].first_ms =
			journal_first_ms(j->segdirfd, e->d_name);
	}
	closedir(d);
	if (j->nsegs > 1)
		qsort(j->segs, (size_t)j->nsegs, sizeof *j->segs,
		      journal_seg_cmp);
	return 0;
}

/* Read [off, size) of fd into a fresh buffer. */
static char *journal_read_range(int fd, uint64_t off, size_t len)
{
	char *b = malloc(len ? len : 1);
	size_t got = 0;

	while (b != NULL && got < len) {
		ssize_t n = pread(fd, b + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return NULL;
		}
		got += (size_t)n;
	}
	return b;
}

/*
 * Walk buf (file bytes from base) from its first valid record to the end.
 * Sets *last_seq (0 when none) and returns the offset in buf where valid
 * records stop for good: len when the tail is clean.
 */
static size_t journal_walk(const char *buf, size_t len, uint64_t *last_seq)
{
	size_t off = rec_find(buf, len), good = 0;
	struct rec r;

	*last_seq = 0;
	if (off == len)
		return 0;
	while (off < len) {
		if (rec_decode(buf + off, len - off, &r) == REC_OK) {
			*last_seq = r.seq;
			off += r.len;
			good = off;
			continue;
		}
		size_t q = rec_find(buf + off, len - off);
		if (q == len - off)
			break;          /* nothing valid after: a torn tail */
		off += q;               /* corrupt, then more records */
	}
	return good;
}

/*
 * Find the end of the last segment, cut a torn tail, open it for
 * appending and set next_seq.
 */
static int journal_recover_tail(journal_t *j, char *err, size_t errlen)
{
	struct jseg *s = &j->segs[j->nsegs - 1];
	char name[JOURNAL_SEG_NAME_LEN];
	uint64_t base, last = 0;
	size_t len, good;
	char *buf = NULL;
	int rc;

	journal__seg_name(name, s->first);
	s->fd = openat(j->segdirfd, name, O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "open(segments/%s) failed: %s", name,
			 strerror(errno));
		return rc;
	}
	fchmod(s->fd, 0600);
	base = s->bytes > RECOVER_TAIL ? s->bytes - RECOVER_TAIL : 0;
	for (;;) {
		len = (size_t)(s->bytes - base);
		if ((buf = journal_read_range(s->fd, base, len)) == NULL) {
			snprintf(err, errlen, "read(segments/%s) failed: %s",
				 name, strerror(errno ? errno : EIO));
			return -EIO;
		}
		good = journal_walk(buf, len, &last);
		if (last != 0 || base == 0)
			break;
		free(buf);      /* no whole record in the window: read it all */
		base = 0;
	}
	if (good < len && rec_is_padding(buf + good, len - good, base + len)) {
		if (ftruncate(s->fd, (off_t)(base + good)) < 0) {
			rc = -errno;
			snprintf(err, errlen, "ftruncate(segments/%s) failed: %s",
				 name, strerror(errno));
			free(buf);
			return rc;
		}
		j->disk_bytes -= len - good;
		s->bytes = base + good;
		len = good;
	}
	if (good < len) {
		journal__quarantine_write(j, name, base + good, buf + good,
					  len - good, "torn");
		j->st.torn_bytes = len - good;
		journal__log(j, JOURNAL_LOG_WARN,
			     "segments/%s: torn tail of %zu bytes at offset %"
			     PRIu64 " cut off (copied to quarantine/)", name,
			     len - good, base + good);
		if (ftruncate(s->fd, (off_t)(base + good)) < 0 ||
		    fsync(s->fd) < 0) {
			rc = -errno;
			snprintf(err, errlen, "ftruncate(segments/%s) failed: %s",
				 name, strerror(errno));
			free(buf);
			return rc;
		}
		j->disk_bytes -= s->bytes - (base + good);
		s->bytes = base + good;
	}
	free(buf);
	j->next_seq = last != 0 ? last + 1 : s->first;
	if (j->next_seq < s->first)
		j->next_seq = s->first;
	return 0;
}

/*
 * How segments are written (opts.io), decided on fd, the segment the
 * journal writes next: O_DIRECT is set on it when the file system takes
 * it with our alignment.  0, or -EINVAL when io says direct and it can't.
 */
static int journal_choose_io(journal_t *j, int fd, char *err, size_t errlen)
{
	j->direct = 0;
	if (j->opts.io == JOURNAL_IO_BUFFERED)
		return 0;
	if (journal__direct_usable(fd) && journal__direct_set(fd, 1) == 0) {
		j->direct = 1;
		return 0;
	}
	if (j->opts.io == JOURNAL_IO_DIRECT) {
		snprintf(err, errlen, "%s: the file system takes no direct I/O "
			 "in %u-byte blocks (--journal-io direct)", j->segdir,
			 JOURNAL_BLOCK);
		return -EINVAL;
	}
	return 0;
}

/* Open (create) the directories and keep fds for fsync. */
static int journal_dirs(journal_t *j, char *err, size_t errlen)
{
	int rc;

	if ((rc = journal_mkdir(j->dir, err, errlen)) < 0 ||
	    (rc = journal_mkdir(j->segdir, err, errlen)) < 0 ||
	    (rc = journal_mkdir(j->qdir, err, errlen)) < 0)
		return rc;
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	j->segdirfd = open(j->segdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0 || j->segdirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "open(%s) failed: %s", j->dir,
			 strerror(errno));
		return rc;
	}
	return 0;
}

/* The cursor: read, or derived from the oldest segment; clamped. */
static void journal_recover_cursor(journal_t *j)
{
	uint64_t v = 0, oldest = j->segs[0].first;
	int rc = journal__cursor_read(j, &v);

	if (rc == -ENOENT) {
		v = oldest;
	} else if (rc < 0) {
		journal__log(j, JOURNAL_LOG_WARN,
			     "%s/cursor unreadable (%s): starting from the "
			     "oldest segment, seq %" PRIu64 " (duplicates in "
			     "Kafka are possible, no loss)", j->dir,
			     rc == -EINVAL ? "corrupt" : strerror(-rc), oldest);
		v = oldest;
	} else {
		j->cursor_saved = v;
	}
	if (v < oldest)
		v = oldest;
	if (v > j->next_seq) {
		journal__log(j, JOURNAL_LOG_WARN,
			     "cursor %" PRIu64 " is past the journal's end %"
			     PRIu64 " (records lost before a power failure?): "
			     "continuing at %" PRIu64, v, j->next_seq, v);
		j->next_seq = v;
	}
	j->cursor = v;
}

int journal__recover(journal_t *j, char *err, size_t errlen)
{
	char name[JOURNAL_SEG_NAME_LEN];
	uint64_t saved = 0;
	int rc, fd;

	if ((rc = journal_dirs(j, err, errlen)) < 0 ||
	    (rc = journal_list(j, err, errlen)) < 0)
		return rc;
	if (j->nsegs > 0 && (rc = journal_recover_tail(j, err, errlen)) < 0)
		return rc;
	if (j->nsegs == 0) {
		/* Nothing on disk: continue after a saved cursor if any. */
		j->next_seq = journal__cursor_read(j, &saved) == 0 && saved > 0
			      ? saved : 1;
		journal__seg_name(name, j->next_seq);
		fd = openat(j->segdirfd, name,
			    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || fchmod(fd, 0600) < 0) {
			rc = -errno;
			snprintf(err, errlen, "open(segments/%s) failed: %s",
				 name, strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		if (journal__seg_add(j, j->next_seq, fd, 0) < 0) {
			close(fd);
			return snprintf(err, errlen, "out of memory"), -ENOMEM;
		}
		j->dir_dirty = 1;
	}
	journal_recover_cursor(j);
	j->written_seq = j->durable_seq = j->next_seq - 1;
	if ((rc = journal_choose_io(j, j->segs[j->nsegs - 1].fd, err, errlen)) < 0)
		return rc;
	if (j->direct && j->segs[j->nsegs - 1].bytes % JOURNAL_BLOCK != 0 &&
	    (rc = journal__roll(j)) < 0) {
		snprintf(err, errlen, "cannot start a new segment in %s: %s",
			 j->segdir, strerror(-rc));
		return rc;
	}
	return 0;
}
