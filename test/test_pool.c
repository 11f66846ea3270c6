/* SPDX-License-Identifier: MIT */
/* test_pool.c: tombs whose workers run on a pool's parked threads. */
#define _GNU_SOURCE /* pthread_getname_np */
#include "helpers.h"
#include "proc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Waits until p has `idle` parked threads: a pool thread parks a moment
 * after the tomb whose worker it ran is dead, and nothing tells the test
 * when (bounded by the test's timeout). */
static void wait_idle(tomb_pool_t *p, size_t idle)
{
	struct tomb_pool_stats st;

	for (;;) {
		ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
		if (st.idle == idle)
			return;
		sched_yield();
	}
}

static tomb_t *pooled_tomb(tomb_pool_t *p, int lifetime)
{
	struct tomb_opts o = {.pool = p, .lifetime = lifetime};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(test_pool_bad_input)
{
	struct tomb_pool_opts reserved = {.reserved_ = {&reserved}},
	                      tiny_stack = {.stack_size = 1};
	struct tomb_pool_stats st;
	tomb_pool_t *p;

	errno = 0;
	ck_assert_ptr_null(tomb_pool_new(&reserved));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tomb_pool_new(&tiny_stack));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tomb_pool_free(NULL), EINVAL);
	ck_assert_int_eq(tomb_pool_stats(NULL, &st), EINVAL);

	p = tomb_pool_new(NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(tomb_pool_stats(p, NULL), EINVAL);
	{
		/* A pool's threads have the pool's stack size. */
		struct tomb_opts both = {.pool = p, .stack_size = 1 << 20};

		errno = 0;
		ck_assert_ptr_null(tomb_new_opts(&both));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.threads, 0); /* it starts none by itself */
	ck_assert_uint_eq(st.started, 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

START_TEST(test_pool_busy_while_used)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	tomb_t *t;
	int z = 0;

	ck_assert_ptr_nonnull(p);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_pool_free(p), EBUSY);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &z), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), EBUSY); /* dead, not freed */
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

struct where {
	pid_t tid;
	char name[16];
	int ran;
};

static int record_where(tomb_t *t, void *arg)
{
	struct where *w = arg;

	(void)t;
	w->tid = (pid_t)syscall(SYS_gettid);
	pthread_getname_np(pthread_self(), w->name, sizeof(w->name));
	w->ran++;
	return 0;
}

/* One tomb after another, each waited for: the same parked thread runs all
 * of their workers. */
START_TEST(test_pool_reuses_a_thread)
{
	struct tomb_pool_opts o = {.name = "reuser"};
	tomb_pool_t *p = tomb_pool_new(&o);
	struct tomb_pool_stats st;
	struct where first = {0}, w = {0};

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 20; i++) {
		tomb_t *t = pooled_tomb(p, TOMB_LIFETIME_TOMB);

		ck_assert_int_eq(tomb_go(t, record_where, i == 0 ? &first : &w), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(tomb_free(t), 0);
		/* It parked before the tomb could be seen dead. */
		ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
		ck_assert_uint_eq(st.idle, 1);
	}
	ck_assert_int_eq(first.ran, 1);
	ck_assert_int_eq(w.ran, 19);
	ck_assert_int_eq(w.tid, first.tid);
	ck_assert_int_ne(first.tid, (pid_t)syscall(SYS_gettid));
	ck_assert_str_eq(first.name, "reuser");
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.started, 1);
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* What tomb_go's caller wrote before the call, read by the worker on a
 * parked thread: nothing but the hand-off (the thread's futex word in
 * lib/pool.c) orders the two, so ThreadSanitizer checks its atomics here,
 * and Helgrind and DRD its annotations (lib/annotate.h). */
struct handed {
	int before_go; /* written by the test just before each tomb_go */
	int seen;      /* what the worker read */
};

static int read_handed(tomb_t *t, void *arg)
{
	struct handed *h = arg;

	(void)t;
	h->seen = h->before_go;
	return 0;
}

START_TEST(test_pool_handoff_happens_before)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct tomb_pool_stats st;
	struct handed h = {0};

	ck_assert_ptr_nonnull(p);
	for (int i = 1; i <= 3; i++) {
		tomb_t *t = pooled_tomb(p, TOMB_LIFETIME_TOMB);

		h.before_go = i;
		ck_assert_int_eq(tomb_go(t, read_handed, &h), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(h.seen, i);
		ck_assert_int_eq(tomb_free(t), 0);
	}
	/* The last two went to the thread the first one made, parked. */
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.started, 1);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* A named worker's thread carries its name while it runs, and the pool's
 * name again afterwards. */
