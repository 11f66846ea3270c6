/* SPDX-License-Identifier: MIT */
/*
 * test_exit.c: what users' threads do besides returning: a worker that
 * leaves by pthread_exit or is cancelled (test_errors.c has the plain
 * pthread_exit), and cancels sent to threads that
 * are inside libtomb (tomb(7): no libtomb call is a cancellation point).
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MSG_EXITED "a worker left by pthread_exit or cancellation"

static int worker_exits(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	pthread_exit(NULL);
}

/* A worker that tells its thread, then blocks in a cancellation point
 * until it is cancelled.  Natively and under valgrind that point is
 * pause() (not a semaphore wait, which DRD would take for still waiting
 * after the cancel; not a condition wait, whose re-lock on the way out
 * Helgrind and DRD do not see).  Under ThreadSanitizer it is a condition
 * wait: a cancel inside any other blocking call leaves TSan's interceptor
 * half undone (it ignores the thread's later locks and reports races that
 * are not there); its pthread_cond_wait is the one that handles a cancel. */
struct cancellee {
	sem_t started;
	pthread_t self;
	pthread_mutex_t mu; /* held by the worker while it waits on cv */
	pthread_cond_t cv;  /* never signalled */
};

static void unlock_mutex(void *mu)
{
	pthread_mutex_unlock(mu);
}

static int worker_blocks_cancellable(tomb_t *t, void *arg)
{
	struct cancellee *c = arg;

	(void)t;
	c->self = pthread_self();
	if (UNDER_TSAN) {
		pthread_mutex_lock(&c->mu);
		pthread_cleanup_push(unlock_mutex, &c->mu);
		sem_post(&c->started);
		for (;;) /* only a cancel ends this */
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_cleanup_pop(1);
	}
	sem_post(&c->started);
	while (pause() == -1)
		continue; /* only a cancel ends this (a signal returns to it) */
	return EPROTO;
}

/* On a pool: the pool loses the thread and makes another when asked. */
START_TEST(test_pthread_exit_on_pool)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct tomb_opts o = {.pool = p};
	struct tomb_pool_stats st;
	tomb_t *t;
	int zero = 0;

	ck_assert_ptr_nonnull(p);
	for (int round = 0; round < 3; round++) {
		t = tomb_new_opts(&o);
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(tomb_go(t, worker_exits, NULL), 0);
		ck_assert_int_eq(tomb_wait(t), ECANCELED);
		ck_assert_str_eq(tomb_errmsg(t), MSG_EXITED);
		ck_assert_int_eq(tomb_free(t), 0);
	}
	/* A worker that returns still runs. */
	t = tomb_new_opts(&o);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.started, 4); /* one per exit, then one more */
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

static void cancel_blocked_worker(tomb_pool_t *pool, int kill_first)
{
	struct tomb_opts o = {.pool = pool};
	tomb_t *t = tomb_new_opts(&o);
	struct cancellee c = {.mu = PTHREAD_MUTEX_INITIALIZER,
	                      .cv = PTHREAD_COND_INITIALIZER};

	ck_assert_ptr_nonnull(t);
	sem_init(&c.started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_blocks_cancellable, &c), 0);
	while (sem_wait(&c.started) != 0)
		continue;
	if (kill_first)
		ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(pthread_cancel(c.self), 0);
	if (kill_first) {
		/* While dying, an exit stops "because dying": the reason stays. */
		ck_assert_int_eq(tomb_wait(t), EIO);
	} else {
		ck_assert_int_eq(tomb_wait(t), ECANCELED);
		ck_assert_str_eq(tomb_errmsg(t), MSG_EXITED);
	}
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&c.started);
}

/* A cancelled worker counts as returned, alive or dying, on its own
 * thread and on a pool's. */
