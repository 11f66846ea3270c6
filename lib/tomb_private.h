/* SPDX-License-Identifier: MIT */
/*
 * tomb_private.h: the tomb's fields, its states and its lock invariants, and
 * the internal calls the library's files make to each other.  Not installed.
 */
#ifndef TOMB_PRIVATE_H
#define TOMB_PRIVATE_H

#include "timer.h"
#include "tomb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct hook;
struct cond_node;
struct worker;

/*
 * The states of a tomb, as bits of `state` (the model uses these names):
 *
 *   ALIVE  (0)                        not killed; workers may run.
 *   DYING  (TOMB_S_DYING)             killed: the reason is set, workers are
 *                                     asked to stop, tomb_go still works.
 *   DEAD   (TOMB_S_DYING|TOMB_S_DEAD) dying and no worker running; final.
 *
 *   ALIVE --kill--> DYING --the last of its workers, callbacks, helpers
 *                           and children ends-------------------> DEAD
 *   ALIVE --kill with none of those left-------------------------> DEAD
 *
 * Both bits are set only under `mu`, and DEAD is set in the same critical
 * section that makes "dying and live == 0 and firing == 0 and helpers == 0
 * and children_live == 0" true, so nobody can observe a tomb in that condition that is not DEAD.
 * No bit is ever cleared.
 *
 * DEAD says every worker function has returned; a waiter returns only once,
 * in addition, every worker thread has been joined (see `zombie`), or, on a
 * pool, has parked (or will park after running callbacks) without touching t
 * again but for the unlock of mu.
 */
#define TOMB_S_DYING 1u
#define TOMB_S_DEAD 2u

/* The few messages the library writes itself. */
#define TOMB_MSG_ALIVE "still alive"
#define TOMB_MSG_RET_EDYING "a worker returned TOMB_EDYING while the tomb was alive"
#define TOMB_MSG_RET_ALIVE "a worker returned TOMB_STILL_ALIVE, which is not a reason"

struct tomb {
	/* ALIVE, DYING or DEAD as above.  Written under mu; read without it
	 * (tomb_dying is one acquire load).  It is also the futex word that
	 * tomb_wait_dying and tomb_sleep block on. */
	_Atomic uint32_t state;

	/* Threads blocked (or about to block) on the `state` futex.  A sleeper
	 * increments it before the futex's own compare of `state` (in the
	 * kernel), and a kill sets DYING before it reads this count (both
	 * sequentially consistent), so either the sleeper sees DYING or the
	 * kill sees the sleeper and wakes it, in tomb__after_kill
	 * (model/tomb.pml checks this).  A condition waiter stays counted
	 * until it has read `state` for the last time, so that tomb_free
	 * (EBUSY while > 0) cannot free t under it. */
	_Atomic uint32_t sleepers;

	/* The reason in force and its message; meaningful once DYING.  Written
	 * under mu, at most twice (a provisional 0, then the first non-zero
	 * reason); read without mu.  `msg` always points to a string that stays
	 * valid until tomb_free: a static one, `defmsg`, one of `owned`, or the
	 * parent's message (a parent outlives its children). */
	_Atomic int reason;
	_Atomic(const char *) msg;

	/* Guards every field below, except those said to be fixed at creation,
	 * atomic, or guarded by the parent's mu. */
	pthread_mutex_t mu;

	/* Broadcast when DEAD is set, when a waiter has finished joining
	 * `zombie`, when a callback that tomb_off waits for has returned, and
	 * when a kill has woken its sleepers (`waking`, for tomb_free).
	 * Uses CLOCK_MONOTONIC for timed waits. */
	pthread_cond_t dead_cv;

	/* How returns kill (enum tomb_lifetime), the limit on running workers
	 * (0: none; under mu), and the name ("" if none).  Fixed at creation,
	 * but for the limit. */
	int lifetime;
	int limit;
	char *name;

	/* The parent tomb (fixed at creation; NULL for a root), and the hook on
	 * the parent that kills this tomb when the parent dies.  Lock order:
	 * a child's mu may be held while its parent's is taken, never the
	 * other way round. */
	tomb_t *parent;
	tomb_hook_t parent_hook;

