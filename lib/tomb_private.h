/* SPDX-License-Identifier: MIT */
/*
 * tomb_private.h: the tomb's fields, its states and its lock invariants, and
 * the internal calls the library's files make to each other, floor by floor
 * (doc/architecture.md: a file calls only files on its own floor or below,
 * and test/layers.sh checks it).  Not installed.
 */
#ifndef TOMB_PRIVATE_H
#define TOMB_PRIVATE_H

#include "timer.h"
#include "tomb.h"

#include "join.h"
#include "list.h"
#include "lock.h"
#include "sys.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>


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
 * With the errgroup and group lifetimes DEAD waits, in addition, for the
 * owner's wait or the parent's death (tomb__may_be_dead_locked): the step
 * to DEAD is then taken by the wait, or by the parent's kill of t.
 *
 * Both bits are set only under `mu`, and DEAD is set in the same critical
 * section that makes "dying and live == 0 and firing == 0 and helpers == 0
 * and children_live == 0" true, so nobody can observe a tomb in that
 * condition that is not DEAD.
 * No bit is ever cleared.
 *
 * DEAD says every worker function has returned; a waiter returns only once,
 * in addition, every worker thread has been joined (see `chain`), or, on a
 * pool, has parked (or will park after running callbacks) without touching t
 * again but for the unlock of mu.
 */
#define TOMB_S_DYING 1u
#define TOMB_S_DEAD 2u

