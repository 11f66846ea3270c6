/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c: every public call against each bad input, one test per row
 * of doc/errors.md (test/errors-doc.sh keeps the two in step).  Each test
 * checks the documented result and the tomb's state afterwards; nothing may
 * crash, abort or hang.  "NULL t" rows use the NULL that a failed
 * tomb_new_opts really returned, so they also cover a tomb used after a
 * failed creation.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

/* ---- What the tests share ---- */

/* What a failed creation leaves the caller with: NULL, and errno EINVAL. */
static tomb_t *failed_tomb(void)
{
	struct tomb_opts bad = {.limit = -1};
	tomb_t *t;

	errno = 0;
	t = tomb_new_opts(&bad);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(errno, EINVAL);
	return t;
}

static tomb_t *new_tomb(void)
{
	tomb_t *t = tomb_new();

	ck_assert_ptr_nonnull(t);
	return t;
}

static tomb_t *new_limited(int limit)
{
	struct tomb_opts o = {.limit = limit};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* A dead tomb: killed with `reason`, no worker, waited for. */
static tomb_t *new_dead(int reason)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, reason), 0);
	ck_assert_int_eq(tomb_wait(t), reason);
	return t;
}

static int zero;

/* Asserts that timespec a is not later than b. */
static void assert_not_after(struct timespec a, struct timespec b)
{
	ck_assert(a.tv_sec < b.tv_sec ||
	          (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec));
}

/* A deadline that has passed (the monotonic clock's start). */
static const struct timespec past = {0, 0};

/* Deadlines that are not valid times. */
static const struct timespec bad_deadlines[] = {
	{0, -1}, {0, 1000000000L}, {-1, 0}, {0, LONG_MAX}};
#define N_BAD_DEADLINES (sizeof(bad_deadlines) / sizeof(bad_deadlines[0]))

/*
 * A hand-off for a thread that is to block inside libtomb: waits until
 * thread `tid` of this process sits in a futex wait of the kind libtomb's
 * waits and sleeps make (futex with FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG, or
 * futex_waitv; pthread_cond_wait's too), as /proc/self/task/TID/syscall
 * shows.  The C library's and
 * the sanitizers' own locks wait with plain FUTEX_WAIT, so they do not
 * count.  Reads again, yielding, until then or a generous deadline.
 */
static bool in_futex_wait(pid_t tid)
{
	char path[64], buf[256];
	long nr = -1;
	unsigned long addr = 0, op = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) == NULL ||
	    sscanf(buf, "%ld %lx %lx", &nr, &addr, &op) < 1)
		nr = -1;
	fclose(f);
	op &= ~(unsigned long)FUTEX_CLOCK_REALTIME; /* either clock */
	return (nr == SYS_futex &&
	        op == (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)) ||
	       nr == SYS_futex_waitv;
}

static void await_futex_wait(pid_t tid)
{
	struct timespec end = test_deadline(10), now;

	while (!in_futex_wait(tid)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec ||
		                      (now.tv_sec == end.tv_sec &&
		                       now.tv_nsec < end.tv_nsec),
		              "thread %d never blocked in a futex wait", (int)tid);
		sched_yield();
	}
}

/* A plain thread (not a worker) that makes one blocking call on a tomb. */
struct blocked {
	tomb_t *t;
	const struct timespec *abstime;
	int (*call)(struct blocked *b);
	pthread_t thread;
	atomic_int tid;
	sem_t ready;
	int rc;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	sem_post(&b->ready);
	b->rc = b->call(b);
	return NULL;
}

/* Starts b->call(b) on a new thread and returns once it blocks. */
static void start_blocked(struct blocked *b)
{
	sem_init(&b->ready, 0, 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, blocked_main, b), 0);
	while (sem_wait(&b->ready) != 0)
		continue;
	await_futex_wait(atomic_load(&b->tid));
}

/* Joins the thread; its call's result. */
static int finish_blocked(struct blocked *b)
{
	ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
	sem_destroy(&b->ready);
	return b->rc;
}

static int call_wait(struct blocked *b)
{
	return tomb_wait(b->t);
}

static int call_sleep(struct blocked *b)
{
	return tomb_sleep(b->t, b->abstime);
}

/* A call made by a worker or a callback of t, whose result the test reads
 * after a join (tomb_wait) or on its own thread. */
struct recorded {
	int (*call)(tomb_t *t, struct recorded *r);
	tomb_t *other;
	tomb_hook_t *hook;
	int rc;
};

static int worker_records(tomb_t *t, void *arg)
{
	struct recorded *r = arg;

	r->rc = r->call(t, r);
	return 0;
}

static void callback_records(tomb_t *t, void *arg)
{
	struct recorded *r = arg;

	r->rc = r->call(t, r);
}

static int do_free(tomb_t *t, struct recorded *r)
{
	(void)r;
	return tomb_free(t);
}

static int do_wait(tomb_t *t, struct recorded *r)
{
	(void)r;
	return tomb_wait(t);
}

static int do_timedwait(tomb_t *t, struct recorded *r)
{
	int reason = 12345;
	int err = tomb_timedwait(t, NULL, &reason);

	(void)r;
	return err == 0 || reason == 12345 ? err : -1; /* reason untouched */
}

static int do_wait_other(tomb_t *t, struct recorded *r)
{
	(void)t;
	return tomb_wait(r->other);
}

static int do_go(tomb_t *t, struct recorded *r)
{
	(void)r;
	return tomb_go(t, worker_return_arg, &zero);
}

static int do_off(tomb_t *t, struct recorded *r)
{
	(void)t;
	return tomb_off(r->hook);
}

/* A worker that says it ran, and stops as "the tomb is dying". */
static int worker_marks(tomb_t *t, void *arg)
{
	(void)t;
	atomic_store((atomic_bool *)arg, true);
	return TOMB_EDYING;
}

/* A callback that counts its runs. */
static void count_run(tomb_t *t, void *arg)
{
	(void)t;
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* tomb_foreach callbacks: count the workers, copy the first one's name. */
static void count_worker(const struct tomb_worker_info *w, void *arg)
{
	(void)w;
	(*(int *)arg)++;
}

static void copy_name(const struct tomb_worker_info *w, void *arg)
{
	snprintf(arg, 32, "%s", w->name);
}

/* ---- Version and creation ---- */

START_TEST(test_version_cannot_fail)
{
	const char *v = tomb_version();

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, TOMB_VERSION_STRING);
}
END_TEST

