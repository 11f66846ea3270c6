/* SPDX-License-Identifier: MIT */
/* test_sleep.c: waiting for dying, and sleeping with a tomb. */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sleeper {
	sem_t started;
	atomic_int tid; /* the sleeper's thread, set before `started` */
	int rc;
};

static int worker_sleeps(tomb_t *t, void *arg)
{
	struct sleeper *s = arg;
	struct timespec far = tomb_deadline_ms(3600 * 1000);

	atomic_store(&s->tid, (int)syscall(SYS_gettid));
	sem_post(&s->started);
	s->rc = tomb_sleep(t, &far);
	return 0;
}

/* A kill from another thread wakes a sleeping worker at once. */
START_TEST(test_kill_wakes_sleep)
{
	tomb_t *t = tomb_new();
	struct sleeper s = {.rc = -1};

	sem_init(&s.started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_sleeps, &s), 0);
	sem_wait(&s.started);
	await_futex_wait(atomic_load(&s.tid)); /* asleep in tomb_sleep */
	ck_assert_int_eq(tomb_kill(t, EINTR), 0);
	ck_assert_int_eq(tomb_wait(t), EINTR);
	ck_assert_int_eq(s.rc, ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&s.started);
}
END_TEST

/* The kill that lands just before the sleep starts: no lost wake-up (a lost
 * one hangs, and the test's timeout fails it). */
START_TEST(test_kill_races_sleep)
{
	for (int i = 0; i < test_rounds(2000); i++) {
		tomb_t *t = tomb_new();
		struct sleeper s = {.rc = -1};

		sem_init(&s.started, 0, 0);
		ck_assert_int_eq(tomb_go(t, worker_sleeps, &s), 0);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(s.rc, ECANCELED);
		ck_assert_int_eq(tomb_free(t), 0);
		sem_destroy(&s.started);
	}
}
END_TEST

/* What the killer wrote before tomb_kill, read by workers that learn of the
 * kill with no lock of their own: one sleeping, one polling tomb_dying, one
 * polling the dying descriptor (and then, as tomb_dying_fd(3) advises,
 * tomb_dying, which tells Helgrind and DRD what the descriptor ordered). */
struct note {
	int before_kill;  /* written by the test thread just before the kill */
	int seen[3];      /* what each worker read after it saw dying */
	sem_t started;
};

static int read_note_after_sleep(tomb_t *t, void *arg)
{
	struct note *n = arg;

	sem_post(&n->started);
	if (tomb_sleep(t, NULL) != ECANCELED)
		return EPROTO;
	n->seen[0] = n->before_kill;
	return 0;
}

static int read_note_after_poll(tomb_t *t, void *arg)
{
	struct note *n = arg;

	sem_post(&n->started);
	while (!tomb_dying(t))
		sched_yield();
	n->seen[1] = n->before_kill;
	return 0;
}

static int read_note_after_fd(tomb_t *t, void *arg)
{
	struct note *n = arg;
	struct pollfd p = {.fd = tomb_dying_fd(t), .events = POLLIN};

	sem_post(&n->started);
	if (p.fd < 0)
		return errno;
	while (poll(&p, 1, -1) != 1)
		continue; /* EINTR */
	if (!tomb_dying(t))
		return EPROTO;
	n->seen[2] = n->before_kill;
	return 0;
}

/* A kill happens before whatever its tomb_dying or tomb_sleep wake-up lets
 * run: memory the killer wrote first is seen, no race.  Nothing but the
 * tomb's state orders the write and the reads (the semaphore goes the
 * other way), so ThreadSanitizer checks the library's atomics here, and
 * Helgrind and DRD its annotations (lib/annotate.h). */
