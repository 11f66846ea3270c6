/* SPDX-License-Identifier: MIT */
/*
 * tomb.pml: a Promela model of the tomb's core state machine, for spin.
 *
 * What it is for: proving, by exhaustive search over every interleaving of
 * four threads, that the hand-shakes in lib/ lose no wake-up and keep the
 * invariants of lib/tomb_private.h.  test/spin.sh runs it (spin -a, cc,
 * ./pan) and checks that the mutants below fail.
 *
 * THE THREADS
 *   MAIN    tomb_go(W1), tomb_go(W2) (either may fail in pthread_create;
 *           once it has returned 0, go publishes `created` in a step of
 *           its own, which may come before the thread starts, after it,
 *           or after the thread has returned and unlinked itself),
 *           tomb_wait (which may claim) or tomb_timedwait, waits for
 *           KILLER's hand-off, tomb_free; if that is EBUSY, tomb_wait and
 *           tomb_free again, which must succeed.
 *   W1      a worker that waits on a tomb_cond_t for a predicate (untimed or
 *           timed): futex_waitv on the cond's seq and t->state, or, when
 *           futex_waitv is missing, the node on t->condq.  It returns 0, 1
 *           or TOMB_EDYING (the last only once dying).
 *   W2      a worker in tomb_sleep (untimed or timed), then returns 0, 2 or
 *           TOMB_EDYING (the last only once dying).
 *   KILLER  perhaps sets W1's predicate, signals and waits for W1 to leave
 *           its wait (a hand-off on a ghost flag), then tomb_kill(t, 0) or
 *           tomb_kill(t, 3), perhaps tomb_kill(t, 3) after a 0, and perhaps
 *           tomb_wait as a second waiter (the `joining` path: it may claim
 *           workers, or wait for MAIN's claim or join).  Its hand-off
 *           to MAIN (ghost k_done) comes after that wait, or, without it,
 *           with the unlock of its last kill: the earliest point at which
 *           MAIN could know from t that the kill took effect.  So MAIN may
 *           free t while KILLER is still in tomb__after_kill.
 *   monitor a process that only asserts the invariants, in every state.
 * The initial state chooses the lifetime (TOMB, ERRGROUP, GROUP), the limit
 * (0 or 1) and whether futex_waitv exists; spin explores every choice.
 *
 * THE WAKE AND JOIN PROTOCOL (state.c, kill.c, go.c, join.c, wait.c, tomb.c)
 *   - The kill that makes t dying (tomb__kill_locked, under mu) sets DYING,
 *     then reads `sleepers`; if it is > 0 it sets `waking`.  It does not
 *     wake the sleepers on `state` under mu: after its unlock, the killing
 *     thread (tomb__after_kill) makes the FUTEX_WAKE, then locks mu, clears
 *     `waking`, broadcasts dead_cv and unlocks.  DEAD does not wait for
 *     that; tomb_free does: under mu it waits on dead_cv while `waking`,
 *     before its EBUSY checks, so the killer's wake never touches a freed t.
 *     The dying descriptor (tomb_dying_fd) is signalled under mu by a kill
 *     without sleepers; a kill that set `waking` leaves the write owed
 *     (waking_fd, here fd_owed) to its tail, which makes it before its
 *     FUTEX_WAKE, outside mu, as its n pollers wake.  A later kill and the
 *     step to DEAD write it too if it is still owed, under mu, so that
 *     it is readable (ghost fd_sig) whenever a kill returns and once DEAD.
 *   - A worker returning while t is alive (looked at under mu after its end
 *     bookkeeping, which may kill) takes the reap chain: it swaps itself
 *     into `zombie` and, after its unlock, joins its predecessor.  A worker
 *     returning while t is dying puts itself on the zombie list (`zombies`)
 *     and exits without joining anyone.
 *   - A claim, before DEAD (join_claimed_locked, tomb__claim_locked): an
 *     untimed waiter, under mu, marks as `claimed` each worker on t's list
 *     that nobody claimed yet and whose thread is known to exist: either
 *     tomb_go's pthread_create has returned 0 and go has then published
 *     it (w->made, then a release store of w->created: the claimer joins
 *     w->made), or the thread has started (w->self, then a release store
 *     of its tid: the claimer joins w->self), whichever comes first.  A
 *     worker whose pthread_create has not returned yet is not claimable
 *     (it may still fail: then its thread never existed, and go unlinks
 *     and frees it).  The claimer counts itself in `joining` (a counter),
 *     unlocks, joins them, then locks, uncounts itself, broadcasts dead_cv
 *     and looks again.  A claimed worker, at its return, goes on neither
 *     the chain nor the list: it drops its reference to its record and
 *     exits.  The code claims whenever it can with at most CLAIM_MAX (16)
 *     workers running and no pool; the model, with two workers and no
 *     pool, lets an untimed waiter that can claim either claim or wait on
 *     dead_cv (as with more workers or a pool).  A timed waiter never
 *     claims.
 *   - After DEAD, one waiter takes the chain's head and the whole list
 *     (tomb__reap_take_locked, join.c), counts itself in `joining`, joins them
 *     without mu (tomb__join_zombies, which drops the reference to each
 *     record on the list), then uncounts itself and broadcasts dead_cv; or
 *     tomb_free, once nobody waits, takes and joins what is left.  A
 *     waiter that sees DEAD returns only once there is nothing left to
 *     take and `joining` is 0 (tomb__join_dead_locked): a claimer or another
 *     waiter may still be joining threads.
 *   - The record (struct worker) of a worker with a thread of its own has
 *     two references (w->refs): go's, dropped once it has published
 *     `created` (go touches w after pthread_create returned, when the
 *     thread may have run and ended already), and the thread's, dropped
 *     by the thread after its unlock if it is claimed or on the chain, or
 *     by whoever joins it off the list.  The last drop frees it.  go frees
 *     the record of a failed pthread_create at once, after its unlink.
 *   - If the return killed t, the worker runs tomb__after_kill after its
 *     unlock, before it exits.
 *
 * THE MAPPING TO lib/
 *   state, sleepers, reason, live, waited, waiters, slot_waiters, zombie,
 *   has_zombie, zombies, joining, waking, condq
 *                               the fields of struct tomb (tomb_private.h);
 *                               state takes the values ALIVE, DYING, DEAD;
 *                               `zombies` holds the list's workers as bits.
 *   linked, known, claimed      t's list of running workers (workers_head),
 *                               as bits; those of them a claim may take
 *                               (w->created or w->tid set); each worker's
 *                               `claimed` flag (go.c).
 *   refs                        each worker's w->refs; 0 before go's malloc
 *                               and once freed.
 *   mu                          t->mu (a bit, taken by `!mu -> mu = 1`).
 *   dead_cv, slot_cv            pthread_cond_t: the set of threads blocked in
 *                               it, as bits.  pthread_cond_wait joins the set
 *                               and releases mu in one step; a broadcast
 *                               empties the set; the woken thread retakes
 *                               mu.  A timed wait may give up at any moment,
 *                               even once woken.  Untimed waits have no
 *                               spurious wake-ups (they would hide lost ones).
 *   fq_state, fq_seq            the kernel's futex queues of t->state and of
 *                               the cond's seq.  FUTEX_WAIT compares the word
 *                               and queues in one step (EAGAIN if it
 *                               changed); FUTEX_WAKE dequeues only threads
 *                               already queued; futex_waitv compares both
 *                               words and queues on both, and a wake on
 *                               either dequeues it from both.
 *   seq, cwaiters, m, pred      W1's tomb_cond_t (cond.c), mutex, predicate.
 *   kill_first + kill_rest      tomb__kill_locked, tomb__wake_dying_locked,
 *                               tomb__settle_locked (state.c).
 *   after_kill                  tomb__after_kill (kill.c), without kill_fires.
 *   kill                        tomb__kill, as tomb_kill calls it.
 *   go, take_slot               go and take_slot_locked (go.c).
 *   drop_ref                    free_worker (go.c).
 *   worker_return, worker_file  worker_main after the function returned,
 *                               worker_ended_locked, worker_returned_locked
 *                               (go.c).
 *   take_zombies, join_zombies  tomb__reap_take_locked, tomb__reap_join (join.c)
 *                               ; HAS_ZOMBIES what tomb__reap_take_locked returns.
 *   thread_start                worker_main's start and run_fn's store of
 *                               the tid (go.c).
 *   timedwait, join_zombie      tomb_timedwait, tomb__join_dead_locked (join.c).
 *   wait_decide's claim, W_CLAIM
 *                               join_claimed_locked (wait.c), tomb__join_claimed_locked (join.c),
 *                               tomb__claim_locked (go.c).
 *   Worker2's body              tomb_wait_dying, as tomb_sleep calls it.
 *   Worker1's body, KILLER's signal
 *                               tomb_cond_wait, wait_registered, cond_wake.
 *   free_tomb, free_decide      tomb_free (tomb.c).
 *
 * THE STEPS.  Each access to memory that another thread reads or writes
 * without t->mu (state, sleepers, seq, c's waiters, the futex queues, m) is
 * its own step, but for the merges below, which are sound by the usual
 * reduction argument (taking a lock commutes with the other threads' steps
 * to the right, releasing it to the left, and fields guarded by mu commute
 * both ways, so a critical section needs only one step per lock-free-visible
 * access in it):
 *   - taking mu, what is done under it, and the first lock-free-visible
 *     access are one step; that access, what follows under mu and the
 *     release are another;
 *   - a kill is two steps under mu: the reason and DYING, then the wakes
 *     of condq and the slot waiters, the load of `sleepers` (`waking`), the
 *     settle and the unlock (once state is dying nobody can block on state,
 *     or on a registered seq, with a value a wake would miss); MUTANT 1
 *     splits it into three.  Its tail (tomb__after_kill) is two more: the
 *     load of `sleepers` with the FUTEX_WAKE on state (for the same reason,
 *     and because a thread queued on state is counted), then mu with the
 *     clearing of `waking` and the broadcast;
 *   - the joins of tomb__join_zombies, and those of a claim, are one step,
 *     taken once every thread taken has exited (a join only waits for an
 *     exit, and the joiner does nothing else meanwhile);
 *   - a worker's thread starting and storing its tid are one step (before
 *     the tid, it writes only w->self, which a claimer reads after it);
 *   - go's store of w->made, its release store of `created`, its drop of
 *     its reference and its return are one step (after pthread_create
 *     returned 0, go touches nothing else; a claimer reads w->made after
 *     `created`), separate from pthread_create's success (the thread
 *     exists and may start): the thread may start, return and drop its
 *     reference in between.  A worker's drop after its unlock, and the
 *     drops of tomb__join_zombies, are in the step before them (the
 *     unlock, the joins): the only other access to refs, go's, touches
 *     neither t nor mu;
 *   - tomb_cond_wait counts itself in c's waiters and t's sleepers in one
 *     step (no thread reads both), and reads seq and the state and unlocks
 *     m in one step (while W1 holds m neither a signal nor a kill can change
 *     seq: KILLER sets the predicate under m, and condq is empty);
 *   - a signal's load of c's waiters and its wake are one step (nobody can
 *     queue on seq with the value it has after the bump).
 * tomb_wait_dying's count, its load of the state and the futex's compare stay
 * three steps: they are the hand-shake under test.
 *
 * WHAT IT LEAVES OUT: parents and children (children_live, pinned),
 * callbacks (hooks, firing, kill_fires, tomb_off), helpers (the signal
 * watcher), pools (go.c run_job, whose threads nobody joins: there only
 * `waking` and `firing` keep t alive for the tail of a kill; and their
 * waiters' spin before they sleep; the records of helpers and of pool
 * workers have one reference, and go does not touch them after a
 * successful start), which pthread_t a claimer joins (w->made or
 * w->self: the same thread), more than CLAIM_MAX workers (both
 * stand behind an untimed waiter's choice not to claim), the
 * descriptors of tomb_dying_fd/tomb_dead_fd, messages (msg, owned),
 * tomb_trygo and the EDEADLK check (MAIN is no worker), sleepers that are
 * no workers, EINTR and spurious futex returns, the order of the joins of
 * the list (one step here), the reuse of a freed record's storage (a
 * freed record is refs 0, and any access to it an assertion's failure),
 * and weak memory: spin interleaves sequentially consistent steps, which
 * is what the code's seq_cst atomics and mu give the hand-shakes modelled
 * here, and what its release/acquire pairs (tid and w->self, `created`
 * and w->made, the acq_rel drops of refs) give the reads that follow
 * them.
 *
 * THE PROPERTIES (all checked by an exhaustive search, no bitstate):
 *   - no invalid end state: no deadlock and no lost wake-up (a thread
 *     blocked forever on a futex, a pthread_cond_t, mu or a join; tomb_free
 *     waiting for a `waking` that nobody clears);
 *   - state is only ever ALIVE, DYING or DEAD (dead implies dying);
 *     `waking` and the zombie list only while dying; only waiters count
 *     in `joining` (so tomb_free is EBUSY while one joins threads);
 *   - an errgroup or group tomb is not DEAD before its owner waits (so
 *     MAIN's tomb_go calls are never refused with ESRCH then), and its
 *     wait makes it DEAD once nothing runs;
 *   - DEAD only once every worker function has returned, and no worker
 *     starts after DEAD;
 *   - once dying, the reason is the first non-zero reason any kill gave
 *     (ghost `first`), or 0 if none did;
 *   - tomb_wait returns only when every worker thread has been joined
 *     (ghost `joined`, directly, through the chain or by a claimer, each
 *     exactly once), and with the reason in force;
 *   - tomb_free succeeds only when no worker runs, nobody waits or sleeps
 *     on t, and it has joined every worker thread (those still in their
 *     tail among them) before t is gone; it is EBUSY only while a worker
 *     may touch t; nobody touches t after it: not a worker (ghost `users`,
 *     counted until its last access, which may be its
 *     tomb__after_kill), not KILLER in its tomb__after_kill, not a waiter;
 *   - a claim takes only workers whose pthread_create succeeded (ghost
 *     `started`), never one whose pthread_create has not returned, or
 *     failed (go's undo finds it neither claimed nor claimable);
 *   - no worker record is touched once freed (by go's publish and drop,
 *     the thread's start and return, a joiner's drop), none on t's list
 *     is freed, and none is left when tomb_free succeeds.
 *
 * MUTANTS (spin -DMUTANT=n): each breaks one hand-shake, and spin must find
 * the failure (test/spin.sh checks that it does).
 *   1  the kill reads `sleepers` before it sets DYING: a sleeper that
 *      counts itself and blocks in between is never woken (no `waking`,
 *      so no FUTEX_WAKE: a lost wake-up).
 *   2  tomb_cond_wait does not count itself in `sleepers`: a kill while
 *      no tomb_sleep runs sets no `waking` and makes no FUTEX_WAKE on state
 *      (lost wake-up).
 *   3  wait_registered does not look at the state under mu before it
 *      registers: a kill between the waiter's look at the state and its
 *      registration bumps no seq (lost wake-up).
 *   4  a kill while dying replaces any reason, not only a provisional 0
 *      (the first non-zero reason does not win).
 *   5  a kill does not settle: ALIVE --kill with no worker left--> DEAD
 *      never happens, and the waiter blocks forever.
 *   7  tomb_free does not wait for `waking`: once KILLER's wake has let
 *      the sleeper return and t is DEAD, MAIN frees t while KILLER, in
 *      tomb__after_kill, has still to lock mu (assertion !freed).
 *   8  the waiter joins the reap chain alone, as before the zombie list:
 *      tomb_wait returns before a worker that returned while dying is
 *      joined (assertion ALL_JOINED).
 *   9  a claimer does not count itself in `joining`: a second waiter that
 *      sees DEAD returns while a claimed thread is still to be joined
 *      (assertion ALL_JOINED).
 *  10  a worker is claimable once linked, before its pthread_create has
 *      returned: KILLER, as a second waiter, claims W1 while MAIN is still
 *      to create it (assertion THREADS_MADE; without it, go's undo of a
 *      failed pthread_create finds W1 claimed, and without that, the
 *      claimer waits for ever to join a thread that never existed).
 *  11  go keeps no reference to the record (refs starts at 1, as before go
 *      published `created`): the thread returns and frees its record
 *      before go writes w->made and `created` to it (assertion
 *      refs[w] > 0: a write to a freed record).
 *  13  an errgroup or group tomb is DEAD as soon as it is dying with
 *      nothing running, before its owner waits (as before issue 16): W1's
 *      error, or its return under the group lifetime, makes t DEAD before
 *      MAIN's second tomb_go, which fails with ESRCH where Go's Go runs
 *      the function (assertion in take_slot).
 *  14  the wait does not settle t when it sets `waited`: an errgroup or
 *      group tomb that was dying with nothing running when its owner began
 *      to wait is never DEAD, and the wait blocks forever.
 *  15  a kill that finds t dying already does not write the dying
 *      descriptor's owed signal: it returns while the first killer's tail
 *      has still to write it, and the descriptor is not readable yet
 *      (assertion fd_sig).
 *  16  the step to DEAD does not write it: a wait returns DEAD with the
 *      descriptor unreadable (assertion fd_sig).
 *  17  the kill's tail does not write it: the killer's tomb_kill returns
 *      with the descriptor unreadable (assertion fd_sig).
 * A sixth variant, MUTANT=6, is NOT a bug and must pass: tomb_wait_dying
 * counts itself in `sleepers` after its look at the state (but before
 * FUTEX_WAIT).  It shows why the order that matters is "count before the
 * futex compares the word", not "before the load": FUTEX_WAIT compares
 * the word again in the kernel, so a kill between the load and the count
 * makes it return EAGAIN.
 */