START_TEST(test_new_takes_no_input)
{
	tomb_t *t = tomb_new();

	ck_assert_ptr_nonnull(t);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_err(t), TOMB_STILL_ALIVE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_new_opts_null_is_default)
{
	tomb_t *t = tomb_new_opts(NULL);
	sem_t hold;

	ck_assert_ptr_nonnull(t);
	ck_assert(tomb_alive(t));
	ck_assert_str_eq(tomb_name(t), "");
	/* No limit: trygo is never EBUSY. */
	sem_init(&hold, 0, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_uint_eq(tomb_count(t), 3);
	for (int i = 0; i < 3; i++)
		sem_post(&hold);
	/* The tomb lifetime: the last return kills with 0. */
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_new_opts_bad_lifetime)
{
	const int bad[] = {-1, 3, INT_MIN, INT_MAX};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tomb_opts o = {.lifetime = bad[i]};

		errno = 0;
		ck_assert_msg(tomb_new_opts(&o) == NULL, "lifetime %d", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_negative_limit)
{
	const int bad[] = {-1, INT_MIN};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tomb_opts o = {.limit = bad[i]};

		errno = 0;
		ck_assert_msg(tomb_new_opts(&o) == NULL, "limit %d", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_zero_limit)
{
	struct tomb_opts o = {.limit = 0};
	tomb_t *t = tomb_new_opts(&o);
	sem_t hold;

	ck_assert_ptr_nonnull(t);
	sem_init(&hold, 0, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_uint_eq(tomb_count(t), 4);
	for (int i = 0; i < 4; i++)
		sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_new_opts_reserved_not_zero)
{
	struct tomb_opts blank = {0};

	for (size_t i = 0; i < sizeof(blank.reserved_) / sizeof(void *); i++) {
		struct tomb_opts o = {0};

		o.reserved_[i] = &o;
		errno = 0;
		ck_assert_msg(tomb_new_opts(&o) == NULL, "reserved_[%zu]", i);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_stack_too_small)
{
	const size_t bad[] = {1, PTHREAD_STACK_MIN - 1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tomb_opts o = {.stack_size = bad[i]};

		errno = 0;
		ck_assert_msg(tomb_new_opts(&o) == NULL, "stack %zu", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_parent_dead)
{
	tomb_t *p = new_dead(EIO);
	struct tomb_opts o = {.parent = p};

	errno = 0;
	ck_assert_ptr_null(tomb_new_opts(&o));
	ck_assert_int_eq(errno, ESRCH);
	/* The parent has no child: it frees at once. */
	ck_assert_int_eq(tomb_err(p), EIO);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

START_TEST(test_new_opts_parent_dying)
{
	tomb_t *p = new_tomb(), *c;
	struct tomb_opts o = {.parent = p};
	sem_t hold;

	/* A worker that ignores the kill keeps p dying, not dead. */
	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(p, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_kill(p, EPIPE), 0);
	c = tomb_new_opts(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert(tomb_dying(c));
	ck_assert_int_eq(tomb_err(c), EPIPE);
	ck_assert_int_eq(tomb_wait(c), EPIPE);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(p), EPIPE);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_new_opts_parent_null_is_root)
{
	struct tomb_opts o = {.parent = failed_tomb()};
	tomb_t *c = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(c);
	ck_assert(tomb_alive(c));
	ck_assert_int_eq(tomb_free(c), 0);
}
END_TEST

START_TEST(test_new_opts_name_null)
{
	struct tomb_opts o = {.name = NULL};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(tomb_name(t), "");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_name_null)
{
	ck_assert_ptr_null(tomb_name(failed_tomb()));
}
END_TEST

/* ---- Freeing ---- */

START_TEST(test_free_null)
{
	ck_assert_int_eq(tomb_free(failed_tomb()), EINVAL);
}
END_TEST

START_TEST(test_free_busy_worker)
{
	tomb_t *t = new_tomb();
	sem_t started;

	sem_init(&started, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, &started), 0);
	sem_wait(&started);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert(tomb_alive(t)); /* nothing was freed: it still works */
	ck_assert_uint_eq(tomb_count(t), 1);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&started);
}
END_TEST

START_TEST(test_free_from_own_worker)
{
	tomb_t *t = new_tomb();
	struct recorded r = {.call = do_free, .rc = -1};

	ck_assert_int_eq(tomb_go(t, worker_records, &r), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(r.rc, EBUSY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_free_busy_waiter)
{
	tomb_t *t = new_tomb();
	struct blocked b = {.t = t, .call = call_wait};

	start_blocked(&b);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_kill(t, ECONNRESET), 0);
	ck_assert_int_eq(finish_blocked(&b), ECONNRESET);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_free_busy_sleeper)
{
	tomb_t *t = new_tomb();
	struct blocked b = {.t = t, .call = call_sleep};

	start_blocked(&b);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(finish_blocked(&b), ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A plain thread in tomb_cond_wait: it holds m until the wait releases it,
 * and counts itself on t before that. */
struct cond_waiter {
	tomb_t *t;
	tomb_cond_t c;
	pthread_mutex_t m;
	sem_t locked;
	pthread_t thread;
	int rc;
};

static void *cond_waiter_main(void *arg)
{
	struct cond_waiter *w = arg;

	pthread_mutex_lock(&w->m);
	sem_post(&w->locked);
	w->rc = tomb_cond_wait(w->t, &w->c, &w->m, NULL);
	pthread_mutex_unlock(&w->m);
	return NULL;
}

/* Returns once the waiter is inside its wait: it has released m. */
static void start_cond_waiter(struct cond_waiter *w, tomb_t *t)
{
	w->t = t;
	w->rc = -1;
	ck_assert_int_eq(tomb_cond_init(&w->c), 0);
	pthread_mutex_init(&w->m, NULL);
	sem_init(&w->locked, 0, 0);
	ck_assert_int_eq(pthread_create(&w->thread, NULL, cond_waiter_main, w), 0);
	while (sem_wait(&w->locked) != 0)
		continue;
	pthread_mutex_lock(&w->m);
}

static int finish_cond_waiter(struct cond_waiter *w)
{
	pthread_mutex_unlock(&w->m);
	ck_assert_int_eq(tomb_kill(w->t, 0), 0);
	ck_assert_int_eq(pthread_join(w->thread, NULL), 0);
	sem_destroy(&w->locked);
	pthread_mutex_destroy(&w->m);
	return w->rc;
}

START_TEST(test_free_busy_cond_waiter)
{
	tomb_t *t = new_tomb();
	struct cond_waiter w;

	start_cond_waiter(&w, t);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(finish_cond_waiter(&w), ECANCELED);
	ck_assert_int_eq(tomb_cond_destroy(&w.c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_free_busy_hook_armed)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(atomic_load(&runs), 0);
}
END_TEST

START_TEST(test_free_from_callback)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct recorded r = {.call = do_free, .rc = -1};

	ck_assert_int_eq(tomb_on_dying(t, callback_records, &r, &h), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0); /* runs it here */
	ck_assert_int_eq(r.rc, EBUSY);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_free_busy_signals)
{
	tomb_t *t = new_tomb();
	const int sigs[] = {SIGUSR1};

	ck_assert_int_eq(tomb_notify_signals(t, sigs, 1, 0), 0);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_free_busy_child)
{
	tomb_t *p = new_tomb(), *c;
	struct tomb_opts o = {.parent = p};

	c = tomb_new_opts(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tomb_free(p), EBUSY);
	ck_assert(tomb_alive(p));
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

/* ---- Starting workers ---- */

START_TEST(test_go_null_tomb)
{
	ck_assert_int_eq(tomb_go(failed_tomb(), worker_return_arg, &zero),
	                 EINVAL);
}
END_TEST

START_TEST(test_go_null_fn)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_go(t, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_free(t), 0); /* no phantom worker */
}
END_TEST

START_TEST(test_go_dead)
{
	tomb_t *t = new_dead(EIO);
	atomic_bool ran = false;

	ck_assert_int_eq(tomb_go(t, worker_marks, &ran), ESRCH);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert(!atomic_load(&ran));
}
END_TEST

START_TEST(test_go_dying_runs)
{
	tomb_t *t = new_tomb();
	atomic_bool ran = false;
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_go(t, worker_marks, &ran), 0);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert(atomic_load(&ran));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_go_dying_at_limit)
{
	tomb_t *t = new_limited(1);
	atomic_bool ran = false;
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_go(t, worker_marks, &ran), ECANCELED);
	ck_assert_uint_eq(tomb_count(t), 1);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert(!atomic_load(&ran));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_go_own_worker_deadlock)
{
	tomb_t *t = new_limited(1);
	struct recorded r = {.call = do_go, .rc = -1};

	ck_assert_int_eq(tomb_go(t, worker_records, &r), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(r.rc, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_go with a stack_size that pthread_create fails on: its error (one of
 * want1 to want3), and t as if the call had never been made. */
static void assert_go_fails_with_stack(size_t stack, int want1, int want2,
                                       int want3)
{
	struct tomb_opts o = {.stack_size = stack};
	tomb_t *t = tomb_new_opts(&o);
	struct timespec end = test_deadline(10);
	atomic_bool ran = false;
	int err, reason = -1;

	ck_assert_ptr_nonnull(t);
	err = tomb_go(t, worker_marks, &ran);
	ck_assert_msg(err == want1 || err == want2 || err == want3,
	              "stack %zu: %d", stack, err);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	/* No phantom worker keeps it from dying at once. */
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_timedwait(t, &end, &reason), 0);
	ck_assert_int_eq(reason, 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert(!atomic_load(&ran));
}

START_TEST(test_go_stack_unmappable)
{
	/* More than a 47-bit address space holds: glibc's EAGAIN, where
	 * valgrind's mmap makes it EINVAL. */
	assert_go_fails_with_stack((size_t)1 << 48, EAGAIN, ENOMEM, EINVAL);
}
END_TEST

START_TEST(test_go_stack_refused)
{
	/* So big that the stack and its guard overflow a size_t. */
	assert_go_fails_with_stack(SIZE_MAX, EINVAL, EINVAL, EINVAL);
}
END_TEST

START_TEST(test_go_fn_returns_still_alive)
{
	tomb_t *t = new_tomb();
	int rc = TOMB_STILL_ALIVE;

	ck_assert_int_eq(tomb_go(t, worker_return_arg, &rc), 0);
	ck_assert_int_eq(tomb_wait(t), EINVAL);
	ck_assert_str_eq(tomb_errmsg(t),
	                 "a worker returned TOMB_STILL_ALIVE, which is not a reason");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_go_fn_returns_edying_alive)
{
	tomb_t *t = new_tomb();
	int rc = TOMB_EDYING;

	ck_assert_int_eq(tomb_go(t, worker_return_arg, &rc), 0);
	ck_assert_int_eq(tomb_wait(t), EINVAL);
	ck_assert_str_eq(tomb_errmsg(t),
	                 "a worker returned TOMB_EDYING while the tomb was alive");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_go_named_null_tomb)
{
	ck_assert_int_eq(tomb_go_named(failed_tomb(), "w", worker_return_arg,
	                               &zero),
	                 EINVAL);
}
END_TEST

START_TEST(test_go_named_null_fn)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_go_named(t, "w", NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_go_named_dead)
{
	tomb_t *t = new_dead(0);
	atomic_bool ran = false;

	ck_assert_int_eq(tomb_go_named(t, "w", worker_marks, &ran), ESRCH);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert(!atomic_load(&ran));
}
END_TEST

/* Starts one worker named `name` on t (named `tomb_name`), and returns the
 * name tomb_foreach reports for it. */
static void name_of_worker(const char *tomb_name, const char *name,
                           char seen[32])
{
	struct tomb_opts o = {.name = tomb_name};
	tomb_t *t = tomb_new_opts(&o);
	sem_t hold;
	int n = 0;

	ck_assert_ptr_nonnull(t);
	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go_named(t, name, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_foreach(t, count_worker, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tomb_foreach(t, copy_name, seen), 0);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}

START_TEST(test_go_named_null_name)
{
	char seen[32] = "?";

	name_of_worker("tombname", NULL, seen);
	ck_assert_str_eq(seen, "tombname");
}
END_TEST

START_TEST(test_go_named_long_name)
{
	char seen[32] = "?";

	name_of_worker(NULL, "0123456789abcdefghijklmnopqrstuvwxyz", seen);
	ck_assert_str_eq(seen, "0123456789abcde");
}
END_TEST

START_TEST(test_trygo_null_tomb)
{
	ck_assert_int_eq(tomb_trygo(failed_tomb(), worker_return_arg, &zero),
	                 EINVAL);
}
END_TEST

START_TEST(test_trygo_null_fn)
{
	tomb_t *t = new_limited(1);

	ck_assert_int_eq(tomb_trygo(t, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_trygo_at_limit)
{
	tomb_t *t = new_limited(1);
	atomic_bool ran = false;
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_marks, &ran), EBUSY);
	ck_assert_uint_eq(tomb_count(t), 1);
	ck_assert(tomb_alive(t));
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert(!atomic_load(&ran));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_trygo_dying_at_limit)
{
	tomb_t *t = new_limited(1);
	atomic_bool ran = false;
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_marks, &ran), ECANCELED);
	ck_assert_uint_eq(tomb_count(t), 1);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert(!atomic_load(&ran));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_trygo_dead)
{
	tomb_t *t = new_dead(EIO);
	atomic_bool ran = false;

	ck_assert_int_eq(tomb_trygo(t, worker_marks, &ran), ESRCH);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert(!atomic_load(&ran));
}
END_TEST

/* ---- The limit, the count and the report ---- */

START_TEST(test_set_limit_null)
{
	ck_assert_int_eq(tomb_set_limit(failed_tomb(), 1), EINVAL);
}
END_TEST

START_TEST(test_set_limit_negative)
{
	tomb_t *t = new_limited(1);
	atomic_bool ran = false;
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_set_limit(t, -1), EINVAL);
	ck_assert_int_eq(tomb_set_limit(t, INT_MIN), EINVAL);
	/* The limit is still 1. */
	ck_assert_int_eq(tomb_trygo(t, worker_marks, &ran), EBUSY);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert(!atomic_load(&ran));
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_set_limit_zero)
{
	tomb_t *t = new_limited(1);
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), EBUSY);
	ck_assert_int_eq(tomb_set_limit(t, 0), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_trygo(t, worker_wait_sem, &hold), 0);
	ck_assert_uint_eq(tomb_count(t), 3);
	for (int i = 0; i < 3; i++)
		sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_count_null)
{
	ck_assert_uint_eq(tomb_count(failed_tomb()), 0);
}
END_TEST

START_TEST(test_foreach_null_tomb)
{
	int n = 0;

	ck_assert_int_eq(tomb_foreach(failed_tomb(), count_worker, &n), EINVAL);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_foreach_null_fn)
{
	tomb_t *t = new_tomb();
	sem_t hold;

	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_foreach(t, NULL, NULL), EINVAL);
	ck_assert_uint_eq(tomb_count(t), 1);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_dump_null_tomb)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tomb_dump(failed_tomb(), f), EINVAL);
	ck_assert_int_eq(fflush(f), 0);
	ck_assert_int_eq(ftell(f), 0); /* nothing written */
	fclose(f);
}
END_TEST

START_TEST(test_dump_null_file)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_dump(t, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_dump_unwritable)
{
	tomb_t *t = new_tomb();
	FILE *f = fopen("/dev/null", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tomb_dump(t, f), EIO);
	ck_assert(tomb_alive(t));
	fclose(f);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- Killing ---- */

START_TEST(test_kill_null)
{
	ck_assert_int_eq(tomb_kill(failed_tomb(), EIO), EINVAL);
}
END_TEST

START_TEST(test_kill_still_alive_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, TOMB_STILL_ALIVE), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_err(t), TOMB_STILL_ALIVE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_still_alive_dying)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, 0), 0); /* a provisional 0 */
	ck_assert_int_eq(tomb_kill(t, TOMB_STILL_ALIVE), EINVAL);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_edying_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, TOMB_EDYING), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_err(t), TOMB_STILL_ALIVE);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_edying_dying)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_kill(t, TOMB_EDYING), 0);
	ck_assert_int_eq(tomb_err(t), 0);
	/* It did not take the provisional 0's place: a real reason still
	 * does. */
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_dead)
{
	tomb_t *t = new_dead(EIO), *u = new_dead(0);

	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_err(t), EIO); /* a non-zero reason stays */
	ck_assert_int_eq(tomb_kill(u, EPIPE), 0);
	ck_assert_int_eq(tomb_err(u), EPIPE); /* a provisional 0 gives way */
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
}
END_TEST

