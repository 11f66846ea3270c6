/* SPDX-License-Identifier: MIT */
/*
 * test_pool_waiter.c: TOMB_POOL_WAITER_RUNS, a pool whose untimed waiters
 * run their tomb's queued workers themselves.
 *
 * To have a worker queued when the wait begins, every test first keeps the
 * pool's busy_max threads busy with workers blocked outside the library (on
 * a semaphore, which the pool cannot see): tomb_go then queues the next
 * worker for the first thread that finishes, and the pool's watcher makes
 * a thread for it only once the queue has stood still for 10 ms.  So the
 * waiter almost always finds it queued; where it did not, the worker ran
 * on a pool thread, and each test says what it checks in that case.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* busy_max workers of one tomb, each blocked on a semaphore. */
struct occupied {
	tomb_pool_t *p;
	tomb_t *t;
	sem_t started, release;
	size_t n;
};

static int block_outside(tomb_t *t, void *arg)
{
	struct occupied *o = arg;

	(void)t;
	sem_post(&o->started);
	while (sem_wait(&o->release) != 0)
		;
	return 0;
}

/* A new pool with `flags`, every thread it runs jobs on busy. */
static void occupy(struct occupied *o, unsigned long flags)
{
	struct tomb_pool_opts po = {.flags = flags};
	struct tomb_opts to;

	o->p = tomb_pool_new(&po);
	ck_assert_ptr_nonnull(o->p);
	to = (struct tomb_opts){.pool = o->p};
	o->t = tomb_new_opts(&to);
	ck_assert_ptr_nonnull(o->t);
	ck_assert_int_eq(sem_init(&o->started, 0, 0), 0);
	ck_assert_int_eq(sem_init(&o->release, 0, 0), 0);
	o->n = pool_busy_max();
	for (size_t i = 0; i < o->n; i++)
		ck_assert_int_eq(tomb_go(o->t, block_outside, o), 0);
	for (size_t i = 0; i < o->n; i++)
		ck_assert_int_eq(sem_wait(&o->started), 0);
}

/* Lets the blocked workers return, and frees everything. */
static void release(struct occupied *o)
{
	for (size_t i = 0; i < o->n; i++)
		ck_assert_int_eq(sem_post(&o->release), 0);
	tomb_kill(o->t, 0);
	ck_assert_int_eq(tomb_wait(o->t), 0);
	ck_assert_int_eq(tomb_free(o->t), 0);
	ck_assert_int_eq(tomb_pool_free(o->p), 0);
	sem_destroy(&o->started);
	sem_destroy(&o->release);
}

