/*
 * helpers.h: what the tests share: the thread-leak check every test runs, a
 * probe that proves a thread has really exited, and small hand-offs.
 * Only the test's own thread calls ck_assert; workers record what they saw.
 */
#ifndef TOMB_TEST_HELPERS_H
#define TOMB_TEST_HELPERS_H

#include <check.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

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
Suite *make_errors_suite(void);

/* Adds the leak fixture to tc: each test starts by recording the process's
 * thread and descriptor counts and ends by asserting they are back there. */
void add_leak_check(TCase *tc);

/* The number of threads in this process, from /proc/self/status. */
int thread_count(void);

/* The number of open descriptors of this process (counting the one that
 * reads /proc/self/fd). */
int fd_count(void);

/* Waits for the kernel to finish removing threads that have already been
 * joined, then returns the thread count (see helpers.c for why). */
int settled_thread_count(int expected);

/*
 * An exit probe: exit_probe_arm(p), called on a worker's thread, makes that
 * thread set p->exited as the very last thing it does in user space (in a
 * thread-specific-data destructor, which runs after the library's code on that
 * thread has returned).  So "p->exited is set" after tomb_wait returns proves
 * the thread finished before the wait did, not merely its function.
 */
struct exit_probe {
	atomic_bool exited;
	sem_t gone; /* posted just after exited is set */
};
void exit_probe_init(struct exit_probe *p);
void exit_probe_destroy(struct exit_probe *p);
void exit_probe_arm(struct exit_probe *p);

/* A deadline for a test that must end: seconds from now, times the
 * CK_TIMEOUT_MULTIPLIER of slow machines. */
struct timespec test_deadline(int seconds);

/* Workers that many tests use. */
int worker_return_arg(tomb_t *t, void *arg);   /* returns *(int *)arg */
int worker_until_dying(tomb_t *t, void *arg);  /* posts sem arg, sleeps until dying */
int worker_wait_sem(tomb_t *t, void *arg);     /* waits for sem arg, returns 0 */
int worker_probed_zero(tomb_t *t, void *arg);  /* arms exit probe arg, returns 0 */

#endif
