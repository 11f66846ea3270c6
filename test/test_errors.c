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
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

static int call_wait(struct blocked *b)
{
	return tomb_wait(b->t);
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
	struct blocked b = {.t = t, .call = blocked_sleep};

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

static int go_returns_at_once(struct blocked *b)
{
	return tomb_go(b->t, worker_return_arg, (void *)&zero);
}

/* One round: a tomb_go blocks at the limit (1) while the only worker runs;
 * that worker's return makes the tomb dead in one step (the last return
 * kills with 0).  With free_first, tomb_free is called (until it is not
 * EBUSY) before the blocked call is joined: it must not free the tomb
 * while that call is still inside it, which AddressSanitizer would report
 * as a use after free in the waiter.  The blocked call's result. */
static int slot_waiter_round(bool free_first)
{
	struct tomb_opts o = {.limit = 1};
	tomb_t *t = tomb_new_opts(&o);
	struct blocked b = {.t = t, .call = go_returns_at_once};
	struct timespec end = test_deadline(10);
	sem_t release;
	int err, rc;

	ck_assert_ptr_nonnull(t);
	sem_init(&release, 0, 0);
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &release), 0);
	start_blocked(&b); /* asleep, waiting for the slot */
	sem_post(&release);
	ck_assert_int_eq(tomb_wait(t), 0);
	if (!free_first)
		rc = finish_blocked(&b);
	while ((err = tomb_free(t)) == EBUSY) {
		struct timespec now;

		ck_assert(free_first); /* nothing else holds t */
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec < end.tv_sec, "tomb_free stays EBUSY");
		sched_yield();
	}
	ck_assert_int_eq(err, 0);
	if (free_first)
		rc = finish_blocked(&b);
	sem_destroy(&release);
	return rc;
}

/* A tomb_go that waited at the limit and lost, because the last worker's
 * return made the tomb dead in one step: ECANCELED, as for any death while
 * it waits, not ESRCH. */
START_TEST(test_go_waited_then_dead)
{
	for (int i = 0; i < test_rounds(20); i++)
		ck_assert_int_eq(slot_waiter_round(false), ECANCELED);
}
END_TEST

/* tomb_free while a tomb_go waits for a slot: EBUSY until that call has
 * left (a race: the waiter may leave first). */
START_TEST(test_free_busy_slot_waiter)
{
	for (int i = 0; i < test_rounds(100); i++)
		ck_assert_int_eq(slot_waiter_round(true), ECANCELED);
}
END_TEST

static int worker_exits(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	pthread_exit(NULL);
}

/* pthread_exit is a return of ECANCELED, with a message, in every
 * lifetime: the tomb dies, the thread is joined, nothing is left. */
