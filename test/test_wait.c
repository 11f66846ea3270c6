/* SPDX-License-Identifier: MIT */
/* test_wait.c: waiting for a tomb to be dead. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>

/* Any number of threads may wait at once; all get the same reason. */
START_TEST(test_many_waiters_same_reason)
{
	enum { N = 8 };
	tomb_t *t = tomb_new();
	pthread_t th[N];
	struct wait_result w[N];
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	sem_wait(&started);
	for (int i = 0; i < N; i++) {
		w[i].t = t;
		w[i].got = -1;
		ck_assert_int_eq(pthread_create(&th[i], NULL, wait_thread_main, &w[i]), 0);
	}
	ck_assert_int_eq(tomb_killf(t, ESHUTDOWN, "going home"), ESHUTDOWN);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(w[i].got, ESHUTDOWN);
	}
	ck_assert_int_eq(tomb_wait(t), ESHUTDOWN);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

/* Timeouts assert only the direction that cannot flake. */
START_TEST(test_timedwait_times_out_while_alive)
{
	tomb_t *t = tomb_new();
	struct timespec past = tomb_deadline_ms(0), soon = tomb_deadline_ms(20);
	int reason = 42;

	ck_assert_int_eq(tomb_timedwait(t, &past, &reason), ETIMEDOUT);
	ck_assert_int_eq(tomb_timedwait(t, &soon, &reason), ETIMEDOUT);
	ck_assert_int_eq(reason, 42);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_times_out_while_dying)
{
	tomb_t *t = tomb_new();
	struct timespec soon = tomb_deadline_ms(20);
	sem_t release;
	int reason = 42;

	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &release), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	/* One worker holds on: dying, but not dead. */
	ck_assert_int_eq(tomb_timedwait(t, &soon, &reason), ETIMEDOUT);
	ck_assert_int_eq(reason, 42);
	sem_post(&release);
	ck_assert_int_eq(tomb_timedwait(t, NULL, &reason), 0);
	ck_assert_int_eq(reason, EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&release);
}
END_TEST

START_TEST(test_timedwait_dead_with_past_deadline)
{
	tomb_t *t = tomb_new();
	struct timespec past = {0, 0};

	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	/* Dead is dead, whatever the deadline. */
	ck_assert_int_eq(tomb_timedwait(t, &past, NULL), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_bad_deadline)
{
	tomb_t *t = tomb_new();
	struct timespec bad_ns = {1, 1000000000L}, neg_ns = {1, -1},
	                neg_s = {-1, 0};

	ck_assert_int_eq(tomb_timedwait(t, &bad_ns, NULL), EINVAL);
	ck_assert_int_eq(tomb_timedwait(t, &neg_ns, NULL), EINVAL);
	ck_assert_int_eq(tomb_timedwait(t, &neg_s, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A wait that returns with workers still counted would be a lie: wait on a
 * tomb whose workers keep returning 0 while the last one holds on. */
START_TEST(test_wait_blocks_until_last_worker)
{
	tomb_t *t = tomb_new();
	struct timespec soon = tomb_deadline_ms(20);
	sem_t release;
	int zero = 0;

	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &release), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_timedwait(t, &soon, NULL), ETIMEDOUT);
	ck_assert(tomb_alive(t)); /* the holder has not returned */
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&release);
}
END_TEST

Suite *make_wait_suite(void)
{
	Suite *s = suite_create("wait");
	TCase *tc = tcase_create("wait");

	add_leak_check(tc);
	tcase_add_test(tc, test_many_waiters_same_reason);
	tcase_add_test(tc, test_timedwait_times_out_while_alive);
	tcase_add_test(tc, test_timedwait_times_out_while_dying);
	tcase_add_test(tc, test_timedwait_dead_with_past_deadline);
	tcase_add_test(tc, test_timedwait_bad_deadline);
	tcase_add_test(tc, test_wait_blocks_until_last_worker);
	suite_add_tcase(s, tc);
	return s;
}