START_TEST(test_pool_worker_names)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct where named = {0}, unnamed = {0};
	tomb_t *t;

	ck_assert_ptr_nonnull(p);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_go_named(t, "job-7", record_where, &named), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	wait_idle(p, 1);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_go(t, record_where, &unnamed), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_str_eq(named.name, "job-7");
	ck_assert_str_eq(unnamed.name, "tomb-pool");
	ck_assert_int_eq(named.tid, unnamed.tid);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* A worker's record on a pool is kept by its tomb when the worker ends, and
 * the next tomb_go takes it: each later worker still gets its own name and
 * argument, and tomb_foreach lists only the running ones.  t stays alive
 * meanwhile (one worker waits for the kill), and the test waits until each
 * short worker's thread has parked, in the critical section that keeps its
 * record, so that the record is there to take.  tomb_go_copy never takes
 * one (a spare has no room for the copy: ASan and memcheck would see the
 * copy written past its end). */
static void names_seen(const struct tomb_worker_info *info, void *arg)
{
	char *names = arg;

	strncat(names, info->name, 15);
	strcat(names, ",");
}

START_TEST(test_pool_reused_records_start_clean)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct where first = {0}, later = {0};
	char names[128];
	int value = 41;
	sem_t up;
	tomb_t *t;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sem_init(&up, 0, 0), 0);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_go_named(t, "keeper", worker_until_dying, &up), 0);
	ck_assert_int_eq(sem_wait(&up), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(tomb_go_named(t, "short", record_where, &first),
		                 0);
		wait_idle(p, 1);
	}
	ck_assert_int_eq(tomb_go(t, record_where, &later), 0);
	wait_idle(p, 1);
	ck_assert_int_eq(tomb_go_named(t, "second", worker_until_dying, &up), 0);
	ck_assert_int_eq(sem_wait(&up), 0);
	names[0] = '\0';
	ck_assert_int_eq(tomb_foreach(t, names_seen, names), 0);
	ck_assert_str_eq(names, "keeper,second,");
	/* Its return of 41 kills t: the reason is the copy's value. */
	ck_assert_int_eq(tomb_go_copy(t, worker_return_arg, &value,
	                              sizeof(value)), 0);
	value = 0; /* the worker reads its copy */
	ck_assert_int_eq(tomb_wait(t), 41);
	ck_assert_int_eq(first.ran, 3);
	ck_assert_int_eq(later.ran, 1);
	ck_assert_str_eq(first.name, "short");
	ck_assert_str_eq(later.name, "tomb-pool");
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
	sem_destroy(&up);
}
END_TEST

/* Workers blocked in each of the library's waits, on pool threads: the kill
 * wakes them all, the wait returns with the reason once every function has
 * returned, and the threads park for the next tomb. */
static int block_cond(tomb_t *t, void *arg)
{
	static tomb_cond_t cond = TOMB_COND_INIT;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&mu);
	sem_post(arg);
	do
		rc = tomb_cond_wait(t, &cond, &mu, NULL);
	while (rc == 0); /* nobody signals: a spurious wake */
	pthread_mutex_unlock(&mu);
	return rc == ECANCELED ? TOMB_EDYING : 1;
}

static int block_sleep(tomb_t *t, void *arg)
{
	sem_post(arg);
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : 1;
}

START_TEST(test_pool_kill_blocked_workers)
{
	enum { N = 8 };
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct tomb_pool_stats st;
	sem_t started;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sem_init(&started, 0, 0), 0);
	for (int round = 0; round < 3; round++) {
		tomb_t *t = pooled_tomb(p, TOMB_LIFETIME_TOMB);

		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(tomb_go(t, i % 3 == 0 ? worker_until_dying :
			                         i % 3 == 1 ? block_cond : block_sleep,
			                         &started), 0);
		}
		for (int i = 0; i < N; i++)
			ck_assert_int_eq(sem_wait(&started), 0);
		ck_assert_uint_eq(tomb_count(t), N);
		tomb_kill(t, 42);
		ck_assert_int_eq(tomb_wait(t), 42);
		ck_assert_uint_eq(tomb_count(t), 0);
		ck_assert_int_eq(tomb_free(t), 0);
		ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
		ck_assert_uint_eq(st.idle, N);
	}
	/* Three rounds of N blocked workers, and never more than N threads. */
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.started, N);
	ck_assert_uint_eq(st.threads, N);
	ck_assert_int_eq(tomb_pool_free(p), 0);
	sem_destroy(&started);
}
END_TEST