START_TEST(test_killf_null_tomb)
{
	ck_assert_int_eq(tomb_killf(failed_tomb(), EIO, "disk %s", "sda"),
	                 EINVAL);
}
END_TEST

START_TEST(test_killf_null_fmt)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_killf(t, EIO, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_killf_still_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_killf(t, TOMB_STILL_ALIVE, "x"), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_str_eq(tomb_errmsg(t), "still alive");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_killf_edying_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_killf(t, TOMB_EDYING, "x"), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_str_eq(tomb_errmsg(t), "still alive");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_dying_null)
{
	ck_assert(!tomb_dying(failed_tomb()));
}
END_TEST

START_TEST(test_alive_null)
{
	ck_assert(!tomb_alive(failed_tomb()));
}
END_TEST

START_TEST(test_err_null)
{
	ck_assert_int_eq(tomb_err(failed_tomb()), EINVAL);
}
END_TEST

START_TEST(test_errmsg_null)
{
	ck_assert_ptr_null(tomb_errmsg(failed_tomb()));
}
END_TEST

/* ---- Waiting and sleeping ---- */

START_TEST(test_wait_null)
{
	ck_assert_int_eq(tomb_wait(failed_tomb()), EINVAL);
}
END_TEST

START_TEST(test_wait_from_own_worker)
{
	tomb_t *t = new_tomb();
	struct recorded r = {.call = do_wait, .rc = -1};

	ck_assert_int_eq(tomb_go(t, worker_records, &r), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(r.rc, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_wait_from_callback)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct recorded r = {.call = do_wait, .rc = -1};

	ck_assert_int_eq(tomb_on_dying(t, callback_records, &r, &h), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(r.rc, EDEADLK);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_wait_from_child_worker)
{
	tomb_t *p = new_tomb(), *c;
	struct tomb_opts o = {.parent = p};
	struct recorded r = {.call = do_wait_other, .rc = -1};

	c = tomb_new_opts(&o);
	ck_assert_ptr_nonnull(c);
	r.other = p;
	ck_assert_int_eq(tomb_go(c, worker_records, &r), 0);
	ck_assert_int_eq(tomb_wait(c), 0);
	ck_assert_int_eq(r.rc, EDEADLK);
	ck_assert(tomb_alive(p)); /* a child's death does not kill it */
	ck_assert_int_eq(tomb_kill(p, 0), 0);
	ck_assert_int_eq(tomb_wait(p), 0);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

START_TEST(test_timedwait_null)
{
	int reason = 12345;

	ck_assert_int_eq(tomb_timedwait(failed_tomb(), NULL, &reason), EINVAL);
	ck_assert_int_eq(reason, 12345);
}
END_TEST

START_TEST(test_timedwait_past_alive)
{
	tomb_t *t = new_tomb();
	int reason = 12345;

	ck_assert_int_eq(tomb_timedwait(t, &past, &reason), ETIMEDOUT);
	ck_assert_int_eq(reason, 12345);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_past_dead)
{
	tomb_t *t = new_tomb();
	int reason = 12345;

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_timedwait(t, &past, &reason), 0);
	ck_assert_int_eq(reason, EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_bad_deadline)
{
	tomb_t *t = new_tomb();

	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		int reason = 12345;

		ck_assert_msg(tomb_timedwait(t, &bad_deadlines[i], &reason) ==
		                      EINVAL,
		              "deadline %zu", i);
		ck_assert_int_eq(reason, 12345);
	}
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	/* Checked even when t is dead. */
	ck_assert_int_eq(tomb_timedwait(t, &bad_deadlines[0], NULL), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_null_reason)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_timedwait(t, NULL, NULL), 0);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_timedwait_from_own_worker)
{
	tomb_t *t = new_tomb();
	struct recorded r = {.call = do_timedwait, .rc = -1};

	ck_assert_int_eq(tomb_go(t, worker_records, &r), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(r.rc, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_wait_dying_null)
{
	ck_assert_int_eq(tomb_wait_dying(failed_tomb(), NULL), EINVAL);
}
END_TEST

START_TEST(test_wait_dying_past_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_wait_dying(t, &past), ETIMEDOUT);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_wait_dying_past_dying)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_wait_dying(t, &past), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_wait_dying_bad_deadline)
{
	tomb_t *t = new_tomb();

	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_msg(tomb_wait_dying(t, &bad_deadlines[i]) == EINVAL,
		              "deadline %zu", i);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_wait_dying(t, &bad_deadlines[0]), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_sleep_null)
{
	ck_assert_int_eq(tomb_sleep(failed_tomb(), NULL), EINVAL);
}
END_TEST

START_TEST(test_sleep_past_alive)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_sleep(t, &past), 0);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_sleep_dying)
{
	tomb_t *t = new_tomb();
	struct timespec later = test_deadline(60);

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_sleep(t, &past), ECANCELED);
	ck_assert_int_eq(tomb_sleep(t, &later), ECANCELED);
	ck_assert_int_eq(tomb_sleep(t, NULL), ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_sleep_bad_deadline)
{
	tomb_t *t = new_tomb();

	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_msg(tomb_sleep(t, &bad_deadlines[i]) == EINVAL,
		              "deadline %zu", i);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_deadline_ms_not_positive)
{
	const long long ms[] = {0, -1, -86400000LL, LLONG_MIN};

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct timespec before, d, after;

		clock_gettime(CLOCK_MONOTONIC, &before);
		d = tomb_deadline_ms(ms[i]);
		clock_gettime(CLOCK_MONOTONIC, &after);
		assert_not_after(before, d); /* now, not in the past */
		assert_not_after(d, after);
	}
}
END_TEST

