/* SPDX-License-Identifier: MIT */
/*
 * peer.h: what the C and C++ peer benchmarks share: the command line, the
 * clock, the output lines, the calibrated loop length and the peak-RSS
 * reading.  Header-only (static functions) so that jthread.cc and
 * gcancellable.c each stay one file and need no library of their own.
 *
 * The protocol, for the driver bench/run.sh:
 *	PROG IMPL METRIC N RUNS
 * prints RUNS lines "METRIC IMPL N VALUE" (VALUE an integer: ns, or bytes
 * for mem-rss), or one line "skip METRIC IMPL reason..." and exit 0 for a
 * metric the implementation cannot measure honestly.  Anything else that
 * fails says so on stderr and exits non-zero.
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One invocation, as parsed from argv. */
struct peer_args {
	const char *prog;	/* argv[0], for messages */
	const char *impl;	/* argv[1] */
	const char *metric;	/* argv[2] */
	long n;			/* argv[3]: workers, 1 for poll and hook */
	long runs;		/* argv[4]: measured runs, each printed */
};

/* The error path for everything that is not a skip: stderr, exit 1. */
static inline void peer_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void peer_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench peer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static inline long peer_number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1)
		peer_die("%s must be a positive integer, not \"%s\"", what, s);
	return v;
}

static inline struct peer_args peer_parse(int argc, char **argv)
{
	struct peer_args a;

	if (argc != 5)
		peer_die("usage: %s IMPL METRIC N RUNS", argv[0]);
	a.prog = argv[0];
	a.impl = argv[1];
	a.metric = argv[2];
	a.n = peer_number(argv[3], "N");
	a.runs = peer_number(argv[4], "RUNS");
	return a;
}

static inline long long peer_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		peer_die("clock_gettime: %s", strerror(errno));
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Once n workers have said they are about to block: the pause that bench-c
 * makes too (bench/README.md), 5 ms + 20 us per worker, so that they are
 * in the kernel and every impl's kill starts from the same idle CPUs.
 */
static inline void peer_settle(long n)
{
	struct timespec d = {0, 5000000 + n * 20000};

	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

static inline void peer_result(const struct peer_args *a, long long value)
{
	printf("%s %s %ld %lld\n", a->metric, a->impl, a->n, value);
	fflush(stdout);
}

static inline void peer_skip(const struct peer_args *a, const char *reason)
{
	printf("skip %s %s %s\n", a->metric, a->impl, reason);
	fflush(stdout);
}

/*
 * Loops that time one cheap call (poll, hook) run until a run lasts
 * about PEER_LOOP_NS, so the clock's own cost and resolution vanish in the
 * per-call value.  The calibration doubles the count from PEER_LOOP_MIN
 * until one run lasts a fifth of that, then scales it up; it is also the
 * warm-up.  `once` runs the loop `iters` times and returns its ns.
 */
#define PEER_LOOP_NS	50000000LL
#define PEER_LOOP_MIN	(1L << 16)

static inline long peer_calibrate(long long (*once)(void *ctx, long iters),
				   void *ctx)
{
	long iters = PEER_LOOP_MIN;
	long long ns;

	for (;;) {
		ns = once(ctx, iters);
		if (ns >= PEER_LOOP_NS / 5 || iters > LONG_MAX / 4)
			break;
		iters *= 2;
	}
	if (ns < 1)
		ns = 1;
	return (long)((double)iters * PEER_LOOP_NS / ns) + 1;
}

/*
 * Prints RUNS lines of ns per call for a calibrated loop, rounded to the
 * nearest ns.  A check of a flag costs well under 1 ns, so the driver may
 * ask for a finer unit: BENCH_LOOP_SCALE=1000 prints picoseconds.
 */
static inline void peer_loop_metric(const struct peer_args *a,
				    long long (*once)(void *ctx, long iters),
				    void *ctx)
{
	const char *env = getenv("BENCH_LOOP_SCALE");
	long scale = env != NULL ? peer_number(env, "BENCH_LOOP_SCALE") : 1;
	long iters = peer_calibrate(once, ctx);
	long r;

	for (r = 0; r < a->runs; r++) {
		double ns = (double)once(ctx, iters) * scale / iters;

		peer_result(a, (long long)(ns + 0.5));
	}
}

/* The process's peak resident set size in bytes (VmHWM), or -1. */
static inline long long peer_vmhwm(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * mem-rss needs a fresh process per run: VmHWM only grows, and the memory
 * of a previous run's stacks may still be resident (glibc's stack cache),
 * which would hide the next run's cost.  With RUNS > 1 the program runs
 * itself RUNS times with RUNS = 1; each child prints its own line.
 * Returns 1 if it did that (the caller is done), 0 if this is the child.
 */
static inline int peer_mem_rerun(const struct peer_args *a)
{
	long r;

	if (a->runs == 1)
		return 0;
	fflush(stdout);
	for (r = 0; r < a->runs; r++) {
		char nbuf[32];
		int status;
		pid_t pid;

		snprintf(nbuf, sizeof(nbuf), "%ld", a->n);
		pid = fork();
		if (pid < 0)
			peer_die("fork: %s", strerror(errno));
		if (pid == 0) {
			execl("/proc/self/exe", a->prog, a->impl, a->metric,
			      nbuf, "1", (char *)NULL);
			fprintf(stderr, "bench peer: exec /proc/self/exe: %s\n",
				strerror(errno));
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			peer_die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			peer_die("%s %s %s: run %ld failed", a->prog, a->impl,
				 a->metric, r + 1);
	}
	return 1;
}

/*
 * The memory run's measurement around `start` (which leaves a->n workers
 * blocked): VmHWM after minus VmHWM before, so the runtime's fixed cost
 * is not counted.
 */
static inline long long peer_hwm_delta(long long before)
{
	long long after = peer_vmhwm();

	if (before < 0 || after < 0)
		peer_die("cannot read VmHWM from /proc/self/status");
	return after - before;
}

/*
 * Prints a memory run's value and ends the process with its workers still
 * blocked: the exit ends them all at once, where killing and joining
 * 10,000 threads one by one costs seconds and measures nothing.
 */
static inline void peer_mem_result_exit(const struct peer_args *a,
					long long value)
	__attribute__((noreturn));
static inline void peer_mem_result_exit(const struct peer_args *a,
					long long value)
{
	peer_result(a, value);
	_exit(0);
}

#endif
