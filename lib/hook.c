/* SPDX-License-Identifier: MIT */
/* hook.c: callbacks that run when a tomb starts dying. */
#include "config.h"

#include "annotate.h"
#include "tomb_private.h"

#include <errno.h>
#include <stdalign.h>

/*
 * A hook's life, in `state` (the top bits hold HOOK_MAGIC, so that a struct
 * never registered, or already unregistered, is told from a live one):
 *
 *   IDLE --tomb_on_dying, t alive--> ARMED --kill--> RUNNING --returns--> DONE
 *   IDLE --tomb_on_dying, t dying-------------------> RUNNING
 *   ARMED --tomb_off--> IDLE        DONE --tomb_off--> IDLE
 *   RUNNING --tomb_off from inside the callback--> IDLE
 *
 * `state` and the links change only under t->mu, except DONE -> IDLE, a
 * compare-and-swap in tomb_off without the lock (nothing else leaves DONE);
 * tomb_off reads `state` without the lock first, to find out whether `t` may
 * be read at all.
 */
#define HOOK_MAGIC 0x70b50000u
#define HOOK_MAGIC_MASK 0xffff0000u
#define HOOK_IDLE (HOOK_MAGIC | 0u)
#define HOOK_ARMED (HOOK_MAGIC | 1u)
#define HOOK_RUNNING (HOOK_MAGIC | 2u)
#define HOOK_DONE (HOOK_MAGIC | 3u)

struct hook {
	tomb_t *t;          /* set before ARMED, valid until IDLE again */
	tomb_hook_fn *fn;
	void *arg;
	struct tomb_list node; /* in t->hooks while ARMED */
	_Atomic uint32_t state;
};

_Static_assert(sizeof(struct hook) <= sizeof(tomb_hook_t),
               "struct hook must fit in the public tomb_hook_t");
_Static_assert(alignof(struct hook) <= alignof(tomb_hook_t),
               "struct hook must be no more aligned than tomb_hook_t");

/* The callback this thread is running, and whether it called tomb_off on
 * itself (after which its storage may be gone).  Saved and restored around
 * each call, since a callback may kill another tomb and run its callbacks. */
static _Thread_local struct hook *running_hook;
static _Thread_local bool running_hook_offed;

static void set_state(struct hook *h, uint32_t st)
{
	TOMB_ANN_RELEASE(&h->state);
	atomic_store_explicit(&h->state, st, memory_order_release);
}

static uint32_t get_state(const struct hook *h)
{
	uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);

	TOMB_ANN_ACQUIRE(&h->state);
	return st;
}

/* Runs h, which is RUNNING and counted in t->firing, without t->mu; returns
 * with t->mu held and h DONE (or IDLE, untouched, if it unregistered
 * itself). */
static void run_locked_out(tomb_t *t, struct hook *h)
{
	struct hook *saved_hook = running_hook;
	bool saved_offed = running_hook_offed;
	const tomb_t *saved_firing = tomb__firing;
	int cancel_state;

	running_hook = h;
	running_hook_offed = false;
	tomb__firing = t;
	cancel_state = tomb__nocancel_begin(); /* tomb(7): no cancel here */
	tomb__unlock(t);
	h->fn(t, h->arg);
	tomb__lock(t);
	tomb__nocancel_end(cancel_state);
	if (!running_hook_offed) {
		set_state(h, HOOK_DONE);
		if (t->off_waiters > 0)
			tomb__cond_broadcast(&t->dead_cv);
	}
	running_hook = saved_hook;
	running_hook_offed = saved_offed;
	tomb__firing = saved_firing;
}

void tomb__fire_hooks_locked(tomb_t *t)
{
	struct tomb_list *n;

	while ((n = tomb__list_pop(&t->hooks)) != NULL) {
		struct hook *h = tomb__list_entry(n, struct hook, node);

		set_state(h, HOOK_RUNNING);
		run_locked_out(t, h);
	}
	t->firing--;
	tomb__settle_locked(t);
}

TOMB_EXPORT int tomb_on_dying(tomb_t *t, tomb_hook_fn *fn, void *arg,
                              tomb_hook_t *hook)
{
	struct hook *h = (struct hook *)hook;
	uint32_t st;

	if (t == NULL || fn == NULL || h == NULL)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	TOMB_ANN_ATOMIC(&h->state); /* the caller's memory, maybe reused */
	st = get_state(h);
	if ((st & HOOK_MAGIC_MASK) == HOOK_MAGIC && st != HOOK_IDLE)
		return EBUSY;
	h->t = t;
	h->fn = fn;
	h->arg = arg;

	tomb__lock(t);
	if (tomb_dying(t)) {
		/* Already dying: run it now, here, counted as firing so that t
		 * is not dead (or freed) under the callback. */
		set_state(h, HOOK_RUNNING);
		t->firing++;
		run_locked_out(t, h);
		t->firing--;
		tomb__settle_locked(t);
	} else {
		tomb__list_push_back(&t->hooks, &h->node);
		set_state(h, HOOK_ARMED);
	}
	tomb__unlock(t);
	return 0;
}

TOMB_EXPORT int tomb_off(tomb_hook_t *hook)
{
	struct hook *h = (struct hook *)hook;
	tomb_t *t;
	uint32_t st;
	int err;

	if (h == NULL)
		return EINVAL;
	st = get_state(h);
	if ((st & HOOK_MAGIC_MASK) != HOOK_MAGIC || st == HOOK_IDLE)
		return EINVAL;
	/* DONE is final but for this step, which needs no lock: so a hook that
	 * ran may be unregistered even after its tomb was freed. */
	if (st == HOOK_DONE) {
		if (!atomic_compare_exchange_strong(&h->state, &st, HOOK_IDLE))
			return EINVAL;
		TOMB_ANN_FORGET(&h->state); /* its storage may be reused now */
		return EALREADY;
	}
	t = h->t;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */

	tomb__lock(t);
	for (;;) {
		st = get_state(h);
		if (st == HOOK_ARMED) {
			tomb__list_remove(&h->node);
			err = 0;
			break;
		}
		if (st == HOOK_DONE) {
			err = EALREADY;
			break;
		}
		if (st != HOOK_RUNNING) {
			err = EINVAL; /* another tomb_off won the race */
			goto out;
		}
		if (running_hook == h) {
			/* From inside the callback: do not wait for ourselves,
			 * and tell the runner not to touch h again. */
			running_hook_offed = true;
			err = EALREADY;
			break;
		}
		t->off_waiters++;
		tomb__cond_wait(&t->dead_cv, &t->mu);
		t->off_waiters--;
	}
	set_state(h, HOOK_IDLE);
	TOMB_ANN_FORGET(&h->state);
out:
	tomb__unlock(t);
	return err;
}