START_TEST(test_go_fn_leaves_by_pthread_exit)
{
	static const int lifetimes[] = {TOMB_LIFETIME_TOMB,
	                                TOMB_LIFETIME_ERRGROUP,
	                                TOMB_LIFETIME_GROUP};

	for (size_t i = 0; i < 3; i++) {
		struct tomb_opts o = {.lifetime = lifetimes[i]};
		tomb_t *t = tomb_new_opts(&o);

		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(tomb_go(t, worker_exits, NULL), 0);
		ck_assert_int_eq(tomb_wait(t), ECANCELED);
		ck_assert_str_eq(tomb_errmsg(t), "a worker left by pthread_exit or cancellation");
		ck_assert_uint_eq(tomb_count(t), 0);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* fork(): in the child, each call on a tomb or pool made in the parent is
 * refused with EOWNERDEAD (but the reads, which tell the state at the fork),
 * and tombs made in the child work.  The child reports the number of the
 * first check that failed as its exit status. */
static void noop_hook(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
}

static void noop_info(const struct tomb_worker_info *info, void *arg)
{
	(void)info;
	(void)arg;
}

static int child_checks(tomb_t *t, tomb_pool_t *p, tomb_hook_t *hook)
{
	struct timespec soon = tomb_deadline_ms(1);
	struct tomb_opts child_of = {.parent = t}, on_pool = {.pool = p};
	struct tomb_pool_stats st;
	tomb_cond_t c = TOMB_COND_INIT;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	tomb_hook_t h2 = TOMB_HOOK_INIT;
	int sigs[] = {SIGUSR2}, reason, n = 0;
	FILE *devnull;

#define CHECK(cond) do { n++; if (!(cond)) return n; } while (0)
	CHECK(tomb_go(t, worker_return_arg, &zero) == EOWNERDEAD);
	CHECK(tomb_go_named(t, "x", worker_return_arg, &zero) == EOWNERDEAD);
	CHECK(tomb_trygo(t, worker_return_arg, &zero) == EOWNERDEAD);
	CHECK(tomb_set_limit(t, 3) == EOWNERDEAD);
	CHECK(tomb_foreach(t, noop_info, NULL) == EOWNERDEAD);
	CHECK(tomb_kill(t, EIO) == EOWNERDEAD);
	CHECK(tomb_killf(t, EIO, "x") == EOWNERDEAD);
	CHECK(tomb_wait(t) == EOWNERDEAD);
	CHECK(tomb_timedwait(t, &soon, &reason) == EOWNERDEAD);
	CHECK(tomb_wait_dying(t, &soon) == EOWNERDEAD);
	CHECK(tomb_sleep(t, &soon) == EOWNERDEAD);
	pthread_mutex_lock(&m);
	CHECK(tomb_cond_wait(t, &c, &m, &soon) == EOWNERDEAD);
	pthread_mutex_unlock(&m);
	CHECK(tomb_dying_fd(t) == -1 && errno == EOWNERDEAD);
	CHECK(tomb_dead_fd(t) == -1 && errno == EOWNERDEAD);
	CHECK(tomb_on_dying(t, noop_hook, NULL, &h2) == EOWNERDEAD);
	CHECK(tomb_off(hook) == EOWNERDEAD);
	CHECK(tomb_notify_signals(t, sigs, 1, 0) == EOWNERDEAD);
	CHECK((devnull = fopen("/dev/null", "w")) != NULL);
	CHECK(tomb_dump(t, devnull) == EOWNERDEAD);
	fclose(devnull);
	CHECK(tomb_free(t) == EOWNERDEAD);
	CHECK(tomb_new_opts(&child_of) == NULL && errno == EOWNERDEAD);
	CHECK(tomb_new_opts(&on_pool) == NULL && errno == EOWNERDEAD);
	CHECK(tomb_pool_stats(p, &st) == EOWNERDEAD);
	CHECK(tomb_pool_free(p) == EOWNERDEAD);
	CHECK(tomb_set_deadline(t, &soon) == EOWNERDEAD);
	CHECK(tomb_kill_from(t, t) == EINVAL); /* t alive: the check before */
	{
		struct timespec dl;

		CHECK(tomb_deadline(t, &dl) == ENOENT); /* a read */
	}
	/* The reads tell the state at the fork. */
	CHECK(tomb_alive(t) && tomb_count(t) == 1);
	/* A tomb made here works (ThreadSanitizer does not support threads
	 * started after a multi-threaded fork). */
	if (!UNDER_TSAN) {
		tomb_t *mine = tomb_new();

		CHECK(mine != NULL);
		CHECK(tomb_go(mine, worker_return_arg, &zero) == 0);
		CHECK(tomb_wait(mine) == 0);
		CHECK(tomb_free(mine) == 0);
	}
#undef CHECK
	return 0;
}

START_TEST(test_inherited_in_forked_child)
{
	tomb_t *t = new_tomb();
	tomb_pool_t *p = tomb_pool_new(NULL);
	tomb_hook_t hook = TOMB_HOOK_INIT;
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_on_dying(t, noop_hook, NULL, &hook), 0);
	await_workers_asleep(t); /* see there: ASan and fork() */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(child_checks(t, p, &hook));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "the child's check %d failed", WEXITSTATUS(status));
	ck_assert_int_eq(tomb_off(&hook), 0);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_pool_free(p), 0);
}
END_TEST

/* A fork while t's lock is held (here, inside tomb_foreach's function):
 * the child's kill is refused at once instead of hanging on that lock. */
struct fork_under_lock {
	tomb_t *t;
	pid_t pid;
};

static void fork_in_foreach(const struct tomb_worker_info *info, void *arg)
{
	struct fork_under_lock *f = arg;

	(void)info;
	f->pid = fork();
	if (f->pid == 0)
		_exit(tomb_kill(f->t, EIO) == EOWNERDEAD ? 0 : 1);
}