START_TEST(test_deadline_ms_huge)
{
	struct timespec now, d = tomb_deadline_ms(LLONG_MAX);
	tomb_t *t = new_tomb();
	struct blocked b = {.t = t, .abstime = &d, .call = call_sleep};

	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_int_ge(d.tv_nsec, 0);
	ck_assert_int_lt(d.tv_nsec, 1000000000L);
	ck_assert(d.tv_sec > now.tv_sec + 100LL * 365 * 86400); /* centuries */
	/* Every wait takes it: a sleep on it blocks until the kill. */
	start_blocked(&b);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(finish_blocked(&b), ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- Condition variables ---- */

START_TEST(test_cond_init_null)
{
	ck_assert_int_eq(tomb_cond_init(NULL), EINVAL);
}
END_TEST

START_TEST(test_cond_destroy_null)
{
	ck_assert_int_eq(tomb_cond_destroy(NULL), EINVAL);
}
END_TEST

START_TEST(test_cond_destroy_busy)
{
	tomb_t *t = new_tomb();
	struct cond_waiter w;

	start_cond_waiter(&w, t);
	ck_assert_int_eq(tomb_cond_destroy(&w.c), EBUSY);
	ck_assert_int_eq(finish_cond_waiter(&w), ECANCELED);
	ck_assert_int_eq(tomb_cond_destroy(&w.c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_signal_null)
{
	ck_assert_int_eq(tomb_cond_signal(NULL), EINVAL);
}
END_TEST

START_TEST(test_cond_broadcast_null)
{
	ck_assert_int_eq(tomb_cond_broadcast(NULL), EINVAL);
}
END_TEST

/* An error-checking mutex, so that "m is still held by this thread" can be
 * proved: unlocking it then succeeds. */
static void checked_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	ck_assert_int_eq(pthread_mutex_init(m, &a), 0);
	pthread_mutexattr_destroy(&a);
}

/* tomb_cond_wait(t, c, m, abstime) with m locked: its result, with m
 * checked to be held by this thread afterwards, and released. */
static int cond_wait_held(tomb_t *t, tomb_cond_t *c,
                          const struct timespec *abstime)
{
	pthread_mutex_t m;
	int err;

	checked_mutex(&m);
	ck_assert_int_eq(pthread_mutex_lock(&m), 0);
	err = tomb_cond_wait(t, c, &m, abstime);
	ck_assert_int_eq(pthread_mutex_unlock(&m), 0); /* still ours */
	pthread_mutex_destroy(&m);
	return err;
}

START_TEST(test_cond_wait_null_tomb)
{
	tomb_cond_t c = TOMB_COND_INIT;

	ck_assert_int_eq(cond_wait_held(failed_tomb(), &c, NULL), EINVAL);
}
END_TEST

START_TEST(test_cond_wait_null_cond)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(cond_wait_held(t, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_wait_null_mutex)
{
	tomb_t *t = new_tomb();
	tomb_cond_t c = TOMB_COND_INIT;

	ck_assert_int_eq(tomb_cond_wait(t, &c, NULL, NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_wait_bad_deadline)
{
	tomb_t *t = new_tomb();
	tomb_cond_t c = TOMB_COND_INIT;

	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_msg(cond_wait_held(t, &c, &bad_deadlines[i]) == EINVAL,
		              "deadline %zu", i);
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_wait_past_deadline)
{
	tomb_t *t = new_tomb();
	tomb_cond_t c = TOMB_COND_INIT;

	ck_assert_int_eq(cond_wait_held(t, &c, &past), ETIMEDOUT);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_wait_dying)
{
	tomb_t *t = new_tomb();
	tomb_cond_t c = TOMB_COND_INIT;
	pthread_mutex_t m;

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(cond_wait_held(t, &c, NULL), ECANCELED);
	ck_assert_int_eq(cond_wait_held(t, &c, &past), ECANCELED);
	/* m is not even unlocked: with an error-checking mutex this thread
	 * does not hold, an unlock would have been EPERM. */
	checked_mutex(&m);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, NULL), ECANCELED);
	pthread_mutex_destroy(&m);
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_wait_unheld_mutex)
{
	tomb_t *t = new_tomb();
	tomb_cond_t c = TOMB_COND_INIT;
	pthread_mutex_t m;

	checked_mutex(&m);
	/* ThreadSanitizer reports the unlock of an unlocked mutex that this
	 * makes on purpose, so only the other builds make it. */
	if (!UNDER_TSAN)
		ck_assert_int_eq(tomb_cond_wait(t, &c, &m, NULL), EPERM);
	/* Nothing waited, nothing is left locked. */
	ck_assert_int_eq(pthread_mutex_trylock(&m), 0);
	ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- Descriptors ---- */

START_TEST(test_dying_fd_null)
{
	errno = 0;
	ck_assert_int_eq(tomb_dying_fd(failed_tomb()), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_dead_fd_null)
{
	errno = 0;
	ck_assert_int_eq(tomb_dead_fd(failed_tomb()), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* fd_of(t) with no descriptor number left: -1 and EMFILE; then, with the
 * limit back, a descriptor (a failure changed nothing). */
static void assert_fd_out_of_descriptors(int (*fd_of)(tomb_t *))
{
	tomb_t *t = new_tomb();
	struct rlimit old, tight;
	int fd = dup(0);

	/* The limit bounds descriptor numbers: allow none from the lowest
	 * free one up. */
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight.rlim_cur = (rlim_t)fd;
	tight.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	errno = 0;
	fd = fd_of(t);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, EMFILE);
	ck_assert(tomb_alive(t));
	fd = fd_of(t);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fd_of(t), fd); /* the same one from now on */
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}

START_TEST(test_dying_fd_out_of_descriptors)
{
	assert_fd_out_of_descriptors(tomb_dying_fd);
}
END_TEST

START_TEST(test_dead_fd_out_of_descriptors)
{
	assert_fd_out_of_descriptors(tomb_dead_fd);
}
END_TEST

/* ---- Callbacks ---- */

START_TEST(test_on_dying_null_tomb)
{
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(failed_tomb(), count_run, &runs, &h),
	                 EINVAL);
	ck_assert_int_eq(tomb_off(&h), EINVAL); /* not registered */
	ck_assert_int_eq(atomic_load(&runs), 0);
}
END_TEST

START_TEST(test_on_dying_null_fn)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;

	ck_assert_int_eq(tomb_on_dying(t, NULL, NULL, &h), EINVAL);
	ck_assert_int_eq(tomb_off(&h), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0); /* nothing registered */
}
END_TEST

START_TEST(test_on_dying_null_hook)
{
	tomb_t *t = new_tomb();
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, NULL), EINVAL);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(atomic_load(&runs), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_on_dying_registered_twice)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), EBUSY);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(atomic_load(&runs), 1); /* registered once */
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_on_dying_registered_elsewhere)
{
	tomb_t *a = new_tomb(), *b = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(a, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_on_dying(b, count_run, &runs, &h), EBUSY);
	ck_assert_int_eq(tomb_kill(b, 0), 0);
	ck_assert_int_eq(atomic_load(&runs), 0); /* still a's only */
	ck_assert_int_eq(tomb_free(b), 0);
	ck_assert_int_eq(tomb_free(a), EBUSY);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(tomb_free(a), 0);
}
END_TEST

