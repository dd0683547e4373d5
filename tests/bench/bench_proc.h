/*
 * bench_proc: what a benchmarked daemon costs, read from /proc/<pid>.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <sys/types.h>

/* CPU seconds (user + system, every thread) the process has used so far,
 * or -1 when /proc/<pid>/stat cannot be read. */
double proc_cpu_s(pid_t pid);

/* A "VmXXX:" field of /proc/<pid>/status in KiB (e.g. "VmHWM", the peak
 * resident set), or -1 when it cannot be read. */
long proc_status_kib(pid_t pid, const char *field);

#endif
