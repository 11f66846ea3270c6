/* SPDX-License-Identifier: MIT */
/* go.c: starting workers, the limit on them, and what a return does. */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "pool.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A running worker: allocated by tomb_go (or, on a pool, taken from
 * t->spares), linked in t's list under mu, and unlinked by the worker once
 * its function has returned; then freed by it (on a pool, kept in
 * t->spares while t is alive, under the same mu), or, if t was dying and
 * no waiter had claimed it, put on t->zombies and freed by whoever joins
 * it (join.c).  But a worker with a thread of its own is freed only once
 * tomb_go is done with it too (`refs`). */
struct worker {
	tomb_t *t;
	tomb_fn *fn;
	void *arg;
	struct tomb_thread th;      /* its thread for join.c: th.id is written
	                             * by the thread before tid; th.node links
	                             * it in t->workers while it runs, then in
	                             * t->zombies if it ends there (under
	                             * t->mu) */
	_Atomic pid_t tid;          /* set by the thread when it starts */
	pthread_t made;             /* its thread, as pthread_create gave it
	                             * to tomb_go; written before `created` */
	_Atomic bool created;       /* set by tomb_go once pthread_create has
	                             * succeeded, so that a waiter may claim a
	                             * thread that has not started yet */
	_Atomic unsigned refs;      /* 2 for a thread of its own (tomb_go's,
	                             * dropped once it has set `created`, and
	                             * the thread's or its zombie joiner's),
	                             * else 1; the last to drop one frees w,
	                             * whichever it is.  If pthread_create
	                             * fails, tomb_go frees w at once. */
	struct timespec started;    /* CLOCK_MONOTONIC, when tomb_go ran */
	char name[16];              /* what the thread is called; "" if none */
	bool helper;                /* the library's own: see t->helpers */
	bool claimed;               /* a waiter joins it (tomb__claim_locked),
	                             * under t->mu */
	bool plain;                 /* made with no copy: of the size a spare
	                             * has (t->spares) */
	struct tomb_job job;        /* what a pool runs (pool.h) */
	/* tomb_go_copy's copy of the argument (arg points here), freed with
	 * the record, after the function has returned. */
	_Alignas(max_align_t) unsigned char copy[];
};

static struct worker *worker_of_node(struct tomb_list *n)
{
	return tomb__list_entry(n, struct worker, th.node);
}

/*
 * With mu held, after live--: a slot may be free, for one waiter.  But if
 * every running worker now waits for a slot, none can ever return: each must
 * look again and fail with EDEADLK, whoever the one wake-up would go to (a
 * thread outside the tomb, when the limit was lowered, could take it and
 * wait again, leaving the workers asleep for ever).
 */
static void slot_freed_locked(tomb_t *t)
{
	if (t->slot_waiting_workers > 0 &&
	    t->slot_waiting_workers >= tomb__live_locked(t))
		tomb__cond_broadcast(&t->slot_cv);
	else if (t->slot_waiters > 0)
		tomb__cond_signal(&t->slot_cv);
}

/* What a return does, by lifetime.  Called with mu held, after live--.
 * Returns true when the kill it made armed callbacks to run.  A worker that
 * left by pthread_exit or cancellation (`exited`) counts as a return of
 * ECANCELED while t is alive, of TOMB_EDYING once it is dying (tomb(7)). */
static bool worker_returned_locked(tomb_t *t, int rc, bool exited)
{
	bool fire = false;

	if (exited && !tomb_dying(t))
		fire = tomb__kill_locked(t, ECANCELED, NULL, TOMB_MSG_EXITED);
	else if (exited)
		; /* "stopped because dying": the reason stays */
	else if (rc == TOMB_STILL_ALIVE)
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_ALIVE);
	else if (rc == TOMB_EDYING && !tomb_dying(t))
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_EDYING);
	else if (rc == TOMB_EDYING)
		; /* "stopped because dying": the reason stays */
	else if (rc != 0 || t->lifetime == TOMB_LIFETIME_GROUP)
		fire = tomb__kill_locked(t, rc, NULL, NULL);
	else if (tomb__idle_locked(t) && tomb__idle_dies_locked(t, true))
		fire = tomb__kill_locked(t, 0, NULL, NULL); /* the lifetime rule */
	slot_freed_locked(t);
	tomb__settle_locked(t);
	return fire;
}

