/* SPDX-License-Identifier: MIT */
/* test_race.c: kill, go and wait racing from several threads, thousands of
 * times.  Threads record what they saw; the test thread asserts after joins. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#define ROUNDS 2000

/* Killers with different reasons, one of them 0, and a reader that checks
 * that once a non-zero reason is seen it never changes. */
enum { KILLERS = 4 };
static const int kill_reasons[KILLERS] = {0, EIO, ENOENT, EPIPE};

struct kill_race {
	tomb_t *t;
	pthread_barrier_t go;
	int idx;
	atomic_int next;
	int reader_violations;
};

static void *killer(void *arg)
{
	struct kill_race *r = arg;
	int i = atomic_fetch_add(&r->next, 1);

	pthread_barrier_wait(&r->go);
	tomb_kill(r->t, kill_reasons[i]);
	return NULL;
}

static void *reader(void *arg)
{
	struct kill_race *r = arg;
	int seen = TOMB_STILL_ALIVE;

	pthread_barrier_wait(&r->go);
	while (!tomb_dying(r->t))
		sched_yield();
	for (int n = 0; n < 200; n++) {
		int e = tomb_err(r->t);

		if (e == TOMB_STILL_ALIVE || (seen != TOMB_STILL_ALIVE &&
		                              seen != 0 && e != seen))
			r->reader_violations++;
		seen = e;
	}
	return NULL;
}

START_TEST(test_race_kill_reasons)
{
	for (int round = 0; round < test_rounds(ROUNDS); round++) {
		struct kill_race r = {.t = tomb_new()};
		pthread_t th[KILLERS + 1];
		int reason;

		atomic_init(&r.next, 0);
		pthread_barrier_init(&r.go, NULL, KILLERS + 1);
		ck_assert_int_eq(tomb_go(r.t, worker_until_dying, NULL), 0);
		for (int i = 0; i < KILLERS; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL, killer, &r), 0);
		ck_assert_int_eq(pthread_create(&th[KILLERS], NULL, reader, &r), 0);
		for (int i = 0; i <= KILLERS; i++)
			pthread_join(th[i], NULL);
		reason = tomb_wait(r.t);
		/* Some non-zero reason was given, so a non-zero one won. */
		ck_assert(reason == EIO || reason == ENOENT || reason == EPIPE);
		ck_assert_int_eq(tomb_err(r.t), reason);
		ck_assert_int_eq(r.reader_violations, 0);
		ck_assert_int_eq(tomb_free(r.t), 0);
		pthread_barrier_destroy(&r.go);
	}
}
END_TEST

/* A spawner that keeps starting workers while a killer kills: every
 * successful tomb_go runs its worker exactly once, and the spawner ends with
 * ESRCH once the tomb is dead. */
struct go_race {
	tomb_t *t;
	pthread_barrier_t go;
	atomic_int ran;
	int started;
	int last_err;
};

static int counting_worker(tomb_t *t, void *arg)
{
	struct go_race *r = arg;

	atomic_fetch_add(&r->ran, 1);
	return tomb_dying(t) ? TOMB_EDYING : 0;
}

static int holding_worker(tomb_t *t, void *arg)
{
	struct go_race *r = arg;

	atomic_fetch_add(&r->ran, 1);
	(void)tomb_sleep(t, NULL);
	return TOMB_EDYING;
}

static void *spawner(void *arg)
{
	struct go_race *r = arg;
	int err = 0;

	pthread_barrier_wait(&r->go);
	for (int i = 0; i < 64; i++) {
		err = tomb_go(r->t, counting_worker, r);
		if (err != 0)
			break;
		r->started++;
	}
	r->last_err = err;
	return NULL;
}

static void *go_killer(void *arg)
{
	struct go_race *r = arg;

	pthread_barrier_wait(&r->go);
	tomb_kill(r->t, ECANCELED);
	return NULL;
}

START_TEST(test_race_go_kill_wait)
{
	for (int round = 0; round < test_rounds(ROUNDS / 4); round++) {
		struct go_race r = {.t = tomb_new()};
		pthread_t sp, kl;
		int reason;

		atomic_init(&r.ran, 0);
		pthread_barrier_init(&r.go, NULL, 2);
		/* The holder keeps the tomb from dying on its own. */
		ck_assert_int_eq(tomb_go(r.t, holding_worker, &r), 0);
		ck_assert_int_eq(pthread_create(&sp, NULL, spawner, &r), 0);
		ck_assert_int_eq(pthread_create(&kl, NULL, go_killer, &r), 0);
		pthread_join(kl, NULL);
		reason = tomb_wait(r.t);
		pthread_join(sp, NULL);
		ck_assert_int_eq(reason, ECANCELED);
		/* After the wait, no worker runs: the counts are final. */
		ck_assert_int_eq(atomic_load(&r.ran), r.started + 1);
		ck_assert(r.last_err == 0 || r.last_err == ESRCH);
		ck_assert_int_eq(tomb_free(r.t), 0);
		pthread_barrier_destroy(&r.go);
	}
}
END_TEST

/* Workers returning 0 in a burst race several waiters: all waiters see the
 * same reason, 0, and the last return is the one that kills. */
START_TEST(test_race_last_return_and_waiters)
{
	enum { WORKERS = 6, WAITERS = 3 };

	for (int round = 0; round < test_rounds(ROUNDS / 4); round++) {
		tomb_t *t = tomb_new();
		sem_t release;
		pthread_t th[WAITERS];
		struct wait_result b[WAITERS];

		sem_init(&release, 0, 0);
		for (int i = 0; i < WORKERS; i++)
			ck_assert_int_eq(tomb_go(t, worker_wait_sem, &release), 0);
		for (int i = 0; i < WAITERS; i++) {
			b[i].t = t;
			b[i].got = -1;
			ck_assert_int_eq(pthread_create(&th[i], NULL, wait_thread_main, &b[i]), 0);
		}
		for (int i = 0; i < WORKERS; i++)
			sem_post(&release);
		for (int i = 0; i < WAITERS; i++) {
			pthread_join(th[i], NULL);
			ck_assert_int_eq(b[i].got, 0);
		}
		ck_assert_int_eq(tomb_free(t), 0);
		sem_destroy(&release);
	}
}
END_TEST

/* tomb_free racing the last worker's exit: EBUSY until the worker is
 * uncounted, then 0, and the worker's thread joined by the free. */
START_TEST(test_race_free_and_last_return)
{
	for (int round = 0; round < test_rounds(ROUNDS); round++) {
		tomb_t *t = tomb_new();
		int zero = 0, err;

		ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
		while ((err = tomb_free(t)) == EBUSY)
			sched_yield();
		ck_assert_int_eq(err, 0);
	}
}
END_TEST

Suite *make_race_suite(void)
{
	Suite *s = suite_create("race");
	TCase *tc = tcase_create("race");

	add_leak_check(tc);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_race_kill_reasons);
	tcase_add_test(tc, test_race_go_kill_wait);
	tcase_add_test(tc, test_race_last_return_and_waiters);
	tcase_add_test(tc, test_race_free_and_last_return);
	suite_add_tcase(s, tc);
	return s;
}
