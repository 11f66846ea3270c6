/* SPDX-License-Identifier: MIT */
/* join.c: joining the threads that have finished (join.h has the three
 * ways), for a tomb's waiters, tomb_free and a pool. */
#include "config.h"

#include "blocked.h"
#include "join.h"
#include "tomb_private.h"

bool tomb__chain_push_locked(struct tomb_chain *c, pthread_t *prev)
{
	bool had = c->has_last;

	*prev = c->last;
	c->last = pthread_self();
	c->has_last = true;
	return had;
}

bool tomb__reap_take_locked(struct tomb_chain *c, struct tomb_list *list,
                            struct tomb_reap_batch *b)
{
	b->chain = *c;
	c->has_last = false;
	tomb__list_take(&b->list, list);
	return b->chain.has_last || !tomb__list_empty(&b->list);
}

void tomb__reap_join(struct tomb_reap_batch *b)
{
	struct tomb_list *n;

	/* Each has ended, or is joining its predecessor, which has. */
	if (b->chain.has_last)
		tomb__join(b->chain.last);
	b->chain.has_last = false;
	while ((n = tomb__list_pop(&b->list)) != NULL) {
		struct tomb_thread *th =
			tomb__list_entry(n, struct tomb_thread, node);

		tomb__join(th->id);
		if (th->release != NULL)
			th->release(th);
	}
}

void tomb__reap_take_tomb_locked(tomb_t *t, struct tomb_reap_batch *b)
{
	tomb__reap_take_locked(&t->chain, &t->zombies, b);
}

void tomb__join_dead_locked(tomb_t *t)
{
	for (;;) {
		struct tomb_reap_batch b;

		if (tomb__reap_take_locked(&t->chain, &t->zombies, &b)) {
			t->joining++;
			tomb__unlock(t);
			tomb__reap_join(&b);
			tomb__lock(t);
			t->joining--;
			tomb__cond_broadcast(&t->dead_cv);
		} else if (t->joining > 0) {
			/* Another waiter joins a thread that has returned: that
			 * ends soon, whatever the deadline (t is DEAD, so a
			 * claimed worker has returned too). */
			tomb__cond_wait(&t->dead_cv, &t->mu);
		} else {
			return;
		}
	}
}

void tomb__join_claimed_locked(tomb_t *t, const pthread_t *th, size_t n)
{
	t->joining++;
	tomb__unlock(t);
	/* The claimed threads may run for long yet: a pool thread waiting
	 * here is blocked, as in any of the library's waits (blocked.h). */
	tomb__blocking_begin();
	for (size_t i = 0; i < n; i++)
		tomb__join(th[i]);
	tomb__blocking_end();
	tomb__lock(t);
	t->joining--;
	tomb__cond_broadcast(&t->dead_cv);
}

/* With c->mu held, c a child pinned by the caller: unpins it, under its
 * parent's mu, which the caller holds. */
static void unpin_locked(tomb_t *p, tomb_t *c)
{
	if (--c->pinned == 0)
		tomb__cond_broadcast(&p->dead_cv); /* for tomb_free(c) */
}

/* The child after c in c's parent's list, or NULL (with the parent's mu
 * held; c is pinned, so its link is valid). */
static tomb_t *next_sibling_locked(tomb_t *c)
{
	struct tomb_list *n = c->sibling.next;

	return n == &c->parent->children ? NULL
	                                 : tomb__list_entry(n, tomb_t, sibling);
}

void tomb__join_tree_locked(tomb_t *root)
{
	/* Depth first, in a loop, not a recursion (the stack stays the same at
	 * any depth), holding one lock at a time: c is the tomb whose threads
	 * were just joined, locked.  Every tomb on the way from root down to c
	 * (root excepted) is pinned against tomb_free, under its parent's mu,
	 * so that its sibling link stays valid while its parent's mu is
	 * released.  The tree is DEAD, so no child is added meanwhile. */
	tomb_t *c = root;

	tomb__join_dead_locked(c);
	for (;;) {
		tomb_t *next;

		if (!tomb__list_empty(&c->children)) {
			/* Down to c's first child. */
			next = tomb__list_entry(c->children.next, tomb_t, sibling);
		} else {
			/* Up until a tomb on the way has a next sibling. */
			for (;;) {
				tomb_t *p = c->parent;

				if (c == root)
					return; /* with root's mu held, as called */
				tomb__unlock(c);
				tomb__lock(p);
				next = next_sibling_locked(c);
				unpin_locked(p, c);
				c = p;
				if (next != NULL)
					break;
			}
		}
		/* c is next's parent, locked. */
		next->pinned++;
		tomb__unlock(c);
		tomb__lock(next);
		c = next;
		tomb__join_dead_locked(c);
	}
}
