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
Suite *make_errors_suite(void);

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

/* Workers that many tests use. */
int worker_return_arg(tomb_t *t, void *arg);   /* returns *(int *)arg */
int worker_until_dying(tomb_t *t, void *arg);  /* posts sem arg, sleeps until dying */
int worker_wait_sem(tomb_t *t, void *arg);     /* waits for sem arg, returns 0 */
int worker_probed_zero(tomb_t *t, void *arg);  /* arms exit probe arg, returns 0 */

#endif
