/*
 * journal_quarantine.c: copy corrupt bytes aside before they are skipped.
 *
 * Corrupt records are never silently dropped: the reader that meets them
 * (the forwarder's cold path) and recovery's torn-tail cut both leave a
 * copy in quarantine/<segment>.<offset>.<bad|torn> (0600) and a log line,
 * so an operator can look at what was lost.  The name is derived from the
 * position, so reading the same corrupt bytes again (after a restart) is
 * recognised and not counted twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"

int journal__quarantine_write(journal_t *j, const char *segname,
			      uint64_t offset, const char *bytes, size_t len,
			      const char *suffix)
{
	char path[4096];
	int fd, rc = 0;

	snprintf(path, sizeof path, "%s/%s.%" PRIu64 ".%s", j->qdir, segname,
		 offset, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 1 : -errno;
	if (fchmod(fd, 0600) < 0)
		rc = -errno;
	while (rc == 0 && len > 0) {
		ssize_t n = write(fd, bytes, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		bytes += n;
		len -= (size_t)n;
	}
	close(fd);
	return rc;
}

void journal_quarantine(void *journal, const char *path, uint64_t offset,
			const char *bytes, size_t len)
{
	journal_t *j = journal;
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	int rc = journal__quarantine_write(j, name, offset, bytes, len, "bad");

	if (rc == 1)
		return;         /* met before: already copied and counted */
	j->st.quarantined++;
	if (rc < 0)
		journal__log(j, JOURNAL_LOG_ERROR,
			     "corrupt bytes in segments/%s at offset %" PRIu64
			     " (%zu bytes) skipped; copying them to %s failed: %s",
			     name, offset, len, j->qdir, strerror(-rc));
	else
		journal__log(j, JOURNAL_LOG_WARN,
			     "corrupt bytes in segments/%s at offset %" PRIu64
			     " (%zu bytes) skipped, copied to quarantine/%s.%"
			     PRIu64 ".bad (%" PRIu64 " so far)", name, offset,
			     len, name, offset, j->st.quarantined);
}