START_TEST(test_kill_happens_before_wakeup)
{
	tomb_t *t = tomb_new();
	struct note n = {.before_kill = 0, .seen = {-1, -1, -1}};

	sem_init(&n.started, 0, 0);
	ck_assert_int_eq(tomb_go(t, read_note_after_sleep, &n), 0);
	ck_assert_int_eq(tomb_go(t, read_note_after_poll, &n), 0);
	ck_assert_int_eq(tomb_go(t, read_note_after_fd, &n), 0);
	for (int i = 0; i < 3; i++)
		sem_wait(&n.started);
	n.before_kill = 42;
	ck_assert_int_eq(tomb_kill(t, EINTR), 0);
	ck_assert_int_eq(tomb_wait(t), EINTR);
	ck_assert_int_eq(n.seen[0], 42);
	ck_assert_int_eq(n.seen[1], 42);
	ck_assert_int_eq(n.seen[2], 42);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&n.started);
}
END_TEST

START_TEST(test_sleep_when_already_dying)
{
	tomb_t *t = tomb_new();
	struct timespec far = tomb_deadline_ms(3600 * 1000);

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_sleep(t, &far), ECANCELED);
	ck_assert_int_eq(tomb_sleep(t, NULL), ECANCELED);
	ck_assert_int_eq(tomb_wait_dying(t, NULL), 0);
	ck_assert_int_eq(tomb_wait_dying(t, &far), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_sleep_until_deadline)
{
	tomb_t *t = tomb_new();
	struct timespec past = {0, 0}, soon = tomb_deadline_ms(10), now;

	ck_assert_int_eq(tomb_sleep(t, &past), 0);
	ck_assert_int_eq(tomb_sleep(t, &soon), 0);
	/* It did not return before its deadline. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert(now.tv_sec > soon.tv_sec ||
	          (now.tv_sec == soon.tv_sec && now.tv_nsec >= soon.tv_nsec));
	ck_assert_int_eq(tomb_wait_dying(t, &past), ETIMEDOUT);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_sleep_bad_deadline)
{
	tomb_t *t = tomb_new();
	struct timespec bad = {0, 1000000000L}, neg = {-5, 0};

	ck_assert_int_eq(tomb_sleep(t, &bad), EINVAL);
	ck_assert_int_eq(tomb_sleep(t, &neg), EINVAL);
	ck_assert_int_eq(tomb_wait_dying(t, &bad), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Any thread may wait for dying, not only workers. */
static void *dying_waiter(void *arg)
{
	return (void *)(intptr_t)tomb_wait_dying(arg, NULL);
}

START_TEST(test_wait_dying_from_other_threads)
{
	enum { N = 6 };
	tomb_t *t = tomb_new();
	pthread_t th[N];
	void *res;

	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, dying_waiter, t), 0);
	ck_assert_int_eq(tomb_kill(t, ENOSPC), 0);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_int_eq((int)(intptr_t)res, 0);
	}
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_deadline_ms)
{
	struct timespec before, d, after;

	clock_gettime(CLOCK_MONOTONIC, &before);
	d = tomb_deadline_ms(1500);
	clock_gettime(CLOCK_MONOTONIC, &after);
	ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
	/* before + 1.5 s <= d <= after + 1.5 s */
	ck_assert(d.tv_sec * 1000000000LL + d.tv_nsec >=
	          before.tv_sec * 1000000000LL + before.tv_nsec + 1500000000LL);
	ck_assert(d.tv_sec * 1000000000LL + d.tv_nsec <=
	          after.tv_sec * 1000000000LL + after.tv_nsec + 1500000000LL);
	d = tomb_deadline_ms(-3);
	ck_assert(d.tv_sec < after.tv_sec + 1);
	d = tomb_deadline_ms(9223372036854775807LL);
	ck_assert(d.tv_sec > after.tv_sec + 1000000000LL); /* saturates, no wrap */
	ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
}
END_TEST

Suite *make_sleep_suite(void)
{
	Suite *s = suite_create("sleep");
	TCase *tc = tcase_create("sleep");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kill_wakes_sleep);
	tcase_add_test(tc, test_kill_races_sleep);
	tcase_add_test(tc, test_kill_happens_before_wakeup);
	tcase_add_test(tc, test_sleep_when_already_dying);
	tcase_add_test(tc, test_sleep_until_deadline);
	tcase_add_test(tc, test_sleep_bad_deadline);
	tcase_add_test(tc, test_wait_dying_from_other_threads);
	tcase_add_test(tc, test_deadline_ms);
	suite_add_tcase(s, tc);
	return s;
}