/* Under t->mu: what the end of w's function does to t (`exited`: it left
 * by pthread_exit or cancellation).  Returns true when it killed t and
 * armed callbacks are to run. */
static bool worker_ended_locked(tomb_t *t, struct worker *w, int rc,
                                bool exited)
{
	if (w->helper) {
		t->helpers--;
		tomb__settle_locked(t);
		return false;
	}
	tomb__list_remove(&w->th.node);
	tomb__live_add_locked(t, -1);
	t->ended++;
	return worker_returned_locked(t, rc, exited);
}

/* Tells Helgrind and DRD that w's atomics are done with: its storage is
 * freed, or kept as a spare, and may be reused by another thread. */
static void forget_atomics(struct worker *w)
{
	TOMB_ANN_FORGET(&w->tid);
	TOMB_ANN_FORGET(&w->created);
	TOMB_ANN_FORGET(&w->refs);
}

/* The most spare records a tomb keeps (t->spares): enough for tomb_go to
 * find one while the pool's threads end workers as fast as it starts them,
 * and a bound on what an idle tomb holds (160 bytes a record on x86-64:
 * 10 KiB). */
#define TOMB_SPARES_MAX 64

/* With t->mu held: keeps the record of w, a worker on t's pool that has
 * ended (no reference to it is left but the caller's), as a spare for
 * tomb_go.  False if it is to be freed instead: also once t is dying,
 * when few workers start (a kill of n pooled workers measured 5 to 25%
 * slower when their ends kept their records; bench-c kill-cond, n = 100). */
static bool spare_locked(tomb_t *t, struct worker *w)
{
	uint32_t n = atomic_load_explicit(&t->nspares, memory_order_relaxed);

	if (!w->plain || n >= TOMB_SPARES_MAX || tomb_dying(t))
		return false;
	forget_atomics(w);
	w->th.node.next = t->spares;
	t->spares = &w->th.node;
	atomic_store_explicit(&t->nspares, n + 1, memory_order_relaxed);
	return true;
}

/* With t->mu held: a spare record of t's, off the list, or NULL. */
static struct worker *take_spare_locked(tomb_t *t)
{
	uint32_t n = atomic_load_explicit(&t->nspares, memory_order_relaxed);
	struct tomb_list *node = t->spares;

	if (n == 0)
		return NULL;
	t->spares = node->next;
	atomic_store_explicit(&t->nspares, n - 1, memory_order_relaxed);
	return worker_of_node(node);
}

void tomb__free_spares(tomb_t *t)
{
	struct worker *w;

	while ((w = take_spare_locked(t)) != NULL)
		free(w);
}

/* Frees w, whoever holds references. */
static void discard_worker(struct worker *w)
{
	forget_atomics(w);
	free(w);
}

/* Drops a reference to w, and frees it if it was the last (NULL:
 * nothing). */
static void free_worker(struct worker *w)
{
	if (w == NULL)
		return;
	TOMB_ANN_RELEASE(&w->refs);
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	TOMB_ANN_ACQUIRE(&w->refs);
	discard_worker(w);
}

/* A zombie's tomb_thread release (join.c): drops the thread's reference. */
static void release_thread(struct tomb_thread *th)
{
	free_worker(tomb__list_entry(th, struct worker, th));
}

/* Runs w's function as a worker of w->t on this thread, whose id is tid.
 * If the function leaves by pthread_exit or cancellation instead of
 * returning, exits(w) runs on the way out (a cleanup handler), and this
 * call never returns. */