/* The few messages the library writes itself. */
#define TOMB_MSG_ALIVE "still alive"
#define TOMB_MSG_RET_EDYING "a worker returned TOMB_EDYING while the tomb was alive"
#define TOMB_MSG_RET_ALIVE "a worker returned TOMB_STILL_ALIVE, which is not a reason"
#define TOMB_MSG_EXITED "a worker left by pthread_exit or cancellation"

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
	 * (EBUSY while > 0) cannot free t under it.  tomb_poll and the calls
	 * built on it (poll.c, io.c, socket.c) count themselves here too while
	 * they poll t's dying descriptor, for the same EBUSY; they sleep in
	 * poll, not on the futex, so a kill's FUTEX_WAKE finds nobody for
	 * them (their wake is the descriptor's, which the kill's tail writes
	 * without mu: waking_fd). */
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

	/*
	 * Uses CLOCK_MONOTONIC for timed waits.  Every wait on it, and what
	 * broadcasts it for that wait (each broadcast is under mu, after the
	 * change):
	 *
	 *   wait                          broadcast when
	 *   tomb_timedwait (wait.c)       DEAD is set (state.c settle); an
	 *                                 errgroup or group tomb's last child
	 *                                 is gone (state.c child_gone);
	 *                                 `joining` drops (join.c)
	 *   tomb__join_dead_locked        `joining` drops (join.c)
	 *   tomb__helper_wait_last (go.c) DEAD would be set but for helpers
	 *                                 (state.c settle)
	 *   tomb_free (tomb.c)            `waking` is cleared (kill.c)
	 *   disown, for a child (tomb.c)  the child's `pinned` drops (join.c)
	 *   tomb_off (hook.c)             a callback returned while
	 *                                 off_waiters > 0 (hook.c)
	 */
	pthread_cond_t dead_cv;

	/* The process generation t was made in (tomb__fork_generation): a
	 * tomb made before a fork(), used in the child, is refused with
	 * EOWNERDEAD (tomb__inherited).  Fixed at creation. */
	unsigned generation;

	/* How returns kill (enum tomb_lifetime), the limit on running workers
	 * (0: none; under mu), and the name ("" if none).  Fixed at creation,
	 * but for the limit. */
	int lifetime;
	int limit;
	char *name;

	/* Trees (tomb.c).  The parent tomb (fixed at creation; NULL for a
	 * root), and the hook on the parent that kills this tomb when the
	 * parent dies.  Lock order: a tomb's mu may be held while an
	 * ancestor's is taken, never the other way round (a settle holds at
	 * most three on one path up: state.c). */
	tomb_t *parent;
	tomb_hook_t parent_hook;

	/* Under the PARENT's mu: this tomb's place in the parent's `children`,
	 * and how many of the parent's waiters are reaping it (a child is not
	 * freed while pinned). */
	struct tomb_list sibling;
	uint32_t pinned;

	/* Children not yet freed (through their `sibling`), and how many are
	 * not DEAD.  DEAD requires children_live == 0. */
	struct tomb_list children;
	uint32_t children_live;

	/* The library's own threads on t (the signal watcher), started like
	 * workers and joined through the same reap chain, but neither counted
	 * nor listed as workers, nor subject to the lifetime or the limit.
	 * DEAD requires helpers == 0; a helper returns once t is dying and
	 * nothing else runs (settle broadcasts dead_cv then). */
	uint32_t helpers;

	/* The pool whose threads run t's workers, or NULL: each worker gets a
	 * thread of its own, joined through the reap chain (fixed at creation;
	 * t counts as one of the pool's users until tomb_free). */
	tomb_pool_t *pool;

	/* Thread attributes for workers, when the options set any (fixed at
	 * creation). */
	bool has_attr;
	pthread_attr_t attr;

	/* Workers counted as running (go.c): tomb_go counts one before it
	 * creates the thread, and the worker uncounts itself after its
	 * function returned.  DEAD requires live == 0.  Written under mu, with
	 * relaxed atomics (tomb__live_add_locked); read without it by
	 * tomb_count, with mu by everything else (tomb__live_locked). */
	_Atomic size_t live;

	/* The running workers' records, oldest first (tomb_foreach, tomb_dump):
	 * linked by tomb_go with the count, unlinked by the worker with it. */
	struct tomb_list workers;

	/* Records of workers that ran on the pool's threads and ended while t
	 * was alive, kept for tomb_go to reuse (go.c), at most
	 * TOMB_SPARES_MAX, the last kept first, each linked to the next through
	 * its th.node.next alone; and how many.  Under mu: a record ends under
	 * mu and is taken under mu, so it never goes through malloc's locks
	 * between the thread that ends it and the one that starts the next.
	 * Freed by tomb_free.  nspares is written under mu (relaxed) and read
	 * without it by tomb_go, as a hint: whether to look before it
	 * allocates. */
	struct tomb_list *spares;
	_Atomic uint32_t nspares;

	/* tomb_go calls waiting for a slot under the limit, and how many of
	 * them are t's own workers (when all running workers wait, none can
	 * ever return: EDEADLK).  slot_cv is signalled when a worker returns,
	 * broadcast when the limit rises or t starts dying.  tomb_free is
	 * EBUSY while slot_waiters > 0: a waiter touches t until it has
	 * taken mu again and left. */
	uint32_t slot_waiters;
	uint32_t slot_waiting_workers;
	pthread_cond_t slot_cv;

	/* Someone has called tomb_wait or tomb_timedwait (for the lifetime
	 * rule, tomb__idle_dies_locked, and for tomb__may_be_dead_locked). */
	bool waited;

	/* Workers whose function has returned, ever.  tomb_go compares it before
	 * and after a failed pthread_create to learn whether a worker ended while
	 * the failed one was counted (and so was not seen to be the last). */
	uint64_t ended;

	/*
	 * The threads of workers that have returned, for a waiter to join
	 * (join.h has the three ways):
	 *
	 * The reap chain (`chain`), while t is alive: a worker with a thread
	 * of its own that returns while t is alive goes through it.
	 *
	 * The list (`zombies`, through each record's tomb_thread), once t is
	 * dying: a worker that returns then goes there.  Its length is
	 * bounded by the workers that return while t is dying.
	 *
	 * After DEAD, one waiter (or tomb_free) takes both, counts itself in
	 * `joining`, joins them without mu, then uncounts itself and
	 * broadcasts dead_cv (tomb__join_dead_locked).
	 *
	 * A claim, before DEAD: an untimed waiter on a tomb without a pool, with
	 * at most CLAIM_MAX workers running, marks those whose thread exists
	 * (tomb_go's pthread_create has returned 0, or the thread has started)
	 * claimed (under mu) and joins them itself, counted in `joining`, so
	 * that it sleeps once, in the join, not first for DEAD and then for
	 * the exit.  A claimed worker goes on neither the chain nor the list.
	 * A waiter that sees DEAD returns only once `joining` is 0: every
	 * thread is joined by then.
	 */
	struct tomb_chain chain;
	struct tomb_list zombies;
	uint32_t joining;

	/* Threads inside tomb_wait/tomb_timedwait; tomb_free is EBUSY while > 0. */
	uint32_t waiters;

	/* Armed callbacks, oldest first (hook.c); each is in state HOOK_ARMED.
	 * Emptied by the kill, one hook at a time. */
	struct tomb_list hooks;

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

	/* The dying descriptor owes its signal (kill.c, and state.c's
	 * tomb__signal_dying_owed, which writes it): set, under mu, by the
	 * kill that made t dying with `waking` and dying_ev open, which leaves
	 * the write to its tail, so that the pollers it wakes do not queue on
	 * mu behind it.  Cleared only after a completed write, by whichever of
	 * these finds it set: that tail (outside mu, before its FUTEX_WAKE), a
	 * later kill (under mu) or the step to DEAD (state.c, under mu, before
	 * DEAD is set).  So when it is clear and t is dying, dying_ev is
	 * readable: when any kill returns, and once t is DEAD.  Two of them may
	 * both write; a second write is harmless.  dying_ev stays open while it
	 * is set: tomb_free waits for `waking`, which the tail clears after. */
	atomic_bool waking_fd;

	/* The next tomb in the queue of kill.c's tomb__kill_child, touched
	 * only by the thread that made t dying, between its kill and the run
	 * of t's callbacks (`firing` is counted meanwhile). */
	tomb_t *fire_next;

	/* Threads in tomb_off waiting for a running callback to return. */
	uint32_t off_waiters;

	/* Condition waiters registered for a kill to wake, when the kernel has
	 * no futex_waitv (cond.c), through nodes on the waiters' stacks. */
	struct tomb_list condq;

	/* The events (sys.h) whose descriptors tomb_dying_fd and tomb_dead_fd
	 * return, TOMB__EVENT_NONE until asked for.  Opened and signalled
	 * under mu, but for the dying one's owed signal (waking_fd), which the
	 * kill's tail writes without mu; closed by tomb_free. */
	struct tomb__event dying_ev, dead_ev;

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