#ifndef MUTANT
#define MUTANT 0
#endif

/* The states, as in tomb_private.h. */
#define S_DYING 1 /* TOMB_S_DYING */
#define S_DEAD 2  /* TOMB_S_DEAD */
#define ALIVE 0
#define DYING (S_DYING)
#define DEAD (S_DYING | S_DEAD)
#define is_dying ((state & S_DYING) != 0)
#define is_dead ((state & S_DEAD) != 0)

/* Lifetimes (enum tomb_lifetime). */
#define LT_TOMB 0
#define LT_ERRGROUP 1
#define LT_GROUP 2

/* Results, reasons, and the model's own codes. */
#define OK 0
#define EAGAIN 11
#define ETIMEDOUT 12
#define ECANCELED 13
#define ESRCH 14
#define EBUSY 15
#define ECREATE 16   /* pthread_create failed */
#define SLOTWAIT 17  /* take_slot_locked must wait on slot_cv */
#define BLOCKED 18   /* queued on a futex */
#define PRED 19      /* W1 found its predicate true */
#define GOWAIT 20    /* W1 will wait */
#define R_W1 1
#define R_W2 2
#define R_K 3
#define EDYING 9     /* TOMB_EDYING: "stopped because dying" */

/* What tomb_timedwait does next (its loop, with mu held). */
#define W_KILL 1
#define W_DEAD 2
#define W_TIMEDOUT 3
#define W_WAIT 4
#define W_CLAIM 5