	/* Under the PARENT's mu: this tomb's place in the parent's list of
	 * children, and how many of the parent's waiters are reaping it (a
	 * child is not freed while pinned). */
	tomb_t *sib_prev, *sib_next;
	uint32_t pinned;

	/* The library's own threads on t (the signal watcher), started like
	 * workers and joined through the same reap chain, but neither counted
	 * nor listed as workers, nor subject to the lifetime or the limit.
	 * DEAD requires helpers == 0; a helper returns once t is dying and
	 * nothing else runs (settle broadcasts dead_cv then). */
	uint32_t helpers;

	/* Children not yet freed (a list through their sib_ links), and how
	 * many are not DEAD.  DEAD requires children_live == 0. */
	tomb_t *children_head;
	uint32_t children_live;

	/* The pool whose threads run t's workers, or NULL: each worker gets a
	 * thread of its own, joined through the reap chain (fixed at creation;
	 * t counts as one of the pool's users until tomb_free). */
	tomb_pool_t *pool;

	/* Thread attributes for workers, when the options set any (fixed at
	 * creation). */
	bool has_attr;
	pthread_attr_t attr;

	/* Workers counted as running: tomb_go counts one before it creates the
	 * thread, and the worker uncounts itself after its function returned.
	 * DEAD requires live == 0.  Written under mu; read without it by
	 * tomb_count. */
	_Atomic size_t live;

	/* The running workers' records, oldest first (tomb_foreach, tomb_dump):
	 * linked by tomb_go with the count, unlinked by the worker with it. */
	struct worker *workers_head, *workers_tail;

	/* tomb_go calls waiting for a slot under the limit, and how many of
	 * them are t's own workers (when all running workers wait, none can
	 * ever return: EDEADLK).  slot_cv is signalled when a worker returns,
	 * broadcast when the limit rises or t starts dying. */
	uint32_t slot_waiters;
	uint32_t slot_waiting_workers;
	pthread_cond_t slot_cv;

	/* Someone has called tomb_wait or tomb_timedwait (errgroup and group
	 * lifetimes die with 0 once this holds and no worker and no child that
	 * is not dead is left; the waiter itself makes that kill). */
	bool waited;

	/* Workers whose function has returned, ever.  tomb_go compares it before
	 * and after a failed pthread_create to learn whether a worker ended while
	 * the failed one was counted (and so was not seen to be the last). */
	uint64_t ended;

	/* The threads of workers that have returned, for a waiter to join.
	 *
	 * The reap chain, while t is alive: a returning worker swaps its own
	 * handle into `zombie` and, after unlocking, joins the worker that was
	 * there before it; so joining the zombie joins every worker that ended
	 * before it, and a long-lived tomb keeps at most one thread unjoined.
	 *
	 * The list, once t is dying: a returning worker puts its record on
	 * `zombies` (linked through its `next`) and exits without joining
	 * anyone, so that the workers a kill ends exit side by side, not each
	 * after its predecessor.  Its length is bounded by the workers that
	 * return while t is dying.
	 *
	 * After DEAD, one waiter (or tomb_free) takes both (tomb__take_zombies),
	 * counts itself in `joining`, joins them without mu, then uncounts
	 * itself and broadcasts dead_cv.
	 *
	 * A claim, before DEAD: an untimed waiter on a tomb without a pool, with
	 * at most CLAIM_MAX workers running, marks those whose thread exists
	 * (tomb_go's pthread_create has returned 0, or the thread has started)
	 * claimed (under mu) and joins them itself, counted in `joining`, so
	 * that it sleeps once, in the join, not first for DEAD and then for
	 * the exit.  A claimed worker
	 * goes on neither the chain nor the list.  A waiter that sees DEAD
	 * returns only once `joining` is 0: every thread is joined by then. */
	pthread_t zombie;
	bool has_zombie;
	struct worker *zombies;
	uint32_t joining;

	/* Threads inside tomb_wait/tomb_timedwait; tomb_free is EBUSY while > 0. */
	uint32_t waiters;

