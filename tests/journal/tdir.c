/*
 * tdir.c: temporary directories and whole-file helpers for the journal
 * tests.  Every directory made is removed at exit, pass or fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tdir.h"

#define TDIR_MAX 16
static char *tdir_list[TDIR_MAX];
static int tdir_n;

static int tdir_rm_one(const char *p, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

void tdir_remove(const char *path)
{
	nftw(path, tdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void tdir_cleanup(void)
{
	for (int i = 0; i < tdir_n; i++) {
		tdir_remove(tdir_list[i]);
		free(tdir_list[i]);
	}
	tdir_n = 0;
}

const char *tdir_make(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];

	snprintf(tmpl, sizeof tmpl, "%s/agentlog-%s-XXXXXX",
		 base && *base ? base : "/tmp", tag);
	if (mkdtemp(tmpl) == NULL || tdir_n == TDIR_MAX) {
		perror("mkdtemp");
		exit(1);
	}
	if (tdir_n == 0)
		atexit(tdir_cleanup);
	tdir_list[tdir_n] = strdup(tmpl);
	return tdir_list[tdir_n++];
}

int tdir_write(const char *path, const void *buf, size_t len, int append)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		      (append ? O_APPEND : O_TRUNC), 0600);
	if (fd < 0)
		return -errno;
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
}

char *tdir_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

int tdir_count(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	size_t sl = strlen(suffix);

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] != '.' && l >= sl &&
		    strcmp(e->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

double tdir_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