/* What tomb_free does next (FREEWAIT: it waits for `waking`). */
#define FREEWAIT 21

/* Thread ids, for the bit sets of blocked threads. */
#define MAIN 0
#define W1 1
#define W2 2
#define KILLER 3
#define BIT(id) (1 << (id))

/* struct tomb. */
byte state = ALIVE;
byte sleepers;
byte reason;
bit mu;
byte live;
byte ended;
bit waited;
byte waiters;
byte slot_waiters;
bit has_zombie;
byte zombie;
byte zombies;       /* the zombie list: the workers on it, as bits */
byte joining;       /* waiters joining threads without mu (a count) */
byte linked;        /* t's list of running workers (workers_head), as bits:
                     * from go's count (take_slot_locked) to the worker's
                     * unlink at its return, or to go's undo when
                     * pthread_create failed */
byte known;         /* the linked workers whose thread a claimer may take:
                     * go has published `created` (its pthread_create
                     * returned 0) or the thread has set its tid (it has
                     * started); cleared at the unlink (a `created` that
                     * go publishes after it sets nothing here: nobody
                     * looks at an unlinked record's flags) */
byte claimed;       /* the workers' `claimed` flags, as bits (a worker's is
                     * cleared when it reads it at its return: unused after) */
bit waking;         /* the kill has still to wake the sleepers on state */
bit fd_owed;        /* waking_fd: the dying descriptor owes its signal */
bit condq;          /* W1's node is on t->condq */
byte dead_cv;       /* threads blocked in pthread_cond_wait(&t->dead_cv) */
byte slot_cv;       /* threads blocked in pthread_cond_wait(&t->slot_cv) */
byte lifetime;
byte limit;

/* The futex queues, in the kernel. */
byte fq_state;      /* threads blocked on t->state */
byte fq_seq;        /* threads blocked on c's seq */

/* W1's tomb_cond_t c (struct cond in cond.c), its mutex m and predicate. */
byte seq;
byte cwaiters;
bit m;
bit pred;

/* Whether the kernel lacks futex_waitv (sys_linux.c's waitv_state == 2). */
bit fallback;

/* The workers' records (struct worker in go.c). */
byte refs[3];       /* w->refs: 0 before go's malloc and once freed; set by
                     * go to 2 (GO_REFS), for go and the thread; dropped by
                     * go once it has published `created`, by the thread
                     * after its unlock if it is claimed or on the chain,
                     * else by whoever joins it off the zombie list; the
                     * last drop frees it.  go frees it at once (0) if
                     * take_slot_locked or pthread_create failed. */