START_TEST(test_on_dying_after_run)
{
	tomb_t *t = new_tomb(), *u = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(atomic_load(&runs), 1);
	/* Ran, but still registered until tomb_off. */
	ck_assert_int_eq(tomb_on_dying(u, count_run, &runs, &h), EBUSY);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_on_dying(u, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(atomic_load(&runs), 1);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
}
END_TEST

START_TEST(test_on_dying_dying)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(atomic_load(&runs), 1); /* at once, here */
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_off_null)
{
	ck_assert_int_eq(tomb_off(NULL), EINVAL);
}
END_TEST

START_TEST(test_off_never_registered)
{
	tomb_hook_t h = TOMB_HOOK_INIT;

	ck_assert_int_eq(tomb_off(&h), EINVAL);
	ck_assert_int_eq(tomb_off(&h), EINVAL);
}
END_TEST

START_TEST(test_off_twice)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(tomb_off(&h), EINVAL);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(atomic_load(&runs), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_off_after_run)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_off(&h), EINVAL);
	ck_assert_int_eq(atomic_load(&runs), 1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_off_from_callback)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct recorded r = {.call = do_off, .hook = &h, .rc = -1};

	ck_assert_int_eq(tomb_on_dying(t, callback_records, &r, &h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(r.rc, EALREADY);
	ck_assert_int_eq(tomb_off(&h), EINVAL); /* unregistered already */
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_off_after_free)
{
	tomb_t *t = new_tomb();
	tomb_hook_t h = TOMB_HOOK_INIT;
	atomic_int runs = 0;

	ck_assert_int_eq(tomb_on_dying(t, count_run, &runs, &h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(atomic_load(&runs), 1);
}
END_TEST

/* ---- Signals ---- */

/* Asserts that tomb_notify_signals(t, sigs, n, flags) is EINVAL and that t
 * is left alive with no watch (a watch would make tomb_free EBUSY). */
static void assert_notify_einval(const int *sigs, size_t n, int flags)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_notify_signals(t, sigs, n, flags), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}

/* Whether signal s has the handler it had when `before` was read. */
static bool handler_unchanged(int s, const struct sigaction *before)
{
	struct sigaction now;

	return sigaction(s, NULL, &now) == 0 &&
	       now.sa_handler == before->sa_handler;
}

START_TEST(test_notify_null_tomb)
{
	const int sigs[] = {SIGUSR1};

	ck_assert_int_eq(tomb_notify_signals(failed_tomb(), sigs, 1, 0), EINVAL);
}
END_TEST

START_TEST(test_notify_null_signals)
{
	assert_notify_einval(NULL, 1, 0);
}
END_TEST

START_TEST(test_notify_zero_count)
{
	const int sigs[] = {SIGUSR1};

	assert_notify_einval(sigs, 0, 0);
}
END_TEST

START_TEST(test_notify_bad_flags)
{
	const int sigs[] = {SIGUSR1};

	assert_notify_einval(sigs, 1, 4);
	assert_notify_einval(sigs, 1, -1);
	assert_notify_einval(sigs, 1, INT_MIN);
}
END_TEST

START_TEST(test_notify_not_a_signal)
{
	const int bad[] = {0, -1, NSIG, NSIG + 1, INT_MAX, INT_MIN};
	struct sigaction before;

	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &before), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const int sigs[] = {SIGUSR1, bad[i]};

		assert_notify_einval(sigs, 2, 0);
		ck_assert(handler_unchanged(SIGUSR1, &before));
	}
}
END_TEST

