/*
 * inbox.c: ingest the client fallback inbox at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inbox.h"
#include "ingest.h"
#include "log.h"
#include "record.h"
#include "server.h"
#include "wire.h"

#define INBOX_MAX_CLAIMED 16

/* Files ingested, waiting for the journal to be durable past last_seq. */
static struct {
	char path[4200];
	uint64_t last_seq;
} inbox_claimed[INBOX_MAX_CLAIMED];
static int inbox_nclaimed;

/* Read a whole file into memory (inbox files are small by nature). */
static char *inbox_slurp(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return NULL;
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	*len = off;
	return buf;
}

/* Ingest the records of one file; returns accepted, or -1 if unreadable. */
static long inbox_file(struct server *s, const char *path, uint64_t *last_seq)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_warn("open(%s) failed: %s", path, strerror(errno));
		return -1;
	}
	/* A writer that locked the file before our rename may still be
	 * appending: taking the lock once waits for it. */
	flock(fd, LOCK_EX);
	struct stat st;
	fstat(fd, &st);
	size_t len = 0;
	char *buf = inbox_slurp(fd, &len);
	close(fd);
	if (buf == NULL) {
		log_warn("reading %s failed", path);
		return -1;
	}
	struct proto_source src = { -1, (int64_t)st.st_uid, (int64_t)st.st_gid,
				    s->host, "inbox" };
	long accepted = 0, rejected = 0, corrupt = 0;
	size_t off = 0;
	while (off < len) {
		struct rec r;
		enum rec_status st2 = rec_decode(buf + off, len - off, &r);
		if (st2 == REC_SHORT) {
			/* Torn (a writer died mid-append), but other writers
			 * may have appended whole records after it. */
			size_t skip = rec_find(buf + off + 1, len - off - 1) + 1;
			if (off + skip >= len)
				break;      /* a torn final append: nothing whole */
			corrupt += (long)skip;
			off += skip;
			continue;
		}
		if (st2 == REC_BAD) {
			size_t skip = rec_resync(buf + off + 1, len - off - 1) + 1;
			corrupt += (long)skip;
			off += skip;
			continue;
		}
		uint64_t seq;
		char err[PROTO_ERR_MAX];
		if (ingest_stored(s, r.value, r.value_len, r.type, &src,
				  r.event_id, r.time_ms, &seq, err)) {
			accepted++;
			*last_seq = seq;
		}
		else
			rejected++, log_warn("inbox event rejected: %s", err);
		off += r.len;
	}
	free(buf);
	if (journal_flush(s->journal) != 0) {
		log_error("cannot journal the inbox %s; keeping it for the next start", path);
		return -1;
	}
	log_info("ingested %ld event(s) from %s (%ld rejected%s)", accepted, path,
		 rejected, corrupt ? ", corrupt bytes skipped" : "");
	return accepted;
}

static int inbox_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long inbox_ingest(struct server *s)
{
	if (inbox_nclaimed > 0)
		return 0;           /* the last pass is not durable yet */
	char dir[sizeof s->cfg->journal_dir + 16];
	snprintf(dir, sizeof dir, "%s/%s", s->cfg->journal_dir, PROTO_INBOX_DIR);
	char pending[sizeof dir + 16], claimed[sizeof dir + 48];
	snprintf(pending, sizeof pending, "%s/pending.rec", dir);
	snprintf(claimed, sizeof claimed, "%s/ingesting-%020lld.rec", dir,
		 (long long)server_now_ms());
	if (rename(pending, claimed) < 0 && errno != ENOENT && errno != ENOTDIR)
		log_warn("rename(%s) failed: %s", pending, strerror(errno));

	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	char *names[INBOX_MAX_CLAIMED];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < INBOX_MAX_CLAIMED)
		if (strncmp(e->d_name, "ingesting-", 10) == 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], inbox_cmp);

	long total = 0;
	for (int i = 0; i < n; i++) {
		char path[sizeof inbox_claimed[0].path];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		free(names[i]);
		uint64_t last = 0;
		long got = inbox_file(s, path, &last);
		if (got < 0)
			continue;
		total += got;
		snprintf(inbox_claimed[inbox_nclaimed].path, sizeof path, "%s", path);
		inbox_claimed[inbox_nclaimed++].last_seq = last;
	}
	return total;
}

int inbox_release(struct server *s, uint64_t durable_seq)
{
	int kept = 0;
	for (int i = 0; i < inbox_nclaimed; i++) {
		if (inbox_claimed[i].last_seq > durable_seq) {
			inbox_claimed[kept++] = inbox_claimed[i];
			continue;
		}
		if (unlink(inbox_claimed[i].path) < 0 && errno != ENOENT)
			log_warn("unlink(%s) failed: %s", inbox_claimed[i].path,
				 strerror(errno));
	}
	inbox_nclaimed = kept;
	return kept;
}
