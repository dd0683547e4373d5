/*
 * inbox.c: the fallback inbox a client writes when agentlogd is down.
 *
 * The inbox protocol (shared with agentlogd, which ingests the inbox):
 *
 *   File: <journal dir>/inbox/pending.rec (directories 0700, file 0600).
 *   It is a sequence of records in the format of proto/record.h, each one
 *   encoded with rec_encode(): seq 0, event_id = a UUIDv7 the client made
 *   for the event (proto_event_id_new_unpooled(), time part = time_ms),
 *   time_ms = the client's clock (Unix ms) when it stored the event, type =
 *   the event's enum proto_type, key = its correlation id, value = the raw
 *   event line as the client would have sent it (no newline, no envelope;
 *   it may lack a "type" member, the record's type is then the default
 *   type).  The daemon keeps a non-zero event_id, so the client can report
 *   it and an inbox ingested twice (see step 4 below) yields the same ids
 *   twice, which consumers drop as duplicates.  All zero means the client
 *   had no randomness to make one (early boot): the daemon assigns one.
 *
 *   Writer (this file), per event:
 *     1. open(pending.rec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
 *     2. flock(fd, LOCK_EX)
 *     3. fstat(fd) and stat(pending.rec): if the path is gone or names
 *        another inode, the daemon renamed this file away while we waited:
 *        close and start again at 1 (a few times at most).
 *     4. one write() of the whole record (O_APPEND: at the end whatever
 *        the other writers did); on a short write, ftruncate() back to the
 *        size seen at step 3, so a record is in the file whole or not at
 *        all.  A crash during the write leaves a torn record that the CRC
 *        and the length catch.
 *     5. close (releases the lock).
 *
 *   Daemon (agentlogd), on start, after its socket listens (so a client
 *   that cannot connect wrote before this point, or sees a new file):
 *     1. rename(pending.rec, <name of its own choosing, e.g.
 *        ingesting-<ms>.rec>); ENOENT means nothing to do.
 *     2. open the renamed file, flock(LOCK_EX) once: this waits for a
 *        writer that held the lock across the rename to finish its write;
 *        every writer locking after that sees the rename (writer step 3).
 *     3. read the records in order (rec_decode; a torn tail or a bad CRC
 *        is skipped and counted), re-validate each value with
 *        proto_event_parse(default_type = rec.type), journal it with
 *        time_ms as the accept time when the event has no timestamp.
 *     4. once those records are durable in the journal, unlink the file
 *        (a daemon killed before this ingests the file again at its next
 *        start: the same records, under the same event ids).
 *   A file left by an interrupted ingest (ingesting-*.rec) is ingested on
 *   the next start, before the rename of step 1.  A client that failed
 *   to connect just before the daemon listened may create a new
 *   pending.rec after step 1: the daemon should look again (a second pass
 *   shortly after start, or a watch on the directory) so it is not left
 *   until the next restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentlog_int.h"
#include "record.h"

#define INBOX_RETRIES 32

/* mkdir -p for the directory part of path, each level 0700. */
static int inbox_mkdirs(agentlog_t *h, const char *path)
{
	char dir[PATH_MAX];
	char *p;
	size_t n;

	n = strlen(path);
	if (n >= sizeof(dir))
		return agentlog__fail(h, -ENAMETOOLONG, "inbox path too long");
	memcpy(dir, path, n + 1);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	return agentlog__fail(h, -errno, "mkdir(%s) failed: %s", dir,
			      strerror(errno));
}

/*
 * Open the inbox locked, making sure the locked file is still the one
 * named path.  Returns the fd (its size in *size) or a negative errno.
 */
static int inbox_open_locked(agentlog_t *h, const char *path, off_t *size)
{
	struct stat fst, pst;
	int fd, tries, err;

	for (tries = 0; tries < INBOX_RETRIES; tries++) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 && errno == ENOENT && inbox_mkdirs(h, path) == 0)
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
				  0600);
		if (fd < 0)
			return agentlog__fail(h, -errno, "open(%s) failed: %s",
					      path, strerror(errno));
		while (flock(fd, LOCK_EX) < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return agentlog__fail(h, -err, "flock(%s) failed: %s",
					      path, strerror(err));
		}
		if (fstat(fd, &fst) == 0 && stat(path, &pst) == 0 &&
		    fst.st_ino == pst.st_ino && fst.st_dev == pst.st_dev) {
			*size = fst.st_size;
			return fd;
		}
		close(fd);      /* renamed away by the daemon: use the new one */
	}
	return agentlog__fail(h, -EAGAIN, "inbox %s keeps being renamed", path);
}

/* Unix time in ms. */
static int64_t inbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write the whole record with one write(), undoing a short one. */
static int inbox_write(agentlog_t *h, int fd, const char *path,
		       const char *buf, size_t len, off_t size)
{
	ssize_t w;
	int err;

	do {
		w = write(fd, buf, len);
	} while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	err = w < 0 ? errno : ENOSPC;
	if (w > 0 && ftruncate(fd, size) < 0)
		(void)0;        /* the CRC catches the torn record */
	return agentlog__fail(h, -err, "write(%s) failed: %s", path,
			      strerror(err));
}

/*
 * Give the record an event id; its text goes to event_id ("" when the
 * kernel has no randomness yet: the record keeps a zero id, the daemon
 * assigns one, and the event is stored all the same).
 */
static void inbox_event_id(struct rec *r, char event_id[AGENTLOG_UUID_LEN + 1])
{
	if (proto_event_id_new_unpooled(r->event_id, r->time_ms) == 0) {
		proto_uuid_format(r->event_id, event_id);
		return;
	}
	memset(r->event_id, 0, sizeof(r->event_id));
	event_id[0] = '\0';
}

int agentlog__inbox_append(agentlog_t *h, const char *path, int type,
			   const char *key, size_t key_len,
			   const char *line, size_t len,
			   char event_id[AGENTLOG_UUID_LEN + 1])
{
	struct rec r;
	size_t need = rec_size(key_len, len);
	char stackbuf[8192], *buf = stackbuf;
	off_t size = 0;
	int fd, rc;

	if (key_len > 255 || need > REC_MAX)
		return agentlog__fail(h, -EMSGSIZE, "event too large for the inbox");
	if (need > sizeof(stackbuf) && !(buf = malloc(need)))
		return agentlog__fail(h, -ENOMEM, "out of memory");
	memset(&r, 0, sizeof(r));
	r.time_ms = inbox_now_ms();
	inbox_event_id(&r, event_id);
	r.type = (uint8_t)type;
	r.key = key;
	r.key_len = (uint16_t)key_len;
	r.value = line;
	r.value_len = (uint32_t)len;
	rec_encode(buf, &r);
	fd = inbox_open_locked(h, path, &size);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	if (size + (off_t)need > AGENTLOG_INBOX_MAX)
		rc = agentlog__fail(h, -ENOSPC, "inbox %s is full (%lld bytes)",
				    path, (long long)size);
	else
		rc = inbox_write(h, fd, path, buf, need, size);
	close(fd);
out:
	if (buf != stackbuf)
		free(buf);
	return rc;
}