START_TEST(test_notify_kill_stop)
{
	const int kill_[] = {SIGUSR1, SIGKILL}, stop[] = {SIGSTOP};
	struct sigaction before;

	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &before), 0);
	assert_notify_einval(kill_, 2, 0);
	assert_notify_einval(stop, 1, 0);
	ck_assert(handler_unchanged(SIGUSR1, &before));
}
END_TEST

START_TEST(test_notify_reserved_signal)
{
	int tried = 0;

	/* glibc keeps 32 and 33 below SIGRTMIN for itself. */
	for (int s = 32; s < SIGRTMIN; s++) {
		const int sigs[] = {s};

		assert_notify_einval(sigs, 1, 0);
		tried++;
	}
	ck_assert_int_gt(tried, 0);
}
END_TEST

START_TEST(test_notify_watched_elsewhere)
{
	tomb_t *a = new_tomb(), *b = new_tomb();
	const int sigs[] = {SIGUSR1};

	ck_assert_int_eq(tomb_notify_signals(a, sigs, 1, 0), 0);
	ck_assert_int_eq(tomb_notify_signals(b, sigs, 1, 0), EBUSY);
	ck_assert_int_eq(tomb_free(b), 0); /* b watches nothing */
	ck_assert_int_eq(tomb_kill(a, 0), 0);
	ck_assert_int_eq(tomb_wait(a), 0);
	ck_assert_int_eq(tomb_free(a), 0);
}
END_TEST

START_TEST(test_notify_watched_by_self)
{
	tomb_t *t = new_tomb(), *u = new_tomb();
	const int one[] = {SIGUSR1}, two[] = {SIGUSR2, SIGUSR1};

	ck_assert_int_eq(tomb_notify_signals(t, one, 1, 0), 0);
	ck_assert_int_eq(tomb_notify_signals(t, two, 2, 0), EBUSY);
	/* The failed call kept nothing: SIGUSR2 is free. */
	ck_assert_int_eq(tomb_notify_signals(u, two, 1, 0), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_kill(u, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_wait(u), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
}
END_TEST

START_TEST(test_notify_dying)
{
	tomb_t *t = new_tomb();
	const int sigs[] = {SIGUSR1};
	struct sigaction before;
	sem_t hold;

	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &before), 0);
	sem_init(&hold, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &hold), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_notify_signals(t, sigs, 1, 0), ECANCELED);
	ck_assert(handler_unchanged(SIGUSR1, &before));
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_notify_dead)
{
	tomb_t *t = new_dead(0);
	const int sigs[] = {SIGUSR1};
	struct sigaction before;

	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &before), 0);
	ck_assert_int_eq(tomb_notify_signals(t, sigs, 1, 0), ECANCELED);
	ck_assert(handler_unchanged(SIGUSR1, &before));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- Pools ---- */