START_TEST(test_cancelled_worker_is_a_return)
{
	tomb_pool_t *p = tomb_pool_new(NULL);

	ck_assert_ptr_nonnull(p);
	for (int kill_first = 0; kill_first < 2; kill_first++) {
		cancel_blocked_worker(NULL, kill_first);
		cancel_blocked_worker(p, kill_first);
	}
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* A worker with a cancel pending (it cancelled itself) waits for another
 * tomb: the wait, a pthread_cond_wait inside, is not a cancellation point,
 * so it returns the reason and leaves the other tomb usable. */
struct self_cancel {
	tomb_t *other;
	atomic_int tid;
	sem_t started;
	int rc;
};

static int worker_cancels_itself_then_waits(tomb_t *t, void *arg)
{
	struct self_cancel *s = arg;

	(void)t;
	atomic_store(&s->tid, (int)syscall(SYS_gettid));
	pthread_cancel(pthread_self()); /* deferred: pending */
	sem_post(&s->started);
	s->rc = tomb_wait(s->other);
	return 0;
}

START_TEST(test_pending_cancel_in_wait)
{
	tomb_t *t = tomb_new(), *other = tomb_new();
	struct self_cancel s = {.other = other, .rc = -1};

	sem_init(&s.started, 0, 0);
	ck_assert_int_eq(tomb_go(other, worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_go(t, worker_cancels_itself_then_waits, &s), 0);
	while (sem_wait(&s.started) != 0)
		continue;
	await_futex_wait(atomic_load(&s.tid));
	ck_assert_int_eq(tomb_kill(other, EPIPE), 0);
	ck_assert_int_eq(tomb_wait(t), 0); /* it returned: no cancel acted */
	ck_assert_int_eq(s.rc, EPIPE);
	ck_assert_int_eq(tomb_free(other), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&s.started);
}
END_TEST

static int call_wait(struct blocked *b)
{
	return tomb_wait(b->t);
}

/* A thread blocked in tomb_wait is cancelled: the cancel waits for the
 * call to return, and the tomb stays usable; with few workers (the waiter
 * joins them itself) and with many (it waits for the tomb's death). */
START_TEST(test_cancel_thread_in_wait)
{
	static const int workers[] = {1, 17};

	for (size_t i = 0; i < 2; i++) {
		tomb_t *t = tomb_new();
		struct blocked b = {.t = t, .call = call_wait};

		for (int w = 0; w < workers[i]; w++)
			ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
		start_blocked(&b);
		ck_assert_int_eq(pthread_cancel(b.thread), 0);
		ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
		ck_assert_int_eq(finish_blocked(&b), EPIPE);
		ck_assert_uint_eq(tomb_count(t), 0);
		ck_assert_int_eq(tomb_kill(t, EIO), 0); /* still usable */
		ck_assert_int_eq(tomb_wait(t), EPIPE);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A thread with a cancel pending kills a tomb whose dying descriptor is
 * open.  The kill writes the descriptor (in its tail, once it has released
 * the tomb's lock, when a thread sleeps on t; else at once), and write(2)
 * is a cancellation point, but no libtomb call is one: tomb_kill returns,
 * the sleeper is woken, the descriptor is readable, and the cancel acts at
 * the thread's next cancellation point. */
struct cancel_kill {
	tomb_t *t;
	atomic_int returned;
};

static void *kill_with_cancel_pending(void *arg)
{
	struct cancel_kill *k = arg;

	pthread_cancel(pthread_self()); /* deferred: pending */
	(void)tomb_kill(k->t, 0);
	atomic_store(&k->returned, 1);
	pthread_testcancel();
	return NULL;
}

START_TEST(test_pending_cancel_in_kill)
{
	for (int i = 0; i < 2; i++) {
		struct cancel_kill k = {.t = tomb_new()};
		struct blocked b = {.t = k.t, .call = blocked_sleep};
		struct pollfd p = {.events = POLLIN};
		pthread_t th;
		void *rv;

		ck_assert_ptr_nonnull(k.t);
		p.fd = tomb_dying_fd(k.t);
		ck_assert_int_ge(p.fd, 0);
		if (i == 0)
			start_blocked(&b); /* a sleeper: the tail writes it */
		ck_assert_int_eq(pthread_create(&th, NULL,
		                                kill_with_cancel_pending, &k), 0);
		ck_assert_int_eq(pthread_join(th, &rv), 0);
		ck_assert(rv == PTHREAD_CANCELED);
		ck_assert_msg(atomic_load(&k.returned) == 1,
		              "the cancel acted inside tomb_kill (round %d)", i);
		ck_assert_int_eq(poll(&p, 1, 0), 1);
		if (i == 0)
			ck_assert_int_eq(finish_blocked(&b), ECANCELED);
		ck_assert_int_eq(tomb_free(k.t), 0);
	}
}
END_TEST

Suite *make_exit_suite(void)
{
	Suite *s = suite_create("exit");
	TCase *tc = tcase_create("exit");

	add_leak_check(tc);
	tcase_add_test(tc, test_pthread_exit_on_pool);
	tcase_add_test(tc, test_cancelled_worker_is_a_return);
	tcase_add_test(tc, test_pending_cancel_in_wait);
	tcase_add_test(tc, test_pending_cancel_in_kill);
	tcase_add_test(tc, test_cancel_thread_in_wait);
	suite_add_tcase(s, tc);
	return s;
}
