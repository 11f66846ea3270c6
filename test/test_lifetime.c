/* SPDX-License-Identifier: MIT */
/* test_lifetime.c: the tomb, errgroup and group lifetimes, against the Go
 * behaviour table in shared/reference/go-semantics.md. */
#include "helpers.h"

#include <errno.h>

static tomb_t *new_with(int lifetime)
{
	struct tomb_opts o = {.lifetime = lifetime};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* A worker that returns *arg once the tomb is dying. */
static int return_when_dying(tomb_t *t, void *arg)
{
	(void)tomb_sleep(t, NULL);
	return *(int *)arg;
}

/* errgroup: a batch spawned from one thread cannot be ruined by fast
 * workers: none of the spawns fails, and the tomb dies with 0 only once
 * waited for.  (With the tomb lifetime the first fast return kills it.) */
START_TEST(test_errgroup_fast_workers)
{
	int zero = 0;

	for (int round = 0; round < test_rounds(2000); round++) {
		tomb_t *t = new_with(TOMB_LIFETIME_ERRGROUP);

		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* errgroup: alive while nobody waits, even with no worker running. */
START_TEST(test_errgroup_alive_until_waited)
{
	tomb_t *t = new_with(TOMB_LIFETIME_ERRGROUP);
	struct exit_probe p;
	int zero = 0;

	exit_probe_init(&p);
	ck_assert_int_eq(tomb_go(t, worker_probed_zero, &p), 0);
	sem_wait(&p.gone); /* its thread has ended */
	ck_assert_int_eq(tomb_count(t), 0);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), ESRCH);
	ck_assert_int_eq(tomb_free(t), 0);
	exit_probe_destroy(&p);
}
END_TEST

/* errgroup: the first non-zero return kills the rest; later errors drop. */
START_TEST(test_errgroup_first_error_kills)
{
	tomb_t *t = new_with(TOMB_LIFETIME_ERRGROUP);
	int eio = EIO, enoent = ENOENT;

	ck_assert_int_eq(tomb_go(t, return_when_dying, &enoent), 0);
	ck_assert_int_eq(tomb_go(t, return_when_dying, &enoent), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &eio), 0);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* errgroup and group: Wait with nothing started returns 0 (Go: nil). */
START_TEST(test_wait_with_nothing_started)
{
	int lifetimes[] = {TOMB_LIFETIME_ERRGROUP, TOMB_LIFETIME_GROUP};

	for (int i = 0; i < 2; i++) {
		tomb_t *t = new_with(lifetimes[i]);

		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert(tomb_dying(t));
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* The tomb lifetime still waits for a kill when nothing was started. */
START_TEST(test_tomb_lifetime_waits_for_kill)
{
	tomb_t *t = new_with(TOMB_LIFETIME_TOMB);
	struct timespec soon = tomb_deadline_ms(20);

	ck_assert_int_eq(tomb_timedwait(t, &soon, NULL), ETIMEDOUT);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* group: any return kills the rest, 0 included; a graceful stop is 0. */
START_TEST(test_group_any_return_kills)
{
	tomb_t *t = new_with(TOMB_LIFETIME_GROUP);
	int zero = 0, edying = TOMB_EDYING;
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_go(t, return_when_dying, &edying), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "");
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

/* group: the first non-zero return is the reason; siblings returning
 * TOMB_EDYING or 0 after the kill do not mask it. */
START_TEST(test_group_error_not_masked)
{
	tomb_t *t = new_with(TOMB_LIFETIME_GROUP);
	int eio = EIO, zero = 0, edying = TOMB_EDYING;

	ck_assert_int_eq(tomb_go(t, return_when_dying, &zero), 0);
	ck_assert_int_eq(tomb_go(t, return_when_dying, &edying), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &eio), 0);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* group: a graceful shutdown from outside reports 0, where Go reports
 * context.Canceled; services answer it with TOMB_EDYING. */
START_TEST(test_group_graceful_shutdown)
{
	tomb_t *t = new_with(TOMB_LIFETIME_GROUP);
	sem_t started;

	sem_init(&started, 0, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	for (int i = 0; i < 3; i++)
		sem_wait(&started);
	ck_assert_int_eq(tomb_killf(t, 0, "received SIGTERM"), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "received SIGTERM");
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

/* group: after a 0 return, a sibling's later error still wins (0 is
 * provisional, as everywhere). */
START_TEST(test_group_error_after_zero)
{
	tomb_t *t = new_with(TOMB_LIFETIME_GROUP);
	int zero = 0, reset = ECONNRESET;
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, return_when_dying, &reset), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), ECONNRESET);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

Suite *make_lifetime_suite(void)
{
	Suite *s = suite_create("lifetime");
	TCase *tc = tcase_create("lifetime");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_errgroup_fast_workers);
	tcase_add_test(tc, test_errgroup_alive_until_waited);
	tcase_add_test(tc, test_errgroup_first_error_kills);
	tcase_add_test(tc, test_wait_with_nothing_started);
	tcase_add_test(tc, test_tomb_lifetime_waits_for_kill);
	tcase_add_test(tc, test_group_any_return_kills);
	tcase_add_test(tc, test_group_error_not_masked);
	tcase_add_test(tc, test_group_graceful_shutdown);
	tcase_add_test(tc, test_group_error_after_zero);
	suite_add_tcase(s, tc);
	return s;
}