/* Ghosts: observations for the assertions, invisible to the code. */
byte first;         /* the first non-zero reason given to any kill */
byte running;       /* worker threads made whose function has not returned */
byte users;         /* worker threads made that may still touch t (until
                     * their last access, which may follow their unlock) */
byte started[3];    /* per worker: 0 not yet, 1 made, 2 never (go failed) */
bit exited[3];      /* per worker thread: it has exited (joinable) */
bit joined[3];      /* per worker thread: someone has joined it */
bit freed;          /* tomb_free returned 0 */
bit w1_gone;        /* W1 has left its wait, or never started */
bit k_done;         /* KILLER has made its last call on t, but for the
                     * tail of its kill (MAIN waits for this hand-off) */
bit fd_sig;         /* the dying descriptor is readable (the model takes
                     * it as opened before the kill) */

/* pthread_join(th): blocks until th has exited; joining twice is undefined. */
inline join(th) {
	atomic { exited[th] -> assert(!joined[th]); joined[th] = 1 }
}

/* Every worker thread made has been joined (by this thread, or by a thread
 * this thread joined). */
#define ALL_JOINED ((started[W1] != 1 || joined[W1]) && \
                    (started[W2] != 1 || joined[W2]))

/* pthread_cond_signal(&t->slot_cv): MAIN is its only possible waiter. */
inline slot_signal() {
	if
	:: slot_waiters > 0 -> slot_cv = 0
	:: else
	fi
}

/* tomb__signal_dying_owed (state.c): the write of the dying descriptor's
 * owed signal and the clear of waking_fd, in one step (a second writer's
 * write, between them, changes nothing).  With mu held, by a later kill or
 * the step to DEAD; its own step, without mu, in the kill's tail. */
inline pay_fd() {
	if
	:: fd_owed -> fd_sig = 1; fd_owed = 0
	:: else
	fi
}

/* Records a kill's reason for the ghost `first`. */
inline note_kill(r) {
	if
	:: r != 0 && first == 0 -> first = r
	:: else
	fi
}

/* tomb__settle_locked (no callbacks, helpers or children), with mu held.
 * An errgroup or group tomb is not DEAD before its owner waits
 * (tomb__may_be_dead_locked; the parent's death, the other way, is not
 * modelled): MUTANT 13 lets it be, and MAIN's second tomb_go then fails
 * with ESRCH (the assertion in take_slot).
 * Only mu's holders read the DEAD bit; a sleeper compares the state only
 * with a value that is not dying. */
#if MUTANT == 13
#define MAY_BE_DEAD 1
#else
#define MAY_BE_DEAD (lifetime == LT_TOMB || waited)
#endif
inline settle() {
	if
	:: is_dying && !is_dead && live == 0 && MAY_BE_DEAD ->
#if MUTANT != 16
		pay_fd();
#endif
		state = state | S_DEAD;
		dead_cv = 0 /* pthread_cond_broadcast */
	:: else
	fi
}

/*
 * tomb__kill_locked(t, r, NULL, NULL), with mu held, in two steps.
 * kill_first runs inside the caller's step that took mu: set_reason_locked
 * and the seq_cst fetch_or of DYING (the reason first, so whoever sees
 * DYING sees it), or, when t is dying already, the provisional 0 giving way
 * to the first non-zero reason, and the owed write of the dying descriptor
 * (pay_fd).  kd is 1 when this call made t dying.
 * kill_rest is the next step: tomb__wake_dying_locked (the bump and wake of
 * the condq nodes' seq, the slot waiters), the load of `sleepers` (if > 0:
 * `waking` and `fd_owed`, and fire, for tomb__after_kill; else the dying
 * descriptor's write, fd_sig) and tomb__settle_locked.  The
 * load and the wake after DYING can share a step: once state is dying
 * nobody can block on state or on a registered seq with a value the wake
 * would miss.  The FUTEX_WAKE on state is not here: tomb__after_kill makes
 * it, after the caller's unlock.
 */
inline kill_first(r, kd) {
	note_kill(r);
	if
	:: !is_dying ->
#if MUTANT == 1
		/* Mutant: the load of sleepers comes first; reason and DYING
		 * follow in kill_mid. */
		kd = 1 + sleepers
#else
		reason = r;
		state = state | S_DYING;
		kd = 1
#endif
	:: else ->
		kd = 0;
#if MUTANT != 15
		pay_fd(); /* the first killer's tail may not have written it */
#endif
		if
#if MUTANT == 4
		:: r != 0 && r != EDYING -> reason = r
#else
		:: r != 0 && r != EDYING && reason == 0 -> reason = r
#endif
		:: else
		fi
	fi
}

#if MUTANT == 1
#define KILL_MID(r, kd) \
	atomic { \
		if \
		:: kd > 0 -> reason = r; state = state | S_DYING \
		:: else \
		fi \
	};
#else
#define KILL_MID(r, kd)
#endif

inline kill_rest(kd, fire) {
	if
	:: kd > 0 ->
		if
		:: condq -> seq++; fq_seq = 0 /* bump and wake W1's node */
		:: else
		fi;
		slot_signal(); /* tomb__wake_slot_waiters_locked (a broadcast) */
		if
#if MUTANT == 1
		:: kd > 1 -> waking = 1; fd_owed = 1; fire = 1
#else
		:: sleepers > 0 -> waking = 1; fd_owed = 1; fire = 1
#endif
		:: else -> fd_sig = 1 /* no sleepers: signalled under mu */
		fi;
#if MUTANT != 5
		settle()
#else
		skip
#endif
	:: else
	fi;
	kd = 0
}

/*
 * tomb__after_kill(t), without mu, when tomb__kill_locked returned true
 * (fire): only this thread sets and clears `waking`, so it reads it without
 * mu.  Three steps: the owed write of the dying descriptor (pay_fd); the
 * load of `sleepers` and tomb__futex_wake_all(&t->state)
 * (one step: nobody can queue on state with a value this wake would miss,
 * now that it is dying, and a thread queued on it is counted); then lock
 * mu, clear `waking`, broadcast dead_cv (for tomb_free), unlock.  (No
 * callbacks in the model: no kill_fires.)  t may be DEAD, and its waiter
 * gone, by now: tomb_free's wait for `waking` keeps t alive.  u is 1 for a
 * worker, whose last access to t is here (the ghost `users`).
 */
inline after_kill(fire, u) {
	if
	:: fire ->
#if MUTANT != 17
		atomic { assert(!freed); pay_fd() };
#endif
		atomic { assert(!freed);
			if
			:: waking && sleepers > 0 ->
				fq_state = 0 /* tomb__futex_wake_all(&t->state) */
			:: else
			fi };
		atomic { !mu -> mu = 1; assert(!freed);
			if
			:: waking -> waking = 0; dead_cv = 0
			:: else
			fi;
			mu = 0;
			users = users - u;
			fire = 0 }
	:: else
	fi
}

/* With the unlock of a kill from KILLER, what KILLER does next: another
 * kill (more, if more_ok), or a wait as a second waiter (wait2), or no other
 * call on t: then its hand-off to MAIN (k_done) comes with this unlock.
 * From there MAIN may know that the kill took effect (from t's state and
 * reason) and call tomb_free, while KILLER is still in tomb__after_kill.
 * (Choosing here, not before the kill, keeps fewer states.) */
