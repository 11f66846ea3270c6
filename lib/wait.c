/* SPDX-License-Identifier: MIT */
/* wait.c: waiting for a tomb to be dead (tomb_wait, tomb_timedwait). */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "tomb_private.h"

#include <errno.h>
#include <sched.h>

/* The most workers an untimed waiter joins directly (see `joining` in
 * tomb_private.h).  A waiter asleep in one join cannot be woken for the
 * next, so with many workers it waits for DEAD once and joins threads that
 * have mostly exited by then. */
#define CLAIM_MAX 16

/* With t->mu held and t not DEAD: claims and joins t's running workers if
 * there are few (releasing mu meanwhile).  Whether it joined any. */
static bool join_claimed_locked(tomb_t *t)
{
	pthread_t th[CLAIM_MAX];
	size_t n = tomb__claim_locked(t, th, CLAIM_MAX);

	if (n > 0)
		tomb__join_claimed_locked(t, th, n);
	return n > 0;
}

/* How long a waiter on a tomb with a pool watches for DEAD before it
 * sleeps. */
#define WAIT_SPIN_NS 20000

/* A tomb on a pool is made for short workers, started often: before its
 * waiter sleeps, it watches `state` (yielding) for a moment, so that the
 * DEAD of a worker about to return needs no wake-up, which would cost more
 * than such a worker.  t is not freed meanwhile (waiters > 0). */
static void await_dead_briefly(tomb_t *t, const struct timespec *abstime)
{
	int64_t end = tomb__spin_end_ns(WAIT_SPIN_NS, abstime);

	while (!(atomic_load_explicit(&t->state, memory_order_relaxed) &
	         TOMB_S_DEAD) && tomb__now_ns() < end)
		sched_yield();
}

TOMB_EXPORT int tomb_timedwait(tomb_t *t, const struct timespec *abstime,
                               int *reason)
{
	bool timed_out = false, spun = false;
	int err;

	if (t == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (tomb__inside(t))
		return EDEADLK; /* it would wait for itself */

	tomb__lock(t);
	t->waiters++; /* from here t cannot be freed under us */
	t->waited = true;
	tomb__settle_locked(t); /* an errgroup or group tomb may be dead now */
	for (;;) {
		uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

		if (!(s & TOMB_S_DYING) && tomb__idle_locked(t) &&
		    tomb__idle_dies_locked(t, false)) {
			/* The lifetime rule: errgroup and group tombs die with 0
			 * once their owner waits and nothing runs. */
			if (tomb__kill_locked(t, 0, NULL, NULL)) {
				tomb__unlock(t);
				tomb__after_kill(t);
				tomb__lock(t);
			}
			continue;
		}
		if (s & TOMB_S_DEAD) {
			tomb__join_tree_locked(t);
			err = 0;
			break;
		}
		if (timed_out) {
			err = ETIMEDOUT;
			break;
		}
		/* TOMB_POOL_WAITER_RUNS: a worker that no pool thread has
		 * started runs here, without a hand-off to a thread and back
		 * (timed waits do not: a worker cannot be stopped on time). */
		if (t->pool != NULL && abstime == NULL && tomb__help_locked(t))
			continue;
		if (t->pool != NULL && !spun) {
			spun = true;
			tomb__unlock(t);
			await_dead_briefly(t, abstime);
			tomb__lock(t);
			continue;
		}
		if (abstime == NULL && join_claimed_locked(t))
			continue;
		tomb__blocking_begin();
		if (abstime == NULL)
			tomb__cond_wait(&t->dead_cv, &t->mu);
		else if (tomb__cond_timedwait(&t->dead_cv, &t->mu, abstime) ==
		         ETIMEDOUT)
			timed_out = true;
		tomb__blocking_end();
	}
	if (err == 0 && reason != NULL)
		*reason = atomic_load_explicit(&t->reason, memory_order_relaxed);
	t->waiters--;
	tomb__unlock(t);
	return err;
}

TOMB_EXPORT int tomb_wait(tomb_t *t)
{
	int reason;
	int err = tomb_timedwait(t, NULL, &reason);

	return err != 0 ? err : reason;
}