START_TEST(test_kill_in_child_forked_under_lock)
{
	tomb_t *t = new_tomb();
	struct fork_under_lock f = {.t = t, .pid = -1};
	int status;

	ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_foreach(t, fork_in_foreach, &f), 0);
	ck_assert_int_gt(f.pid, 0);
	ck_assert_int_eq(waitpid(f.pid, &status, 0), f.pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A thread blocked in tomb_poll (so in every descriptor call) on t. */
struct poller {
	tomb_t *t;
	int fd;
	int rc;
};

static void *poller_main(void *arg)
{
	struct poller *p = arg;

	pthread_setname_np(pthread_self(), "tomb-poller");
	p->rc = tomb_poll_fd(p->t, p->fd, POLLIN, NULL);
	return NULL;
}

START_TEST(test_free_busy_poller)
{
	tomb_t *t = new_tomb();
	struct poller p = {.t = t, .rc = -1};
	pthread_t th;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	p.fd = fds[0];
	ck_assert_int_eq(pthread_create(&th, NULL, poller_main, &p), 0);
	await_in_poll("tomb-poller");
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(p.rc, ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
	close(fds[0]);
	close(fds[1]);
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
	tomb_t *t;
	struct timespec end = test_deadline(10);
	atomic_bool ran = false;
	int err, reason = -1;

	errno = 0;
	t = tomb_new_opts(&o);
	if (t == NULL) {
		/* pthread_attr_setstacksize refused it (musl does above
		 * SIZE_MAX / 4): tomb_new_opts(3)'s EINVAL. */
		ck_assert_int_eq(errno, EINVAL);
		return;
	}
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
	/* More than the address space holds beside the program (47 bits
	 * at 64 bits, 4 GiB at 32), but not more than musl's
	 * pthread_attr_setstacksize takes at 64 bits (SIZE_MAX / 4), nor an
	 * overflow with the guard: glibc's EAGAIN, where valgrind's mmap
	 * makes it EINVAL. */
	assert_go_fails_with_stack(sizeof(size_t) > 4 ? SIZE_MAX / 4
	                                              : SIZE_MAX / 4 * 3,
	                           EAGAIN, ENOMEM, EINVAL);
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

START_TEST(test_go_copy_null_arg)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_go_copy(t, worker_return_arg, NULL, sizeof(int)),
	                 EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_go_copy(NULL, worker_return_arg, &zero,
	                              sizeof(zero)), EINVAL);
	ck_assert_int_eq(tomb_go_copy(t, NULL, &zero, sizeof(zero)), EINVAL);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_go_copy_huge)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_go_copy(t, worker_return_arg, &zero, SIZE_MAX),
	                 ENOMEM);
	ck_assert(tomb_alive(t));
	ck_assert_uint_eq(tomb_count(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
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
	struct blocked b = {.t = t, .abstime = &d, .call = blocked_sleep};

	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_int_ge(d.tv_nsec, 0);
	ck_assert_int_lt(d.tv_nsec, 1000000000L);
	/* Centuries; with a time_t of 32 bits, as far as it goes (68 years
	 * of the monotonic clock). */
	if (sizeof(time_t) > 4)
		ck_assert(d.tv_sec > now.tv_sec + 100LL * 365 * 86400);
	else
		ck_assert(d.tv_sec >= INT32_MAX - 1);
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

/* ---- The suite: one test case per section of doc/errors.md ---- */

/* ---- Channels (tomb_chan_*; doc/errors.md "Channels") ---- */

static tomb_chan_t *new_chan(size_t elem, size_t cap)
{
	tomb_chan_t *c = tomb_chan_new(elem, cap);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* The channel that call_chan_recv blocks on. */
static tomb_chan_t *busy_chan;

static int call_chan_recv(struct blocked *b)
{
	return tomb_chan_recv(b->t, busy_chan, NULL, b->abstime);
}

START_TEST(test_chan_new_too_large)
{
	errno = 0;
	ck_assert_ptr_null(tomb_chan_new(SIZE_MAX / 2, 2));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tomb_chan_new(2, SIZE_MAX));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_chan_new_elem_size_zero)
{
	tomb_chan_t *c = new_chan(0, 1);

	ck_assert_int_eq(tomb_chan_trysend(c, NULL), 0);
	ck_assert_int_eq(tomb_chan_trysend(c, NULL), EAGAIN);
	ck_assert_int_eq(tomb_chan_tryrecv(c, NULL), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_free_null)
{
	ck_assert_int_eq(tomb_chan_free(NULL), EINVAL);
}
END_TEST

START_TEST(test_chan_free_busy)
{
	struct blocked b = {.t = NULL, .call = call_chan_recv};

	busy_chan = new_chan(sizeof(int), 0);
	start_blocked(&b);
	ck_assert_int_eq(tomb_chan_free(busy_chan), EBUSY);
	ck_assert_int_eq(tomb_chan_close(busy_chan), 0);
	ck_assert_int_eq(finish_blocked(&b), EPIPE);
	ck_assert_int_eq(tomb_chan_free(busy_chan), 0);
}
END_TEST

START_TEST(test_chan_send_null)
{
	int v = 1;

	ck_assert_int_eq(tomb_chan_send(NULL, NULL, &v, NULL), EINVAL);
}
END_TEST

START_TEST(test_chan_send_null_value)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);

	ck_assert_int_eq(tomb_chan_send(NULL, c, NULL, NULL), EINVAL);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_send_bad_deadline)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &bad_deadlines[i]),
		                 EINVAL);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_send_past_deadline)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &past), 0); /* room */
	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &past), EAGAIN);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_send_closed)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_close(c), 0);
	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, NULL), EPIPE);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_send_dying)
{
	tomb_t *t = new_tomb();
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_chan_send(t, c, &v, NULL), ECANCELED);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_send_null_tomb)
{
	tomb_chan_t *c = new_chan(sizeof(int), 0);
	struct timespec soon = tomb_deadline_ms(5);
	int v = 1;

	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &soon), ETIMEDOUT);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_recv_null)
{
	int v;

	ck_assert_int_eq(tomb_chan_recv(NULL, NULL, &v, NULL), EINVAL);
}
END_TEST

START_TEST(test_chan_recv_bad_deadline)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, &bad_deadlines[i]),
		                 EINVAL);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_recv_null_value)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	ck_assert_int_eq(tomb_chan_recv(NULL, c, NULL, NULL), 0);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_recv_closed)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	ck_assert_int_eq(tomb_chan_close(c), 0);
	v = 0;
	ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, NULL), 0);
	ck_assert_int_eq(v, 1);
	v = 5;
	ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, NULL), EPIPE);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_recv_dying)
{
	tomb_t *t = new_tomb();
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_chan_recv(t, c, &v, NULL), ECANCELED);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_trysend_null)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	int v = 1;

	ck_assert_int_eq(tomb_chan_trysend(NULL, &v), EINVAL);
	ck_assert_int_eq(tomb_chan_trysend(c, NULL), EINVAL);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_tryrecv_null)
{
	int v;

	ck_assert_int_eq(tomb_chan_tryrecv(NULL, &v), EINVAL);
}
END_TEST

START_TEST(test_chan_close_null)
{
	ck_assert_int_eq(tomb_chan_close(NULL), EINVAL);
}
END_TEST