static tomb_pool_t *new_pool(void)
{
	tomb_pool_t *p = tomb_pool_new(NULL);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_pool_new_null_is_default)
{
	tomb_pool_t *p = new_pool();
	struct tomb_pool_opts o = {0};
	struct tomb_pool_stats st;
	tomb_pool_t *q = tomb_pool_new(&o);

	/* NULL and all-zero options are the same: nothing made yet. */
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(tomb_pool_stats(p, &st), 0);
	ck_assert_uint_eq(st.threads, 0);
	ck_assert_uint_eq(st.started, 0);
	ck_assert_int_eq(tomb_pool_free(q), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

START_TEST(test_pool_new_reserved_not_zero)
{
	struct tomb_pool_opts blank = {0};

	for (size_t i = 0; i < sizeof(blank.reserved_) / sizeof(void *); i++) {
		struct tomb_pool_opts o = {0};

		o.reserved_[i] = &o;
		errno = 0;
		ck_assert_msg(tomb_pool_new(&o) == NULL, "reserved_[%zu]", i);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_pool_new_stack_too_small)
{
	const size_t bad[] = {1, PTHREAD_STACK_MIN - 1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tomb_pool_opts o = {.stack_size = bad[i]};

		errno = 0;
		ck_assert_msg(tomb_pool_new(&o) == NULL, "stack_size %zu", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_pool_with_stack_size)
{
	tomb_pool_t *p = new_pool();
	struct tomb_opts o = {.pool = p, .stack_size = 1 << 20};

	errno = 0;
	ck_assert_ptr_null(tomb_new_opts(&o));
	ck_assert_int_eq(errno, EINVAL);
	/* The refused tomb is not a user of the pool. */
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

START_TEST(test_pool_free_null)
{
	ck_assert_int_eq(tomb_pool_free(NULL), EINVAL);
}
END_TEST

START_TEST(test_pool_free_tomb_not_freed)
{
	tomb_pool_t *p = new_pool();
	struct tomb_opts o = {.pool = p};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tomb_pool_free(p), EBUSY);
	/* Dead is not enough: the tomb is a user until tomb_free. */
	ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), EBUSY);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

struct pool_free_call {
	tomb_pool_t *p;
	int rc;
};

static int worker_frees_pool(tomb_t *t, void *arg)
{
	struct pool_free_call *c = arg;

	(void)t;
	c->rc = tomb_pool_free(c->p);
	return 0;
}

START_TEST(test_pool_free_from_its_thread)
{
	struct pool_free_call c = {.p = new_pool(), .rc = -1};
	struct tomb_opts o = {.pool = c.p};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tomb_go(t, worker_frees_pool, &c), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(c.rc, EDEADLK);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(c.p), 0);
}
END_TEST

START_TEST(test_pool_stats_null)
{
	tomb_pool_t *p = new_pool();
	struct tomb_pool_stats st;

	ck_assert_int_eq(tomb_pool_stats(NULL, &st), EINVAL);
	ck_assert_int_eq(tomb_pool_stats(p, NULL), EINVAL);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* ---- The suite: one test case per section of doc/errors.md ---- */

/* Deadlines (issue 22): tomb_set_deadline, tomb_deadline, the deadline
 * option, and tomb_kill_from. */

START_TEST(test_new_opts_bad_deadline)
{
	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		struct tomb_opts o = {.deadline = &bad_deadlines[i]};

		errno = 0;
		ck_assert_msg(tomb_new_opts(&o) == NULL, "deadline %zu", i);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_new_opts_past_deadline)
{
	struct tomb_opts o = {.deadline = &past};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	ck_assert(tomb_dying(t));
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(t), "deadline exceeded");
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_set_deadline_null)
{
	struct timespec d = tomb_deadline_ms(1000);

	ck_assert_int_eq(tomb_set_deadline(failed_tomb(), &d), EINVAL);
	ck_assert_int_eq(tomb_set_deadline(failed_tomb(), NULL), EINVAL);
}
END_TEST

START_TEST(test_set_deadline_bad)
{
	tomb_t *t = new_tomb();
	struct timespec d = tomb_deadline_ms(3600 * 1000), seen;

	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_msg(tomb_set_deadline(t, &bad_deadlines[i]) == EINVAL,
		              "deadline %zu", i);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_deadline(t, &seen), 0); /* unchanged */
	ck_assert(seen.tv_sec == d.tv_sec && seen.tv_nsec == d.tv_nsec);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	/* Checked even when t is dying. */
	ck_assert_int_eq(tomb_set_deadline(t, &bad_deadlines[0]), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_set_deadline_dying)
{
	tomb_t *t = new_tomb();
	struct timespec d = tomb_deadline_ms(1000), seen;

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_set_deadline(t, &d), ECANCELED);
	ck_assert_int_eq(tomb_set_deadline(t, &past), ECANCELED);
	ck_assert_int_eq(tomb_deadline(t, &seen), ENOENT);
	ck_assert_int_eq(tomb_err(t), 0); /* the provisional 0 stays */
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_set_deadline_clear_dying)
{
	tomb_t *t = new_tomb();
	struct timespec d = tomb_deadline_ms(3600 * 1000), seen;

	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_set_deadline(t, NULL), 0);
	ck_assert_int_eq(tomb_deadline(t, &seen), ENOENT);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_set_deadline_past)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_set_deadline(t, &past), 0);
	ck_assert(tomb_dying(t));
	ck_assert_int_eq(tomb_err(t), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(t), "deadline exceeded");
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_deadline_null)
{
	tomb_t *t = new_tomb();
	struct timespec out = {7, 7};

	ck_assert_int_eq(tomb_deadline(failed_tomb(), &out), EINVAL);
	ck_assert_int_eq(tomb_deadline(t, NULL), EINVAL);
	ck_assert(out.tv_sec == 7 && out.tv_nsec == 7);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_deadline_none)
{
	tomb_t *t = new_tomb();
	struct timespec out = {7, 7};

	ck_assert_int_eq(tomb_deadline(t, &out), ENOENT);
	ck_assert(out.tv_sec == 7 && out.tv_nsec == 7);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_from_null)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_kill_from(failed_tomb(), t), EINVAL);
	ck_assert_int_eq(tomb_kill_from(t, failed_tomb()), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
	t = new_tomb();
	ck_assert_int_eq(tomb_kill_from(t, failed_tomb()), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_kill_from_alive)
{
	tomb_t *t = new_tomb(), *from = new_tomb();

	ck_assert_int_eq(tomb_kill_from(t, from), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill_from(t, t), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(from), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	add_leak_check(tc);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return tc;
}

Suite *make_errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc;

	tc = tcase(s, "create");
	tcase_add_test(tc, test_version_cannot_fail);
	tcase_add_test(tc, test_new_takes_no_input);
	tcase_add_test(tc, test_new_opts_null_is_default);
	tcase_add_test(tc, test_new_opts_bad_lifetime);
	tcase_add_test(tc, test_new_opts_negative_limit);
	tcase_add_test(tc, test_new_opts_zero_limit);
	tcase_add_test(tc, test_new_opts_reserved_not_zero);
	tcase_add_test(tc, test_new_opts_stack_too_small);
	tcase_add_test(tc, test_new_opts_parent_dead);
	tcase_add_test(tc, test_new_opts_parent_dying);
	tcase_add_test(tc, test_new_opts_parent_null_is_root);
	tcase_add_test(tc, test_new_opts_name_null);
	tcase_add_test(tc, test_name_null);

	tc = tcase(s, "free");
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_free_busy_worker);
	tcase_add_test(tc, test_free_from_own_worker);
	tcase_add_test(tc, test_free_busy_waiter);
	tcase_add_test(tc, test_free_busy_sleeper);
	tcase_add_test(tc, test_free_busy_cond_waiter);
	tcase_add_test(tc, test_free_busy_hook_armed);
	tcase_add_test(tc, test_free_from_callback);
	tcase_add_test(tc, test_free_busy_signals);
	tcase_add_test(tc, test_free_busy_child);

	tc = tcase(s, "go");
	tcase_add_test(tc, test_go_null_tomb);
	tcase_add_test(tc, test_go_null_fn);
	tcase_add_test(tc, test_go_dead);
	tcase_add_test(tc, test_go_dying_runs);
	tcase_add_test(tc, test_go_dying_at_limit);
	tcase_add_test(tc, test_go_own_worker_deadlock);
	tcase_add_test(tc, test_go_stack_unmappable);
	tcase_add_test(tc, test_go_stack_refused);
	tcase_add_test(tc, test_go_fn_returns_still_alive);
	tcase_add_test(tc, test_go_fn_returns_edying_alive);
	tcase_add_test(tc, test_go_named_null_tomb);
	tcase_add_test(tc, test_go_named_null_fn);
	tcase_add_test(tc, test_go_named_dead);
	tcase_add_test(tc, test_go_named_null_name);
	tcase_add_test(tc, test_go_named_long_name);
	tcase_add_test(tc, test_trygo_null_tomb);
	tcase_add_test(tc, test_trygo_null_fn);
	tcase_add_test(tc, test_trygo_at_limit);
	tcase_add_test(tc, test_trygo_dying_at_limit);
	tcase_add_test(tc, test_trygo_dead);

	tc = tcase(s, "limit");
	tcase_add_test(tc, test_set_limit_null);
	tcase_add_test(tc, test_set_limit_negative);
	tcase_add_test(tc, test_set_limit_zero);
	tcase_add_test(tc, test_count_null);
	tcase_add_test(tc, test_foreach_null_tomb);
	tcase_add_test(tc, test_foreach_null_fn);
	tcase_add_test(tc, test_dump_null_tomb);
	tcase_add_test(tc, test_dump_null_file);
	tcase_add_test(tc, test_dump_unwritable);

	tc = tcase(s, "kill");
	tcase_add_test(tc, test_kill_null);
	tcase_add_test(tc, test_kill_still_alive_alive);
	tcase_add_test(tc, test_kill_still_alive_dying);
	tcase_add_test(tc, test_kill_edying_alive);
	tcase_add_test(tc, test_kill_edying_dying);
	tcase_add_test(tc, test_kill_dead);
	tcase_add_test(tc, test_killf_null_tomb);
	tcase_add_test(tc, test_killf_null_fmt);
	tcase_add_test(tc, test_killf_still_alive);
	tcase_add_test(tc, test_killf_edying_alive);
	tcase_add_test(tc, test_dying_null);
	tcase_add_test(tc, test_alive_null);
	tcase_add_test(tc, test_err_null);
	tcase_add_test(tc, test_errmsg_null);

	tc = tcase(s, "wait");
	tcase_add_test(tc, test_wait_null);
	tcase_add_test(tc, test_wait_from_own_worker);
	tcase_add_test(tc, test_wait_from_callback);
	tcase_add_test(tc, test_wait_from_child_worker);
	tcase_add_test(tc, test_timedwait_null);
	tcase_add_test(tc, test_timedwait_past_alive);
	tcase_add_test(tc, test_timedwait_past_dead);
	tcase_add_test(tc, test_timedwait_bad_deadline);
	tcase_add_test(tc, test_timedwait_null_reason);
	tcase_add_test(tc, test_timedwait_from_own_worker);
	tcase_add_test(tc, test_wait_dying_null);
	tcase_add_test(tc, test_wait_dying_past_alive);
	tcase_add_test(tc, test_wait_dying_past_dying);
	tcase_add_test(tc, test_wait_dying_bad_deadline);
	tcase_add_test(tc, test_sleep_null);
	tcase_add_test(tc, test_sleep_past_alive);
	tcase_add_test(tc, test_sleep_dying);
	tcase_add_test(tc, test_sleep_bad_deadline);
	tcase_add_test(tc, test_deadline_ms_not_positive);
	tcase_add_test(tc, test_deadline_ms_huge);

	tc = tcase(s, "cond");
	tcase_add_test(tc, test_cond_init_null);
	tcase_add_test(tc, test_cond_destroy_null);
	tcase_add_test(tc, test_cond_destroy_busy);
	tcase_add_test(tc, test_cond_signal_null);
	tcase_add_test(tc, test_cond_broadcast_null);
	tcase_add_test(tc, test_cond_wait_null_tomb);
	tcase_add_test(tc, test_cond_wait_null_cond);
	tcase_add_test(tc, test_cond_wait_null_mutex);
	tcase_add_test(tc, test_cond_wait_bad_deadline);
	tcase_add_test(tc, test_cond_wait_past_deadline);
	tcase_add_test(tc, test_cond_wait_dying);
	tcase_add_test(tc, test_cond_wait_unheld_mutex);

	tc = tcase(s, "fd");
	tcase_add_test(tc, test_dying_fd_null);
	tcase_add_test(tc, test_dead_fd_null);
	tcase_add_test(tc, test_dying_fd_out_of_descriptors);
	tcase_add_test(tc, test_dead_fd_out_of_descriptors);

	tc = tcase(s, "hook");
	tcase_add_test(tc, test_on_dying_null_tomb);
	tcase_add_test(tc, test_on_dying_null_fn);
	tcase_add_test(tc, test_on_dying_null_hook);
	tcase_add_test(tc, test_on_dying_registered_twice);
	tcase_add_test(tc, test_on_dying_registered_elsewhere);
	tcase_add_test(tc, test_on_dying_after_run);
	tcase_add_test(tc, test_on_dying_dying);
	tcase_add_test(tc, test_off_null);
	tcase_add_test(tc, test_off_never_registered);
	tcase_add_test(tc, test_off_twice);
	tcase_add_test(tc, test_off_after_run);
	tcase_add_test(tc, test_off_from_callback);
	tcase_add_test(tc, test_off_after_free);

	tc = tcase(s, "signal");
	tcase_add_test(tc, test_notify_null_tomb);
	tcase_add_test(tc, test_notify_null_signals);
	tcase_add_test(tc, test_notify_zero_count);
	tcase_add_test(tc, test_notify_bad_flags);
	tcase_add_test(tc, test_notify_not_a_signal);
	tcase_add_test(tc, test_notify_kill_stop);
	tcase_add_test(tc, test_notify_reserved_signal);
	tcase_add_test(tc, test_notify_watched_elsewhere);
	tcase_add_test(tc, test_notify_watched_by_self);
	tcase_add_test(tc, test_notify_dying);
	tcase_add_test(tc, test_notify_dead);

	tc = tcase(s, "pools");
	tcase_add_test(tc, test_pool_new_null_is_default);
	tcase_add_test(tc, test_pool_new_reserved_not_zero);
	tcase_add_test(tc, test_pool_new_stack_too_small);
	tcase_add_test(tc, test_new_opts_pool_with_stack_size);
	tcase_add_test(tc, test_pool_free_null);
	tcase_add_test(tc, test_pool_free_tomb_not_freed);
	tcase_add_test(tc, test_pool_free_from_its_thread);
	tcase_add_test(tc, test_pool_stats_null);
	/* Deadlines (issue 22). */
	tc = tcase(s, "deadline");
	tcase_add_test(tc, test_new_opts_bad_deadline);
	tcase_add_test(tc, test_new_opts_past_deadline);
	tcase_add_test(tc, test_set_deadline_null);
	tcase_add_test(tc, test_set_deadline_bad);
	tcase_add_test(tc, test_set_deadline_dying);
	tcase_add_test(tc, test_set_deadline_clear_dying);
	tcase_add_test(tc, test_set_deadline_past);
	tcase_add_test(tc, test_deadline_null);
	tcase_add_test(tc, test_deadline_none);
	tcase_add_test(tc, test_kill_from_null);
	tcase_add_test(tc, test_kill_from_alive);
	return s;
}
