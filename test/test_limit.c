/* SPDX-License-Identifier: MIT */
/* test_limit.c: options, the limit on running workers, and tomb_trygo. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

START_TEST(test_bad_options)
{
	struct tomb_opts bad_lifetime = {.lifetime = 3}, neg_lifetime = {.lifetime = -1},
	                 neg_limit = {.limit = -1}, reserved = {.reserved_ = {&reserved}},
	                 tiny_stack = {.stack_size = 1};
	const struct tomb_opts *all[] = {&bad_lifetime, &neg_lifetime, &neg_limit,
	                                 &reserved, &tiny_stack};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(tomb_new_opts(all[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_default_options)
{
	tomb_t *t = tomb_new_opts(NULL);
	struct tomb_opts zero = {0};
	int z = 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(tomb_name(t), "");
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &z), 0);
	ck_assert_int_eq(tomb_wait(t), 0); /* the tomb lifetime */
	ck_assert_int_eq(tomb_free(t), 0);
	t = tomb_new_opts(&zero);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_ptr_null(tomb_name(NULL));
}
END_TEST

/* A small stack works for a small worker. */
static int small_worker(tomb_t *t, void *arg)
{
	volatile char buf[1024];

	(void)t;
	buf[0] = 1;
	buf[sizeof(buf) - 1] = buf[0];
	*(int *)arg = buf[sizeof(buf) - 1];
	return 0;
}

START_TEST(test_stack_size)
{
	struct tomb_opts o = {.stack_size = 64 * 1024};
	tomb_t *t = tomb_new_opts(&o);
	int ran = 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tomb_go(t, small_worker, &ran), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(ran, 1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Workers that record how many run at once. */
struct gauge {
	atomic_int running, most, ran;
	sem_t *hold; /* if set, each worker waits for it */
};

static int gauged(tomb_t *t, void *arg)
{
	struct gauge *g = arg;
	int now = atomic_fetch_add(&g->running, 1) + 1, most;

	(void)t;
	most = atomic_load(&g->most);
	while (now > most && !atomic_compare_exchange_weak(&g->most, &most, now))
		continue;
	if (g->hold != NULL)
		sem_wait(g->hold);
	for (int i = 0; i < 50; i++)
		sched_yield();
	atomic_fetch_sub(&g->running, 1);
	atomic_fetch_add(&g->ran, 1);
	return 0;
}

START_TEST(test_trygo_at_limit)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 2};
	tomb_t *t = tomb_new_opts(&o);
	sem_t hold;
	struct gauge g = {.hold = &hold};

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), EBUSY);
	ck_assert_uint_eq(tomb_count(t), 2);
	ck_assert_int_eq(tomb_set_limit(t, 3), 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), EBUSY);
	for (int i = 0; i < 3; i++)
		sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(atomic_load(&g.ran), 3);
	ck_assert_int_le(atomic_load(&g.most), 3);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

/* Several threads spawn through a limit of 3: never more than 3 run. */
struct spawner {
	tomb_t *t;
	struct gauge *g;
	int failures;
};

static void *spawn_many(void *arg)
{
	struct spawner *s = arg;

	for (int i = 0; i < 100; i++)
		if (tomb_go(s->t, gauged, s->g) != 0)
			s->failures++;
	return NULL;
}

START_TEST(test_limit_under_contention)
{
	enum { THREADS = 4 };
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 3};
	tomb_t *t = tomb_new_opts(&o);
	struct gauge g = {.hold = NULL};
	struct spawner s[THREADS];
	pthread_t th[THREADS];

	for (int i = 0; i < THREADS; i++) {
		s[i] = (struct spawner){.t = t, .g = &g, .failures = 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, spawn_many, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(s[i].failures, 0);
	}
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(atomic_load(&g.ran), THREADS * 100);
	ck_assert_int_le(atomic_load(&g.most), 3);
	ck_assert_int_ge(atomic_load(&g.most), 1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A tomb_go blocked at the limit returns ECANCELED when the tomb dies. */
struct blocked_go {
	tomb_t *t;
	tomb_fn *fn;
	void *arg;
	int rc;
};

static void *go_blocks(void *arg)
{
	struct blocked_go *b = arg;

	b->rc = tomb_go(b->t, b->fn, b->arg);
	return NULL;
}

START_TEST(test_blocked_go_cancelled)
{
	struct tomb_opts o = {.limit = 1};
	tomb_t *t = tomb_new_opts(&o);
	int zero = 0;
	struct blocked_go b = {.t = t, .fn = worker_return_arg, .arg = &zero, .rc = -1};
	pthread_t th;
	sem_t started;

	/* The holder keeps its slot after the kill, until released: so the
	 * other tomb_go meets a dying tomb at its limit, whether it was already
	 * waiting when the kill came or called after it. */
	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &started), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, go_blocks, &b), 0);
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(b.rc, ECANCELED);
	sem_post(&started);
	ck_assert_int_eq(tomb_wait(t), EPIPE);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

/* A raised limit wakes a blocked tomb_go; a lowered one holds new ones
 * back while the running workers go on. */