static int run_fn(struct worker *w, pid_t tid, void (*exits)(void *w))
{
	int rc;

	/* Release: a waiter that sees tid may read w->th.id (see
	 * tomb__claim_locked); told to Helgrind and DRD too. */
	TOMB_ANN_RELEASE(&w->tid);
	atomic_store_explicit(&w->tid, tid, memory_order_release);
	if (w->name[0] != '\0')
		tomb__set_thread_name(w->name);
	tomb__current = w->t;
	pthread_cleanup_push(exits, w);
	rc = w->fn(w->t, w->arg);
	pthread_cleanup_pop(0);
	tomb__current = NULL;
	return rc;
}

/* The end of a worker with a thread of its own: what its return (or exit)
 * does to t, then the join of its predecessor on the chain. */
static void worker_finish(struct worker *w, int rc, bool exited)
{
	tomb_t *t = w->t;
	pthread_t prev;
	bool has_prev = false, fire;

	tomb__lock(t);
	fire = worker_ended_locked(t, w, rc, exited);
	if (w->claimed) {
		; /* a waiter joins this thread; nobody else may */
	} else if (tomb_dying(t)) {
		/* The list: the waiter joins this thread and frees w. */
		tomb__list_push_back(&t->zombies, &w->th.node);
		w = NULL;
	} else {
		/* The chain: whoever joins this thread joins its predecessor. */
		has_prev = tomb__chain_push_locked(&t->chain, &prev);
	}
	tomb__unlock(t);
	free_worker(w);
	/* The kill this return made wakes the sleepers and runs the callbacks
	 * here, in the killing thread.  After that (or at once) t may be dead
	 * and freed: do not touch it again. */
	if (fire)
		tomb__after_kill(t);

	if (has_prev)
		tomb__join(prev);
}

/* The cleanup handler of a worker with a thread of its own whose function
 * left by pthread_exit or cancellation: the thread ends as if it had
 * returned. */
static void worker_exits(void *p)
{
	tomb__current = NULL;
	worker_finish(p, 0, true);
}

/* A worker with a thread of its own. */
static void *worker_main(void *p)
{
	struct worker *w = p;

	w->th.id = pthread_self();
	worker_finish(w, run_fn(w, tomb__gettid(), worker_exits), false);
	return NULL;
}

/* The cleanup handler of a worker on a pool's thread whose function left
 * by pthread_exit or cancellation: t's side of a return, without parking
 * (the thread is on its way out: the pool's own handler counts it gone, and
 * the pool makes another thread when it needs one). */
static void job_exits(void *p)
{
	struct worker *w = p;
	tomb_t *t = w->t;
	bool fire;

	tomb__current = NULL;
	tomb__lock(t);
	fire = worker_ended_locked(t, w, 0, true);
	tomb__unlock(t);
	free_worker(w);
	if (fire)
		tomb__after_kill(t); /* past this, t may be freed */
}

/* A worker on a pool's thread (its struct tomb_job's run): runs it, then
 * does what its return does, as worker_main, but for the reap chain; keeps
 * w as a spare of t's (spare_locked) or frees it.  Unless the return fires
 * callbacks, the thread offers itself back to its pool (tomb__pool_park)
 * in the same critical section that may make t DEAD, so that a wait that
 * returns finds it parked (or running a worker it took from the pool's
 * queue). */
static int run_job(struct tomb_job *job, struct pool_thread *self,
                   const char *home)
{
	struct worker *w = tomb__list_entry(job, struct worker, job);
	tomb_t *t = w->t;
	bool renamed = w->name[0] != '\0', fire;
	int rc = run_fn(w, tomb__pool_tid(self), job_exits),
	    parked = POOL_UNDECIDED;

	if (renamed)
		tomb__set_thread_name(home);
	tomb__lock(t);
	fire = worker_ended_locked(t, w, rc, false);
	if (spare_locked(t, w))
		w = NULL;
	if (!fire)
		parked = tomb__pool_park(self);
	tomb__unlock(t);
	free_worker(w);
	/* As in worker_main: past this, t may be freed. */
	if (fire)
		tomb__after_kill(t);
	return parked;
}

/* This thread's id (tomb__gettid), kept: a system call saved for each
 * worker a waiter runs.  Asked again in a child of fork(), whose thread has
 * another id. */
