/* SPDX-License-Identifier: MIT */
/*
 * tomb.c: the top floor: making and freeing a tomb, its options, and trees
 * of tombs (children).
 */
#include "config.h"

#include "annotate.h"
#include "pool.h"
#include "tomb_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TOMB_EXPORT const char *tomb_version(void)
{
	return PACKAGE_VERSION;
}

/* 0 if every option is valid, else EINVAL. */
static int check_opts(const struct tomb_opts *o)
{
	if (o->lifetime < TOMB_LIFETIME_TOMB || o->lifetime > TOMB_LIFETIME_GROUP ||
	    o->limit < 0 || (o->pool != NULL && o->stack_size != 0) ||
	    tomb__check_deadline(o->deadline) != 0)
		return EINVAL; /* a pool's threads have the pool's stack size */
	for (size_t i = 0; i < sizeof(o->reserved_) / sizeof(o->reserved_[0]); i++)
		if (o->reserved_[i] != NULL)
			return EINVAL;
	return 0;
}

/* The hook a child registers on its parent: the parent's death kills it,
 * with the parent's reason and message (valid while the parent is, which
 * outlives the child).  Both are read under the parent's lock, as one pair:
 * a kill replacing a provisional 0 stores the reason, then the message, and
 * two lock-free reads could pair the new reason with the old message.  (The
 * parent's lock is released before the child's is taken.) */
static void kill_child(tomb_t *parent, void *child)
{
	int reason;
	const char *msg;

	tomb__lock(parent);
	reason = atomic_load_explicit(&parent->reason, memory_order_relaxed);
	msg = atomic_load_explicit(&parent->msg, memory_order_relaxed);
	tomb__unlock(parent);
	tomb__kill_child(child, reason, msg);
}

/* Makes c, fully made and seen by nobody yet, a child of p: 0, or ESRCH if
 * p is dead. */
static int adopt(tomb_t *p, tomb_t *c)
{
	tomb__lock(p);
	if (atomic_load_explicit(&p->state, memory_order_relaxed) & TOMB_S_DEAD) {
		tomb__unlock(p);
		return ESRCH;
	}
	c->parent = p;
	tomb__list_push_front(&p->children, &c->sibling);
	p->children_live++;
	tomb__unlock(p);
	/* If p is dying already, this kills c at once. */
	tomb_on_dying(p, kill_child, c, &c->parent_hook);
	return 0;
}

/* Undoes adopt, when c is being freed. */
static void disown(tomb_t *c)
{
	tomb_t *p = c->parent;

	tomb_off(&c->parent_hook); /* waits if it is killing c right now */
	tomb__lock(p);
	while (c->pinned > 0) /* a waiter of p is joining c's threads */
		tomb__cond_wait(&p->dead_cv, &p->mu);
	tomb__list_remove(&c->sibling);
	if (!(atomic_load_explicit(&c->state, memory_order_relaxed) &
	      TOMB_S_DEAD)) {
		/* Freed without dying: it leaves like a child that died. */
		tomb__child_gone_locked(p);
	}
	tomb__unlock(p);
}

TOMB_EXPORT tomb_t *tomb_new(void)
{
	return tomb_new_opts(NULL);
}

