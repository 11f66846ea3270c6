/* SPDX-License-Identifier: MIT */
/*
 * helpers.h: what the tests share: the thread-leak check every test runs
 * (with proc.h's counts and exit probe), and small hand-offs.
 * Only the test's own thread calls ck_assert; workers record what they saw.
 */
#ifndef TOMB_TEST_HELPERS_H
#define TOMB_TEST_HELPERS_H

#include <check.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/types.h>

#include "proc.h"
#include "tomb.h"

/* Whether ThreadSanitizer watches this build. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

/* Whether AddressSanitizer watches this build. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* The suites, one per module, chained by main.c. */
Suite *make_state_suite(void);
Suite *make_kill_suite(void);
Suite *make_go_suite(void);
Suite *make_wait_suite(void);
Suite *make_sleep_suite(void);
Suite *make_race_suite(void);
Suite *make_cond_suite(void);
Suite *make_hook_suite(void);
Suite *make_fd_suite(void);
Suite *make_lifetime_suite(void);
Suite *make_limit_suite(void);
Suite *make_report_suite(void);
Suite *make_tree_suite(void);
Suite *make_signal_suite(void);
Suite *make_pool_suite(void);
Suite *make_pool_waiter_suite(void);
Suite *make_errors_suite(void);
Suite *make_exit_suite(void);

/* Channels (test_chan.c). */
Suite *make_chan_suite(void);
/* I/O that a kill interrupts (test_io.c). */
Suite *make_io_suite(void);

/* Deadlines (issue 22). */
Suite *make_deadline_suite(void);

/* Adds the leak fixture to tc: each test starts by recording the process's
 * thread and descriptor counts and ends by asserting they are back there. */
void add_leak_check(TCase *tc);

/*
 * How many rounds a loop that hunts for an interleaving runs: n, or n / 20
 * (at least 1) under a valgrind tool.  Valgrind runs one thread at a time,
 * so extra rounds there mostly repeat one interleaving, at 50 to 100 times
 * the native cost (Helgrind and DRD more); the native run and the
 * sanitizer runs keep the full count.
 */
#define VALGRIND_ROUNDS_DIVISOR 20
int test_rounds(int n);

/* Whether a valgrind tool runs the test (one thread at a time, in long
 * slices: no bound on how long a runnable thread waits for its turn). */
bool under_valgrind(void);

/* Waits until thread tid of this process sits in a futex wait of the kind
 * libtomb's waits make (/proc/self/task/TID/syscall), so that what follows
 * (a kill, a signal) reaches a thread that really sleeps; fails the test
 * after a generous deadline.  Called on the test's own thread. */
void await_futex_wait(pid_t tid);

/* The kernel id of the thread of this process called `name`, once there is
 * one (a library thread names itself as it starts); fails the test after a
 * generous deadline.  Called on the test's own thread. */
pid_t await_thread_named(const char *name);

/* Returns once the thread of this process called `name` is blocked in
 * ppoll; fails the test after a generous deadline.  On the test's own
 * thread. */
void await_in_poll(const char *name);

/* await_futex_wait for each running worker of t (16 at most), once each
 * has started.  Before a fork(): a thread still starting may be inside
 * AddressSanitizer's allocator, which (gcc 12) takes no lock around fork(),
 * and the child would inherit that lock held (test_deadline.c). */
void await_workers_asleep(tomb_t *t);

/* A plain thread (not a worker) that makes one blocking call on a tomb:
 * start_blocked returns once the call sleeps in the kernel
 * (await_futex_wait), finish_blocked joins it and gives the call's result. */
struct blocked {
	tomb_t *t;
	const struct timespec *abstime;
	int (*call)(struct blocked *b);
	pthread_t thread;
	atomic_int tid;
	sem_t ready;
	int rc;
};
void start_blocked(struct blocked *b);
int finish_blocked(struct blocked *b);

/* A call for struct blocked: tomb_sleep(b->t, b->abstime). */
int blocked_sleep(struct blocked *b);

/* Workers that many tests use. */
int worker_return_arg(tomb_t *t, void *arg);   /* returns *(int *)arg */
int worker_until_dying(tomb_t *t, void *arg);  /* posts sem arg, sleeps until dying */
int worker_wait_sem(tomb_t *t, void *arg);     /* waits for sem arg, returns 0 */
int worker_probed_zero(tomb_t *t, void *arg);  /* arms exit probe arg, returns 0 */
int worker_count(tomb_t *t, void *arg);        /* adds 1 to atomic_int arg, returns 0 */

/* A thread that waits for t: pthread_create(&th, NULL, wait_thread_main, &w)
 * keeps what tomb_wait(w.t) returned in w.got. */
struct wait_result {
	tomb_t *t;
	int got;
};
void *wait_thread_main(void *arg);

/* The most threads a pool runs jobs on before tomb_go queues instead of
 * making one: 2 x the CPUs online (lib/pool.c `busy_max`). */
size_t pool_busy_max(void);

#endif
