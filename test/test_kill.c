/* SPDX-License-Identifier: MIT */
/* test_kill.c: killing, the precedence of reasons, and messages. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

START_TEST(test_kill_makes_dying_at_once)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert(tomb_dying(t));
	ck_assert(!tomb_alive(t));
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Kill(e1); kill(0); kill(e2) leaves e1. */
START_TEST(test_first_nonzero_reason_wins)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_kill(t, ENOENT), 0);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A 0 reason is provisional: the first later non-zero one replaces it. */
START_TEST(test_zero_reason_is_provisional)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert(tomb_dying(t));
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_int_eq(tomb_kill(t, ENOENT), 0);
	ck_assert_int_eq(tomb_err(t), ENOENT);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_err(t), ENOENT);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* The sentinels are refused where they make no sense. */
START_TEST(test_kill_still_alive_is_einval)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, TOMB_STILL_ALIVE), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_killf(t, TOMB_STILL_ALIVE, "x"), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_kill(t, TOMB_STILL_ALIVE), EINVAL);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_edying_while_alive_is_einval)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, TOMB_EDYING), EINVAL);
	ck_assert_int_eq(tomb_killf(t, TOMB_EDYING, "late"), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_str_eq(tomb_errmsg(t), "still alive");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_edying_while_dying_keeps_reason)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_kill(t, TOMB_EDYING), 0);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_int_eq(tomb_killf(t, TOMB_EDYING, "ignored"), TOMB_EDYING);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "");
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_kill(t, TOMB_EDYING), 0);
	ck_assert_int_eq(tomb_err(t), EPIPE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Killf's message, and the defaults. */
START_TEST(test_killf_message)
{
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_killf(t, ETIMEDOUT, "timeout after %d ms", 250),
	                 ETIMEDOUT);
	ck_assert_int_eq(tomb_err(t), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(t), "timeout after 250 ms");
	/* A losing killf returns its reason and changes nothing. */
	ck_assert_int_eq(tomb_killf(t, EIO, "disk %s", "sda"), EIO);
	ck_assert_int_eq(tomb_err(t), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(t), "timeout after 250 ms");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_default_messages)
{
	tomb_t *t;

	t = tomb_new();
	tomb_kill(t, EIO);
	ck_assert_str_eq(tomb_errmsg(t), strerror(EIO));
	tomb_free(t);

	t = tomb_new();
	tomb_kill(t, 0);
	ck_assert_str_eq(tomb_errmsg(t), "");
	tomb_free(t);

	t = tomb_new();
	tomb_kill(t, 123456);
	ck_assert_str_eq(tomb_errmsg(t), "reason 123456");
	tomb_free(t);

	t = tomb_new();
	tomb_kill(t, -7);
	ck_assert_str_eq(tomb_errmsg(t), "reason -7");
	tomb_free(t);
}
END_TEST

/* A message handed out stays readable until tomb_free, even after the
 * provisional 0 it belonged to gives way (ASan and valgrind watch this). */
START_TEST(test_replaced_message_stays_valid)
{
	tomb_t *t = tomb_new();
	const char *first;

	ck_assert_int_eq(tomb_killf(t, 0, "shutting down"), 0);
	first = tomb_errmsg(t);
	ck_assert_str_eq(first, "shutting down");
	ck_assert_int_eq(tomb_killf(t, 0, "again"), 0);
	ck_assert_str_eq(tomb_errmsg(t), "shutting down");
	ck_assert_int_eq(tomb_killf(t, EPIPE, "peer went away"), EPIPE);
	ck_assert_str_eq(tomb_errmsg(t), "peer went away");
	ck_assert_str_eq(first, "shutting down");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

static void *killf_from_thread(void *arg)
{
	tomb_killf(arg, EPIPE, "peer %d went away", 7);
	return NULL;
}

/* A message that replaces the provisional one, formatted on another thread,
 * is read whole by a thread that sees it through tomb_errmsg, with nothing
 * else ordering the two (the join comes after the read).  The bytes are
 * copied here, not by strcmp, so that Helgrind and DRD check this read. */
START_TEST(test_new_message_read_from_other_thread)
{
	tomb_t *t = tomb_new();
	const char *provisional, *m;
	char copy[32];
	pthread_t th;
	size_t i;

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	provisional = tomb_errmsg(t);
	ck_assert_int_eq(pthread_create(&th, NULL, killf_from_thread, t), 0);
	while ((m = tomb_errmsg(t)) == provisional)
		sched_yield();
	for (i = 0; i < sizeof(copy) - 1 && m[i] != '\0'; i++)
		copy[i] = m[i];
	copy[i] = '\0';
	pthread_join(th, NULL);
	ck_assert_str_eq(copy, "peer 7 went away");
	ck_assert_int_eq(tomb_err(t), EPIPE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A tomb killed before any worker started is dead at once. */
START_TEST(test_killed_without_workers_is_dead)
{
	tomb_t *t = tomb_new();
	int zero = 0, reason = -1;

	ck_assert_int_eq(tomb_kill(t, ECONNRESET), 0);
	ck_assert_int_eq(tomb_wait(t), ECONNRESET);
	ck_assert_int_eq(tomb_timedwait(t, NULL, &reason), 0);
	ck_assert_int_eq(reason, ECONNRESET);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), ESRCH);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_kill_suite(void)
{
	Suite *s = suite_create("kill");
	TCase *tc = tcase_create("kill");

	add_leak_check(tc);
	tcase_add_test(tc, test_kill_makes_dying_at_once);
	tcase_add_test(tc, test_first_nonzero_reason_wins);
	tcase_add_test(tc, test_zero_reason_is_provisional);
	tcase_add_test(tc, test_kill_still_alive_is_einval);
	tcase_add_test(tc, test_kill_edying_while_alive_is_einval);
	tcase_add_test(tc, test_kill_edying_while_dying_keeps_reason);
	tcase_add_test(tc, test_killf_message);
	tcase_add_test(tc, test_default_messages);
	tcase_add_test(tc, test_replaced_message_stays_valid);
	tcase_add_test(tc, test_new_message_read_from_other_thread);
	tcase_add_test(tc, test_killed_without_workers_is_dead);
	suite_add_tcase(s, tc);
	return s;
}