TOMB_EXPORT tomb_t *tomb_new_opts(const struct tomb_opts *opts)
{
	static const struct tomb_opts defaults;
	const struct tomb_opts *o = opts != NULL ? opts : &defaults;
	tomb_t *t = NULL;
	pthread_condattr_t ca;
	int err;

	if ((err = check_opts(o)) != 0)
		goto fail;
	err = EOWNERDEAD; /* a parent made before a fork */
	if (o->parent != NULL && tomb__inherited(o->parent))
		goto fail;
	if ((err = tomb__fork_watch()) != 0)
		goto fail;
	err = ENOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	if ((t->name = strdup(o->name != NULL ? o->name : "")) == NULL)
		goto fail_free;
	if (o->stack_size != 0) {
		if ((err = pthread_attr_init(&t->attr)) != 0)
			goto fail_name;
		t->has_attr = true;
		/* EINVAL below the system's minimum. */
		if ((err = pthread_attr_setstacksize(&t->attr, o->stack_size)) != 0)
			goto fail_attr;
	}
	if ((err = pthread_mutex_init(&t->mu, NULL)) != 0)
		goto fail_attr;
	if ((err = pthread_cond_init(&t->slot_cv, NULL)) != 0)
		goto fail_mutex;
	if ((err = pthread_condattr_init(&ca)) != 0)
		goto fail_slot_cv;
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (err == 0)
		err = pthread_cond_init(&t->dead_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (err != 0)
		goto fail_slot_cv;
	t->generation = tomb__fork_generation();
	t->lifetime = o->lifetime;
	t->limit = o->limit;
	atomic_init(&t->state, 0);
	atomic_init(&t->sleepers, 0);
	atomic_init(&t->reason, 0);
	atomic_init(&t->msg, TOMB_MSG_ALIVE);
	atomic_init(&t->live, 0);
	TOMB_ANN_ATOMIC(&t->state);
	TOMB_ANN_ATOMIC(&t->sleepers);
	TOMB_ANN_ATOMIC(&t->reason);
	TOMB_ANN_ATOMIC(&t->msg);
	TOMB_ANN_ATOMIC(&t->live);
	atomic_init(&t->nspares, 0);
	TOMB_ANN_ATOMIC(&t->nspares);
	t->dying_ev = t->dead_ev = TOMB__EVENT_NONE;
	tomb__list_init(&t->children);
	tomb__list_init(&t->workers);
	tomb__list_init(&t->zombies);
	tomb__list_init(&t->hooks);
	tomb__list_init(&t->condq);
	if (o->parent != NULL && (err = adopt(o->parent, t)) != 0)
		goto fail_dead_cv;
	if (o->pool != NULL && (err = tomb__pool_use(o->pool)) != 0)
		goto fail_adopted;
	t->pool = o->pool;
	if (o->deadline != NULL && (err = tomb__timer_set(t, o->deadline)) != 0)
		goto fail_pool;
	return t;

fail_pool:
	if (t->pool != NULL)
		tomb__pool_unuse(t->pool);
fail_adopted:
	if (t->parent != NULL)
		disown(t);

fail_dead_cv:
	pthread_cond_destroy(&t->dead_cv);
fail_slot_cv:
	pthread_cond_destroy(&t->slot_cv);
fail_mutex:
	pthread_mutex_destroy(&t->mu);
fail_attr:
	if (t->has_attr)
		pthread_attr_destroy(&t->attr);
fail_name:
	free(t->name);
fail_free:
	free(t);
fail:
	errno = err;
	return NULL;
}

TOMB_EXPORT int tomb_free(tomb_t *t)
{
	struct tomb_reap_batch b;
	int cancel_state;

	if (t == NULL)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	tomb__lock(t);
	/* The kill that made t dying may still have to wake its sleepers,
	 * which is a system call away: wait for that, not EBUSY. */
	while (t->waking)
		tomb__cond_wait(&t->dead_cv, &t->mu);
	if (tomb__live_locked(t) > 0 || t->waiters > 0 ||
	    atomic_load(&t->sleepers) > 0 || !tomb__list_empty(&t->hooks) ||
	    t->firing > 0 || t->off_waiters > 0 || t->helpers > 0 ||
	    t->slot_waiters > 0 || !tomb__list_empty(&t->children)) {
		tomb__unlock(t);
		return EBUSY;
	}
	/* Nobody else may use t from here on: that is the caller's promise. */
	tomb__reap_take_tomb_locked(t, &b);
	tomb__unlock(t);
	tomb__timer_disarm(t); /* waits if the timer is killing t right now */

	tomb__reap_join(&b);
	if (t->parent != NULL)
		disown(t);
	if (t->pool != NULL)
		tomb__pool_unuse(t->pool);
	cancel_state = tomb__nocancel_begin(); /* close is a cancellation point */
	if (t->dying_ev.fd >= 0)
		tomb__event_close(&t->dying_ev);
	if (t->dead_ev.fd >= 0)
		tomb__event_close(&t->dead_ev);
	tomb__nocancel_end(cancel_state);
	pthread_cond_destroy(&t->dead_cv);
	pthread_cond_destroy(&t->slot_cv);
	/* A pool thread's last touch of t was its unlock of mu, done before
	 * this thread's lock above; but Helgrind orders the unlock's own
	 * writes after it, and would take pthread_mutex_destroy's look at mu
	 * for a race (bugs.kde.org 327548).  (Threads of t's own were joined,
	 * which orders everything they did.) */
	if (t->pool != NULL)
		TOMB_ANN_UNCHECKED(&t->mu);
	pthread_mutex_destroy(&t->mu);
	if (t->has_attr)
		pthread_attr_destroy(&t->attr);
	tomb__free_spares(t);
	free(t->name);
	free(t->owned[0]);
	free(t->owned[1]);
	TOMB_ANN_FORGET(&t->state);
	TOMB_ANN_FORGET(&t->msg);
	free(t);
	return 0;
}
