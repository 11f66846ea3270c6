/*
 * tomb.pml: a Promela model of the tomb's core state machine, for spin.
 *
 * What it is for: proving, by exhaustive search over every interleaving of
 * four threads, that the hand-shakes in lib/ lose no wake-up and keep the
 * invariants of lib/tomb_private.h.  test/spin.sh runs it (spin -a, cc,
 * ./pan) and checks that the mutants below fail.
 *
 * THE THREADS
 *   MAIN    tomb_go(W1), tomb_go(W2) (either may fail in pthread_create),
 *           tomb_wait or tomb_timedwait, joins KILLER, tomb_free; if that
 *           is EBUSY, tomb_wait and tomb_free again, which must succeed.
 *   W1      a worker that waits on a tomb_cond_t for a predicate (untimed or
 *           timed): futex_waitv on the cond's seq and t->state, or, when
 *           futex_waitv is missing, the node on t->condq.  It returns 0, 1
 *           or TOMB_EDYING (the last only once dying).
 *   W2      a worker in tomb_sleep (untimed or timed), then returns 0, 2 or
 *           TOMB_EDYING (the last only once dying).
 *   KILLER  perhaps sets W1's predicate, signals and waits for W1 to leave
 *           its wait (a hand-off on a ghost flag), then tomb_kill(t, 0) or
 *           tomb_kill(t, 3), perhaps tomb_kill(t, 3) after a 0, and perhaps
 *           tomb_wait as a second waiter (the `joining` path).
 *   monitor a process that only asserts the invariants, in every state.
 * The initial state chooses the lifetime (TOMB, ERRGROUP, GROUP), the limit
 * (0 or 1) and whether futex_waitv exists; spin explores every choice.
 *
 * THE MAPPING TO lib/
 *   state, sleepers, reason, live, waited, waiters, slot_waiters, zombie,
 *   has_zombie, joining, condq  the fields of struct tomb (tomb_private.h);
 *                               state takes the values ALIVE, DYING, DEAD.
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
 *                               tomb__settle_locked (kill.c).
 *   go, take_slot               go and take_slot_locked (go.c).
 *   worker_return               worker_main after the function returned,
 *                               worker_returned_locked (go.c).
 *   timedwait, join_zombie      tomb_timedwait, join_zombie_locked (wait.c).
 *   Worker2's body              tomb_wait_dying, as tomb_sleep calls it.
 *   Worker1's body, KILLER's signal
 *                               tomb_cond_wait, wait_registered, cond_wake.
 *   free_tomb                   tomb_free (tomb.c).
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
 *   - a kill is two steps: the reason and DYING, then the load of
 *     `sleepers`, the wakes and the settle (once state is dying nobody can
 *     block on state, or on a registered seq, with a value these wakes
 *     would miss); MUTANT 1 splits it into three;
 *   - tomb_cond_wait counts itself in c's waiters and t's sleepers in one
 *     step (no thread reads both), and reads seq and the state and unlocks
 *     m in one step (while W1 holds m neither a signal nor a kill can change
 *     seq: KILLER sets the predicate under m, and condq is empty);
 *   - a signal's load of c's waiters and its wake are one step (nobody can
 *     queue on seq with the value it has after the bump).
 * tomb_wait_dying's count, its load of the state and the futex's compare stay
 * three steps: they are the hand-shake under test.
 *
 * WHAT IT LEAVES OUT: parents and children (children_live), callbacks
 * (hooks, firing, tomb_off), helpers (the signal watcher), the descriptors
 * of tomb_dying_fd/tomb_dead_fd, messages (msg, owned), tomb_trygo and the
 * EDEADLK check (MAIN is no worker), EINTR and spurious futex returns, and
 * weak memory: spin interleaves sequentially consistent steps, which is
 * what the code's seq_cst atomics and mu give the hand-shakes modelled here.
 *
 * THE PROPERTIES (all checked by an exhaustive search, no bitstate):
 *   - no invalid end state: no deadlock and no lost wake-up (a thread
 *     blocked forever on a futex, a pthread_cond_t, mu or a join);
 *   - state is only ever ALIVE, DYING or DEAD (dead implies dying);
 *   - DEAD only once every worker function has returned, and no worker
 *     starts after DEAD;
 *   - once dying, the reason is the first non-zero reason any kill gave
 *     (ghost `first`), or 0 if none did;
 *   - tomb_wait returns only when every worker thread has been joined, and
 *     with the reason in force;
 *   - tomb_free succeeds only when no worker runs or can touch t again,
 *     nobody waits or sleeps on t, and every worker thread is joined after
 *     it; nobody touches t after it; it is EBUSY only while a worker may.
 *
 * MUTANTS (spin -DMUTANT=n): each breaks one hand-shake, and spin must find
 * the failure (test/spin.sh checks that it does).
 *   1  the kill reads `sleepers` before it sets DYING: a sleeper that
 *      counts itself and blocks in between is never woken (lost wake-up).
 *   2  tomb_cond_wait does not count itself in `sleepers`: a kill while
 *      no tomb_sleep runs makes no FUTEX_WAKE on state (lost wake-up).
 *   3  wait_registered does not look at the state under mu before it
 *      registers: a kill between the waiter's look at the state and its
 *      registration bumps no seq (lost wake-up).
 *   4  a kill while dying replaces any reason, not only a provisional 0
 *      (the first non-zero reason does not win).
 *   5  a kill does not settle: ALIVE --kill with no worker left--> DEAD
 *      never happens, and the waiter blocks forever.
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
bit joining;
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

/* Whether the kernel lacks futex_waitv (futex.c's waitv_state == 2). */
bit fallback;

