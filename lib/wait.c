/* SPDX-License-Identifier: MIT */
/* wait.c: waiting for a tomb to be dead, or dying, and sleeping with it. */
#include "config.h"

#include "annotate.h"
#include "futex.h"
#include "tomb_private.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

/* With t->mu held and t DEAD: joins the reap chain's last thread and the
 * threads on the zombie list, and with them every thread t ever started (or
 * waits while another waiter does). */
static void join_zombie_locked(tomb_t *t)
{
	while (tomb__has_zombies_locked(t) || t->joining) {
		if (tomb__has_zombies_locked(t)) {
			struct zombies z;

			tomb__take_zombies_locked(t, &z);
			t->joining++;
			tomb__unlock(t);
			tomb__join_zombies(&z);
			tomb__lock(t);
			t->joining--;
			pthread_cond_broadcast(&t->dead_cv);
		} else {
			/* Another waiter joins a thread that has returned: that
			 * ends soon, whatever the deadline (t is DEAD, so a
			 * claimed worker has returned too). */
			pthread_cond_wait(&t->dead_cv, &t->mu);
		}
	}
}

static void reap_children_locked(tomb_t *t);

/* Without any lock: joins every thread of the DEAD tomb c and of its
 * descendants. */
static void reap_tree(tomb_t *c)
{
	tomb__lock(c);
	join_zombie_locked(c);
	reap_children_locked(c);
	tomb__unlock(c);
}

/* With t->mu held and t DEAD (so every child is DEAD too): reaps each child,
 * pinned against tomb_free while t->mu is released. */
static void reap_children_locked(tomb_t *t)
{
	tomb_t *c = t->children_head;

	while (c != NULL) {
		c->pinned++;
		tomb__unlock(t);
		reap_tree(c);
		tomb__lock(t);
		c->pinned--;
		if (c->pinned == 0)
			pthread_cond_broadcast(&t->dead_cv); /* for tomb_free(c) */
		c = c->sib_next;
	}
}

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

	if (n == 0)
		return false;
	t->joining++;
	tomb__unlock(t);
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	tomb__lock(t);
	t->joining--;
	pthread_cond_broadcast(&t->dead_cv);
	return true;
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
	if (tomb__inside(t))
		return EDEADLK; /* it would wait for itself */

	tomb__lock(t);
	t->waiters++; /* from here t cannot be freed under us */
	t->waited = true;
	for (;;) {
		uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

		if (!(s & TOMB_S_DYING) && t->lifetime != TOMB_LIFETIME_TOMB &&
		    t->live == 0 && t->children_live == 0) {
			/* The errgroup and group lifetimes die with 0 once their
			 * owner waits and nothing runs. */
			if (tomb__kill_locked(t, 0, NULL, NULL)) {
				tomb__unlock(t);
				tomb__after_kill(t);
				tomb__lock(t);
			}
			continue;
		}
		if (s & TOMB_S_DEAD) {
			join_zombie_locked(t);
			reap_children_locked(t);
			err = 0;
			break;
		}
		if (timed_out) {
			err = ETIMEDOUT;
			break;
		}
		if (t->pool != NULL && !spun) {
			spun = true;
			tomb__unlock(t);
			await_dead_briefly(t, abstime);
			tomb__lock(t);
			continue;
		}
		if (abstime == NULL && join_claimed_locked(t))
			continue;
		if (abstime == NULL)
			pthread_cond_wait(&t->dead_cv, &t->mu);
		else if (pthread_cond_timedwait(&t->dead_cv, &t->mu, abstime) ==
		         ETIMEDOUT)
			timed_out = true;
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

TOMB_EXPORT int tomb_wait_dying(tomb_t *t, const struct timespec *abstime)
{
	int err = 0;

	if (t == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb_dying(t))
		return 0;
	/* See `sleepers` in tomb_private.h for why no wake-up is lost. */
	atomic_fetch_add(&t->sleepers, 1);
	for (;;) {
		uint32_t s = atomic_load(&t->state);

		if (s & TOMB_S_DYING) {
			TOMB_ANN_ACQUIRE(&t->state); /* as tomb_dying */
			err = 0;
			break;
		}
		if (err == ETIMEDOUT)
			break;
		err = tomb_futex_wait(&t->state, s, abstime);
		if (err != 0 && err != EAGAIN && err != EINTR && err != ETIMEDOUT)
			abort(); /* the deadline was checked: a bug in libtomb */
	}
	atomic_fetch_sub(&t->sleepers, 1);
	return err;
}

TOMB_EXPORT int tomb_sleep(tomb_t *t, const struct timespec *abstime)
{
	int err = tomb_wait_dying(t, abstime);

	if (err == 0)
		return ECANCELED;
	return err == ETIMEDOUT ? 0 : err;
}