START_TEST(test_chan_close_twice)
{
	tomb_chan_t *c = new_chan(sizeof(int), 0);

	ck_assert_int_eq(tomb_chan_close(c), 0);
	ck_assert_int_eq(tomb_chan_close(c), EPIPE);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_len_null)
{
	ck_assert_uint_eq(tomb_chan_len(NULL), 0);
}
END_TEST

START_TEST(test_chan_cap_null)
{
	ck_assert_uint_eq(tomb_chan_cap(NULL), 0);
}
END_TEST

/* A select of one receive on a channel holding one value: what each bad
 * input is checked against (nothing is received when it fails). */
static void check_select_einval(struct tomb_chan_op *ops, size_t n,
                                const struct timespec *abstime,
                                size_t *chosen, tomb_chan_t *c)
{
	ck_assert_int_eq(tomb_chan_select(NULL, ops, n, abstime, chosen),
	                 EINVAL);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
}

static tomb_chan_t *select_chan(struct tomb_chan_op *op, int *v)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);

	ck_assert_int_eq(tomb_chan_trysend(c, v), 0);
	*op = (struct tomb_chan_op){.chan = c, .dir = TOMB_CHAN_RECV, .value = v};
	return c;
}

START_TEST(test_chan_select_null_ops)
{
	struct tomb_chan_op op;
	int v = 1;
	size_t chosen;
	tomb_chan_t *c = select_chan(&op, &v);

	check_select_einval(NULL, 1, NULL, &chosen, c);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_null_chosen)
{
	struct tomb_chan_op op;
	int v = 1;
	tomb_chan_t *c = select_chan(&op, &v);

	check_select_einval(&op, 1, NULL, NULL, c);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_bad_dir)
{
	struct tomb_chan_op op;
	int v = 1, dirs[] = {0, 3, -1, INT_MAX};
	size_t chosen;
	tomb_chan_t *c = select_chan(&op, &v);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		op.dir = dirs[i];
		check_select_einval(&op, 1, NULL, &chosen, c);
	}
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_send_null_value)
{
	struct tomb_chan_op ops[2];
	int v = 1;
	size_t chosen;
	tomb_chan_t *c = select_chan(&ops[0], &v);

	ops[1] = (struct tomb_chan_op){.chan = c, .dir = TOMB_CHAN_SEND};
	check_select_einval(ops, 2, NULL, &chosen, c);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_reserved_not_zero)
{
	struct tomb_chan_op op;
	int v = 1;
	size_t chosen;
	tomb_chan_t *c = select_chan(&op, &v);

	for (int i = 0; i < 2; i++) {
		op.reserved_[i] = &v;
		check_select_einval(&op, 1, NULL, &chosen, c);
		op.reserved_[i] = NULL;
	}
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_bad_deadline)
{
	struct tomb_chan_op op;
	int v = 1;
	size_t chosen;
	tomb_chan_t *c = select_chan(&op, &v);

	for (size_t i = 0; i < N_BAD_DEADLINES; i++)
		check_select_einval(&op, 1, &bad_deadlines[i], &chosen, c);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_nothing)
{
	struct tomb_chan_op op = {.chan = NULL, .dir = TOMB_CHAN_RECV};
	size_t chosen;

	ck_assert_int_eq(tomb_chan_select(NULL, NULL, 0, NULL, &chosen), EINVAL);
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, NULL, &chosen), EINVAL);
}
END_TEST

START_TEST(test_chan_select_null_chan_ignored)
{
	struct tomb_chan_op ops[3];
	int v = 1;
	size_t chosen = 9;
	tomb_chan_t *c = select_chan(&ops[1], &v);

	/* A NULL channel in either direction, even with a NULL value. */
	ops[0] = (struct tomb_chan_op){.chan = NULL, .dir = TOMB_CHAN_SEND};
	ops[2] = (struct tomb_chan_op){.chan = NULL, .dir = TOMB_CHAN_RECV};
	ck_assert_int_eq(tomb_chan_select(NULL, ops, 3, NULL, &chosen), 0);
	ck_assert_uint_eq(chosen, 1);
	ck_assert_int_eq(ops[1].result, 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_past_deadline)
{
	struct tomb_chan_op op;
	int v = 1;
	size_t chosen = 9;
	tomb_chan_t *c = select_chan(&op, &v);

	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), 0);
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), EAGAIN);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_chan_select_dying)
{
	tomb_t *t = new_tomb();
	struct tomb_chan_op op;
	int v = 1;
	size_t chosen;
	tomb_chan_t *c = select_chan(&op, &v);

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_chan_select(t, &op, 1, NULL, &chosen), ECANCELED);
	ck_assert_int_eq(tomb_chan_select(t, NULL, 0, NULL, &chosen), ECANCELED);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

/* ---- I/O that a kill interrupts ---- */

/* A pipe, or a connected pair of Unix sockets: [0] reads, [1] writes. */
static void io_pair(bool sockets, int fds[2])
{
	if (sockets)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	else
		ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
}

static void io_close(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* A descriptor number that is not open (after t's dying descriptor, which
 * would otherwise take it on the call's first wait). */
static int io_not_open(tomb_t *t)
{
	int fd;

	ck_assert_int_ge(tomb_dying_fd(t), 0);
	fd = dup(0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

/* A TCP listener on 127.0.0.1 (listening unless `listening` is false). */
static int io_listener(bool listening, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(l, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)a, sizeof(*a)), 0);
	if (listening)
		ck_assert_int_eq(listen(l, 8), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)a, &len), 0);
	return l;
}

