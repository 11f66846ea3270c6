/* SPDX-License-Identifier: MIT */
/* go.c: starting workers, the limit on them, and what a return does. */
#include "config.h"

#include "annotate.h"
#include "tomb_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A running worker: allocated by tomb_go, linked in t's list under mu, and
 * unlinked by the worker once its function has returned; then freed by it,
 * or, if t was dying and no waiter had claimed it, put on t->zombies and
 * freed by whoever joins it.  But a worker with a thread of its own is
 * freed only once tomb_go is done with it too (`refs`). */
struct worker {
	tomb_t *t;
	tomb_fn *fn;
	void *arg;
	struct worker *prev, *next; /* t's running workers, or its zombies
	                             * (next only), under t->mu */
	pthread_t self;             /* its thread; written before tid */
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
	struct worker *queued;      /* the next in a pool's queue, under the
	                             * pool's mu (pool.c) */
};

struct worker **tomb__worker_queue_link(struct worker *w)
{
	return &w->queued;
}

static void link_locked(tomb_t *t, struct worker *w)
{
	w->prev = t->workers_tail;
	w->next = NULL;
	if (t->workers_tail != NULL)
		t->workers_tail->next = w;
	else
		t->workers_head = w;
	t->workers_tail = w;
}

static void unlink_locked(tomb_t *t, struct worker *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		t->workers_head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		t->workers_tail = w->prev;
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
	if (t->slot_waiting_workers > 0 && t->slot_waiting_workers >= t->live)
		pthread_cond_broadcast(&t->slot_cv);
	else if (t->slot_waiters > 0)
		pthread_cond_signal(&t->slot_cv);
}

/* What a return does, by lifetime.  Called with mu held, after live--.
 * Returns true when the kill it made armed callbacks to run. */
static bool worker_returned_locked(tomb_t *t, int rc)
{
	bool fire = false, last = t->live == 0 && t->children_live == 0;

	if (rc == TOMB_STILL_ALIVE)
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_ALIVE);
	else if (rc == TOMB_EDYING && !tomb_dying(t))
		fire = tomb__kill_locked(t, EINVAL, NULL, TOMB_MSG_RET_EDYING);
	else if (rc == TOMB_EDYING)
		; /* "stopped because dying": the reason stays */
	else if (rc != 0 || t->lifetime == TOMB_LIFETIME_GROUP)
		fire = tomb__kill_locked(t, rc, NULL, NULL);
	else if (last && (t->lifetime == TOMB_LIFETIME_TOMB || t->waited))
		fire = tomb__kill_locked(t, 0, NULL, NULL);
	slot_freed_locked(t);
	tomb__settle_locked(t);
	return fire;
}

void tomb__wake_slot_waiters_locked(tomb_t *t)
{
	if (t->slot_waiters > 0)
		pthread_cond_broadcast(&t->slot_cv);
}

/* Under t->mu: what the end of w's function does to t.  Returns true when
 * it killed t and armed callbacks are to run. */
static bool worker_ended_locked(tomb_t *t, struct worker *w, int rc)
{
	if (w->helper) {
		t->helpers--;
		tomb__settle_locked(t);
		return false;
	}
	unlink_locked(t, w);
	t->live--;
	t->ended++;
	return worker_returned_locked(t, rc);
}

