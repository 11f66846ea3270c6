/* wait.c: waiting for a tomb to be dead, or dying, and sleeping with it. */
#include "config.h"

#include "futex.h"
#include "tomb_private.h"

#include <errno.h>
#include <stdlib.h>

TOMB_EXPORT int tomb_timedwait(tomb_t *t, const struct timespec *abstime,
                               int *reason)
{
	bool timed_out = false;
	int err;

	if (t == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb__current == t || tomb__firing == t)
		return EDEADLK; /* it would wait for itself */

	tomb__lock(t);
	t->waiters++; /* from here t cannot be freed under us */
	if (!t->waited) {
		/* The errgroup and group lifetimes die with 0 once their owner
		 * waits and no worker runs. */
		t->waited = true;
		if (t->lifetime != TOMB_LIFETIME_TOMB && t->live == 0 &&
		    !tomb_dying(t) && tomb__kill_locked(t, 0, NULL, NULL)) {
			tomb__unlock(t);
			tomb__fire_hooks(t);
			tomb__lock(t);
		}
	}
	for (;;) {
		uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

		if (s & TOMB_S_DEAD) {
			if (t->has_zombie) {
				/* Join the reap chain's last thread, and with it
				 * every thread t ever started. */
				pthread_t z = t->zombie;

				t->has_zombie = false;
				t->joining = true;
				tomb__unlock(t);
				pthread_join(z, NULL);
				tomb__lock(t);
				t->joining = false;
				pthread_cond_broadcast(&t->dead_cv);
				continue;
			}
			if (!t->joining) {
				err = 0;
				break;
			}
			/* Another waiter is joining a thread that has returned:
			 * that ends soon, whatever the deadline. */
			pthread_cond_wait(&t->dead_cv, &t->mu);
			continue;
		}
		if (timed_out) {
			err = ETIMEDOUT;
			break;
		}
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