START_TEST(test_poll_null_nready)
{
	struct pollfd p = {.fd = -1};
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_poll(t, &p, 1, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_null_fds)
{
	int n = 7;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_poll(t, NULL, 1, NULL, &n), EINVAL);
	ck_assert_int_eq(tomb_poll(t, NULL, 1000, NULL, &n), EINVAL);
	ck_assert_int_eq(n, 7); /* untouched: nothing was polled */
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_bad_deadline)
{
	int n, fds[2];
	struct pollfd p;
	tomb_t *t = new_tomb();

	io_pair(false, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		n = 7;
		ck_assert_int_eq(tomb_poll(t, &p, 1, &bad_deadlines[i], &n), EINVAL);
		ck_assert_int_eq(n, 0);
	}
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_too_many)
{
	struct rlimit old, tight;
	struct pollfd *p = calloc(256, sizeof(*p));
	struct timespec now = tomb_deadline_ms(0);
	int n;
	tomb_t *t = new_tomb();

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 256; i++)
		p[i].fd = -1;
	ck_assert_int_ge(tomb_dying_fd(t), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight.rlim_cur = 128;
	tight.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	/* A deadline, so that a ppoll that accepts the count cannot hang:
	 * valgrind emulates setrlimit and keeps the kernel's limit, and
	 * there the call times out instead. */
	n = tomb_poll(t, p, 256, &now, &n);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(n, test_rounds(VALGRIND_ROUNDS_DIVISOR) == 1 ? ETIMEDOUT : EINVAL);
	free(p);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_null_tomb)
{
	int n, fds[2];
	struct pollfd p;
	struct timespec soon = tomb_deadline_ms(10);
	tomb_t *t = failed_tomb();

	io_pair(false, fds);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, &p, 1, &soon, &n), ETIMEDOUT);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_poll(t, &p, 1, NULL, &n), 0);
	ck_assert_int_eq(n, 1);
	io_close(fds);
}
END_TEST

START_TEST(test_poll_dying)
{
	int n, fds[2];
	struct pollfd p;
	tomb_t *t = new_tomb();

	io_pair(false, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, &p, 1, NULL, &n), ECANCELED);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(tomb_err(t), EIO);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_fd_negative)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_poll_fd(t, -1, POLLIN, NULL), EBADF);
	ck_assert_int_eq(tomb_poll_fd(t, INT_MIN, POLLIN, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_fd_not_open)
{
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_poll_fd(t, io_not_open(t), POLLIN, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_fd_bad_deadline)
{
	int fds[2];
	tomb_t *t = new_tomb();

	io_pair(false, fds);
	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		ck_assert_int_eq(tomb_poll_fd(t, fds[1], POLLOUT, &bad_deadlines[i]), EINVAL);
		ck_assert_int_eq(tomb_poll_fd(t, -1, POLLOUT, &bad_deadlines[i]), EINVAL);
	}
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_fd_null_tomb)
{
	int fds[2];
	struct timespec soon = tomb_deadline_ms(10);
	tomb_t *t = failed_tomb();

	io_pair(false, fds);
	ck_assert_int_eq(tomb_poll_fd(t, fds[0], POLLIN, &soon), ETIMEDOUT);
	ck_assert_int_eq(tomb_poll_fd(t, fds[1], POLLOUT, NULL), 0);
	io_close(fds);
}
END_TEST

START_TEST(test_poll_fd_dying)
{
	int fds[2];
	tomb_t *t = new_dead(0);

	io_pair(false, fds);
	ck_assert_int_eq(tomb_poll_fd(t, fds[1], POLLOUT, NULL), ECANCELED);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* The transfers: tomb_read and tomb_recv (r), tomb_write and tomb_send (w),
 * called through one signature. */
static int io_call(int which, tomb_t *t, int fd, void *buf, size_t len,
                   size_t *done, const struct timespec *abstime)
{
	switch (which) {
	case 0:
		return tomb_read(t, fd, buf, len, done, abstime);
	case 1:
		return tomb_recv(t, fd, buf, len, 0, done, abstime);
	case 2:
		return tomb_write(t, fd, buf, len, done, abstime);
	default:
		return tomb_send(t, fd, buf, len, 0, done, abstime);
	}
}

static void assert_null_done(int which)
{
	int fds[2];
	char buf[4] = "abc";
	tomb_t *t = new_tomb();

	io_pair(true, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], buf, 1, NULL, NULL), EINVAL);
	ck_assert(tomb_alive(t));
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}

static void assert_null_buf(int which)
{
	int fds[2];
	size_t done = 99;
	tomb_t *t = new_tomb();

	io_pair(true, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], NULL, 1, &done, NULL), EINVAL);
	ck_assert_uint_eq(done, 0);
	/* NULL with len 0 is fine: nothing to move. */
	ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], NULL, 0, &done, NULL), 0);
	ck_assert_uint_eq(done, 0);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}

static void assert_io_bad_deadline(int which)
{
	int fds[2];
	char buf[4] = "abc";
	size_t done;
	tomb_t *t = new_tomb();

	io_pair(true, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		done = 99;
		ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], buf, 1, &done,
		                         &bad_deadlines[i]),
		                 EINVAL);
		ck_assert_uint_eq(done, 0);
	}
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}