	/* Armed callbacks, oldest first, doubly linked through the hooks; each
	 * is in state HOOK_ARMED.  Emptied by the kill, one hook at a time. */
	struct hook *hooks_head, *hooks_tail;

	/* Threads running t's callbacks right now (the killer, or a registering
	 * thread when t was already dying).  DEAD requires firing == 0. */
	uint32_t firing;

	/* Set by the kill that made t dying, under mu, and cleared by the same
	 * thread in tomb__after_kill: `waking` while it has still to wake the
	 * sleepers on `state` (outside mu; tomb_free waits for it, but DEAD
	 * does not: the killer runs no code of the caller's), `kill_fires`
	 * while it has still to run the armed callbacks (counted in firing). */
	bool waking;
	bool kill_fires;

	/* Threads in tomb_off waiting for a running callback to return. */
	uint32_t off_waiters;

	/* Condition waiters registered for a kill to wake, when the kernel has
	 * no futex_waitv (see cond.c); NULL-terminated, linked through nodes
	 * on the waiters' stacks. */
	struct cond_node *condq;

	/* The eventfds of tomb_dying_fd and tomb_dead_fd, -1 until asked for. */
	int dying_fd, dead_fd;

	/* Messages given to tomb_killf that became the message in force: one for
	 * a provisional 0 reason and one for the final reason.  Freed by
	 * tomb_free, never before, since a reader may hold either. */
	char *owned[2];

	/* The default message of a reason strerror does not know. */
	char defmsg[32];

	/* The tomb's own deadline and its place in the timer's heap, guarded
	 * by the timer's mutex, not by mu (timer.h). */
	struct tomb_timer_entry tmr;
};

/* The tomb whose worker function this thread is running, if any. */
extern _Thread_local const tomb_t *tomb__current;

/* The tomb whose callback this thread is running, if any. */
extern _Thread_local const tomb_t *tomb__firing;

/*
 * Kills t with `reason` and a message: *owned (a malloc'd string the tomb
 * takes, setting *owned to NULL) if owned and *owned are not NULL, else smsg
 * (a string that outlives t) if not NULL, else the reason's default.  Call with t->mu
 * held.  reason must not be TOMB_STILL_ALIVE; TOMB_EDYING must only come
 * while t is dying.  Returns true when this call made t dying and callbacks
 * are armed or threads sleep on `state`: the caller must then call
 * tomb__after_kill(t) once it has released mu (firing was counted).
 */
bool tomb__kill_locked(tomb_t *t, int reason, char **owned, const char *smsg);

/* tomb__kill_locked with the locking and the callbacks around it. */
void tomb__kill(tomb_t *t, int reason, char **owned, const char *smsg);

/* The rest of a kill, without mu, after tomb__kill_locked returned true:
 * wakes the threads asleep on `state` (tomb_sleep, tomb_wait_dying and,
 * through futex_waitv, tomb_cond_wait), then runs t's armed callbacks.  t
 * may be dead and freed when it returns. */
void tomb__after_kill(tomb_t *t);

/* With mu held, for tomb__after_kill: runs the armed callbacks (each
 * without mu), then uncounts this thread from `firing` and settles. */
void tomb__fire_hooks_locked(tomb_t *t);

/* With t->mu held: wakes what a kill wakes but the sleepers on `state`
 * (condition waiters registered on condq, tomb_go calls waiting for a slot,
 * the dying descriptor). */
void tomb__wake_dying_locked(tomb_t *t);

/* With t->mu held: wakes every tomb_go call that waits for a slot (t has
 * just become dying, or the limit changed). */
void tomb__wake_slot_waiters_locked(tomb_t *t);

/* Starts fn(t, arg) as a helper thread of t (see `helpers`): 0, ECANCELED
 * if t is dying, or as tomb_go. */
int tomb__go_helper(tomb_t *t, const char *name, tomb_fn *fn, void *arg);

/* Called by a helper: blocks until t is dying and nothing but helpers runs
 * (no worker, callback or live child), the moment the helper should stop. */
void tomb__helper_wait_last(tomb_t *t);

