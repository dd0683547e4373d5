/*
 * hook_state.c: what one hook run leaves for the next of the same
 * session: when a tool call began (to give its PostToolUse a duration),
 * which subagents are running, when the turn and the session began.
 *
 * Each hook is its own short process, and a harness runs hooks of one
 * session concurrently (parallel tool calls, async hooks), so the state is
 * a file per session, <journal dir>/hooks/<harness>-<session>.state, held
 * under flock(LOCK_EX) from read to write-back.  The critical section is
 * a read and a write of a few kilobytes.
 *
 * Format: one entry per line, tab-separated: kind, key, start (Unix ms),
 * a, b.  Keys and values never contain tabs or line breaks (replaced on
 * the way in).  A torn file (a crash mid-write) loses only the lines that
 * do not parse.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"

#define STATE_DIR "hooks"
#define STATE_SUFFIX ".state"
#define STATE_READ_MAX (1 << 20)
#define STATE_OPEN_RETRIES 8

/* mkdir -p, each missing level 0700.  Returns 0 or -1. */
static int state_mkdirs(const char *path)
{
	char tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * The file name part for a session: the id itself when it is short and
 * tame, else a hash of it (a session id is the harness's, not ours).
 */
static void state_session_name(const char *session, char *out, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *s;
	int tame = *session && *session != '.' && strlen(session) <= 80;

	for (s = session; *s && tame; s++)
		tame = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		       (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		       *s == '.';
	if (tame) {
		snprintf(out, len, "%s", session);
		return;
	}
	for (s = session; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	snprintf(out, len, "h%016" PRIx64, h);
}

/* Copy a key or value, without tabs or line breaks, bounded. */
static void state_copy(char dst[HOOK_KEY_MAX], const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i < HOOK_KEY_MAX - 1; i++)
		dst[i] = (unsigned char)src[i] < 0x20 ? '_' : src[i];
	dst[i] = '\0';
}

/* Parse one line into e.  Returns 0, or -1 when it is not an entry. */
static int state_parse_line(char *line, struct hook_entry *e)
{
	char *f[5], *end;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = line;
		line = strchr(line, '\t');
		if (i < 4) {
			if (!line)
				return -1;
			*line++ = '\0';
		}
	}
	if (strlen(f[0]) != 1)
		return -1;
	e->kind = f[0][0];
	e->ms = strtoll(f[2], &end, 10);
	if (end == f[2] || *end)
		return -1;
	state_copy(e->key, f[1]);
	state_copy(e->a, f[3]);
	state_copy(e->b, f[4]);
	return 0;
}

/* Read the file's entries, keeping those younger than the cut-off. */
static void state_read(struct hook_state *st, int64_t oldest_ms)
{
	char *buf = malloc(STATE_READ_MAX + 1), *line, *nl;
	size_t n = 0;
	ssize_t r;

	if (!buf)
		return;
	while (n < STATE_READ_MAX &&
	       (r = pread(st->fd, buf + n, STATE_READ_MAX - n, (off_t)n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	for (line = buf; *line && st->n < HOOK_STATE_MAX; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;          /* a torn last line */
		*nl = '\0';
		if (state_parse_line(line, &st->e[st->n]) < 0)
			continue;
		if (st->e[st->n].ms >= oldest_ms)
			st->n++;
		else
			st->dirty = 1;
	}
	free(buf);
}

/*
 * Open and lock path.  The file may be unlinked (session end, a sweep)
 * while we wait for the lock: then open the new one.  Returns the fd or -1.
 */
static int state_lock(const char *path)
{
	struct stat a, b;
	int fd, i;

	for (i = 0; i < STATE_OPEN_RETRIES; i++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -1;
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(fd);
				return -1;
			}
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
		    S_ISREG(a.st_mode))
			return fd;
		close(fd);
	}
	return -1;
}

int hook_state_open(struct hook_state *st, const char *journal_dir,
		    const char *harness, const char *session, int64_t now_ms)
{
	char dir[PATH_MAX], name[96];

	st->fd = -1;
	st->n = 0;
	st->dirty = 0;
	st->path[0] = '\0';
	if (!journal_dir || !*journal_dir || !session)
		return -1;
	if (snprintf(dir, sizeof(dir), "%s/" STATE_DIR, journal_dir) >=
	    (int)sizeof(dir) || state_mkdirs(dir) < 0)
		return -1;
	state_session_name(session, name, sizeof(name));
	if (snprintf(st->path, sizeof(st->path), "%s/%s-%s" STATE_SUFFIX, dir,
		     harness, name) >= (int)sizeof(st->path))
		return -1;
	st->fd = state_lock(st->path);
	if (st->fd < 0)
		return -1;
	state_read(st, now_ms - HOOK_STATE_MAX_AGE_MS);
	return 0;
}

struct hook_entry *hook_state_find(struct hook_state *st, char kind,
				   const char *key)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (st->e[i].kind == kind && !strncmp(st->e[i].key, key,
						      HOOK_KEY_MAX - 1))
			return &st->e[i];
	return NULL;
}

struct hook_entry *hook_state_oldest(struct hook_state *st, char kind,
				     const char *a, const char *b)
{
	struct hook_entry *best = NULL;
	int i;

	for (i = 0; i < st->n; i++) {
		struct hook_entry *e = &st->e[i];

		if (e->kind != kind || (a && strncmp(e->a, a, HOOK_KEY_MAX - 1)) ||
		    (b && strncmp(e->b, b, HOOK_KEY_MAX - 1)))
			continue;
		if (!best || e->ms < best->ms)
			best = e;
	}
	return best;
}

void hook_state_del(struct hook_state *st, struct hook_entry *e)
{
	int i = (int)(e - st->e);

	if (i < 0 || i >= st->n)
		return;
	memmove(&st->e[i], &st->e[i + 1], sizeof(st->e[0]) * (size_t)(st->n - i - 1));
	st->n--;
	st->dirty = 1;
}

/* The oldest entry of any kind (the table is not empty). */
static struct hook_entry *state_oldest_any(struct hook_state *st)
{
	struct hook_entry *best = &st->e[0];
	int i;

	for (i = 1; i < st->n; i++)
		if (st->e[i].ms < best->ms)
			best = &st->e[i];
	return best;
}

struct hook_entry *hook_state_put(struct hook_state *st, char kind,
				  const char *key, int64_t ms, const char *a,
				  const char *b)
{
	struct hook_entry *e = hook_state_find(st, kind, key);

	if (!e && st->n == HOOK_STATE_MAX)
		hook_state_del(st, state_oldest_any(st));
	if (!e)
		e = &st->e[st->n++];
	e->kind = kind;
	state_copy(e->key, key);
	e->ms = ms;
	state_copy(e->a, a);
	state_copy(e->b, b);
	st->dirty = 1;
	return e;
}

/* Write the entries back over the file.  Returns 0 or -1. */
static int state_write(struct hook_state *st)
{
	size_t cap = (size_t)st->n * (4 * HOOK_KEY_MAX + 32) + 1, len = 0;
	char *buf = malloc(cap);
	ssize_t w;
	int i, rc = -1;

	if (!buf)
		return -1;
	for (i = 0; i < st->n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%c\t%s\t%" PRId64
					"\t%s\t%s\n", st->e[i].kind, st->e[i].key,
					st->e[i].ms, st->e[i].a, st->e[i].b);
	w = pwrite(st->fd, buf, len, 0);
	if (w == (ssize_t)len && ftruncate(st->fd, (off_t)len) == 0)
		rc = 0;
	free(buf);
	return rc;
}

void hook_state_close(struct hook_state *st, int unlink_it)
{
	if (st->fd < 0)
		return;
	if (unlink_it)
		(void)unlink(st->path);
	else if (st->dirty)
		(void)state_write(st);
	close(st->fd);           /* releases the lock */
	st->fd = -1;
}

void hook_state_sweep(const char *journal_dir, int64_t now_ms,
		      int64_t max_age_ms)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	size_t n;
	DIR *dp;

	if (snprintf(dir, sizeof(dir), "%s/" STATE_DIR, journal_dir) >=
	    (int)sizeof(dir) || !(dp = opendir(dir)))
		return;
	while ((d = readdir(dp)) != NULL) {
		n = strlen(d->d_name);
		if (n <= strlen(STATE_SUFFIX) ||
		    strcmp(d->d_name + n - strlen(STATE_SUFFIX), STATE_SUFFIX) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (int64_t)sb.st_mtime * 1000 < now_ms - max_age_ms)
			(void)unlink(path);
	}
	closedir(dp);
}