static void assert_io_not_open(int which)
{
	char buf[4] = "abc";
	size_t done = 99;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(io_call(which, t, io_not_open(t), buf, 1, &done, NULL), EBADF);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(io_call(which, t, -1, buf, 1, &done, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}

/* A dying tomb: ECANCELED at once, and nothing moved (the data stays). */
static void assert_io_dying(int which)
{
	int fds[2];
	char buf[4] = "abc";
	size_t done = 99;
	tomb_t *t = new_tomb();

	io_pair(true, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], buf, 1, &done, NULL),
	                 ECANCELED);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(read(fds[0], buf, sizeof(buf)), 1);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}

/* No tomb (the NULL of a failed creation): the descriptor and the
 * deadline only. */
static void assert_io_null_tomb(int which)
{
	int fds[2];
	char buf[4] = "abc";
	size_t done;
	struct timespec soon = tomb_deadline_ms(10);
	tomb_t *t = failed_tomb();

	io_pair(true, fds);
	if (which < 2) {
		ck_assert_int_eq(io_call(which, t, fds[0], buf, 1, &done, &soon), ETIMEDOUT);
		ck_assert_int_eq(write(fds[1], "x", 1), 1);
		ck_assert_int_eq(io_call(which, t, fds[0], buf, sizeof(buf), &done, NULL), 0);
	} else {
		ck_assert_int_eq(io_call(which, t, fds[1], buf, 1, &done, NULL), 0);
	}
	ck_assert_uint_eq(done, 1);
	io_close(fds);
}

/* A descriptor that is not a socket, for tomb_recv and tomb_send. */
static void assert_io_not_socket(int which)
{
	int fds[2];
	char buf[4] = "abc";
	size_t done = 99;
	tomb_t *t = new_tomb();

	io_pair(false, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(io_call(which, t, fds[which < 2 ? 0 : 1], buf, 1, &done, NULL),
	                 ENOTSOCK);
	ck_assert_uint_eq(done, 0);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}

START_TEST(test_read_null_done)
{
	assert_null_done(0);
}
END_TEST

START_TEST(test_read_null_buf)
{
	assert_null_buf(0);
}
END_TEST

START_TEST(test_read_bad_deadline)
{
	assert_io_bad_deadline(0);
}
END_TEST

START_TEST(test_read_not_open)
{
	assert_io_not_open(0);
}
END_TEST

START_TEST(test_read_null_tomb)
{
	assert_io_null_tomb(0);
}
END_TEST

START_TEST(test_read_dying)
{
	assert_io_dying(0);
}
END_TEST

START_TEST(test_recv_null_done)
{
	assert_null_done(1);
}
END_TEST

START_TEST(test_recv_null_buf)
{
	assert_null_buf(1);
}
END_TEST

START_TEST(test_recv_bad_deadline)
{
	assert_io_bad_deadline(1);
}
END_TEST

START_TEST(test_recv_not_open)
{
	assert_io_not_open(1);
}
END_TEST

START_TEST(test_recv_null_tomb)
{
	assert_io_null_tomb(1);
}
END_TEST

START_TEST(test_recv_dying)
{
	assert_io_dying(1);
}
END_TEST

START_TEST(test_recv_not_socket)
{
	assert_io_not_socket(1);
}
END_TEST

START_TEST(test_write_null_done)
{
	assert_null_done(2);
}
END_TEST

START_TEST(test_write_null_buf)
{
	assert_null_buf(2);
}
END_TEST

START_TEST(test_write_bad_deadline)
{
	assert_io_bad_deadline(2);
}
END_TEST

START_TEST(test_write_not_open)
{
	assert_io_not_open(2);
}
END_TEST

START_TEST(test_write_null_tomb)
{
	assert_io_null_tomb(2);
}
END_TEST

START_TEST(test_write_dying)
{
	assert_io_dying(2);
}
END_TEST

START_TEST(test_send_null_done)
{
	assert_null_done(3);
}
END_TEST

START_TEST(test_send_null_buf)
{
	assert_null_buf(3);
}
END_TEST

START_TEST(test_send_bad_deadline)
{
	assert_io_bad_deadline(3);
}
END_TEST

START_TEST(test_send_not_open)
{
	assert_io_not_open(3);
}
END_TEST

START_TEST(test_send_null_tomb)
{
	assert_io_null_tomb(3);
}
END_TEST

START_TEST(test_send_dying)
{
	assert_io_dying(3);
}
END_TEST

START_TEST(test_send_not_socket)
{
	assert_io_not_socket(3);
}
END_TEST

/* A pipe whose reader has gone: EPIPE, and no SIGPIPE, neither delivered
 * (its default action would end the process) nor left pending. */
START_TEST(test_write_reader_gone)
{
	int fds[2];
	size_t done = 99;
	sigset_t pending;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	io_pair(false, fds);
	close(fds[0]);
	ck_assert_int_eq(tomb_write(t, fds[1], "x", 1, &done, NULL), EPIPE);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGPIPE));
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
	close(fds[1]);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_send_reader_gone)
{
	int fds[2];
	size_t done = 99;
	sigset_t pending;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	io_pair(true, fds);
	close(fds[0]);
	ck_assert_int_eq(tomb_send(t, fds[1], "x", 1, 0, &done, NULL), EPIPE);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(!sigismember(&pending, SIGPIPE));
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
	close(fds[1]);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_null_newfd)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a);
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, 0, NULL, NULL), EINVAL);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_addr_without_len)
{
	struct sockaddr_in a, peer;
	int l = io_listener(true, &a), s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_accept(t, l, (struct sockaddr *)&peer, NULL, 0, &s, NULL),
	                 EINVAL);
	ck_assert_int_eq(s, -1);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_bad_deadline)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s;
	tomb_t *t = new_tomb();

	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		s = 5;
		ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, 0, &s, &bad_deadlines[i]),
		                 EINVAL);
		ck_assert_int_eq(s, -1);
	}
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_not_open)
{
	int s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_accept(t, io_not_open(t), NULL, NULL, 0, &s, NULL), EBADF);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(tomb_accept(t, -1, NULL, NULL, 0, &s, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_not_socket)
{
	int fds[2], s = 5;
	tomb_t *t = new_tomb();

	/* Readable, so that the call does not wait first. */
	io_pair(false, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_accept(t, fds[0], NULL, NULL, 0, &s, NULL), ENOTSOCK);
	ck_assert_int_eq(s, -1);
	io_close(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A bound socket that does not listen: accept4's EINVAL (poll calls such a
 * socket ready at once: POLLHUP). */
START_TEST(test_accept_not_listening)
{
	struct sockaddr_in a;
	int l = io_listener(false, &a), s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, 0, &s, NULL), EINVAL);
	ck_assert_int_eq(s, -1);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_bad_flags)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), c, s = 5;
	tomb_t *t = new_tomb();

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, -1, &s, NULL), EINVAL);
	ck_assert_int_eq(s, -1);
	/* The connection is still there for a good call. */
	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, SOCK_CLOEXEC, &s, NULL), 0);
	ck_assert_int_ge(s, 0);
	close(s);
	close(c);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_null_tomb)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s = 5;
	struct timespec soon = tomb_deadline_ms(10);

	ck_assert_int_eq(tomb_accept(failed_tomb(), l, NULL, NULL, 0, &s, &soon), ETIMEDOUT);
	ck_assert_int_eq(s, -1);
	close(l);
}
END_TEST