/* Ghosts: observations for the assertions, invisible to the code. */
byte first;         /* the first non-zero reason given to any kill */
byte running;       /* worker threads made whose function has not returned */
byte users;         /* worker threads made that may still touch t */
byte started[3];    /* per worker: 0 not yet, 1 made, 2 never (go failed) */
bit exited[3];      /* per worker thread: it has exited (joinable) */
bit joined[3];      /* per worker thread: someone has joined it */
bit freed;          /* tomb_free returned 0 */
bit w1_gone;        /* W1 has left its wait, or never started */
bit k_done;         /* KILLER has finished (MAIN joins it) */

/* pthread_join(th): blocks until th has exited; joining twice is undefined. */
inline join(th) {
	atomic { exited[th] -> assert(!joined[th]); joined[th] = 1 }
}

/* pthread_cond_signal(&t->slot_cv): MAIN is its only possible waiter. */
inline slot_signal() {
	if
	:: slot_waiters > 0 -> slot_cv = 0
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
 * Only mu's holders read the DEAD bit; a sleeper compares the state only
 * with a value that is not dying. */
inline settle() {
	if
	:: is_dying && !is_dead && live == 0 ->
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
 * to the first non-zero reason.  kd is 1 when this call made t dying.
 * kill_rest is the next step: tomb__wake_dying_locked (the load of
 * `sleepers` and the FUTEX_WAKE on state, the bump and wake of the condq
 * nodes' seq, the slot waiters) and tomb__settle_locked.  The loads and
 * wakes after DYING can share a step: once state is dying nobody can block
 * on state or on a registered seq with a value the wake would miss.
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

inline kill_rest(kd) {
	if
	:: kd > 0 ->
		if
#if MUTANT == 1
		:: kd > 1 -> fq_state = 0 /* tomb_futex_wake_all(&t->state) */
#else
		:: sleepers > 0 -> fq_state = 0 /* tomb_futex_wake_all(&t->state) */
#endif
		:: else
		fi;
		if
		:: condq -> seq++; fq_seq = 0 /* bump and wake W1's node */
		:: else
		fi;
		slot_signal(); /* tomb__wake_slot_waiters_locked (a broadcast) */
#if MUTANT != 5
		settle()
#else
		skip
#endif
	:: else
	fi;
	kd = 0
}

/* tomb_kill(t, r) from KILLER: tomb__kill. */
inline kill(r, kd) {
	atomic { !mu -> mu = 1; assert(!freed);
		kill_first(r, kd);
		if
		:: kd == 0 -> mu = 0
		:: else
		fi
	};
	if
	:: kd > 0 ->
		KILL_MID(r, kd)
		atomic { kill_rest(kd); mu = 0 }
	:: else
	fi
}

/* The epilogue of worker_main for worker me whose function returned rc
 * (go.c): join the reap chain, uncount, worker_returned_locked, unlock,
 * join the predecessor, exit. */
inline worker_return(me, rc, kr, kd, prev, hp) {
	atomic { !mu -> mu = 1; assert(!freed);
		running--;
		hp = has_zombie;
		prev = zombie;
		zombie = me;
		has_zombie = 1;
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
		:: kd == 0 -> slot_signal(); settle(); mu = 0; users--
		:: else
		fi
	};
	if
	:: kd > 0 ->
		KILL_MID(kr, kd)
		atomic { kill_rest(kd); slot_signal(); settle(); mu = 0; users-- }
	:: else
	fi;
	if
	:: hp -> join(prev)
	:: else
	fi;
	/* Exit; the locals are dead (reset, so that states merge). */
	atomic { exited[me] = 1; rc = 0; kr = 0; prev = 0; hp = 0 }
}

/* take_slot_locked's decision, with mu held (MAIN is no worker, so no
 * EDEADLK); then go's count before the thread exists. */
inline take_slot(err, swaited, ebefore) {
	if
	:: is_dead -> err = ESRCH
	:: !is_dead && swaited && is_dying -> err = ECANCELED
	:: !is_dead && !(swaited && is_dying) && (limit == 0 || live < limit) ->
		err = OK
	:: !is_dead && !(swaited && is_dying) && !(limit == 0 || live < limit) &&
	   is_dying -> err = ECANCELED
	:: !is_dead && !(swaited && is_dying) && !(limit == 0 || live < limit) &&
	   !is_dying ->
		/* pthread_cond_wait(&t->slot_cv, &t->mu) */
		err = SLOTWAIT;
		slot_waiters++;
		slot_cv = slot_cv | BIT(MAIN);
		mu = 0
	fi;
	if
	:: err == OK -> live++; ebefore = ended; mu = 0
	:: err != OK && err != SLOTWAIT -> mu = 0
	:: else
	fi
}

/* tomb_go(t, worker w) from MAIN (go.c). */
inline go(w, err, ebefore, swaited, kr, kd) {
	swaited = 0;
	atomic { !mu -> mu = 1; assert(!freed); take_slot(err, swaited, ebefore) };
	do
	:: err == SLOTWAIT ->
		atomic { (slot_cv & BIT(MAIN)) == 0 && !mu -> mu = 1;
			slot_waiters--;
			swaited = 1;
			take_slot(err, swaited, ebefore) }
	:: else -> break
	od;
	if
	:: err == OK ->
		if
		:: atomic { assert(!is_dead); started[w] = 1; running++; users++ }
		:: /* pthread_create fails: undo, and act for a worker that
		    * ended meanwhile and was not seen to be the last. */
			atomic { !mu -> mu = 1; assert(!freed);
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
				atomic { kill_rest(kd); slot_signal(); settle(); mu = 0 }
			:: else
			fi;
			err = ECREATE
		fi
	:: else
	fi;
	atomic {
		if
		:: err != OK -> started[w] = 2
		:: else
		fi;
		ebefore = 0;
		swaited = 0;
		kr = 0
	}
}

/* join_zombie_locked (wait.c), with mu held. */
inline join_zombie(me, z) {
	do
	:: atomic { has_zombie ->
		z = zombie; has_zombie = 0; joining = 1; mu = 0 };
		join(z);
		atomic { !mu -> mu = 1; assert(!freed); joining = 0; dead_cv = 0 }
	:: atomic { !has_zombie && joining ->
		dead_cv = dead_cv | BIT(me); mu = 0 };
		atomic { (dead_cv & BIT(me)) == 0 && !mu -> mu = 1 }
	:: !has_zombie && !joining -> break
	od
}

/* The errgroup and group lifetimes die with 0 once their owner waits and
 * nothing runs (tomb_timedwait). */
#define WAIT_KILLS (!is_dying && lifetime != LT_TOMB && live == 0)

/* One turn of tomb_timedwait's loop, with mu held. */
inline wait_decide(me, act, kd, to) {
	if
	:: WAIT_KILLS -> act = W_KILL; kill_first(0, kd)
	:: !WAIT_KILLS && is_dead -> act = W_DEAD
	:: !WAIT_KILLS && !is_dead && to -> act = W_TIMEDOUT
	:: !WAIT_KILLS && !is_dead && !to ->
		/* pthread_cond_(timed)wait(&t->dead_cv, &t->mu) */
		act = W_WAIT;
		dead_cv = dead_cv | BIT(me);
		mu = 0
	fi
}

/* tomb_timedwait(t, timed ? deadline : NULL, &r) (wait.c).  The timed
 * pthread_cond_timedwait may give up at any moment, even once woken. */
inline timedwait(me, timed, err, r, to, z, act, kd) {
	to = 0;
	atomic { !mu -> mu = 1; assert(!freed);
		waiters++;
		waited = 1;
		wait_decide(me, act, kd, to) };
	do
	:: act == W_KILL ->
		KILL_MID(0, kd)
		atomic { kill_rest(kd); wait_decide(me, act, kd, to) }
	:: act == W_WAIT ->
		if
		:: atomic { (dead_cv & BIT(me)) == 0 && !mu -> mu = 1;
			wait_decide(me, act, kd, to) }
		:: atomic { timed && !mu ->
			dead_cv = dead_cv & ~BIT(me);
			mu = 1;
			to = 1;
			wait_decide(me, act, kd, to) }
		fi
	:: act == W_DEAD -> join_zombie(me, z); err = OK; break
	:: act == W_TIMEDOUT -> err = ETIMEDOUT; break
	od;
	atomic {
		if
		:: err == OK ->
			r = reason;
			assert(r == first);
			/* Every worker thread has been joined. */
			assert(started[W1] != 1 || exited[W1]);
			assert(started[W2] != 1 || exited[W2])
		:: else
		fi;
		waiters--;
		mu = 0;
		act = 0;
		to = 0;
		z = 0
	}
}

/* tomb_free(t) (tomb.c). */
inline free_tomb(err, hz, z) {
	atomic { !mu -> mu = 1; assert(!freed);
		if
		:: live > 0 || waiters > 0 || sleepers > 0 ->
			err = EBUSY;
			assert(users > 0) /* busy only while a worker may touch t */
		:: else ->
			/* No worker runs or will touch t again; nobody blocks. */
			assert(running == 0 && users == 0);
			assert(fq_state == 0 && dead_cv == 0 && slot_cv == 0 && !condq);
			hz = has_zombie;
			z = zombie;
			has_zombie = 0;
			err = OK
		fi;
		mu = 0
	};
	if
	:: err == OK ->
		if
		:: hz -> join(z)
		:: else
		fi;
		atomic {
			/* Every worker thread has been joined by now. */
			assert(started[W1] != 1 || exited[W1]);
			assert(started[W2] != 1 || exited[W2]);
			freed = 1
		}
	:: else
	fi
}

proctype Main() {
	byte err, ebefore, r, z, kr, kd, act;
	bit swaited, to, hz;

	go(W1, err, ebefore, swaited, kr, kd);
	if
	:: err != OK -> w1_gone = 1
	:: else
	fi;
	go(W2, err, ebefore, swaited, kr, kd);
	if
	:: timedwait(MAIN, 0, err, r, to, z, act, kd)
	:: timedwait(MAIN, 1, err, r, to, z, act, kd)
	fi;
	k_done; /* pthread_join(killer) */
	free_tomb(err, hz, z);
	if
	:: err == EBUSY ->
		timedwait(MAIN, 0, err, r, to, z, act, kd);
		assert(err == OK);
		free_tomb(err, hz, z);
		assert(err == OK)
	:: else -> assert(err == OK)
	fi
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
	bit hp, timed, cancelled;

	started[W1] != 0;
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
			/* tomb_futex_wait2: futex_waitv on seq and state. */
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
	worker_return(W1, rc, kr, kd, prev, hp);
done:
	skip
}

/* W2: e = tomb_sleep(t, dl); return e == ECANCELED ? TOMB_EDYING, 0 or 2
 * : 0 or 2; */
proctype Worker2() {
	byte err, st, rc, kr, kd, prev;
	bit hp, timed, counted;

	started[W2] != 0;
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
			/* tomb_futex_wait(&t->state, st, dl) */
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
	worker_return(W2, rc, kr, kd, prev, hp);
done:
	skip
}

proctype Killer() {
	byte err, r, z, kd, act;
	bit to;

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
	:: kill(0, kd);
		if
		:: skip
		:: kill(R_K, kd) /* replaces the provisional 0 */
		fi
	:: kill(R_K, kd)
	fi;
	if
	:: skip
	:: timedwait(KILLER, 0, err, r, to, z, act, kd); assert(err == OK)
	fi;
	atomic { k_done = 1; err = 0; r = 0 }
}

/* The invariants, checked in every state. */
active proctype monitor() {
end:	atomic {
		!(state == ALIVE || state == DYING || state == DEAD) ||
		(is_dying && reason != first) ||
		(!is_dying && reason != 0) ||
		(is_dead && (running > 0 || live > 0)) ||
		(freed && users > 0) ->
		assert(false)
	}
}

init {
	atomic {
		if
		:: lifetime = LT_TOMB
		:: lifetime = LT_ERRGROUP
		:: lifetime = LT_GROUP
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