/* Frees w, whoever holds references. */
static void discard_worker(struct worker *w)
{
	/* Its storage may be reused now. */
	TOMB_ANN_FORGET(&w->tid);
	TOMB_ANN_FORGET(&w->created);
	TOMB_ANN_FORGET(&w->refs);
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

/* Runs w's function as a worker of w->t on this thread. */
static int run_fn(struct worker *w)
{
	int rc;

	/* Release: a waiter that sees tid may read w->self (see
	 * tomb__claim_locked); told to Helgrind and DRD too. */
	TOMB_ANN_RELEASE(&w->tid);
	atomic_store_explicit(&w->tid, (pid_t)syscall(SYS_gettid),
	                      memory_order_release);
	if (w->name[0] != '\0')
		pthread_setname_np(pthread_self(), w->name);
	tomb__current = w->t;
	rc = w->fn(w->t, w->arg);
	tomb__current = NULL;
	return rc;
}

/* A worker with a thread of its own. */
static void *worker_main(void *p)
{
	struct worker *w = p;
	tomb_t *t = w->t;
	pthread_t prev;
	bool has_prev = false, fire;
	int rc;

	w->self = pthread_self();
	rc = run_fn(w);
	tomb__lock(t);
	fire = worker_ended_locked(t, w, rc);
	if (w->claimed) {
		; /* a waiter joins this thread; nobody else may */
	} else if (tomb_dying(t)) {
		/* The list: the waiter joins this thread (see t->zombie). */
		w->next = t->zombies;
		t->zombies = w;
		w = NULL;
	} else {
		/* The chain: whoever joins this thread joins its predecessor. */
		has_prev = t->has_zombie;
		prev = t->zombie;
		t->zombie = pthread_self();
		t->has_zombie = true;
	}
	tomb__unlock(t);
	free_worker(w);
	/* The kill this return made wakes the sleepers and runs the callbacks
	 * here, in the killing thread.  After that (or at once) t may be dead
	 * and freed: do not touch it again. */
	if (fire)
		tomb__after_kill(t);

	if (has_prev)
		pthread_join(prev, NULL);
	return NULL;
}

int tomb__worker_run(struct worker *w, const char *home,
                     struct pool_thread *self)
{
	tomb_t *t = w->t;
	bool renamed = w->name[0] != '\0', fire;
	int rc = run_fn(w), parked = POOL_UNDECIDED;

	if (renamed)
		pthread_setname_np(pthread_self(), home);
	tomb__lock(t);
	fire = worker_ended_locked(t, w, rc);
	if (!fire)
		parked = tomb__pool_park(self);
	tomb__unlock(t);
	free_worker(w);
	/* As in worker_main: past this, t may be freed. */
	if (fire)
		tomb__after_kill(t);
	return parked;
}

size_t tomb__claim_locked(tomb_t *t, pthread_t *out, size_t max)
{
	size_t n = 0;

	if (t->pool != NULL || t->live > max)
		return 0;
	for (struct worker *w = t->workers_head; w != NULL && n < max;
	     w = w->next) {
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
			out[n++] = w->self;
		} else {
			continue;
		}
		w->claimed = true;
	}
	return n;
}

bool tomb__has_zombies_locked(const tomb_t *t)
{
	return t->has_zombie || t->zombies != NULL;
}

void tomb__take_zombies_locked(tomb_t *t, struct zombies *z)
{
	z->chain = t->zombie;
	z->has_chain = t->has_zombie;
	z->list = t->zombies;
	t->has_zombie = false;
	t->zombies = NULL;
}

void tomb__join_zombies(struct zombies *z)
{
	struct worker *w, *next;

	/* Each has returned and is exiting, or joining its predecessor. */
	if (z->has_chain)
		pthread_join(z->chain, NULL);
	for (w = z->list; w != NULL; w = next) {
		next = w->next;
		pthread_join(w->self, NULL);
		free_worker(w);
	}
	z->has_chain = false;
	z->list = NULL;
}

/* With mu held: waits for a slot under the limit.  0 when the worker may
 * start, or ESRCH, ECANCELED, EBUSY (may not block) or EDEADLK. */