START_TEST(test_accept_dying)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), c, s = 5;
	tomb_t *t = new_tomb();

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, 0, &s, NULL), ECANCELED);
	ck_assert_int_eq(s, -1);
	close(c);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_null_addr)
{
	int s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_connect(t, NULL, 0, SOCK_STREAM, &s, NULL), EINVAL);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_null_fdp)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a);
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a), SOCK_STREAM,
	                              NULL, NULL),
	                 EINVAL);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_bad_deadline)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s;
	tomb_t *t = new_tomb();

	for (size_t i = 0; i < N_BAD_DEADLINES; i++) {
		s = 5;
		ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a),
		                              SOCK_STREAM, &s, &bad_deadlines[i]),
		                 EINVAL);
		ck_assert_int_eq(s, -1);
	}
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_bad_family)
{
	struct sockaddr sa = {.sa_family = AF_MAX};
	int s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_connect(t, &sa, sizeof(sa), SOCK_STREAM, &s, NULL),
	                 EAFNOSUPPORT);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_bad_type)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a), -1, &s, NULL),
	                 EINVAL);
	ck_assert_int_eq(s, -1);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_null_tomb)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s = -1;

	ck_assert_int_eq(tomb_connect(failed_tomb(), (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM, &s, NULL),
	                 0);
	ck_assert_int_ge(s, 0);
	close(s);
	close(l);
}
END_TEST