/* The running workers' count, with mu held (or, from tomb_count, as a
 * snapshot without it). */
static inline size_t tomb__live_locked(const tomb_t *t)
{
	return atomic_load_explicit(&t->live, memory_order_relaxed);
}

/* Adds d (+1 or -1) to the count, with mu held. */
static inline void tomb__live_add_locked(tomb_t *t, int d)
{
	atomic_store_explicit(&t->live, tomb__live_locked(t) + (size_t)(ptrdiff_t)d,
	                      memory_order_relaxed);
}

/*
 * Floor 1, state.c: the lock, the state word and the step that makes a
 * tomb DEAD.
 */

/* The tomb whose worker function this thread is running, if any (go.c). */
extern _Thread_local const tomb_t *tomb__current;

/* With t->mu held, t on a pool made with TOMB_POOL_WAITER_RUNS, the caller
 * counted in t->waiters: runs on this thread a worker of t that the pool
 * has queued and no thread has started, and true; false if there was none
 * (or the pool has not the flag, or this thread runs a callback or already
 * runs a worker this way).  Unlocks t->mu meanwhile.  If the worker
 * leaves by pthread_exit, the caller's thread exits with it, uncounted
 * from t->waiters (go.c). */
bool tomb__help_locked(tomb_t *t);

/* The tomb whose callback this thread is running, if any (hook.c). */
extern _Thread_local const tomb_t *tomb__firing;

