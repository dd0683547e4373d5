/*
 * replay.c: run a fuzz target's LLVMFuzzerTestOneInput() over files, for
 * builds without libFuzzer (gcc, or the sanitizer build).
 *
 *   fuzz-<name>-replay FILE|DIR...
 *
 * Every regular file given, or found directly in a directory given, is one
 * input.  A failed check aborts (the test fails); the file being run is
 * printed first, so the failing input is named.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read a whole file; NULL on error (printed). */
static uint8_t *replay_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "replay: fopen(%s) failed: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	/* An exact-size copy: an over-read is caught by ASan. */
	buf = malloc(n ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)n;
out:
	if (!buf)
		fprintf(stderr, "replay: cannot read %s\n", path);
	fclose(f);
	return buf;
}

static int replay_file(const char *path)
{
	size_t len = 0;
	uint8_t *buf = replay_read(path, &len);

	if (!buf)
		return -1;
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Every regular file directly in dir, in name order. */
static int replay_dir(const char *dir, int *count)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int n, i, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: scandir(%s) failed: %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, count = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				rc = 1;
		} else {
			if (replay_file(argv[i]) < 0)
				rc = 1;
			count++;
		}
	}
	printf("replay: %d input(s) run\n", count);
	return count == 0 ? 1 : rc;
}