START_TEST(test_connect_dying)
{
	struct sockaddr_in a;
	int l = io_listener(true, &a), s = 5;
	tomb_t *t = new_tomb();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a), SOCK_STREAM,
	                              &s, NULL),
	                 ECANCELED);
	ck_assert_int_eq(s, -1);
	close(l);
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
	tcase_add_test(tc, test_free_busy_slot_waiter);
	tcase_add_test(tc, test_free_busy_poller);
	tcase_add_test(tc, test_inherited_in_forked_child);
	tcase_add_test(tc, test_kill_in_child_forked_under_lock);

	tc = tcase(s, "go");
	tcase_add_test(tc, test_go_null_tomb);
	tcase_add_test(tc, test_go_null_fn);
	tcase_add_test(tc, test_go_dead);
	tcase_add_test(tc, test_go_dying_runs);
	tcase_add_test(tc, test_go_dying_at_limit);
	tcase_add_test(tc, test_go_waited_then_dead);
	tcase_add_test(tc, test_go_fn_leaves_by_pthread_exit);
	tcase_add_test(tc, test_go_own_worker_deadlock);
	tcase_add_test(tc, test_go_stack_unmappable);
	tcase_add_test(tc, test_go_stack_refused);
	tcase_add_test(tc, test_go_fn_returns_still_alive);
	tcase_add_test(tc, test_go_fn_returns_edying_alive);
	tcase_add_test(tc, test_go_named_null_tomb);
	tcase_add_test(tc, test_go_named_null_fn);
	tcase_add_test(tc, test_go_copy_null_arg);
	tcase_add_test(tc, test_go_copy_huge);
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

	tc = tcase(s, "channels");
	tcase_add_test(tc, test_chan_new_too_large);
	tcase_add_test(tc, test_chan_new_elem_size_zero);
	tcase_add_test(tc, test_chan_free_null);
	tcase_add_test(tc, test_chan_free_busy);
	tcase_add_test(tc, test_chan_send_null);
	tcase_add_test(tc, test_chan_send_null_value);
	tcase_add_test(tc, test_chan_send_bad_deadline);
	tcase_add_test(tc, test_chan_send_past_deadline);
	tcase_add_test(tc, test_chan_send_closed);
	tcase_add_test(tc, test_chan_send_dying);
	tcase_add_test(tc, test_chan_send_null_tomb);
	tcase_add_test(tc, test_chan_recv_null);
	tcase_add_test(tc, test_chan_recv_bad_deadline);
	tcase_add_test(tc, test_chan_recv_null_value);
	tcase_add_test(tc, test_chan_recv_closed);
	tcase_add_test(tc, test_chan_recv_dying);
	tcase_add_test(tc, test_chan_trysend_null);
	tcase_add_test(tc, test_chan_tryrecv_null);
	tcase_add_test(tc, test_chan_close_null);
	tcase_add_test(tc, test_chan_close_twice);
	tcase_add_test(tc, test_chan_len_null);
	tcase_add_test(tc, test_chan_cap_null);
	tcase_add_test(tc, test_chan_select_null_ops);
	tcase_add_test(tc, test_chan_select_null_chosen);
	tcase_add_test(tc, test_chan_select_bad_dir);
	tcase_add_test(tc, test_chan_select_send_null_value);
	tcase_add_test(tc, test_chan_select_reserved_not_zero);
	tcase_add_test(tc, test_chan_select_bad_deadline);
	tcase_add_test(tc, test_chan_select_nothing);
	tcase_add_test(tc, test_chan_select_null_chan_ignored);
	tcase_add_test(tc, test_chan_select_past_deadline);
	tcase_add_test(tc, test_chan_select_dying);
	/* issue 17: I/O that a kill interrupts */
	tc = tcase(s, "io");
	tcase_add_test(tc, test_poll_null_nready);
	tcase_add_test(tc, test_poll_null_fds);
	tcase_add_test(tc, test_poll_bad_deadline);
	tcase_add_test(tc, test_poll_too_many);
	tcase_add_test(tc, test_poll_null_tomb);
	tcase_add_test(tc, test_poll_dying);
	tcase_add_test(tc, test_poll_fd_negative);
	tcase_add_test(tc, test_poll_fd_not_open);
	tcase_add_test(tc, test_poll_fd_bad_deadline);
	tcase_add_test(tc, test_poll_fd_null_tomb);
	tcase_add_test(tc, test_poll_fd_dying);
	tcase_add_test(tc, test_read_null_done);
	tcase_add_test(tc, test_read_null_buf);
	tcase_add_test(tc, test_read_bad_deadline);
	tcase_add_test(tc, test_read_not_open);
	tcase_add_test(tc, test_read_null_tomb);
	tcase_add_test(tc, test_read_dying);
	tcase_add_test(tc, test_recv_null_done);
	tcase_add_test(tc, test_recv_null_buf);
	tcase_add_test(tc, test_recv_bad_deadline);
	tcase_add_test(tc, test_recv_not_open);
	tcase_add_test(tc, test_recv_null_tomb);
	tcase_add_test(tc, test_recv_dying);
	tcase_add_test(tc, test_recv_not_socket);
	tcase_add_test(tc, test_write_null_done);
	tcase_add_test(tc, test_write_null_buf);
	tcase_add_test(tc, test_write_bad_deadline);
	tcase_add_test(tc, test_write_not_open);
	tcase_add_test(tc, test_write_null_tomb);
	tcase_add_test(tc, test_write_dying);
	tcase_add_test(tc, test_send_null_done);
	tcase_add_test(tc, test_send_null_buf);
	tcase_add_test(tc, test_send_bad_deadline);
	tcase_add_test(tc, test_send_not_open);
	tcase_add_test(tc, test_send_null_tomb);
	tcase_add_test(tc, test_send_dying);
	tcase_add_test(tc, test_send_not_socket);
	tcase_add_test(tc, test_write_reader_gone);
	tcase_add_test(tc, test_send_reader_gone);
	tcase_add_test(tc, test_accept_null_newfd);
	tcase_add_test(tc, test_accept_addr_without_len);
	tcase_add_test(tc, test_accept_bad_deadline);
	tcase_add_test(tc, test_accept_not_open);
	tcase_add_test(tc, test_accept_not_socket);
	tcase_add_test(tc, test_accept_not_listening);
	tcase_add_test(tc, test_accept_bad_flags);
	tcase_add_test(tc, test_accept_null_tomb);
	tcase_add_test(tc, test_accept_dying);
	tcase_add_test(tc, test_connect_null_addr);
	tcase_add_test(tc, test_connect_null_fdp);
	tcase_add_test(tc, test_connect_bad_deadline);
	tcase_add_test(tc, test_connect_bad_family);
	tcase_add_test(tc, test_connect_bad_type);
	tcase_add_test(tc, test_connect_null_tomb);
	tcase_add_test(tc, test_connect_dying);
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