/* The generation of this process: bumped in the child of each fork(),
 * once a tomb or pool has been made (pthread_atfork, registered by the
 * first call): 0, or ENOMEM if the handler could not be registered. */
int tomb__fork_watch(void);
unsigned tomb__fork_generation(void);

/* Whether t was made in another process (this one is a child forked from
 * it, without exec): then every call that would lock t, wait on it or
 * start a thread for it answers EOWNERDEAD instead (its lock may have been
 * held at the fork, and its threads are the parent's). */
bool tomb__inherited(const tomb_t *t);

/* Locks and unlocks mu (lock.h: a failure can only be a bug, so it
 * aborts). */
void tomb__lock(tomb_t *t);
void tomb__unlock(tomb_t *t);

/* Whether this thread runs a worker or a callback of t or of one of its
 * descendants (so that waiting for t would wait for itself). */
bool tomb__inside(const tomb_t *t);

/* The lifetime rule, the one place it is written.  With mu held, t alive,
 * and nothing of t's running any more (no worker, no child that is not
 * dead): whether t is now to die with reason 0.  tomb.v2's lifetime: when
 * a worker's return brought it there (`returned`); errgroup's and group's:
 * once its owner waits. */
bool tomb__idle_dies_locked(const tomb_t *t, bool returned);

/* With mu held: whether nothing of t's runs (no worker, no child that is
 * not dead), the condition of tomb__idle_dies_locked. */
bool tomb__idle_locked(const tomb_t *t);

/* With mu held, t dying and nothing of it running: whether t may be DEAD
 * yet.  With tomb.v2's lifetime, at once.  With errgroup's and group's,
 * only once its owner waits (`waited`), so that a tomb_go after an error,
 * or after another worker returned, is accepted as Go's Go accepts it, and
 * the wait still returns the first reason; or once its parent is dying (the
 * tree shuts down, and a parent's waiter must not wait for an owner that
 * may never wait).  The wait, and the parent's kill of its child, settle
 * t (wait.c, kill.c). */
bool tomb__may_be_dead_locked(const tomb_t *t);

/* With t->mu held: sets DEAD if t is dying with no live worker, no running
 * callback, no helper and no child that is not dead, and it may be dead
 * yet (tomb__may_be_dead_locked); makes the dead descriptor readable, and
 * tells the parent, and so on up the tree while each ancestor becomes DEAD
 * in turn (in a loop, hand over hand: at most two ancestors' locks held at
 * once, besides t's).  Broadcasts dead_cv (see there). */
void tomb__settle_locked(tomb_t *t);

/* state.c: writes the dying descriptor's signal if a kill left it owed
 * (waking_fd), and clears that once written; with mu held or, by the
 * kill's tail, not. */
void tomb__signal_dying_owed(tomb_t *t);

/* With p->mu held: one of p's children is DEAD or freed (uncounts it from
 * children_live, wakes p's waiter if the lifetime rule now applies to p,
 * and settles p). */
void tomb__child_gone_locked(tomb_t *p);

/*
 * Floor 2: what blocks on a tomb and what wakes it.
 */

/* join.c, with t->mu held and t DEAD: joins the threads t's workers left,
 * and with them every thread t ever started (or waits while another waiter
 * does).  Releases mu meanwhile. */
void tomb__join_dead_locked(tomb_t *t);

/* join.c, with t->mu held and t DEAD (so every descendant is DEAD too):
 * tomb__join_dead_locked on t and on each descendant, depth first, in a
 * loop (one lock held at a time, the stack the same at any depth). */
void tomb__join_tree_locked(tomb_t *t);

/* join.c, with t->mu held: joins the n claimed threads th (go.c's
 * tomb__claim_locked), counted in `joining`, releasing mu meanwhile. */