static pid_t own_tid(void)
{
	static _Thread_local pid_t tid;
	static _Thread_local unsigned generation;
	unsigned g = tomb__fork_generation();

	if (tid == 0 || generation != g) {
		tid = tomb__gettid();
		generation = g;
	}
	return tid;
}

/* Whether this thread is running a worker for a wait (tomb__help_locked). */
static _Thread_local bool helping;

/* The cleanup handler of a worker that a waiter runs (tomb__help_locked)
 * whose function left by pthread_exit: t's side of a return, as on a pool's
 * thread, and the end of the wait, which can no longer return: the waiting
 * thread exits, as the worker asked of its thread. */
static void helped_exits(void *p)
{
	struct worker *w = p;
	tomb_t *t = w->t;
	bool fire;

	tomb__current = NULL;
	helping = false;
	tomb__lock(t);
	fire = worker_ended_locked(t, w, 0, true);
	t->waiters--;
	tomb__unlock(t);
	free_worker(w);
	if (fire)
		tomb__after_kill(t); /* past this, t may be freed */
}

bool tomb__help_locked(tomb_t *t)
{
	const tomb_t *outer = tomb__current;
	struct tomb_job *job;
	struct worker *w;
	bool fire;
	int rc, cancel;

	/* Not from a worker run that way: each would run on the stack of the
	 * one before, and a chain of waits could overflow it.  Not from a
	 * callback: the worker would run with the callback's state (the
	 * tomb it fires for, the children whose callbacks wait for it). */
	if (helping || tomb__firing != NULL)
		return false;
	if ((job = tomb__pool_take(t->pool, t)) == NULL)
		return false;
	w = tomb__list_entry(job, struct worker, job);
	tomb__unlock(t);
	/* As run_fn, but for the thread's name, which stays the waiter's,
	 * and with cancellation disabled: tomb_wait is no cancellation point,
	 * and a cancel aimed at the waiter must not end the worker half-way.
	 * A request stays pending for the waiter's next cancellation point. */
	TOMB_ANN_RELEASE(&w->tid);
	atomic_store_explicit(&w->tid, own_tid(), memory_order_release);
	cancel = tomb__nocancel_begin();
	tomb__current = t;
	helping = true;
	pthread_cleanup_push(helped_exits, w);
	rc = w->fn(t, w->arg);
	pthread_cleanup_pop(0);
	helping = false;
	tomb__current = outer; /* a worker of another tomb may wait on t */
	tomb__nocancel_end(cancel);
	tomb__lock(t);
	fire = worker_ended_locked(t, w, rc, false);
	if (spare_locked(t, w))
		w = NULL;
	tomb__unlock(t);
	free_worker(w);
	if (fire)
		tomb__after_kill(t); /* t is not freed: this thread waits on it */
	tomb__lock(t);
	return true;
}

size_t tomb__claim_locked(tomb_t *t, pthread_t *out, size_t max)
{
	size_t n = 0;

	struct tomb_list *it;

	if (t->pool != NULL || tomb__live_locked(t) > max)
		return 0;
	tomb__list_for_each(it, &t->workers) {
		struct worker *w = worker_of_node(it);

		if (n == max)
			break;
		if (w->claimed)
			continue;
		/* Its thread is made (tomb_go said so), or has started (it
		 * said so); else its pthread_create may be still to fail. */
		if (atomic_load_explicit(&w->created, memory_order_acquire)) {
			TOMB_ANN_ACQUIRE(&w->created);
			out[n++] = w->made;
		} else if (atomic_load_explicit(&w->tid, memory_order_acquire) !=
		           0) {
			TOMB_ANN_ACQUIRE(&w->tid);
			out[n++] = w->th.id;
		} else {
			continue;
		}
		w->claimed = true;
	}
	return n;
}

/* With mu held: waits for a slot under the limit.  0 when the worker may
 * start, or ESRCH, ECANCELED, EBUSY (may not block) or EDEADLK. */
