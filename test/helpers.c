/* SPDX-License-Identifier: MIT */
/* helpers.c: see helpers.h. */
#include "config.h"

#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

static int leak_baseline, fd_baseline;

static void *nothing(void *arg)
{
	return arg;
}

static void leak_setup(void)
{
	pthread_t th;

	/* A sanitizer's runtime may start a helper thread of its own at the
	 * first pthread_create (ThreadSanitizer does): let it do so before the
	 * count is taken. */
	if (pthread_create(&th, NULL, nothing, NULL) == 0)
		pthread_join(th, NULL);
	leak_baseline = settled_thread_count(start_thread_count());
	fd_baseline = fd_count();
	ck_assert_int_gt(fd_baseline, 0);
	ck_assert_int_gt(leak_baseline, 0);
}

static void leak_teardown(void)
{
	ck_assert_int_eq(settled_thread_count(leak_baseline), leak_baseline);
	ck_assert_int_eq(fd_count(), fd_baseline);
}

void add_leak_check(TCase *tc)
{
	tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
}

int worker_return_arg(tomb_t *t, void *arg)
{
	(void)t;
	return *(int *)arg;
}

int worker_until_dying(tomb_t *t, void *arg)
{
	if (arg != NULL)
		sem_post(arg);
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : EPROTO;
}

int worker_wait_sem(tomb_t *t, void *arg)
{
	(void)t;
	while (sem_wait(arg) != 0)
		continue; /* EINTR */
	return 0;
}

int worker_count(tomb_t *t, void *arg)
{
	(void)t;
	atomic_fetch_add_explicit((atomic_int *)arg, 1, memory_order_relaxed);
	return 0;
}

void *wait_thread_main(void *arg)
{
	struct wait_result *w = arg;

	w->got = tomb_wait(w->t);
	return NULL;
}

size_t pool_busy_max(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return 2 * (size_t)(n > 0 ? n : 1);
}

int worker_probed_zero(tomb_t *t, void *arg)
{
	(void)t;
	exit_probe_arm(arg);
	return 0;
}

bool under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

int test_rounds(int n)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return n / VALGRIND_ROUNDS_DIVISOR > 0 ? n / VALGRIND_ROUNDS_DIVISOR
		                                       : 1;
#endif
	return n;
}

/* Polls thread_in_futex_wait (proc.c), yielding, up to a generous
 * deadline. */
void await_futex_wait(pid_t tid)
{
	struct timespec end = test_deadline(10), now;

	while (!thread_in_futex_wait(tid)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec ||
		                      (now.tv_sec == end.tv_sec &&
		                       now.tv_nsec < end.tv_nsec),
		              "thread %d never blocked in a futex wait", (int)tid);
		sched_yield();
	}
}

pid_t await_thread_named(const char *name)
{
	struct timespec end = test_deadline(10), now;
	pid_t tid;

	while ((tid = thread_named(name)) < 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec ||
		                      (now.tv_sec == end.tv_sec &&
		                       now.tv_nsec < end.tv_nsec),
		              "no thread called %s", name);
		sched_yield();
	}
	return tid;
}

void await_in_poll(const char *name)
{
	struct timespec end = test_deadline(10), now;

	while (!thread_in_poll(name)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec, "%s never blocked in poll",
		              name);
		sched_yield();
	}
}

/* tomb_foreach's function for await_workers_asleep: the workers' ids. */
struct worker_ids {
	pid_t tid[16];
	size_t n;
	bool unstarted;
};

static void note_worker_id(const struct tomb_worker_info *info, void *arg)
{
	struct worker_ids *w = arg;

	if (info->tid == 0)
		w->unstarted = true;
	else if (w->n < sizeof(w->tid) / sizeof(w->tid[0]))
		w->tid[w->n++] = info->tid;
}

/* Whether tomb_foreach's thread ids are the kernel's: not with the portable
 * backend where the system gives it none (tomb_foreach(3)); on Linux only
 * if configure is told so (ac_cv_func_gettid=no). */
#if defined(TOMB_BACKEND_POSIX) && !defined(HAVE_GETTID) && \
	!defined(HAVE_PTHREAD_GETTHREADID_NP)
#define WORKER_IDS_ARE_KERNELS false
#else
#define WORKER_IDS_ARE_KERNELS true
#endif

void await_workers_asleep(tomb_t *t)
{
	struct timespec end = test_deadline(10), now;
	struct worker_ids w;

	for (;;) {
		w.n = 0;
		w.unstarted = false;
		ck_assert_int_eq(tomb_foreach(t, note_worker_id, &w), 0);
		if (!w.unstarted)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec, "a worker never started");
		sched_yield();
	}
	/* Without the kernel's ids their sleep cannot be seen: they have
	 * started, which is all a native run needs (helpers.h). */
	for (size_t i = 0; WORKER_IDS_ARE_KERNELS && i < w.n; i++)
		await_futex_wait(w.tid[i]);
}

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	sem_post(&b->ready);
	b->rc = b->call(b);
	return NULL;
}

/* Starts b->call(b) on a new thread and returns once it blocks. */
void start_blocked(struct blocked *b)
{
	sem_init(&b->ready, 0, 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, blocked_main, b), 0);
	while (sem_wait(&b->ready) != 0)
		continue;
	await_futex_wait(atomic_load(&b->tid));
}

int blocked_sleep(struct blocked *b)
{
	return tomb_sleep(b->t, b->abstime);
}

/* Joins the thread; its call's result. */
int finish_blocked(struct blocked *b)
{
	ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
	sem_destroy(&b->ready);
	return b->rc;
}
