/* SPDX-License-Identifier: MIT */
/*
 * state.c: the bottom floor of a tomb: its lock, its state word and reason
 * read without it, the lifetime rule, and the step that makes a tomb DEAD.
 */
#include "config.h"

#include "annotate.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

_Thread_local const tomb_t *tomb__current;
_Thread_local const tomb_t *tomb__firing;

/* Process-wide (doc/threadsafety.md): the generation of this process,
 * bumped by the child of each fork(), and whether the handler that bumps it
 * is registered (once, by the first tomb or pool). */
static _Atomic unsigned fork_generation;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static int fork_watch_err;

static void forked_child(void)
{
	/* The child's only thread: nobody reads it concurrently. */
	atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

/* pthread_once orders the handler's write before every return of the call,
 * but Helgrind does not see that (it does not know pthread_once), and
 * reported the read in the first tombs made by two threads at once: it is
 * told here. */
static void watch_forks(void)
{
	fork_watch_err = pthread_atfork(NULL, NULL, forked_child);
	TOMB_ANN_RELEASE(&fork_once);
}

int tomb__fork_watch(void)
{
	if (pthread_once(&fork_once, watch_forks) != 0)
		abort();
	TOMB_ANN_ACQUIRE(&fork_once);
	return fork_watch_err;
}

unsigned tomb__fork_generation(void)
{
	return atomic_load_explicit(&fork_generation, memory_order_relaxed);
}

bool tomb__inherited(const tomb_t *t)
{
	return t->generation != tomb__fork_generation();
}

void tomb__lock(tomb_t *t)
{
	tomb__mutex_lock(&t->mu);
}

void tomb__unlock(tomb_t *t)
{
	tomb__mutex_unlock(&t->mu);
}

bool tomb__inside(const tomb_t *t)
{
	for (const tomb_t *a = tomb__current; a != NULL; a = a->parent)
		if (a == t)
			return true;
	for (const tomb_t *a = tomb__firing; a != NULL; a = a->parent)
		if (a == t)
			return true;
	return false;
}

bool tomb__idle_locked(const tomb_t *t)
{
	return tomb__live_locked(t) == 0 && t->children_live == 0;
}

bool tomb__idle_dies_locked(const tomb_t *t, bool returned)
{
	return t->lifetime == TOMB_LIFETIME_TOMB ? returned : t->waited;
}

/* With p->mu held, one of p's children DEAD or freed: uncounts it, and
 * wakes p's waiter if the lifetime rule now applies to p.  An errgroup or
 * group tomb whose owner waits may be due to die with 0: its waiter makes
 * that kill itself, outside the child's lock (tomb_timedwait).  A tomb.v2
 * tomb does not die of its children's deaths. */
static void uncount_child_locked(tomb_t *p)
{
	p->children_live--;
	if (p->waiters > 0 && tomb__idle_locked(p) &&
	    tomb__idle_dies_locked(p, false))
		tomb__cond_broadcast(&p->dead_cv);
}

void tomb__signal_dying_owed(tomb_t *t)
{
	if (atomic_load(&t->waking_fd)) {
		tomb__event_signal(&t->dying_ev);
		atomic_store(&t->waking_fd, false);
	}
}

/* With t->mu held: the settle of t alone.  Whether it made t DEAD (then
 * its parent has to be told). */
static bool settle_one_locked(tomb_t *t)
{
	uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

	if (!(s & TOMB_S_DYING) || (s & TOMB_S_DEAD) || !tomb__idle_locked(t) ||
	    t->firing > 0)
		return false;
	if (t->helpers > 0) {
		/* Only helpers are left: they stop now. */
		tomb__cond_broadcast(&t->dead_cv);
		return false;
	}
	if (!tomb__may_be_dead_locked(t))
		return false; /* its owner's wait (or its parent's death) settles it */
	/* Whoever sees DEAD finds the dying descriptor readable, even if the
	 * killer's tail has not written it yet. */
	tomb__signal_dying_owed(t);
	atomic_fetch_or(&t->state, TOMB_S_DEAD);
	tomb__cond_broadcast(&t->dead_cv);
	if (t->dead_ev.fd >= 0)
		tomb__event_signal(&t->dead_ev);
	return true;
}

/* With t->mu held: t's parent learns that t is DEAD, and so on up the tree
 * while each ancestor becomes DEAD in turn.  Hand over hand, in a loop:
 * each ancestor is locked before the one below it (which this call locked)
 * is released, so that at most two locks besides the caller's are held,
 * and the stack stays the same at any depth.  An ancestor released here
 * may be freed at once by its waiter, whose disown then waits for the
 * next ancestor's lock, held here. */
static void tell_ancestors_locked(tomb_t *t)
{
	tomb_t *held = NULL; /* the ancestor this call holds, if any */

	for (tomb_t *p = t->parent; p != NULL; p = p->parent) {
		tomb__lock(p);
		if (held != NULL)
			tomb__unlock(held);
		held = p;
		uncount_child_locked(p);
		if (!settle_one_locked(p))
			break;
	}
	if (held != NULL)
		tomb__unlock(held);
}

void tomb__child_gone_locked(tomb_t *p)
{
	uncount_child_locked(p);
	tomb__settle_locked(p);
}

bool tomb__may_be_dead_locked(const tomb_t *t)
{
	return t->lifetime == TOMB_LIFETIME_TOMB || t->waited ||
	       (t->parent != NULL && tomb_dying(t->parent));
}

void tomb__settle_locked(tomb_t *t)
{
	if (settle_one_locked(t))
		tell_ancestors_locked(t);
}

/* tomb.h's inline tomb_dying reads the state word where these put it. */
_Static_assert(offsetof(struct tomb, state) == 0, "state first");
_Static_assert(TOMB_S_DYING == 1u, "dying is bit 1");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(unsigned int), "state size");

/* In parentheses: the function, not tomb.h's inline macro (which calls
 * this once it has seen dying, for the annotation). */
TOMB_EXPORT bool (tomb_dying)(const tomb_t *t)
{
	if (t == NULL ||
	    !(atomic_load_explicit(&t->state, memory_order_acquire) & TOMB_S_DYING))
		return false;
	TOMB_ANN_ACQUIRE(&t->state); /* the kill's release (kill.c) */
	return true;
}

TOMB_EXPORT bool tomb_alive(const tomb_t *t)
{
	return t != NULL && !tomb_dying(t);
}

TOMB_EXPORT int tomb_err(const tomb_t *t)
{
	if (t == NULL)
		return EINVAL;
	if (!tomb_dying(t))
		return TOMB_STILL_ALIVE;
	return atomic_load_explicit(&t->reason, memory_order_acquire);
}

TOMB_EXPORT const char *tomb_errmsg(const tomb_t *t)
{
	const char *m;

	if (t == NULL)
		return NULL;
	m = atomic_load_explicit(&t->msg, memory_order_acquire);
	TOMB_ANN_ACQUIRE(&t->msg); /* the string's bytes (kill.c) */
	return m;
}

TOMB_EXPORT const char *tomb_name(const tomb_t *t)
{
	return t != NULL ? t->name : NULL;
}