/* A pool worker waiting in tomb_wait for a tomb whose worker runs on a
 * thread of its own (the wait joins that thread) counts as blocked, as in
 * the library's other waits, and stops counting once it returns. */
static int wait_for_tomb(tomb_t *t, void *arg)
{
	(void)t;
	return tomb_wait(arg);
}

static size_t pool_blocked(tomb_pool_t *p)
{
	struct tomb_pool_stats st;

	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	return st.blocked;
}

START_TEST(test_pool_stats_blocked_in_a_join)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	tomb_t *t, *inner = tomb_new();
	struct timespec end = test_deadline(10), now;
	sem_t gate;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(inner);
	ck_assert_int_eq(sem_init(&gate, 0, 0), 0);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_uint_eq(pool_blocked(p), 0);
	ck_assert_int_eq(tomb_go(inner, worker_wait_sem, &gate), 0);
	ck_assert_int_eq(tomb_go(t, wait_for_tomb, inner), 0);
	while (pool_blocked(p) != 1) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec,
		              "the pool worker never counted as blocked");
		sched_yield();
	}
	ck_assert_int_eq(sem_post(&gate), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_uint_eq(pool_blocked(p), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(inner), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
	sem_destroy(&gate);
}
END_TEST

/* max_idle bounds the parked threads: the rest exit, and are joined. */
START_TEST(test_pool_max_idle)
{
	enum { N = 6 };
	struct tomb_pool_opts o = {.max_idle = 2};
	tomb_pool_t *p = tomb_pool_new(&o);
	struct tomb_pool_stats st;
	tomb_t *t;
	sem_t started;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sem_init(&started, 0, 0), 0);
	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(sem_wait(&started), 0);
	tomb_kill(t, 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	wait_idle(p, 2);
	/* The four that did not park exit; wait for the count to say so. */
	do {
		ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
		sched_yield();
	} while (st.threads != 2);
	ck_assert_uint_eq(st.started, N);
	ck_assert_int_eq(tomb_pool_free(p), 0);
	sem_destroy(&started);
}
END_TEST

/* The pool changes where workers run, not what a tomb means: errgroup's
 * first error, a limit, a wait from inside a worker, and children. */
static int wait_inside(tomb_t *t, void *arg)
{
	*(int *)arg = tomb_wait(t);
	return 0;
}

START_TEST(test_pool_semantics_kept)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	int seven = 7, zero = 0, inside = 0;
	struct tomb_opts co;
	tomb_t *t, *child;
	sem_t gate;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sem_init(&gate, 0, 0), 0);

	t = pooled_tomb(p, TOMB_LIFETIME_ERRGROUP);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &seven), 0);
	ck_assert_int_eq(tomb_wait(t), 7);
	ck_assert_int_eq(tomb_free(t), 0);

	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_set_limit(t, 1), 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &gate), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_return_arg, &zero), EBUSY);
	ck_assert_int_eq(sem_post(&gate), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);

	t = pooled_tomb(p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_go(t, wait_inside, &inside), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(inside, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);

	t = tomb_new();
	ck_assert_ptr_nonnull(t);
	co = (struct tomb_opts){.parent = t, .pool = p};
	child = tomb_new_opts(&co);
	ck_assert_ptr_nonnull(child);
	ck_assert_int_eq(tomb_go(child, worker_until_dying, &gate), 0);
	ck_assert_int_eq(sem_wait(&gate), 0);
	tomb_kill(t, 5);
	ck_assert_int_eq(tomb_wait(t), 5); /* covers the pooled child */
	ck_assert_int_eq(tomb_err(child), 5);
	ck_assert_int_eq(tomb_free(child), 0);
	ck_assert_int_eq(tomb_free(t), 0);

	ck_assert_int_eq(tomb_pool_free(p), 0);
	sem_destroy(&gate);
}
END_TEST

/* Two tombs share a pool at once, from two threads. */
struct sharer {
	tomb_pool_t *p;
	int reason;
	int got;
};