void tomb__join_claimed_locked(tomb_t *t, const pthread_t *th, size_t n);

/* join.c, with t->mu held: takes t's finished threads into b, for
 * tomb__reap_join without mu (tomb_free). */
void tomb__reap_take_tomb_locked(tomb_t *t, struct tomb_reap_batch *b);

/* hook.c, with mu held, for tomb__after_kill: runs the armed callbacks (each
 * without mu), then uncounts this thread from `firing` and settles. */
void tomb__fire_hooks_locked(tomb_t *t);

/* cond.c, with t->mu held: wakes the condition waiters registered on t. */
void tomb__cond_wake_registered_locked(tomb_t *t);

/* deadline.c: 0 if abstime is NULL or a valid timespec, else EINVAL. */
int tomb__check_deadline(const struct timespec *abstime);

/* deadline.c: CLOCK_MONOTONIC now, in nanoseconds; and the end of a spin of
 * ns from now, or abstime (valid, or NULL: none) if that comes first. */
int64_t tomb__now_ns(void);
int64_t tomb__spin_end_ns(int64_t ns, const struct timespec *abstime);

/*
 * Floor 3, kill.c: kills and what a kill wakes.  (pool.c, on the same
 * floor, has its own header: pool.h.)
 */

/*
 * Kills t with `reason` and a message: *owned (a malloc'd string the tomb
 * takes, setting *owned to NULL) if owned and *owned are not NULL, else smsg
 * (a string that outlives t) if not NULL, else the reason's default.  Call with t->mu
 * held.  reason must not be TOMB_STILL_ALIVE; TOMB_EDYING must only come
 * while t is dying.  Returns true when this call made t dying and callbacks
 * are armed or threads sleep on `state`: the caller must then call
 * tomb__after_kill(t) once it has released mu (firing was counted), which
 * also writes the dying descriptor if this call left it owed (waking_fd).
 */
bool tomb__kill_locked(tomb_t *t, int reason, char **owned, const char *smsg);

/* tomb__kill_locked with the locking and tomb__after_kill around it. */
void tomb__kill(tomb_t *t, int reason, char **owned, const char *smsg);

/* tomb__kill for a child c that its parent's death kills (called from the
 * parent's callback): the same, but c's own callbacks, which kill c's
 * children in turn, run from a queue of this thread's, not nested in this
 * call, so that a kill's stack does not grow with the depth of the tree.
 * They have all run when the outermost such call returns. */
void tomb__kill_child(tomb_t *c, int reason, const char *smsg);

/* The rest of a kill, without mu, after tomb__kill_locked returned true:
 * writes the dying descriptor if it is owed (waking_fd; its pollers wake),
 * wakes the threads asleep on `state` (tomb_sleep, tomb_wait_dying and,
 * through futex_waitv, tomb_cond_wait), then runs t's armed callbacks.  t
 * may be dead and freed when it returns. */
void tomb__after_kill(tomb_t *t);

/*
 * Floor 4, go.c: workers.
 */

/* Starts fn(t, arg) as a helper thread of t (see `helpers`): 0, ECANCELED
 * if t is dying, or as tomb_go. */
int tomb__go_helper(tomb_t *t, const char *name, tomb_fn *fn, void *arg);

/* Called by a helper: blocks until t is dying and nothing but helpers runs
 * (no worker, callback or live child), the moment the helper should stop. */
void tomb__helper_wait_last(tomb_t *t);

/* With t->mu held: marks up to max of t's running workers (none if more
 * than max run, or t has a pool) as claimed by the caller, who must join
 * them (tomb__join_claimed_locked), and puts their threads in out; it skips
 * those whose thread may not exist yet (see `created` in go.c).  How many
 * it claimed. */
size_t tomb__claim_locked(tomb_t *t, pthread_t *out, size_t max);

/* Frees t's spare worker records (tomb_free, once nobody else uses t). */
void tomb__free_spares(tomb_t *t);

#endif
