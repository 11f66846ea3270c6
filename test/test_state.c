/* SPDX-License-Identifier: MIT */
/* test_state.c: making and freeing tombs, and reading their state. */
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

START_TEST(test_new_is_alive)
{
	tomb_t *t = tomb_new();

	ck_assert_ptr_nonnull(t);
	ck_assert(tomb_alive(t));
	ck_assert(!tomb_dying(t));
	ck_assert_int_eq(tomb_err(t), TOMB_STILL_ALIVE);
	ck_assert_str_eq(tomb_errmsg(t), "still alive");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_null_arguments)
{
	int reason = 12345;

	ck_assert_int_eq(tomb_free(NULL), EINVAL);
	ck_assert(!tomb_dying(NULL));
	ck_assert(!tomb_alive(NULL));
	ck_assert_int_eq(tomb_err(NULL), EINVAL);
	ck_assert_ptr_null(tomb_errmsg(NULL));
	ck_assert_int_eq(tomb_kill(NULL, 0), EINVAL);
	ck_assert_int_eq(tomb_killf(NULL, EIO, "x"), EINVAL);
	ck_assert_int_eq(tomb_go(NULL, worker_return_arg, NULL), EINVAL);
	ck_assert_int_eq(tomb_wait(NULL), EINVAL);
	ck_assert_int_eq(tomb_timedwait(NULL, NULL, &reason), EINVAL);
	ck_assert_int_eq(reason, 12345); /* untouched on error */
	ck_assert_int_eq(tomb_wait_dying(NULL, NULL), EINVAL);
	ck_assert_int_eq(tomb_sleep(NULL, NULL), EINVAL);
}
END_TEST

START_TEST(test_sentinels_are_far_from_codes)
{
	/* No errno value and no small code can be a sentinel. */
	ck_assert_int_ne(TOMB_STILL_ALIVE, TOMB_EDYING);
	ck_assert_int_lt(TOMB_STILL_ALIVE, -65536);
	ck_assert_int_lt(TOMB_EDYING, -65536);
	for (int e = 0; e < 4096; e++) {
		ck_assert_int_ne(e, TOMB_STILL_ALIVE);
		ck_assert_int_ne(-e, TOMB_EDYING);
	}
}
END_TEST

START_TEST(test_version)
{
	ck_assert_str_eq(tomb_version(), TOMB_VERSION_STRING);
	ck_assert_int_eq(TOMB_VERSION_NUMBER,
	                 (TOMB_VERSION_MAJOR << 16) | (TOMB_VERSION_MINOR << 8) |
	                         TOMB_VERSION_PATCH);
}
END_TEST

START_TEST(test_free_busy_while_worker_runs)
{
	tomb_t *t = tomb_new();
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	/* Nothing was freed: the tomb still works. */
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

START_TEST(test_free_alive_without_workers)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

static int worker_tries_free(tomb_t *t, void *arg)
{
	*(int *)arg = tomb_free(t);
	return 0;
}

START_TEST(test_free_from_own_worker_is_busy)
{
	tomb_t *t = tomb_new();
	int seen = -1;

	ck_assert_int_eq(tomb_go(t, worker_tries_free, &seen), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(seen, EBUSY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A dead tomb nobody waited for: tomb_free joins its last thread. */
START_TEST(test_free_dead_without_wait)
{
	tomb_t *t = tomb_new();
	struct timespec end = test_deadline(10);
	int zero = 0;

	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	/* The last return kills, in the same step that uncounts the worker:
	 * once dying is seen, no worker runs and tomb_free joins the thread. */
	ck_assert_int_eq(tomb_wait_dying(t, &end), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb.h's inline tomb_dying and the exported function agree. */
START_TEST(test_dying_inline_and_function)
{
	tomb_t *t = tomb_new();
	bool (*fn)(const tomb_t *) = tomb_dying; /* no parentheses: the function */

	ck_assert_ptr_nonnull(t);
	ck_assert(!tomb_dying(t));
	ck_assert(!(tomb_dying)(t));
	ck_assert(!fn(t));
	ck_assert(!tomb_dying(NULL));
	ck_assert(!(tomb_dying)(NULL));
	tomb_kill(t, 3);
	ck_assert(tomb_dying(t));
	ck_assert((tomb_dying)(t));
	ck_assert(fn(t));
	ck_assert_int_eq(tomb_wait(t), 3);
	ck_assert(tomb_dying(t)); /* dead is dying too */
	ck_assert((tomb_dying)(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	add_leak_check(tc);
	tcase_add_test(tc, test_new_is_alive);
	tcase_add_test(tc, test_null_arguments);
	tcase_add_test(tc, test_dying_inline_and_function);
	tcase_add_test(tc, test_sentinels_are_far_from_codes);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_free_busy_while_worker_runs);
	tcase_add_test(tc, test_free_alive_without_workers);
	tcase_add_test(tc, test_free_from_own_worker_is_busy);
	tcase_add_test(tc, test_free_dead_without_wait);
	suite_add_tcase(s, tc);
	return s;
}