static void *share(void *arg)
{
	struct sharer *s = arg;

	for (int i = 0; i < 200; i++) {
		struct tomb_opts o = {.pool = s->p,
		                      .lifetime = TOMB_LIFETIME_ERRGROUP};
		tomb_t *t = tomb_new_opts(&o);
		int zero = 0;

		if (t == NULL)
			return NULL;
		tomb_go(t, worker_return_arg, &zero);
		tomb_go(t, worker_return_arg, &s->reason);
		s->got += tomb_wait(t) == s->reason;
		tomb_free(t);
	}
	return NULL;
}

START_TEST(test_pool_shared_by_threads)
{
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct sharer a = {.p = p, .reason = 11}, b = {.p = p, .reason = 12};
	pthread_t ta, tb;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pthread_create(&ta, NULL, share, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, share, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.got, 200);
	ck_assert_int_eq(b.got, 200);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* Bursts of workers that return at once, more than the threads awake: the
 * ones tomb_go queues run on threads woken for them or on threads that
 * finished a worker, every one runs, and then every thread parks again
 * (none is left set aside for a worker that another thread took). */
START_TEST(test_pool_bursts_of_short_workers)
{
	enum { ROUNDS = 20, N = 200 };
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct tomb_pool_stats st;

	ck_assert_ptr_nonnull(p);
	for (int round = 0; round < test_rounds(ROUNDS); round++) {
		tomb_t *t = pooled_tomb(p, TOMB_LIFETIME_ERRGROUP);
		atomic_int ran = 0;

		for (int i = 0; i < N; i++)
			ck_assert_int_eq(tomb_go(t, worker_count, &ran), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(atomic_load(&ran), N);
		ck_assert_int_eq(tomb_free(t), 0);
		/* Threads woken for workers that others took park a moment
		 * later: until every thread is parked (the test's timeout
		 * bounds it). */
		do {
			ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
			sched_yield();
		} while (st.idle != st.threads);
		ck_assert_uint_ge(st.threads, 1);
	}
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* A burst of 10,000 workers that return at once, from one thread into a
 * new pool: they run on a few threads, not one per worker that found no
 * parked thread (173 to 373 threads on two CPUs before the bound).  The
 * pool also makes a thread when its queue stands still for 10 ms, which a
 * loaded machine's scheduler can cause (every pool thread preempted at
 * once): so the best of up to five bursts, each into a new pool, meets
 * the bound. */
static size_t burst_threads(tomb_pool_t *p, tomb_t *t, atomic_int *ran)
{
	/* Fewer under valgrind, where the bound is not checked. */
	int n = test_rounds(10000);
	struct tomb_pool_stats st;

	atomic_store(ran, 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(tomb_go(t, worker_count, ran), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(atomic_load(ran), n);
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_ge(st.started, 1);
	ck_assert_uint_eq(st.waiting, 0); /* every worker has returned */
	return st.started;
}

START_TEST(test_pool_burst_makes_few_threads)
{
	size_t best = SIZE_MAX;

	for (int attempt = 0; attempt < test_rounds(5) && best > pool_busy_max();
	     attempt++) {
		tomb_pool_t *p = tomb_pool_new(NULL);
		atomic_int ran;
		tomb_t *t;
		size_t n;

		ck_assert_ptr_nonnull(p);
		t = pooled_tomb(p, TOMB_LIFETIME_ERRGROUP);
		n = burst_threads(p, t, &ran);
		if (n < best)
			best = n;
		ck_assert_int_eq(tomb_free(t), 0);
		ck_assert_int_eq(tomb_pool_free(p), 0);
	}
	/* Valgrind runs one thread at a time, for long slices: the queue
	 * stands still whenever the test's thread has the CPU. */
	if (!under_valgrind())
		ck_assert_uint_le(best, pool_busy_max());
}
END_TEST

/* The same burst while B workers are blocked in tomb_sleep (more than
 * busy_max: the pool does not count a thread blocked in the library's
 * waits as running): at most busy_max threads more than the blocked ones. */
START_TEST(test_pool_burst_beside_blocked_workers)
{
	enum { B = 6 };
	size_t best = SIZE_MAX;
	sem_t started;

	ck_assert_int_eq(sem_init(&started, 0, 0), 0);
	for (int attempt = 0; attempt < test_rounds(5) && best > pool_busy_max() + B;
	     attempt++) {
		tomb_pool_t *p = tomb_pool_new(NULL);
		tomb_t *blocked, *burst;
		atomic_int ran;
		size_t n;

		ck_assert_ptr_nonnull(p);
		blocked = pooled_tomb(p, TOMB_LIFETIME_TOMB);
		for (int i = 0; i < B; i++)
			ck_assert_int_eq(tomb_go(blocked, worker_until_dying,
			                         &started), 0);
		for (int i = 0; i < B; i++)
			ck_assert_int_eq(sem_wait(&started), 0);
		burst = pooled_tomb(p, TOMB_LIFETIME_ERRGROUP);
		n = burst_threads(p, burst, &ran);
		ck_assert_uint_gt(n, B);
		if (n < best)
			best = n;
		tomb_kill(blocked, 0);
		ck_assert_int_eq(tomb_wait(blocked), 0);
		ck_assert_int_eq(tomb_free(blocked), 0);
		ck_assert_int_eq(tomb_free(burst), 0);
		ck_assert_int_eq(tomb_pool_free(p), 0);
	}
	if (!under_valgrind()) /* as above */
		ck_assert_uint_le(best, pool_busy_max() + B);
	sem_destroy(&started);
}
END_TEST

/* Workers that each wait, outside the library, until all of them run: more
 * than busy_max must run at once, so the queued ones get threads although
 * every running worker is blocked (no deadlock: the test's timeout would
 * catch one). */
static int meet_all(tomb_t *t, void *arg)
{
	(void)t;
	pthread_barrier_wait(arg);
	return 0;
}

START_TEST(test_pool_queued_workers_that_running_ones_wait_for)
{
	enum { N = 40 };
	tomb_pool_t *p = tomb_pool_new(NULL);
	struct tomb_pool_stats st;
	pthread_barrier_t all;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pthread_barrier_init(&all, NULL, N), 0);
	for (int round = 0; round < 2; round++) {
		tomb_t *t = pooled_tomb(p, TOMB_LIFETIME_ERRGROUP);

		for (int i = 0; i < N; i++)
			ck_assert_int_eq(tomb_go(t, meet_all, &all), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(tomb_free(t), 0);
	}
	/* The second round found the first round's threads parked. */
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_ge(st.started, N);
	ck_assert_int_eq(tomb_pool_free(p), 0);
	pthread_barrier_destroy(&all);
}
END_TEST

/* A pool thread blocks every signal, whatever the mask of the thread whose
 * tomb_go made it; and a pool cannot be freed from its own thread. */
struct in_pool {
	tomb_pool_t *p;
	int usr1_blocked;
	int free_rc;
};

static int look_from_inside(tomb_t *t, void *arg)
{
	struct in_pool *ip = arg;
	sigset_t now;

	(void)t;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	ip->usr1_blocked = sigismember(&now, SIGUSR1);
	ip->free_rc = tomb_pool_free(ip->p);
	return 0;
}

START_TEST(test_pool_thread_mask_and_self_free)
{
	struct in_pool ip = {.p = tomb_pool_new(NULL), .usr1_blocked = -1};
	sigset_t usr1, old;
	tomb_t *t;

	ck_assert_ptr_nonnull(ip.p);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &usr1, &old), 0);
	t = pooled_tomb(ip.p, TOMB_LIFETIME_TOMB);
	ck_assert_int_eq(tomb_go(t, look_from_inside, &ip), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	ck_assert_int_eq(ip.usr1_blocked, 1);
	ck_assert_int_eq(ip.free_rc, EDEADLK);
	ck_assert_int_eq(tomb_pool_free(ip.p), 0);
}
END_TEST

Suite *make_pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pool_bad_input);
	tcase_add_test(tc, test_pool_busy_while_used);
	tcase_add_test(tc, test_pool_reuses_a_thread);
	tcase_add_test(tc, test_pool_handoff_happens_before);
	tcase_add_test(tc, test_pool_worker_names);
	tcase_add_test(tc, test_pool_reused_records_start_clean);
	tcase_add_test(tc, test_pool_kill_blocked_workers);
	tcase_add_test(tc, test_pool_stats_blocked_in_a_join);
	tcase_add_test(tc, test_pool_max_idle);
	tcase_add_test(tc, test_pool_semantics_kept);
	tcase_add_test(tc, test_pool_shared_by_threads);
	tcase_add_test(tc, test_pool_bursts_of_short_workers);
	tcase_add_test(tc, test_pool_burst_makes_few_threads);
	tcase_add_test(tc, test_pool_burst_beside_blocked_workers);
	tcase_add_test(tc, test_pool_queued_workers_that_running_ones_wait_for);
	tcase_add_test(tc, test_pool_thread_mask_and_self_free);
	suite_add_tcase(s, tc);
	return s;
}