static int take_slot_locked(tomb_t *t, bool may_block)
{
	bool own = tomb__current == t, waited = false;

	for (;;) {
		uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

		if (s & TOMB_S_DEAD)
			return ESRCH;
		if (waited && (s & TOMB_S_DYING))
			return ECANCELED; /* t died while this call waited */
		if (t->limit == 0 || t->live < (size_t)t->limit)
			return 0;
		if (s & TOMB_S_DYING)
			return ECANCELED;
		if (!may_block)
			return EBUSY;
		if (own && t->slot_waiting_workers + 1 >= t->live)
			return EDEADLK; /* every running worker would wait */
		t->slot_waiters++;
		t->slot_waiting_workers += own;
		pthread_cond_wait(&t->slot_cv, &t->mu);
		t->slot_waiting_workers -= own;
		t->slot_waiters--;
		waited = true;
	}
}

static int go(tomb_t *t, const char *name, tomb_fn *fn, void *arg,
              bool may_block, bool helper)
{
	struct worker *w;
	pthread_t th;
	uint64_t ended_before;
	bool fire = false, own_thread;
	int err;

	if (t == NULL || fn == NULL)
		return EINVAL;
	w = malloc(sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	w->t = t;
	w->fn = fn;
	w->arg = arg;
	atomic_init(&w->tid, 0);
	TOMB_ANN_ATOMIC(&w->tid);
	atomic_init(&w->created, false);
	TOMB_ANN_ATOMIC(&w->created);
	/* tomb_go's own reference, for a thread of its own: see below.  (t,
	 * which may be freed once the thread has started, is not read after
	 * pthread_create.) */
	own_thread = t->pool == NULL && !helper;
	atomic_init(&w->refs, own_thread ? 2u : 1u);
	TOMB_ANN_ATOMIC(&w->refs);
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	if (name == NULL)
		name = t->name;
	strncpy(w->name, name, sizeof(w->name) - 1);
	w->name[sizeof(w->name) - 1] = '\0';
	w->helper = helper;
	w->claimed = false;
	w->queued = NULL;

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
		t->live++;
		link_locked(t, w);
	}
	ended_before = t->ended;
	tomb__unlock(t);

	if (t->pool != NULL && !helper)
		err = tomb__pool_start(t->pool, w);
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
	unlink_locked(t, w);
	t->live--;
	if (t->live == 0 && t->children_live == 0 &&
	    t->ended != ended_before && !tomb_dying(t) &&
	    (t->lifetime == TOMB_LIFETIME_TOMB || t->waited))
		fire = tomb__kill_locked(t, 0, NULL, NULL);
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
	return go(t, NULL, fn, arg, true, false);
}

TOMB_EXPORT int tomb_go_named(tomb_t *t, const char *name, tomb_fn *fn,
                              void *arg)
{
	return go(t, name, fn, arg, true, false);
}

TOMB_EXPORT int tomb_trygo(tomb_t *t, tomb_fn *fn, void *arg)
{
	return go(t, NULL, fn, arg, false, false);
}

void tomb__helper_wait_last(tomb_t *t)
{
	tomb__lock(t);
	while (!tomb_dying(t) || t->live > 0 || t->firing > 0 ||
	       t->children_live > 0)
		pthread_cond_wait(&t->dead_cv, &t->mu);
	tomb__unlock(t);
}

int tomb__go_helper(tomb_t *t, const char *name, tomb_fn *fn, void *arg)
{
	return go(t, name, fn, arg, false, true);
}

TOMB_EXPORT int tomb_set_limit(tomb_t *t, int limit)
{
	if (t == NULL || limit < 0)
		return EINVAL;
	tomb__lock(t);
	t->limit = limit;
	tomb__wake_slot_waiters_locked(t); /* a raised limit lets them in */
	tomb__unlock(t);
	return 0;
}

TOMB_EXPORT size_t tomb_count(const tomb_t *t)
{
	return t == NULL ? 0 : atomic_load(&t->live);
}

TOMB_EXPORT int tomb_foreach(tomb_t *t,
                             void (*fn)(const struct tomb_worker_info *info,
                                        void *arg),
                             void *arg)
{
	if (t == NULL || fn == NULL)
		return EINVAL;
	tomb__lock(t);
	for (struct worker *w = t->workers_head; w != NULL; w = w->next) {
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
