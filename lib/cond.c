/* SPDX-License-Identifier: MIT */
/* cond.c: a condition variable whose waits a kill interrupts. */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <limits.h>

/*
 * The public tomb_cond_t is two words, used as:
 *   seq      bumped by every signal and broadcast (and, on the fallback
 *            path, by a kill); a waiter blocks while it is unchanged.
 *   waiters  threads inside tomb_cond_wait on it; a signal makes a system
 *            call only when it is not 0.
 * A waiter increments `waiters` before it reads `seq`, and a signaller bumps
 * `seq` before it reads `waiters` (all sequentially consistent), so either the
 * waiter sees the new `seq` or the signaller sees the waiter.
 *
 * A waiter blocks on two futexes at once with futex_waitv (Linux 5.16): c's
 * `seq` and t's `state`, so a kill, which wakes everybody blocked on `state`
 * with one system call, wakes condition waiters too; it is counted in
 * t->sleepers like any sleeper.  Where futex_waitv is missing (older kernels,
 * valgrind), the waiter instead puts a node on t->condq, under t->mu, and a
 * kill bumps and wakes the `seq` of every node there.
 */
struct cond {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};

/* A fallback waiter's registration on t->condq, on its stack. */
struct cond_node {
	struct cond *c;
	struct tomb_list node;
};

_Static_assert(sizeof(struct cond) == sizeof(tomb_cond_t),
               "struct cond must be the public tomb_cond_t");

static struct cond *cond_of(tomb_cond_t *c)
{
	return (struct cond *)(void *)c;
}

TOMB_EXPORT int tomb_cond_init(tomb_cond_t *c)
{
	if (c == NULL)
		return EINVAL;
	atomic_init(&cond_of(c)->seq, 0);
	atomic_init(&cond_of(c)->waiters, 0);
	return 0;
}

TOMB_EXPORT int tomb_cond_destroy(tomb_cond_t *c)
{
	if (c == NULL)
		return EINVAL;
	return atomic_load(&cond_of(c)->waiters) > 0 ? EBUSY : 0;
}

static int cond_wake(tomb_cond_t *c, int n)
{
	struct cond *k;

	if (c == NULL)
		return EINVAL;
	k = cond_of(c);
	atomic_fetch_add(&k->seq, 1);
	if (atomic_load(&k->waiters) > 0)
		tomb__futex_wake(&k->seq, n);
	return 0;
}

TOMB_EXPORT int tomb_cond_signal(tomb_cond_t *c)
{
	return cond_wake(c, 1);
}

TOMB_EXPORT int tomb_cond_broadcast(tomb_cond_t *c)
{
	return cond_wake(c, INT_MAX);
}

void tomb__cond_wake_registered_locked(tomb_t *t)
{
	struct tomb_list *it;

	tomb__list_for_each(it, &t->condq) {
		struct cond *k = tomb__list_entry(it, struct cond_node, node)->c;

		atomic_fetch_add(&k->seq, 1);
		tomb__futex_wake(&k->seq, INT_MAX);
	}
}

/* The fallback: block on c's seq alone, registered on t for the kill.  seq
 * is the value read before the caller's mutex was released; a kill after the
 * registration bumps it, and one before is seen here under t->mu. */
static int wait_registered(tomb_t *t, struct cond *k, uint32_t seq,
                           const struct timespec *abstime)
{
	struct cond_node reg = {.c = k};
	int err;

	tomb__lock(t);
	if (tomb_dying(t)) {
		tomb__unlock(t);
		return 0; /* the caller sees dying */
	}
	tomb__list_push_back(&t->condq, &reg.node);
	tomb__unlock(t);

	err = tomb__futex_wait(&k->seq, seq, abstime);

	tomb__lock(t);
	tomb__list_remove(&reg.node);
	tomb__unlock(t);
	return err;
}

TOMB_EXPORT int tomb_cond_wait(tomb_t *t, tomb_cond_t *c, pthread_mutex_t *m,
                               const struct timespec *abstime)
{
	struct cond *k;
	uint32_t seq, state;
	int err, relock;
	bool dying;

	if (t == NULL || c == NULL || m == NULL ||
	    tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (tomb_dying(t))
		return ECANCELED;
	k = cond_of(c);
	TOMB_ANN_ATOMIC(&k->seq); /* here: TOMB_COND_INIT needs no init call */
	TOMB_ANN_ATOMIC(&k->waiters);

	atomic_fetch_add(&k->waiters, 1);
	atomic_fetch_add(&t->sleepers, 1);
	seq = atomic_load(&k->seq);
	state = atomic_load(&t->state);
	err = pthread_mutex_unlock(m);
	if (err == 0) {
		tomb__blocking_begin();
		if (state & TOMB_S_DYING)
			err = 0;
		else if ((err = tomb__futex_wait2(&k->seq, seq, &t->state, state,
		                                 abstime)) == ENOSYS)
			err = wait_registered(t, k, seq, abstime);
		tomb__blocking_end();
	}
	atomic_fetch_sub(&k->waiters, 1);
	if (err == EPERM)
		relock = EPERM; /* the caller did not hold m (error-checking mutex) */
	else
		relock = pthread_mutex_lock(m);
	dying = relock == 0 && tomb_dying(t);
	/* Uncounted only after the last look at t: tomb_free is EBUSY while a
	 * thread sleeps on t, and this one still reads it until here. */
	atomic_fetch_sub(&t->sleepers, 1);
	if (relock != 0)
		return relock;
	if (dying)
		return ECANCELED;
	return err == ETIMEDOUT ? ETIMEDOUT : 0;
}