inline hand_off(more_ok, more) {
	if
	:: k_done = 1
	:: wait2 = 1
	:: more_ok -> more = 1
	fi
}

/* tomb_kill(t, r) from KILLER: tomb__kill. */
inline kill(r, kd, fire, more_ok, more) {
	atomic { !mu -> mu = 1; assert(!freed);
		kill_first(r, kd);
		if
		:: kd == 0 -> assert(fd_sig); mu = 0; hand_off(more_ok, more)
		:: else
		fi
	};
	if
	:: kd > 0 ->
		KILL_MID(r, kd)
		atomic { kill_rest(kd, fire); mu = 0; hand_off(more_ok, more) };
		after_kill(fire, 0);
		assert(fd_sig) /* tomb_kill returns: the descriptor is readable */
	:: else
	fi
}

/* The end of worker_main's critical section (go.c), with mu held: nothing
 * if a waiter claimed this thread (it joins it), else the zombie list if t
 * is dying (the waiter joins this thread, and drops the thread's reference
 * to its record) or else the reap chain (whoever joins this thread joins
 * its predecessor); unlock; then, claimed or on the chain, free_worker.
 * Without a kill to finish, the unlock is the worker's last access to t.
 * The free_worker after the unlock is in the unlock's step: the only other
 * access to the record's refs then, go's drop, touches neither t nor mu,
 * so it commutes with the unlock. */
inline worker_file(me, prev, hp, fire) {
	assert(!fire || is_dying);
	if
	:: claimed & BIT(me) -> claimed = claimed & ~BIT(me); drop_ref(me)
	:: !(claimed & BIT(me)) && is_dying -> zombies = zombies | BIT(me)
	:: !(claimed & BIT(me)) && !is_dying ->
		hp = has_zombie;
		prev = zombie;
		zombie = me;
		has_zombie = 1;
		drop_ref(me)
	fi;
	mu = 0;
	if
	:: !fire -> users--
	:: else
	fi
}

/* The epilogue of worker_main for worker me whose function returned rc
 * (go.c): unlink and uncount (worker_ended_locked, worker_returned_locked),
 * the claim, the list or the chain, unlock; then the rest of this return's
 * kill, the join of the predecessor (on the chain only), exit. */
inline worker_return(me, rc, kr, kd, prev, hp, fire) {
	atomic { !mu -> mu = 1; assert(!freed);
		assert(refs[me] > 0);
		running--;
		linked = linked & ~BIT(me);
		known = known & ~BIT(me);
		live--;
		ended++;
		/* worker_returned_locked: which kill, if any. */
		if
		:: rc == EDYING -> assert(is_dying) /* the reason stays */
		:: rc != EDYING && (rc != 0 || lifetime == LT_GROUP) ->
			kr = rc; kill_first(kr, kd)
		:: rc == 0 && lifetime != LT_GROUP && live == 0 &&
		   (lifetime == LT_TOMB || waited) ->
			kr = 0; kill_first(kr, kd)
		:: else
		fi;
		if
		:: kd == 0 ->
			slot_signal();
			settle();
			worker_file(me, prev, hp, fire)
		:: else
		fi
	};
	if
	:: kd > 0 ->
		KILL_MID(kr, kd)
		atomic { kill_rest(kd, fire); slot_signal(); settle();
			worker_file(me, prev, hp, fire) }
	:: else
	fi;
	after_kill(fire, 1);
	if
	:: hp -> join(prev)
	:: else
	fi;
	/* Exit; the locals are dead (reset, so that states merge). */
	atomic { exited[me] = 1; rc = 0; kr = 0; prev = 0; hp = 0 }
}

/* take_slot_locked's decision, with mu held (MAIN is no worker, so no
 * EDEADLK); then go's count and link of worker w before its thread
 * exists.  A call that waited and finds t dying, or dead, lost its slot to
 * the death: ECANCELED, never ESRCH (MUTANT 12 looks at DEAD first, as
 * before, and so answers ESRCH when the last worker's return made t dead
 * in one step; the assertion in go catches it). */
#if MUTANT == 12
#define SLOT_LOST (!is_dead && swaited && is_dying)
#else
#define SLOT_LOST (swaited && is_dying)
#endif
inline take_slot(w, err, swaited, ebefore) {
	/* Before its owner waits, an errgroup or group tomb is never DEAD:
	 * every tomb_go is accepted, as Go's Go is. */
	assert(lifetime == LT_TOMB || waited || !is_dead);
	if
	:: SLOT_LOST -> err = ECANCELED
	:: !SLOT_LOST && is_dead -> err = ESRCH
	:: !SLOT_LOST && !is_dead && (limit == 0 || live < limit) ->
		err = OK
	:: !SLOT_LOST && !is_dead && !(limit == 0 || live < limit) &&
	   is_dying -> err = ECANCELED
	:: !SLOT_LOST && !is_dead && !(limit == 0 || live < limit) &&
	   !is_dying ->
		/* pthread_cond_wait(&t->slot_cv, &t->mu) */
		err = SLOTWAIT;
		slot_waiters++;
		slot_cv = slot_cv | BIT(MAIN);
		mu = 0
	fi;
	if
	:: err == OK -> live++; linked = linked | BIT(w); ebefore = ended; mu = 0
	:: err != OK && err != SLOTWAIT -> mu = 0
	:: else
	fi
}

/* How many references go gives a record (MUTANT 11: 1, the thread's
 * alone, as when go did not touch it after pthread_create), and go's drop
 * of its own once it has published `created` (MUTANT 11: none). */
#if MUTANT == 11
#define GO_REFS 1
#define GO_DROP(w) skip
#else
#define GO_REFS 2
#define GO_DROP(w) drop_ref(w)
#endif

/* tomb_go(t, worker w) from MAIN (go.c): malloc the record (refs), count
 * and link it under mu, then pthread_create.  Its success (the thread
 * exists, and may start at once) is one step; go's next, once
 * pthread_create has returned 0, is another: w->made = th, the release
 * store of `created` (from here a claimer may take the worker, if it is
 * still on t's list), free_worker(w) (go's reference), return.  The thread
 * may start, and even return, unlink and drop its reference, in between.
 * If pthread_create fails, the thread never exists: go unlinks the record
 * under mu and frees it (a claimer must not have taken it). */
