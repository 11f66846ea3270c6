/* SPDX-License-Identifier: MIT */
/* test_lifetime.c: the tomb, errgroup and group lifetimes, against the Go
 * behaviour table in shared/reference/go-semantics.md. */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <time.h>

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

/* 1 if fd is readable now, else 0. */
static int fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) ? 1 : 0;
}

/* A worker that records that it ran, and returns 0. */
static int note_ran(tomb_t *t, void *arg)
{
	(void)t;
	atomic_store((atomic_int *)arg, 1);
	return 0;
}

/* errgroup: a Go after an error, once no worker runs, is still accepted
 * (errgroup's Go runs the function) and the wait returns the first error:
 * a dying errgroup tomb is not dead before its owner waits. */
START_TEST(test_errgroup_go_after_error)
{
	for (int round = 0; round < test_rounds(200); round++) {
		tomb_t *t = new_with(TOMB_LIFETIME_ERRGROUP);
		atomic_int ran = 0;
		int eio = EIO;

		ck_assert_int_eq(tomb_go(t, worker_return_arg, &eio), 0);
		/* Its return killed t and uncounted it in one step. */
		ck_assert_int_eq(tomb_wait_dying(t, NULL), 0);
		ck_assert_uint_eq(tomb_count(t), 0);
		ck_assert_int_eq(tomb_go(t, note_ran, &ran), 0);
		ck_assert_int_eq(tomb_wait(t), EIO);
		ck_assert_int_eq(atomic_load(&ran), 1);
		/* Dead once waited: an errgroup tomb is not reused. */
		ck_assert_int_eq(tomb_go(t, note_ran, &ran), ESRCH);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* group: tomb_go(a); tomb_go(b) where a returns at once runs both, as
 * pkg/group does (b starts on a dying tomb), every time. */
START_TEST(test_group_second_go_after_first_return)
{
	for (int round = 0; round < test_rounds(200); round++) {
		tomb_t *t = new_with(TOMB_LIFETIME_GROUP);
		atomic_int ran = 0;
		int zero = 0;

		ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
		ck_assert_int_eq(tomb_wait_dying(t, NULL), 0); /* a returned */
		ck_assert_int_eq(tomb_go(t, note_ran, &ran), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(atomic_load(&ran), 1);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* errgroup and group: a kill with nothing running leaves the tomb dying,
 * not dead, until a wait, which returns at once, even a wait of no time;
 * the dead descriptor turns readable then. */
START_TEST(test_group_dead_only_once_waited)
{
	static const int lifetimes[] = {TOMB_LIFETIME_ERRGROUP,
	                                TOMB_LIFETIME_GROUP};

	for (size_t i = 0; i < 2; i++) {
		tomb_t *t = new_with(lifetimes[i]);
		struct timespec now;
		int fd, reason = -1;

		fd = tomb_dead_fd(t);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
		ck_assert_int_eq(fd_readable(fd), 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_int_eq(tomb_timedwait(t, &now, &reason), 0);
		ck_assert_int_eq(reason, EPIPE);
		ck_assert_int_eq(fd_readable(fd), 1);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A dying errgroup child that nobody waits for is dead once its parent is
 * dying: the parent's wait does not wait for an owner's wait that may never
 * come.  The child dying first, then the parent; and the parent's kill
 * making both dying. */
START_TEST(test_errgroup_child_dead_with_parent)
{
	for (int child_first = 0; child_first < 2; child_first++) {
		tomb_t *p = tomb_new();
		struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP,
		                      .parent = p};
		tomb_t *c;

		ck_assert_ptr_nonnull(p);
		c = tomb_new_opts(&o);
		ck_assert_ptr_nonnull(c);
		if (child_first) {
			ck_assert_int_eq(tomb_kill(c, EIO), 0);
			ck_assert(tomb_dying(c));
		}
		ck_assert_int_eq(tomb_kill(p, EPIPE), 0);
		ck_assert_int_eq(tomb_wait(p), EPIPE);
		ck_assert_int_eq(tomb_wait(c), child_first ? EIO : EPIPE);
		ck_assert_int_eq(tomb_free(c), 0);
		ck_assert_int_eq(tomb_free(p), 0);
	}
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
	tcase_add_test(tc, test_errgroup_go_after_error);
	tcase_add_test(tc, test_group_second_go_after_first_return);
	tcase_add_test(tc, test_group_dead_only_once_waited);
	tcase_add_test(tc, test_errgroup_child_dead_with_parent);
	suite_add_tcase(s, tc);
	return s;
}
