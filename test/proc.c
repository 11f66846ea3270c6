/* SPDX-License-Identifier: MIT */
/* proc.c: see proc.h. */
#include "proc.h"

#include "tomb.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

int thread_count(void)
{
	char buf[4096];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:");
	return p != NULL ? atoi(p + strlen("\nThreads:")) : -1;
}

/*
 * pthread_join returns when the kernel clears the thread's tid, which it does
 * while the thread's exit is still in progress; the thread leaves the
 * process's count a few microseconds later.  Measured here with raw
 * pthread_create and pthread_join and no libtomb at all: 12 to 30 of 20,000
 * joins were followed by a count one too high.  So a count that is too high is
 * read again, yielding between reads, until it drops or a generous deadline
 * passes: a thread that was really left running stays counted and fails the
 * test.  (The exact promise, that the thread had finished before the wait
 * returned, is what struct exit_probe checks.)
 */
/* Counted before main, by a constructor. */
static int start_threads;

__attribute__((constructor)) static void count_start_threads(void)
{
	start_threads = thread_count();
}

int start_thread_count(void)
{
	return start_threads > 0 ? start_threads : 1;
}

int settled_thread_count(int expected)
{
	struct timespec end = test_deadline(2), now;
	int n;

	for (;;) {
		n = thread_count();
		if (n <= expected)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return n;
		sched_yield();
	}
}

/* Reads the first line of /proc/self/task/<tid>/<what> into buf. */
static bool read_task_file(const char *tid, const char *what, char *buf,
                           size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "/proc/self/task/%.16s/%s", tid,
	                     what) >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

void await_thread_gone(pid_t tid)
{
	struct timespec end = test_deadline(2), now;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	while (access(path, F_OK) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return;
		sched_yield();
	}
}

/* Whether a system call number read from /proc is futex's, or poll's or
 * ppoll's.  A 32-bit x86 program run by qemu-i386 on an x86-64 kernel
 * (.ci/m32, on a kernel without IA-32 emulation) waits in qemu's own calls,
 * which /proc shows by their x86-64 numbers: futex 202, poll 7, ppoll 271. */
static bool is_futex(long nr)
{
#if defined(__i386__)
	return nr == SYS_futex || nr == 202;
#else
	return nr == SYS_futex;
#endif
}

static bool is_poll(long nr)
{
#if defined(__i386__)
	if (nr == 7 || nr == 271)
		return true;
#endif
#ifdef SYS_poll
	if (nr == SYS_poll)
		return true;
#endif
	return nr == SYS_ppoll;
}

bool thread_in_futex_wait(pid_t tid)
{
	char path[64], buf[256];
	long nr = -1;
	unsigned long addr = 0, op = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) == NULL ||
	    sscanf(buf, "%ld %lx %lx", &nr, &addr, &op) < 1)
		nr = -1;
	fclose(f);
	/* Either clock; private, or shared as pthread_join's wait for a
	 * thread's exit is.  FUTEX_WAIT_BITSET is the library's waits, and
	 * glibc's condition waits and joins (2.36 seen; an older glibc's
	 * pthread_cond_wait.c, read for this, waited in plain FUTEX_WAIT:
	 * taken here from 2.34, where its waits were rewritten, the
	 * releases around it not checked).  There glibc's mutexes, like its
	 * internal locks, block in plain FUTEX_WAIT, and a thread blocked on
	 * a lock (which may hold another, or take this one and go on) does
	 * not count.  musl's condition variables and joins, and older
	 * glibc's, wait with plain FUTEX_WAIT too: there it counts. */
	op &= ~(unsigned long)(FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG);
	if (nr == SYS_futex_waitv)
		return true;
	if (!is_futex(nr))
		return false;
#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	return op == FUTEX_WAIT_BITSET;
#else
	return op == FUTEX_WAIT_BITSET || op == FUTEX_WAIT;
#endif
}

pid_t thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = -1;

	while (d != NULL && tid < 0 && (e = readdir(d)) != NULL) {
		char buf[128];

		if (e->d_name[0] != '.' &&
		    read_task_file(e->d_name, "comm", buf, sizeof(buf)) &&
		    strcmp(buf, name) == 0)
			tid = (pid_t)strtol(e->d_name, NULL, 10);
	}
	if (d != NULL)
		closedir(d);
	return tid;
}

bool thread_in_poll(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	while (d != NULL && !found && (e = readdir(d)) != NULL) {
		char buf[128];
		long nr;

		if (e->d_name[0] == '.' ||
		    !read_task_file(e->d_name, "comm", buf, sizeof(buf)) ||
		    strcmp(buf, name) != 0 ||
		    !read_task_file(e->d_name, "syscall", buf, sizeof(buf)))
			continue;
		/* "NR args...", or "running", or "-1 ..." outside a call. */
		nr = strtol(buf, NULL, 10);
		found = is_poll(nr);
	}
	if (d != NULL)
		closedir(d);
	return found;
}

int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static pthread_key_t probe_key;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe_destructor(void *v)
{
	struct exit_probe *p = v;

	/* Linger a little, so that a wait that returned too early is caught. */
	for (int i = 0; i < 20; i++)
		sched_yield();
	atomic_store(&p->exited, true);
	sem_post(&p->gone);
}

static void probe_key_init(void)
{
	if (pthread_key_create(&probe_key, probe_destructor) != 0)
		abort();
}

void exit_probe_init(struct exit_probe *p)
{
	/* Made here, on the test's thread before it starts the worker that
	 * arms the probe: Helgrind does not understand pthread_once's lock-free
	 * fast path, and would take a second worker's look at probe_key for a
	 * race with the first one's pthread_key_create. */
	pthread_once(&probe_once, probe_key_init);
	atomic_init(&p->exited, false);
	sem_init(&p->gone, 0, 0);
}

void exit_probe_destroy(struct exit_probe *p)
{
	sem_destroy(&p->gone);
}

void exit_probe_arm(struct exit_probe *p)
{
	pthread_once(&probe_once, probe_key_init);
	if (pthread_setspecific(probe_key, p) != 0)
		abort();
}

long long timeout_multiplier(void)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");

	return m != NULL && atoi(m) > 0 ? atoi(m) : 1;
}

struct timespec test_deadline(int seconds)
{
	return tomb_deadline_ms(seconds * 1000LL * timeout_multiplier());
}