static tomb_t *errgroup_on(tomb_pool_t *p)
{
	struct tomb_opts o = {.pool = p, .lifetime = TOMB_LIFETIME_ERRGROUP};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* Where a worker ran. */
struct where {
	pthread_t self;
	int ran;
};

static int record_thread(tomb_t *t, void *arg)
{
	struct where *w = arg;

	(void)t;
	w->self = pthread_self();
	w->ran++;
	return 0;
}

/* Threads the pool has made beyond the busy ones: 1 when the watcher made
 * one for the queued worker. */
static size_t threads_made_since(struct occupied *o)
{
	struct tomb_pool_stats st;

	ck_assert_int_eq(tomb_pool_stats(o->p, &st), 0);
	return st.started - o->n;
}

/* A flag the pool does not know is refused. */
START_TEST(test_waiter_runs_bad_flags)
{
	struct tomb_pool_opts unknown = {.flags = TOMB_POOL_WAITER_RUNS << 1};

	errno = 0;
	ck_assert_ptr_null(tomb_pool_new(&unknown));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* The untimed wait runs the queued worker on its own thread: no pool
 * thread is made for it.  The watcher may make one first if the test's
 * thread stalls for 10 ms between tomb_go and the wait, so the best of five
 * tries must show the waiter running it (not checked under valgrind, whose
 * long time slices make that stall the rule). */
START_TEST(test_waiter_runs_the_queued_worker)
{
	bool inline_seen = false;

	for (int attempt = 0; attempt < 5 && !inline_seen; attempt++) {
		struct occupied o;
		struct where w = {0};
		tomb_t *t;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		t = errgroup_on(o.p);
		ck_assert_int_eq(tomb_go(t, record_thread, &w), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(w.ran, 1);
		if (pthread_equal(w.self, pthread_self())) {
			inline_seen = true;
			ck_assert_uint_eq(threads_made_since(&o), 0);
		} else {
			ck_assert_uint_eq(threads_made_since(&o), 1);
		}
		ck_assert_int_eq(tomb_free(t), 0);
		release(&o);
	}
	if (!under_valgrind())
		ck_assert(inline_seen);
}
END_TEST

/* Without the flag, and in a timed wait with it, the waiter never runs a
 * worker: the watcher's thread does, 10 ms later. */
START_TEST(test_waiter_runs_not_without_the_flag)
{
	struct occupied o;
	struct where w = {0};
	tomb_t *t;

	occupy(&o, 0);
	t = errgroup_on(o.p);
	ck_assert_int_eq(tomb_go(t, record_thread, &w), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(w.ran, 1);
	ck_assert(!pthread_equal(w.self, pthread_self()));
	ck_assert_uint_eq(threads_made_since(&o), 1);
	ck_assert_int_eq(tomb_free(t), 0);
	release(&o);
}
END_TEST

START_TEST(test_waiter_runs_not_in_a_timed_wait)
{
	struct timespec far = tomb_deadline_ms(60000);
	struct occupied o;
	struct where w = {0};
	int reason = -1;
	tomb_t *t;

	occupy(&o, TOMB_POOL_WAITER_RUNS);
	t = errgroup_on(o.p);
	ck_assert_int_eq(tomb_go(t, record_thread, &w), 0);
	ck_assert_int_eq(tomb_timedwait(t, &far, &reason), 0);
	ck_assert_int_eq(reason, 0);
	ck_assert_int_eq(w.ran, 1);
	ck_assert(!pthread_equal(w.self, pthread_self()));
	ck_assert_int_eq(tomb_free(t), 0);
	release(&o);
}
END_TEST

/* The tests below check what a worker run by the waiter does; when a pool
 * thread ran it instead (the watcher's 10 ms, above), what they check
 * holds as well, and they try again, up to five times, to see the waiter
 * run it (not checked under valgrind). */
#define ATTEMPTS 5

static void assert_inline_seen(bool seen)
{
	if (!under_valgrind())
		ck_assert_msg(seen, "the waiter never ran the worker");
}

/* A worker that leaves by pthread_exit while the waiter runs it takes the
 * waiter's thread with it, and t is left as after any worker that exits:
 * killed with ECANCELED, no waiter counted, free to free.  (If a pool
 * thread ran it, the wait returned ECANCELED instead.) */
#define EXIT_VALUE ((void *)(intptr_t)0x7e57)

static int exit_thread(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	pthread_exit(EXIT_VALUE);
}

static void *wait_on(void *arg)
{
	return (void *)(intptr_t)tomb_wait(arg);
}

START_TEST(test_waiter_runs_a_worker_that_exits)
{
	bool seen = false;

	for (int attempt = 0; attempt < ATTEMPTS && !seen; attempt++) {
		struct occupied o;
		pthread_t waiter;
		void *out = NULL;
		tomb_t *t;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		t = errgroup_on(o.p);
		ck_assert_int_eq(tomb_go(t, exit_thread, NULL), 0);
		ck_assert_int_eq(pthread_create(&waiter, NULL, wait_on, t), 0);
		ck_assert_int_eq(pthread_join(waiter, &out), 0);
		if (out == EXIT_VALUE)
			seen = true;
		else /* a pool thread ran it */
			ck_assert_int_eq((int)(intptr_t)out, ECANCELED);
		ck_assert_int_eq(tomb_wait(t), ECANCELED);
		ck_assert_str_eq(tomb_errmsg(t),
		                 "a worker left by pthread_exit or cancellation");
		ck_assert_int_eq(tomb_free(t), 0); /* not EBUSY: no waiter */
		release(&o);
	}
	assert_inline_seen(seen);
}
END_TEST

/* A cancel pending on the waiter does not act inside the worker it runs
 * (no libtomb call is a cancellation point): the worker passes its
 * cancellation point and returns, and the waiter is cancelled at its own
 * next one, after the wait. */
struct cancel_case {
	tomb_t *t;
	pthread_t waiter, ran_on;
	int rc;
	int finished;
};

static int pass_a_cancellation_point(tomb_t *t, void *arg)
{
	struct cancel_case *c = arg;

	(void)t;
	c->ran_on = pthread_self();
	pthread_testcancel();
	c->finished = 1;
	return 0;
}

static void *cancelled_waiter(void *arg)
{
	struct cancel_case *c = arg;

	c->waiter = pthread_self();
	pthread_cancel(pthread_self()); /* pending: the type is deferred */
	c->rc = tomb_wait(c->t);
	pthread_testcancel();
	c->rc = -1; /* not reached */
	return NULL;
}

START_TEST(test_waiter_runs_with_a_cancel_pending)
{
	bool seen = false;

	for (int attempt = 0; attempt < ATTEMPTS && !seen; attempt++) {
		struct cancel_case c = {.rc = -2};
		struct occupied o;
		pthread_t waiter;
		void *out = NULL;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		c.t = errgroup_on(o.p);
		ck_assert_int_eq(tomb_go(c.t, pass_a_cancellation_point, &c), 0);
		ck_assert_int_eq(pthread_create(&waiter, NULL, cancelled_waiter,
		                                &c), 0);
		ck_assert_int_eq(pthread_join(waiter, &out), 0);
		ck_assert_ptr_eq(out, PTHREAD_CANCELED);
		ck_assert_int_eq(c.rc, 0);
		ck_assert_int_eq(c.finished, 1);
		seen = pthread_equal(c.ran_on, c.waiter);
		ck_assert_int_eq(tomb_free(c.t), 0);
		release(&o);
	}
	assert_inline_seen(seen);
}
END_TEST

/* While the waiter runs a worker of t, the worker is t's: its wait on t is
 * EDEADLK, as on any thread; a worker that fails kills t, with its
 * reason, and the callbacks that kill armed run; and after it, the waiter
 * is what it was (below). */
struct own_case {
	pthread_t ran_on;
	int wait_own;
	atomic_int callbacks;
};

static int fail_after_waiting_on_own(tomb_t *t, void *arg)
{
	struct own_case *c = arg;

	c->ran_on = pthread_self();
	c->wait_own = tomb_wait(t);
	return EIO;
}

static void count_callback(tomb_t *t, void *arg)
{
	(void)t;
	atomic_fetch_add((atomic_int *)arg, 1);
}

START_TEST(test_waiter_runs_a_worker_that_fails)
{
	bool seen = false;

	for (int attempt = 0; attempt < ATTEMPTS && !seen; attempt++) {
		struct own_case c = {.wait_own = -1};
		tomb_hook_t h = TOMB_HOOK_INIT;
		struct occupied o;
		tomb_t *t;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		t = errgroup_on(o.p);
		ck_assert_int_eq(tomb_on_dying(t, count_callback, &c.callbacks,
		                               &h), 0);
		ck_assert_int_eq(tomb_go(t, fail_after_waiting_on_own, &c), 0);
		ck_assert_int_eq(tomb_wait(t), EIO);
		ck_assert_int_eq(c.wait_own, EDEADLK);
		ck_assert_int_eq(atomic_load(&c.callbacks), 1);
		ck_assert_int_eq(tomb_off(&h), EALREADY);
		seen = pthread_equal(c.ran_on, pthread_self());
		ck_assert_int_eq(tomb_free(t), 0);
		release(&o);
	}
	assert_inline_seen(seen);
}
END_TEST

/* The waiter takes only its tomb's workers: another tomb's, queued before,
 * stays for a pool thread, which the test awaits on a semaphore rather
 * than in that tomb's wait (which could run it). */
struct posted {
	struct where w;
	sem_t done;
};

static int record_and_post(tomb_t *t, void *arg)
{
	struct posted *p = arg;

	record_thread(t, &p->w);
	sem_post(&p->done);
	return 0;
}

START_TEST(test_waiter_runs_only_its_tombs_workers)
{
	bool seen = false;

	for (int attempt = 0; attempt < ATTEMPTS && !seen; attempt++) {
		struct where mine = {0};
		struct posted other;
		struct occupied o;
		tomb_t *t, *u;

		memset(&other, 0, sizeof(other));
		ck_assert_int_eq(sem_init(&other.done, 0, 0), 0);
		occupy(&o, TOMB_POOL_WAITER_RUNS);
		u = errgroup_on(o.p);
		t = errgroup_on(o.p);
		ck_assert_int_eq(tomb_go(u, record_and_post, &other), 0);
		ck_assert_int_eq(tomb_go(t, record_thread, &mine), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(mine.ran, 1);
		seen = pthread_equal(mine.self, pthread_self());
		while (sem_wait(&other.done) != 0)
			;
		ck_assert_int_eq(other.w.ran, 1);
		ck_assert(!pthread_equal(other.w.self, pthread_self()));
		ck_assert_int_eq(tomb_wait(u), 0);
		ck_assert_int_eq(tomb_free(t), 0);
		ck_assert_int_eq(tomb_free(u), 0);
		release(&o);
		sem_destroy(&other.done);
	}
	assert_inline_seen(seen);
}
END_TEST

/* A worker of tomb p (a thread of its own) that waits for a tomb on the
 * pool, and so may run that tomb's worker, is still p's worker after: its
 * wait on p is EDEADLK (the library's note of which tomb's worker a thread
 * runs is put back after the worker it ran). */
struct nested {
	tomb_pool_t *pool;
	pthread_t outer;
	struct where inner;
	int go_inner, wait_inner, free_inner, wait_outer;
};

/* Its results are checked on the test's thread. */
static int wait_for_a_pooled_tomb(tomb_t *t, void *arg)
{
	struct nested *n = arg;
	struct tomb_opts o = {.pool = n->pool,
	                      .lifetime = TOMB_LIFETIME_ERRGROUP};
	tomb_t *c = tomb_new_opts(&o);

	if (c == NULL)
		return ENOMEM;
	n->outer = pthread_self();
	n->go_inner = tomb_go(c, record_thread, &n->inner);
	n->wait_inner = tomb_wait(c);
	n->free_inner = tomb_free(c);
	n->wait_outer = tomb_wait(t);
	return 0;
}

START_TEST(test_waiter_runs_inside_another_worker)
{
	bool seen = false;

	for (int attempt = 0; attempt < ATTEMPTS && !seen; attempt++) {
		struct nested n = {.go_inner = -1, .wait_inner = -1,
		                   .free_inner = -1, .wait_outer = -1};
		struct occupied o;
		tomb_t *t;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		n.pool = o.p;
		t = tomb_new();
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(tomb_go(t, wait_for_a_pooled_tomb, &n), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(n.go_inner, 0);
		ck_assert_int_eq(n.inner.ran, 1);
		ck_assert_int_eq(n.wait_inner, 0);
		ck_assert_int_eq(n.free_inner, 0);
		ck_assert_int_eq(n.wait_outer, EDEADLK);
		seen = pthread_equal(n.inner.self, n.outer);
		ck_assert_int_eq(tomb_free(t), 0);
		release(&o);
	}
	assert_inline_seen(seen);
}
END_TEST

/* A thread runs one worker this way at a time, and none from a callback:
 * a worker that the waiter runs and that waits in turn for a tomb on the
 * pool, and a tomb_on_dying callback that does, only wait (the queued
 * worker runs on a thread the watcher makes).  Nothing but the rule keeps
 * the inner worker off the waiting thread: checked whenever the outer
 * worker ran on the test's thread (best of five), and always for the
 * callback, which runs in the test's tomb_kill. */
struct chain {
	tomb_pool_t *pool;
	pthread_t waiter;
	struct where inner;
	int wait_inner;
};

static void wait_for_one_more(struct chain *c)
{
	struct tomb_opts o = {.pool = c->pool,
	                      .lifetime = TOMB_LIFETIME_ERRGROUP};
	tomb_t *u = tomb_new_opts(&o);

	c->waiter = pthread_self();
	if (u == NULL)
		return;
	if (tomb_go(u, record_thread, &c->inner) == 0)
		c->wait_inner = tomb_wait(u);
	tomb_free(u);
}

static int worker_waits_in_turn(tomb_t *t, void *arg)
{
	(void)t;
	wait_for_one_more(arg);
	return 0;
}

static void callback_waits(tomb_t *t, void *arg)
{
	(void)t;
	wait_for_one_more(arg);
}

START_TEST(test_waiter_runs_one_at_a_time)
{
	bool seen = false;

	for (int attempt = 0; attempt <= ATTEMPTS && !seen; attempt++) {
		bool from_callback = attempt == 0;
		struct chain c = {.wait_inner = -1};
		tomb_hook_t h = TOMB_HOOK_INIT;
		struct occupied o;
		tomb_t *t;

		occupy(&o, TOMB_POOL_WAITER_RUNS);
		c.pool = o.p;
		if (from_callback) {
			t = tomb_new();
			ck_assert_ptr_nonnull(t);
			ck_assert_int_eq(tomb_on_dying(t, callback_waits, &c,
			                               &h), 0);
			tomb_kill(t, 0); /* the callback runs here */
			ck_assert_int_eq(tomb_wait(t), 0);
			ck_assert_int_eq(tomb_off(&h), EALREADY);
		} else {
			t = errgroup_on(o.p);
			ck_assert_int_eq(tomb_go(t, worker_waits_in_turn, &c), 0);
			ck_assert_int_eq(tomb_wait(t), 0);
		}
		ck_assert_int_eq(c.wait_inner, 0);
		ck_assert_int_eq(c.inner.ran, 1);
		if (pthread_equal(c.waiter, pthread_self())) {
			ck_assert(!pthread_equal(c.inner.self, c.waiter));
			seen = !from_callback;
		}
		ck_assert_int_eq(tomb_free(t), 0);
		release(&o);
	}
	assert_inline_seen(seen);
}
END_TEST

/* Two threads wait for one tomb whose workers are queued: each may run
 * some, none runs twice, and both waits return once all have returned. */
START_TEST(test_waiter_runs_with_two_waiters)
{
	enum { N = 64 };
	struct wait_result other = {.got = -1};
	struct occupied o;
	atomic_int ran = 0;
	pthread_t th;

	occupy(&o, TOMB_POOL_WAITER_RUNS);
	other.t = errgroup_on(o.p);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tomb_go(other.t, worker_count, &ran), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, wait_thread_main, &other), 0);
	ck_assert_int_eq(tomb_wait(other.t), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(other.got, 0);
	ck_assert_int_eq(atomic_load(&ran), N);
	ck_assert_int_eq(tomb_free(other.t), 0);
	release(&o);
}
END_TEST

/* A chain of tombs, each level's worker starting the next level and
 * waiting for it, on a pool of 128 KiB stacks: each thread runs at most one
 * worker for a wait, so the chain does not pile up on one stack (before
 * that rule, 22 levels overflowed 64 KiB stacks; 300 overflow these).
 * The test's own wait has a deadline (never reached), so that level 0
 * runs on a pool thread. */
struct level {
	tomb_pool_t *pool;
	int depth;
};

/* Where each level's frame escapes, so that the compiler keeps it. */
static char *volatile frame_sink;

static int run_level(tomb_t *t, void *arg)
{
	struct level *l = arg, next = {.pool = l->pool, .depth = l->depth - 1};
	struct tomb_opts o = {.pool = l->pool,
	                      .lifetime = TOMB_LIFETIME_ERRGROUP};
	char frame[2048]; /* a worker's own use of its stack */
	tomb_t *c;
	int rc;

	(void)t;
	memset(frame, l->depth & 0x7f, sizeof(frame));
	frame_sink = frame;
	frame_sink = NULL;
	if (l->depth == 0)
		return frame[sizeof(frame) - 1];
	if ((c = tomb_new_opts(&o)) == NULL)
		return ENOMEM;
	if ((rc = tomb_go(c, run_level, &next)) == 0)
		rc = tomb_wait(c);
	tomb_free(c);
	return rc + frame[0] - (l->depth & 0x7f); /* rc */
}

START_TEST(test_waiter_runs_a_deep_chain)
{
	struct tomb_pool_opts po = {.flags = TOMB_POOL_WAITER_RUNS,
	                            .stack_size = 128 * 1024};
	struct timespec far = tomb_deadline_ms(3600000); /* the test's timeout first */
	struct level top;
	int reason = -1;
	tomb_t *t;

	top.pool = tomb_pool_new(&po);
	ck_assert_ptr_nonnull(top.pool);
	top.depth = test_rounds(300); /* 15 under valgrind, which is slow at it */
	t = errgroup_on(top.pool);
	ck_assert_int_eq(tomb_go(t, run_level, &top), 0);
	ck_assert_int_eq(tomb_timedwait(t, &far, &reason), 0);
	ck_assert_int_eq(reason, 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(top.pool), 0);
}
END_TEST

/* Bursts through a pool with the flag: every worker runs once, whoever
 * runs it, and once the threads told to look at the queue have looked
 * (a moment after the wait: nothing tells the test when, bounded by its
 * timeout), every thread is parked and nothing is queued: the counts of
 * the queue, and of the threads set aside or on their way to it, came
 * back to 0. */
START_TEST(test_waiter_runs_bursts)
{
	struct tomb_pool_opts po = {.flags = TOMB_POOL_WAITER_RUNS};
	tomb_pool_t *p = tomb_pool_new(&po);
	struct tomb_pool_stats st;
	int n = test_rounds(1000);

	ck_assert_ptr_nonnull(p);
	for (int round = 0; round < 20; round++) {
		tomb_t *t = errgroup_on(p);
		atomic_int ran = 0;

		for (int i = 0; i < n; i++)
			ck_assert_int_eq(tomb_go(t, worker_count, &ran), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(atomic_load(&ran), n);
		ck_assert_int_eq(tomb_free(t), 0);
	}
	do {
		sched_yield();
		ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	} while (st.idle != st.threads);
	ck_assert_uint_eq(st.waiting, 0);
	ck_assert_uint_ge(st.threads, 1);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

Suite *make_pool_waiter_suite(void)
{
	Suite *s = suite_create("pool-waiter");
	TCase *tc = tcase_create("pool-waiter");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_waiter_runs_bad_flags);
	tcase_add_test(tc, test_waiter_runs_the_queued_worker);
	tcase_add_test(tc, test_waiter_runs_not_without_the_flag);
	tcase_add_test(tc, test_waiter_runs_not_in_a_timed_wait);
	tcase_add_test(tc, test_waiter_runs_a_worker_that_exits);
	tcase_add_test(tc, test_waiter_runs_with_a_cancel_pending);
	tcase_add_test(tc, test_waiter_runs_a_worker_that_fails);
	tcase_add_test(tc, test_waiter_runs_only_its_tombs_workers);
	tcase_add_test(tc, test_waiter_runs_inside_another_worker);
	tcase_add_test(tc, test_waiter_runs_one_at_a_time);
	tcase_add_test(tc, test_waiter_runs_with_two_waiters);
	tcase_add_test(tc, test_waiter_runs_a_deep_chain);
	tcase_add_test(tc, test_waiter_runs_bursts);
	suite_add_tcase(s, tc);
	return s;
}