START_TEST(test_set_limit_with_live_workers)
{
	struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 1};
	tomb_t *t = tomb_new_opts(&o);
	sem_t hold;
	struct gauge g = {.hold = &hold};
	struct blocked_go b = {.t = t, .fn = gauged, .arg = &g, .rc = -1};
	pthread_t th;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(t, gauged, &g), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, go_blocks, &b), 0);
	ck_assert_int_eq(tomb_set_limit(t, 2), 0);
	pthread_join(th, NULL); /* the raised limit let it through */
	ck_assert_int_eq(b.rc, 0);
	ck_assert_int_eq(tomb_set_limit(t, 0), 0); /* no limit */
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), 0);
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), 0);
	ck_assert_int_eq(tomb_set_limit(t, 1), 0); /* below the 4 running */
	ck_assert_int_eq(tomb_trygo(t, gauged, &g), EBUSY);
	ck_assert_uint_eq(tomb_count(t), 4);
	ck_assert_int_eq(tomb_set_limit(t, -1), EINVAL);
	ck_assert_int_eq(tomb_set_limit(NULL, 1), EINVAL);
	for (int i = 0; i < 4; i++)
		sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(atomic_load(&g.ran), 4);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

/* A worker that would wait for a slot only it can free: EDEADLK. */
static int go_from_worker(tomb_t *t, void *arg)
{
	int zero = 0;

	*(int *)arg = tomb_go(t, worker_return_arg, &zero);
	return 0;
}

START_TEST(test_worker_go_at_limit_deadlock)
{
	struct tomb_opts o = {.limit = 1};
	tomb_t *t = tomb_new_opts(&o);
	int rc = -1;

	ck_assert_int_eq(tomb_go(t, go_from_worker, &rc), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(rc, EDEADLK);
	ck_assert_int_eq(tomb_trygo(NULL, gauged, NULL), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/*
 * The same deadlock, reached by a return rather than at the call: worker A
 * waits for a slot while B runs; the limit drops to 1; B returns.  Now A is
 * the only running worker and waits for itself, while outside threads wait
 * too.  B's return must make A look again (and fail with EDEADLK), even when
 * the one wake-up a return gives goes to an outside thread, which cannot
 * take the slot either.  (Found by test/stress, seed 101.)
 */
enum { OUTSIDERS = 3 };

struct lowered {
	tomb_t *t;
	sem_t hold, a_ready, a_done;
	int a_rc, d_rc[OUTSIDERS];
	atomic_int next;
};

static int lowered_a(tomb_t *t, void *arg)
{
	struct lowered *l = arg;
	static int zero = 0; /* outlives this worker, whoever runs later */

	sem_post(&l->a_ready);
	l->a_rc = tomb_go(t, worker_return_arg, &zero);
	sem_post(&l->a_done);
	return 0;
}

static void *lowered_outsider(void *arg)
{
	struct lowered *l = arg;
	int i = atomic_fetch_add(&l->next, 1);
	static int zero = 0; /* its worker may run after this thread ended */

	l->d_rc[i] = tomb_go(l->t, worker_return_arg, &zero);
	return NULL;
}

START_TEST(test_lowered_limit_deadlock_after_return)
{
	for (int round = 0; round < 200; round++) {
		struct tomb_opts o = {.lifetime = TOMB_LIFETIME_ERRGROUP, .limit = 2};
		struct lowered l = {.t = tomb_new_opts(&o), .a_rc = -1};
		pthread_t th[OUTSIDERS];

		sem_init(&l.hold, 0, 0);
		sem_init(&l.a_ready, 0, 0);
		sem_init(&l.a_done, 0, 0);
		atomic_init(&l.next, 0);
		ck_assert_int_eq(tomb_go(l.t, worker_wait_sem, &l.hold), 0);
		ck_assert_int_eq(tomb_go(l.t, lowered_a, &l), 0);
		while (sem_wait(&l.a_ready) != 0)
			continue;
		for (int i = 0; i < OUTSIDERS; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL,
			                                lowered_outsider, &l), 0);
		ck_assert_int_eq(tomb_set_limit(l.t, 1), 0);
		sem_post(&l.hold);
		/* Whatever the order: A waited and B's return woke it, or
		 * A came after and saw at once that it would wait for
		 * itself.  It never gets a slot: one runs, and it is A. */
		while (sem_wait(&l.a_done) != 0)
			continue;
		ck_assert_int_eq(l.a_rc, EDEADLK);
		/* Then A returns, and the outsiders get the slot in turn
		 * (each picked its own d_rc: join them all, then look). */
		for (int i = 0; i < OUTSIDERS; i++)
			pthread_join(th[i], NULL);
		for (int i = 0; i < OUTSIDERS; i++)
			ck_assert_int_eq(l.d_rc[i], 0);
		ck_assert_int_eq(tomb_wait(l.t), 0);
		ck_assert_int_eq(tomb_free(l.t), 0);
		sem_destroy(&l.hold);
		sem_destroy(&l.a_ready);
		sem_destroy(&l.a_done);
	}
}
END_TEST

Suite *make_limit_suite(void)
{
	Suite *s = suite_create("limit");
	TCase *tc = tcase_create("limit");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_default_options);
	tcase_add_test(tc, test_stack_size);
	tcase_add_test(tc, test_trygo_at_limit);
	tcase_add_test(tc, test_limit_under_contention);
	tcase_add_test(tc, test_blocked_go_cancelled);
	tcase_add_test(tc, test_set_limit_with_live_workers);
	tcase_add_test(tc, test_worker_go_at_limit_deadlock);
	tcase_add_test(tc, test_lowered_limit_deadlock_after_return);
	suite_add_tcase(s, tc);
	return s;
}