static int take_slot_locked(tomb_t *t, bool may_block)
{
	bool own = tomb__current == t, waited = false;

	for (;;) {
		uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

		if (waited && (s & TOMB_S_DYING))
			return ECANCELED; /* t died (or is dead) while this call
			                   * waited */
		if (s & TOMB_S_DEAD)
			return ESRCH;
		if (t->limit == 0 || tomb__live_locked(t) < (size_t)t->limit)
			return 0;
		if (s & TOMB_S_DYING)
			return ECANCELED;
		if (!may_block)
			return EBUSY;
		if (own && t->slot_waiting_workers + 1 >= tomb__live_locked(t))
			return EDEADLK; /* every running worker would wait */
		t->slot_waiters++;
		t->slot_waiting_workers += own;
		tomb__blocking_begin();
		tomb__cond_wait(&t->slot_cv, &t->mu);
		tomb__blocking_end();
		t->slot_waiting_workers -= own;
		t->slot_waiters--;
		waited = true;
	}
}

/* Fills in w, a new record (or a spare) for fn(arg) on t: as go's. */
static void init_worker(struct worker *w, tomb_t *t, const char *name,
                        tomb_fn *fn, void *arg, size_t copy, bool helper)
{
	w->t = t;
	w->fn = fn;
	w->arg = arg;
	if (copy > 0) {
		memcpy(w->copy, arg, copy);
		w->arg = w->copy;
	}
	w->plain = copy == 0;
	atomic_init(&w->tid, 0);
	TOMB_ANN_ATOMIC(&w->tid);
	atomic_init(&w->created, false);
	TOMB_ANN_ATOMIC(&w->created);
	/* tomb_go's own reference, for a thread of its own: see go.  (t,
	 * which may be freed once the thread has started, is not read after
	 * pthread_create.) */
	atomic_init(&w->refs, t->pool == NULL && !helper ? 2u : 1u);
	TOMB_ANN_ATOMIC(&w->refs);
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	if (name == NULL)
		name = t->name;
	strncpy(w->name, name, sizeof(w->name) - 1);
	w->name[sizeof(w->name) - 1] = '\0';
	w->helper = helper;
	w->claimed = false;
	w->th.release = release_thread;
	w->job.run = run_job;
	w->job.owner = t;
}

/* Starts a worker (or, with `helper`, one of the library's threads); with
 * copy > 0, fn receives a copy of the copy bytes at arg instead of arg. */
static int go(tomb_t *t, const char *name, tomb_fn *fn, void *arg,
              size_t copy, bool may_block, bool helper)
{
	struct worker *w = NULL;
	pthread_t th;
	uint64_t ended_before;
	bool fire = false, own_thread, locked = false;
	int err;

	if (t == NULL || fn == NULL)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (copy > SIZE_MAX - sizeof(*w))
		return ENOMEM;
	own_thread = t->pool == NULL && !helper;
	/* On a pool, the record of a worker that ended, if t keeps one: it is
	 * taken under mu, which this call takes anyway. */
	if (t->pool != NULL && !helper && copy == 0 &&
	    atomic_load_explicit(&t->nspares, memory_order_relaxed) > 0) {
		tomb__lock(t);
		locked = true;
		if ((w = take_spare_locked(t)) == NULL) {
			tomb__unlock(t);
			locked = false;
		}
	}
	if (w == NULL && (w = malloc(sizeof(*w) + copy)) == NULL)
		return ENOMEM;
	init_worker(w, t, name, fn, arg, copy, helper);

	if (!locked)
		tomb__lock(t);
	if (helper)
		err = tomb_dying(t) ? ECANCELED : 0;
	else
		err = take_slot_locked(t, may_block);
	if (err != 0) {
		tomb__unlock(t);
		discard_worker(w);
		return err;
	}
	/* Counted before it exists, so that t cannot become DEAD (or be freed)
	 * while the thread is being made, without holding mu across that. */
	if (helper) {
		t->helpers++;
	} else {
		tomb__live_add_locked(t, 1);
		tomb__list_push_back(&t->workers, &w->th.node);
	}
	ended_before = t->ended;
	tomb__unlock(t);

	if (t->pool != NULL && !helper)
		err = tomb__pool_start(t->pool, &w->job);
	else
		err = pthread_create(&th, t->has_attr ? &t->attr : NULL,
		                     worker_main, w);
	if (err == 0) {
		if (own_thread) {
			/* Claimable before it starts: an untimed wait right
			 * after this call then sleeps once, in the join, as
			 * after pthread_create.  w is not freed meanwhile: the
			 * reference dropped after is this call's. */
			w->made = th;
			TOMB_ANN_RELEASE(&w->created);
			atomic_store_explicit(&w->created, true,
			                      memory_order_release);
			free_worker(w);
		}
		return 0;
	}

	/* Undo the count as if this call had never been made.  A worker that
	 * returned meanwhile saw our count and so did not act as the last one:
	 * if it was, act for it now. */
	tomb__lock(t);
	if (helper) {
		t->helpers--;
		tomb__settle_locked(t);
		tomb__unlock(t);
		discard_worker(w);
		return err;
	}
	tomb__list_remove(&w->th.node);
	tomb__live_add_locked(t, -1);
	if (tomb__idle_locked(t) && !tomb_dying(t) &&
	    tomb__idle_dies_locked(t, t->ended != ended_before))
		fire = tomb__kill_locked(t, 0, NULL, NULL); /* the lifetime rule */
	slot_freed_locked(t);
	tomb__settle_locked(t);
	tomb__unlock(t);
	discard_worker(w);
	if (fire)
		tomb__after_kill(t);
	return err;
}