/* Whether this thread runs a worker or a callback of t or of one of its
 * descendants (so that waiting for t would wait for itself). */
bool tomb__inside(const tomb_t *t);

/* With t->mu held: sets DEAD if t is dying with no live worker, no running
 * callback and no child that is not dead, makes the dead descriptor
 * readable, and tells the parent (taking its mu). */
void tomb__settle_locked(tomb_t *t);

/* With p->mu held: one of p's children is DEAD or freed; wakes p's waiters
 * if that leaves an errgroup or group owner with nothing to wait for. */
void tomb__child_gone_locked(tomb_t *p);

/* Makes an eventfd readable. */
void tomb__fd_signal(int fd);

/* With t->mu held: wakes the condition waiters registered on t (cond.c). */
void tomb__cond_wake_registered_locked(tomb_t *t);

/* Runs w's function on this thread, a pool's (`self`), then does what its
 * return does, as a worker thread would, but for the reap chain; frees w.
 * Names the thread after the worker if it has a name, and then `home` again.
 * Unless the return fires callbacks, the thread offers itself back to its
 * pool (tomb__pool_park) in the same critical section that may make
 * t DEAD, so that a wait that returns finds it parked (or running a worker
 * it took from the pool's queue).  Returns what that gave, or
 * POOL_UNDECIDED. */
struct pool_thread;
int tomb__worker_run(struct worker *w, const char *home,
                     struct pool_thread *self);

#define POOL_UNDECIDED (-1) /* the thread has yet to park or exit */
#define POOL_GO_EXIT 0      /* the thread is to exit */
#define POOL_STAYS 1        /* parked, or given a queued worker */

/* Gives self the oldest worker in its pool's queue if there is one, or
 * puts it on the idle stack, or says it is to exit (the pool is closing,
 * or max_idle are parked).  May be called with a tomb's mu held (lock
 * order: a tomb's mu before a pool's). */
int tomb__pool_park(struct pool_thread *self);

/* Counts a tomb as a user of p (tomb_pool_free is EBUSY while any is), and
 * uncounts it.  tomb__pool_use is EINVAL if p is being freed. */
int tomb__pool_use(tomb_pool_t *p);
void tomb__pool_unuse(tomb_pool_t *p);

/* Hands w to a parked thread of p, or queues it for one, or makes a new
 * thread for it: 0, or pthread_create's error (EAGAIN) or ENOMEM, and then
 * w was not touched. */
int tomb__pool_start(tomb_pool_t *p, struct worker *w);

/* The link of w in its pool's queue (pool.c), under the pool's mu. */
struct worker **tomb__worker_queue_link(struct worker *w);

/* The threads a waiter takes from t to join (see `zombie`). */
struct zombies {
	pthread_t chain;
	bool has_chain;
	struct worker *list;
};

/* With t->mu held: marks up to max of t's running workers (none if more
 * than max run, or t has a pool) as claimed by the caller, who must join
 * them, and puts their threads in out; it skips those whose thread may not
 * exist yet (see `created` in go.c).  How many it claimed. */
size_t tomb__claim_locked(tomb_t *t, pthread_t *out, size_t max);

/* With t->mu held: whether t has threads to join, and takes them all. */
bool tomb__has_zombies_locked(const tomb_t *t);
void tomb__take_zombies_locked(tomb_t *t, struct zombies *z);

/* Without any lock: joins the threads taken, and frees their records. */
void tomb__join_zombies(struct zombies *z);

/* Locks and unlocks mu; a failure there can only be a bug, so it aborts. */
void tomb__lock(tomb_t *t);
void tomb__unlock(tomb_t *t);

/* 0 if abstime is NULL or a valid timespec, else EINVAL. */
int tomb__check_deadline(const struct timespec *abstime);

/* CLOCK_MONOTONIC now, in nanoseconds; and the end of a spin of ns from
 * now, or abstime (valid, or NULL: none) if that comes first. */
int64_t tomb__now_ns(void);
int64_t tomb__spin_end_ns(int64_t ns, const struct timespec *abstime);

#endif
