/*
 * bench_proc.c: CPU time and memory of another process, from /proc.
 * Linux only, like the rest of the benchmark suite.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_proc.h"

/* Fields 14 and 15 of /proc/<pid>/stat are utime and stime in clock ticks,
 * summed over the process's threads.  The command name (field 2) may hold
 * spaces, so parsing starts after its closing parenthesis. */
double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	const char *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			sscanf(line + len + 1, "%ld", &kib);
			break;
		}
	}
	fclose(f);
	return kib;
}