inline go(w, err, ebefore, swaited, kr, kd, fire) {
	swaited = 0;
	atomic { !mu -> mu = 1; assert(!freed);
		refs[w] = GO_REFS;
		take_slot(w, err, swaited, ebefore) };
	do
	:: err == SLOTWAIT ->
		atomic { (slot_cv & BIT(MAIN)) == 0 && !mu -> mu = 1;
			slot_waiters--;
			swaited = 1;
			take_slot(w, err, swaited, ebefore);
			/* One error for a call that waited and lost. */
			assert(err != ESRCH) }
	:: else -> break
	od;
	if
	:: err == OK ->
		if
		:: atomic { assert(!is_dead); started[w] = 1; running++; users++ }
		:: /* pthread_create fails: undo, and act for a worker that
		    * ended meanwhile and was not seen to be the last. */
			atomic { !mu -> mu = 1; assert(!freed);
				/* Nobody took it: its thread never existed. */
				assert((claimed & BIT(w)) == 0 &&
				       (known & BIT(w)) == 0);
				linked = linked & ~BIT(w);
				live--;
				if
				:: live == 0 && ended != ebefore && !is_dying &&
				   (lifetime == LT_TOMB || waited) ->
					kr = 0; kill_first(kr, kd)
				:: else
				fi;
				if
				:: kd == 0 -> slot_signal(); settle(); mu = 0
				:: else
				fi
			};
			if
			:: kd > 0 ->
				KILL_MID(kr, kd)
				atomic { kill_rest(kd, fire); slot_signal(); settle();
					mu = 0 }
			:: else
			fi;
			after_kill(fire, 0);
			err = ECREATE
		fi
	:: else
	fi;
	atomic {
		if
		:: err == OK ->
			/* w->made = th; the release store of `created`: a
			 * claimer sees it only while w is on t's list. */
			assert(refs[w] > 0);
			known = known | (linked & BIT(w));
			GO_DROP(w)
		:: else ->
			/* free(w): nobody else had it. */
			started[w] = 2;
			refs[w] = 0
		fi;
		ebefore = 0;
		swaited = 0;
		kr = 0
	}
}

/* Whether t has threads to join (tomb__has_zombies_locked); MUTANT 8 looks
 * at the reap chain alone, as before the zombie list. */
#if MUTANT == 8
#define HAS_ZOMBIES (has_zombie)
#else
#define HAS_ZOMBIES (has_zombie || zombies != 0)
#endif

/* tomb__reap_take_locked (join.c), with mu held: the chain's head and the
 * whole list (MUTANT 8: the chain alone). */
inline take_zombies(hz, z, zl) {
	hz = has_zombie;
	z = zombie;
	has_zombie = 0;
#if MUTANT != 8
	zl = zombies;
	zombies = 0
#endif
}

/* free_worker(w) (go.c): drops a reference to w's record, and frees it
 * if it was the last (refs reaches 0).  Reading or writing a freed record
 * is the assertion's failure. */
inline drop_ref(w) {
	assert(refs[w] > 0);
	refs[w]--
}

/* tomb__join_zombies (go.c), without mu: joins the chain's head (which
 * joined its predecessor, and so on) and each thread on the list, and
 * drops the reference to its record that the list held (fr); or, with fr
 * 0, the joins of a claim (join_claimed_locked), which hold no record: a
 * claimed thread drops its own reference.  One step, once all have exited:
 * each pthread_join only waits for an exit, and the joiner does nothing
 * else meanwhile (the only other access to the refs of a record on the
 * list, go's drop, touches neither t nor mu). */
inline join_zombies(hz, z, zl, fr) {
	atomic {
		(!hz || exited[z]) &&
		((zl & BIT(W1)) == 0 || exited[W1]) &&
		((zl & BIT(W2)) == 0 || exited[W2]) ->
		if
		:: hz -> assert(!joined[z]); joined[z] = 1
		:: else
		fi;
		if
		:: zl & BIT(W1) -> assert(!joined[W1]); joined[W1] = 1;
			if
			:: fr -> drop_ref(W1)
			:: else
			fi
		:: else
		fi;
		if
		:: zl & BIT(W2) -> assert(!joined[W2]); joined[W2] = 1;
			if
			:: fr -> drop_ref(W2)
			:: else
			fi
		:: else
		fi
	}
}

/* tomb__join_dead_locked (join.c), with mu held. */
inline join_zombie(me, hz, z, zl) {
	do
	:: atomic { HAS_ZOMBIES ->
		take_zombies(hz, z, zl); joining++; mu = 0 };
		join_zombies(hz, z, zl, 1);
		atomic { !mu -> mu = 1; assert(!freed); joining--; dead_cv = 0;
			hz = 0; z = 0; zl = 0 }
	:: atomic { !HAS_ZOMBIES && joining > 0 ->
		dead_cv = dead_cv | BIT(me); mu = 0 };
		atomic { (dead_cv & BIT(me)) == 0 && !mu -> mu = 1 }
	:: !HAS_ZOMBIES && joining == 0 -> break
	od
}

/* The errgroup and group lifetimes die with 0 once their owner waits and
 * nothing runs (tomb_timedwait). */
#define WAIT_KILLS (!is_dying && lifetime != LT_TOMB && live == 0)

/* The workers a claim would take (tomb__claim_locked): those on t's list
 * that no waiter has claimed and whose thread is known to exist: go has
 * published `created` (its pthread_create returned 0) or the thread has
 * set its tid (it started).  MUTANT 10 takes any worker on the list, even
 * one whose pthread_create has not returned yet (and may still fail). */
#if MUTANT == 10
#define CLAIMABLE (linked & ~claimed)
#else
#define CLAIMABLE (known & ~claimed)
#endif

/* Whether each worker in cl has a thread: its pthread_create succeeded
 * (started[] is 1 from that step on). */
#define THREADS_MADE(cl) (((cl) & BIT(W1)) == 0 || started[W1] == 1) && \
                         (((cl) & BIT(W2)) == 0 || started[W2] == 1)

/* How much a claimer counts itself in `joining`: MUTANT 9 does not, so a
 * waiter that sees DEAD may return before a claimed thread is joined. */
#if MUTANT == 9
#define CLAIM_COUNT 0
#else
#define CLAIM_COUNT 1
#endif

/* One turn of tomb_timedwait's loop, with mu held.  An untimed waiter that
 * finds claimable workers either claims them (join_claimed_locked: it marks
 * them, counts itself in `joining` and unlocks, to join them) or, as it
 * would with more than CLAIM_MAX workers running or on a tomb with a pool
 * (neither of which the model has), waits on dead_cv.  A timed waiter
 * never claims. */
inline wait_decide(me, timed, act, kd, to, cl) {
	if
	:: WAIT_KILLS -> act = W_KILL; kill_first(0, kd)
	:: !WAIT_KILLS && is_dead -> act = W_DEAD
	:: !WAIT_KILLS && !is_dead && to -> act = W_TIMEDOUT
	:: !WAIT_KILLS && !is_dead && !to && !timed && CLAIMABLE != 0 ->
		act = W_CLAIM;
		cl = CLAIMABLE;
		/* It joins only threads that exist. */
		assert(THREADS_MADE(cl));
		claimed = claimed | cl;
		joining = joining + CLAIM_COUNT;
		mu = 0
	:: !WAIT_KILLS && !is_dead && !to ->
		/* pthread_cond_(timed)wait(&t->dead_cv, &t->mu) */
		act = W_WAIT;
		dead_cv = dead_cv | BIT(me);
		mu = 0
	fi
}

/* tomb_timedwait(t, timed ? deadline : NULL, &r) (wait.c).  The timed
 * pthread_cond_timedwait may give up at any moment, even once woken.  A
 * kill that fires (never, here: nothing runs, so nothing sleeps) is
 * finished without mu. */
