/*
 * tutil.c: helpers of the client's C tests (see tutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tutil.h"

static char tu_dir[256];
static pid_t tu_owner;      /* forked children must not remove it */

static int tu_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static void tu_cleanup(void)
{
	if (tu_dir[0] && getpid() == tu_owner)
		nftw(tu_dir, tu_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (tu_dir[0])
		return tu_dir;
	snprintf(tu_dir, sizeof(tu_dir), "%s/agentlog-ctest-XXXXXX",
		 t && *t ? t : "/tmp");
	CHECK(mkdtemp(tu_dir) != NULL);
	tu_owner = getpid();
	atexit(tu_cleanup);
	return tu_dir;
}

double tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

char *tu_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	CHECK(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	CHECK(buf != NULL);
	*len = 0;
	while ((n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	buf[*len] = '\0';
	return buf;
}

static void tu_append(struct tu_listener *l, const char *buf, size_t n)
{
	pthread_mutex_lock(&l->mu);
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2;
		l->data = realloc(l->data, l->cap);
		CHECK(l->data != NULL);
	}
	memcpy(l->data + l->len, buf, n);
	l->len += n;
	pthread_mutex_unlock(&l->mu);
}

/* Accept and read every connection until stopped (poll over all fds). */
static void *tu_serve(void *arg)
{
	struct tu_listener *l = arg;
	struct pollfd p[64];
	char buf[65536];
	int n = 1, i, fd;
	ssize_t r;

	p[0] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		if (poll(p, (nfds_t)n, 20) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && n < 64 &&
		    (fd = accept(l->lfd, NULL, NULL)) >= 0) {
			p[n++] = (struct pollfd){ .fd = fd,
						  .events = l->reading ? POLLIN : 0 };
			__atomic_add_fetch(&l->conns, 1, __ATOMIC_RELEASE);
		}
		for (i = 1; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r > 0) {
				tu_append(l, buf, (size_t)r);
				continue;
			}
			close(p[i].fd);
			p[i--] = p[--n];
		}
	}
	for (i = 1; i < n; i++)
		close(p[i].fd);
	return NULL;
}

void tu_listen(struct tu_listener *l, const char *path, int reading)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->reading = reading;
	pthread_mutex_init(&l->mu, NULL);
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	l->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l->lfd >= 0);
	CHECK(bind(l->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(l->lfd, 64) == 0);
	CHECK(pthread_create(&l->thread, NULL, tu_serve, l) == 0);
}

void tu_unlisten(struct tu_listener *l)
{
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
	pthread_join(l->thread, NULL);
	close(l->lfd);
	unlink(l->path);
	free(l->data);
	pthread_mutex_destroy(&l->mu);
}

size_t tu_wait_bytes(struct tu_listener *l, size_t n, int ms)
{
	double end = tu_now_ms() + ms;
	size_t have;

	for (;;) {
		pthread_mutex_lock(&l->mu);
		have = l->len;
		pthread_mutex_unlock(&l->mu);
		if (have >= n || tu_now_ms() > end)
			return have;
		usleep(1000);
	}
}