TOMB_EXPORT int tomb_go(tomb_t *t, tomb_fn *fn, void *arg)
{
	return go(t, NULL, fn, arg, 0, true, false);
}

TOMB_EXPORT int tomb_go_named(tomb_t *t, const char *name, tomb_fn *fn,
                              void *arg)
{
	return go(t, name, fn, arg, 0, true, false);
}

TOMB_EXPORT int tomb_go_copy(tomb_t *t, tomb_fn *fn, const void *arg,
                             size_t size)
{
	if (arg == NULL && size > 0)
		return EINVAL;
	/* Cast: only copied from, never written (fn gets the copy). */
	return go(t, NULL, fn, size > 0 ? (void *)(uintptr_t)arg : NULL, size,
	          true, false);
}

TOMB_EXPORT int tomb_trygo(tomb_t *t, tomb_fn *fn, void *arg)
{
	return go(t, NULL, fn, arg, 0, false, false);
}

void tomb__helper_wait_last(tomb_t *t)
{
	tomb__lock(t);
	while (!tomb_dying(t) || !tomb__idle_locked(t) || t->firing > 0)
		tomb__cond_wait(&t->dead_cv, &t->mu);
	tomb__unlock(t);
}

int tomb__go_helper(tomb_t *t, const char *name, tomb_fn *fn, void *arg)
{
	return go(t, name, fn, arg, 0, false, true);
}

TOMB_EXPORT int tomb_set_limit(tomb_t *t, int limit)
{
	if (t == NULL || limit < 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	tomb__lock(t);
	t->limit = limit;
	if (t->slot_waiters > 0) /* a raised limit lets them in */
		tomb__cond_broadcast(&t->slot_cv);
	tomb__unlock(t);
	return 0;
}

TOMB_EXPORT size_t tomb_count(const tomb_t *t)
{
	return t == NULL ? 0 : tomb__live_locked(t); /* a snapshot */
}

TOMB_EXPORT int tomb_foreach(tomb_t *t,
                             void (*fn)(const struct tomb_worker_info *info,
                                        void *arg),
                             void *arg)
{
	struct tomb_list *it;

	if (t == NULL || fn == NULL)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	tomb__lock(t);
	tomb__list_for_each(it, &t->workers) {
		struct worker *w = worker_of_node(it);
		struct tomb_worker_info info = {
			.name = w->name,
			.tid = atomic_load_explicit(&w->tid, memory_order_relaxed),
			.started = w->started,
		};
		fn(&info, arg);
	}
	tomb__unlock(t);
	return 0;
}