inline timedwait(me, timed, err, r, to, hz, z, zl, cl, act, kd, fire) {
	to = 0;
	atomic { !mu -> mu = 1; assert(!freed);
		waiters++;
		waited = 1;
#if MUTANT != 14
		settle(); /* the wait may make an errgroup or group tomb DEAD */
#endif
		wait_decide(me, timed, act, kd, to, cl) };
	do
	:: act == W_KILL ->
		KILL_MID(0, kd)
		atomic { kill_rest(kd, fire);
			if
			:: fire -> mu = 0
			:: else -> wait_decide(me, timed, act, kd, to, cl)
			fi };
		if
		:: fire ->
			after_kill(fire, 0);
			atomic { !mu -> mu = 1; assert(!freed);
				wait_decide(me, timed, act, kd, to, cl) }
		:: else
		fi
	:: act == W_WAIT ->
		if
		:: atomic { (dead_cv & BIT(me)) == 0 && !mu -> mu = 1;
			wait_decide(me, timed, act, kd, to, cl) }
		:: atomic { timed && !mu ->
			dead_cv = dead_cv & ~BIT(me);
			mu = 1;
			to = 1;
			wait_decide(me, timed, act, kd, to, cl) }
		fi
	:: act == W_CLAIM ->
		/* pthread_join of each claimed thread, without mu (one step, as
		 * in join_zombies); then lock, uncount, broadcast dead_cv and
		 * look again. */
		join_zombies(0, 0, cl, 0);
		atomic { !mu -> mu = 1; assert(!freed);
			joining = joining - CLAIM_COUNT;
			dead_cv = 0;
			cl = 0;
			wait_decide(me, timed, act, kd, to, cl) }
	:: act == W_DEAD -> join_zombie(me, hz, z, zl); err = OK; break
	:: act == W_TIMEDOUT -> err = ETIMEDOUT; break
	od;
	atomic {
		if
		:: err == OK ->
			r = reason;
			assert(r == first);
			/* DEAD: the dying descriptor is readable. */
			assert(fd_sig);
			/* Every worker thread has been joined. */
			assert(ALL_JOINED)
		:: else
		fi;
		waiters--;
		mu = 0;
		act = 0;
		to = 0
	}
}

/* Whether tomb_free waits for `waking`: MUTANT 7 does not. */
#if MUTANT == 7
#define FREE_WAITS 0
#else
#define FREE_WAITS (waking)
#endif

/* tomb_free's look, with mu held: wait for the kill's wake (`waking`),
 * then EBUSY, or take the zombies. */
inline free_decide(err, hz, z, zl) {
	if
	:: FREE_WAITS ->
		/* pthread_cond_wait(&t->dead_cv, &t->mu) */
		err = FREEWAIT;
		dead_cv = dead_cv | BIT(MAIN);
		mu = 0
	:: !FREE_WAITS && (live > 0 || waiters > 0 || sleepers > 0 ||
	                   slot_waiters > 0) ->
		err = EBUSY;
		assert(users > 0); /* busy only while a worker may touch t */
		mu = 0
	:: !FREE_WAITS && !(live > 0 || waiters > 0 || sleepers > 0 ||
	                    slot_waiters > 0) ->
		/* No worker runs; nobody waits, sleeps or blocks on t.  A
		 * worker on the list may still be in its tail
		 * (tomb__after_kill): it is joined below. */
		assert(running == 0);
		assert(fq_state == 0 && dead_cv == 0 && slot_cv == 0 && !condq);
		take_zombies(hz, z, zl);
		err = OK;
		mu = 0
	fi
}

/* tomb_free(t) (tomb.c). */
inline free_tomb(err, hz, z, zl) {
	atomic { !mu -> mu = 1; assert(!freed); free_decide(err, hz, z, zl) };
	do
	:: err == FREEWAIT ->
		atomic { (dead_cv & BIT(MAIN)) == 0 && !mu -> mu = 1;
			free_decide(err, hz, z, zl) }
	:: else -> break
	od;
	if
	:: err == OK ->
		join_zombies(hz, z, zl, 1);
		atomic {
			/* Every worker thread has been joined, and none can
			 * touch t any more; every record has been freed. */
			assert(ALL_JOINED);
			assert(users == 0);
			assert(refs[W1] == 0 && refs[W2] == 0);
			assert(!is_dying || fd_sig);
			freed = 1;
			hz = 0;
			z = 0;
			zl = 0
		}
	:: else
	fi
}

proctype Main() {
	byte err, ebefore, r, z, zl, cl, kr, kd, act;
	bit swaited, to, hz, fire;

	go(W1, err, ebefore, swaited, kr, kd, fire);
	if
	:: err != OK -> w1_gone = 1
	:: else
	fi;
	go(W2, err, ebefore, swaited, kr, kd, fire);
	if
	:: timedwait(MAIN, 0, err, r, to, hz, z, zl, cl, act, kd, fire)
	:: timedwait(MAIN, 1, err, r, to, hz, z, zl, cl, act, kd, fire)
	fi;
	k_done; /* KILLER's hand-off (it may still be in tomb__after_kill) */
	free_tomb(err, hz, z, zl);
	if
	:: err == EBUSY ->
		timedwait(MAIN, 0, err, r, to, hz, z, zl, cl, act, kd, fire);
		assert(err == OK);
		free_tomb(err, hz, z, zl);
		assert(err == OK)
	:: else -> assert(err == OK)
	fi
}

/* Worker me's thread starts, once go made it (or the proctype ends, if
 * go failed), and sets w->self and then, with release, its tid (worker_main,
 * run_fn): from here a waiter may claim it, if go has not published
 * `created` already.  One step: the thread touches nothing another thread
 * reads before its tid. */
inline thread_start(me) {
	atomic { started[me] != 0 ->
		if
		:: started[me] == 1 ->
			assert(refs[me] > 0 && (linked & BIT(me)) != 0);
			known = known | BIT(me)
		:: else
		fi }
}

/* lock(m) done: the predicate (under m) and tomb_cond_wait's first look
 * at the state (ECANCELED at once, m still locked). */
inline w1_look(err) {
	if
	:: pred -> err = PRED
	:: !pred && is_dying -> err = ECANCELED
	:: !pred && !is_dying -> err = GOWAIT
	fi
}

/* W1: lock(m); while (!pred) { e = tomb_cond_wait(t, &c, &m, dl);
 * if (e == ECANCELED || e == ETIMEDOUT) break; } unlock(m); return rc; */
proctype Worker1() {
	byte err, sq, st, rc, kr, kd, prev;
	bit hp, timed, cancelled, fire;

	thread_start(W1);
	if
	:: started[W1] == 2 -> goto done
	:: else
	fi;
	if
	:: timed = 0
	:: timed = 1
	fi;
	atomic { !m -> m = 1; w1_look(err) };
	do
	:: err == PRED -> break
	:: err == ECANCELED -> cancelled = 1; break
	:: err == ETIMEDOUT -> break
	:: err == GOWAIT ->
		/* tomb_cond_wait: count in c's waiters and t's sleepers (one
		 * step: no thread reads both), read seq and the state and
		 * unlock m (one step: while W1 holds m, neither a signal nor a
		 * kill can change seq). */
		atomic {
			cwaiters++;
#if MUTANT != 2
			sleepers++
#else
			skip
#endif
		};
		atomic { sq = seq; st = state; m = 0 };
		if
		:: st & S_DYING -> err = OK
		:: !(st & S_DYING) && !fallback ->
			/* tomb__futex_wait2: futex_waitv on seq and state. */
			atomic {
				if
				:: seq != sq || state != st -> err = EAGAIN
				:: else ->
					fq_seq = fq_seq | BIT(W1);
					fq_state = fq_state | BIT(W1);
					err = BLOCKED
				fi
			};
			if
			:: err == BLOCKED ->
				if
				:: atomic { ((fq_seq & BIT(W1)) == 0 ||
				             (fq_state & BIT(W1)) == 0) ->
					fq_seq = fq_seq & ~BIT(W1);
					fq_state = fq_state & ~BIT(W1);
					err = OK }
				:: atomic { timed && (fq_seq & BIT(W1)) != 0 &&
				             (fq_state & BIT(W1)) != 0 ->
					fq_seq = fq_seq & ~BIT(W1);
					fq_state = fq_state & ~BIT(W1);
					err = ETIMEDOUT }
				fi
			:: else
			fi
		:: !(st & S_DYING) && fallback ->
			/* wait_registered: look at the state under mu, register,
			 * FUTEX_WAIT on seq alone, unregister. */
			if
#if MUTANT != 3
			:: atomic { !mu && is_dying -> assert(!freed); err = OK }
			:: atomic { !mu && !is_dying -> assert(!freed); condq = 1 };
#else
			:: atomic { !mu -> assert(!freed); condq = 1 };
#endif
				atomic {
					if
					:: seq != sq -> err = EAGAIN
					:: else -> fq_seq = fq_seq | BIT(W1); err = BLOCKED
					fi
				};
				if
				:: err == BLOCKED ->
					if
					:: atomic { (fq_seq & BIT(W1)) == 0 -> err = OK }
					:: atomic { timed && (fq_seq & BIT(W1)) != 0 ->
						fq_seq = fq_seq & ~BIT(W1);
						err = ETIMEDOUT }
					fi
				:: else
				fi;
				atomic { !mu -> assert(!freed); condq = 0 }
			fi
		fi;
		atomic { cwaiters--; sq = 0; st = 0 };
		/* Lock m again and look at the state; only then uncount from
		 * sleepers (the last access to t). */
		atomic { !m -> m = 1;
			if
			:: is_dying -> err = ECANCELED
			:: !is_dying && err == ETIMEDOUT
			:: !is_dying && err != ETIMEDOUT -> err = OK
			fi };
#if MUTANT != 2
		sleepers--;
#endif
		if
		:: err == OK -> atomic { w1_look(err) }
		:: else
		fi
	od;
	atomic { m = 0; w1_gone = 1 };
	if
	:: rc = 0
	:: rc = R_W1
	:: cancelled -> rc = EDYING
	fi;
	err = 0;
	timed = 0;
	cancelled = 0;
	worker_return(W1, rc, kr, kd, prev, hp, fire);
done:
	skip
}

/* W2: e = tomb_sleep(t, dl); return e == ECANCELED ? TOMB_EDYING, 0 or 2
 * : 0 or 2; */
proctype Worker2() {
	byte err, st, rc, kr, kd, prev;
	bit hp, timed, counted, fire;

	thread_start(W2);
	if
	:: started[W2] == 2 -> goto done
	:: else
	fi;
	if
	:: timed = 0
	:: timed = 1
	fi;
	/* tomb_wait_dying */
	if
	:: is_dying -> err = OK
	:: !is_dying ->
#if MUTANT != 6
		sleepers++;
		counted = 1;
#endif
		err = OK;
		do
		:: atomic { is_dying -> err = OK }; break
		:: atomic { !is_dying && err == ETIMEDOUT }; break
		:: atomic { !is_dying && err != ETIMEDOUT -> st = state };
#if MUTANT == 6
			if
			:: !counted -> sleepers++; counted = 1
			:: else
			fi;
#endif
			/* tomb__futex_wait(&t->state, st, dl) */
			atomic {
				if
				:: state != st -> err = EAGAIN
				:: else -> fq_state = fq_state | BIT(W2); err = BLOCKED
				fi;
				st = 0
			};
			if
			:: err == BLOCKED ->
				if
				:: atomic { (fq_state & BIT(W2)) == 0 -> err = OK }
				:: atomic { timed && (fq_state & BIT(W2)) != 0 ->
					fq_state = fq_state & ~BIT(W2);
					err = ETIMEDOUT }
				fi
			:: else
			fi
		od;
		if
		:: counted -> sleepers--
		:: else
		fi
	fi;
	if
	:: err == OK -> /* tomb_sleep returned ECANCELED */
		if
		:: rc = EDYING
		:: rc = 0
		:: rc = R_W2
		fi
	:: else -> /* the deadline passed */
		if
		:: rc = 0
		:: rc = R_W2
		fi
	fi;
	err = 0;
	timed = 0;
	counted = 0;
	worker_return(W2, rc, kr, kd, prev, hp, fire);
done:
	skip
}

proctype Killer() {
	byte err, r, z, zl, cl, kd, act;
	bit to, hz, fire, wait2, more;

	if
	:: skip
	:: /* lock(m); pred = 1; unlock(m); tomb_cond_signal(&c) (bump
	    * seq, then load c's waiters and wake); then wait for W1 to have
	    * left its wait (a hand-off on a ghost flag). */
		atomic { !m -> m = 1; pred = 1; m = 0 };
		seq++;
		atomic {
			if
			:: cwaiters > 0 -> fq_seq = 0 /* W1 is its only waiter */
			:: else
			fi
		};
		w1_gone
	fi;
	if
	:: kill(0, kd, fire, 1, more);
		if
		:: more -> /* replaces the provisional 0 */
			more = 0;
			kill(R_K, kd, fire, 0, more)
		:: else
		fi
	:: kill(R_K, kd, fire, 0, more)
	fi;
	if
	:: wait2 ->
		timedwait(KILLER, 0, err, r, to, hz, z, zl, cl, act, kd, fire);
		assert(err == OK);
		k_done = 1
	:: else
	fi;
	atomic { err = 0; r = 0; wait2 = 0 }
}

/* The invariants, checked in every state. */
active proctype monitor() {
end:	atomic {
		!(state == ALIVE || state == DYING || state == DEAD) ||
		(is_dying && reason != first) ||
		(!is_dying && reason != 0) ||
		(is_dead && (running > 0 || live > 0)) ||
		(waking && !is_dying) ||
		(zombies != 0 && !is_dying) ||
		(joining > waiters) ||
		(freed && users > 0) ||
		((linked & BIT(W1)) != 0 && refs[W1] == 0) ||
		((linked & BIT(W2)) != 0 && refs[W2] == 0) ->
		assert(false)
	}
}

init {
	atomic {
		if
#ifdef LIFETIME_ONLY
		/* A mutant of one lifetime's rule searches that lifetime
		 * alone (test/spin.sh), not all the others' states first. */
		:: lifetime = LIFETIME_ONLY
#else
		:: lifetime = LT_TOMB
		:: lifetime = LT_ERRGROUP
		:: lifetime = LT_GROUP
#endif
		fi;
		if
		:: limit = 0
		:: limit = 1
		fi;
		if
		:: fallback = 0
		:: fallback = 1
		fi;
		run Main();
		run Worker1();
		run Worker2();
		run Killer()
	}
}
