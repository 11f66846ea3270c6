/*
 * tomb_private.h: the tomb's fields, its states and its lock invariants, and
 * the internal calls the library's files make to each other.  Not installed.
 */
#ifndef TOMB_PRIVATE_H
#define TOMB_PRIVATE_H

#include "tomb.h"

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
 *   ALIVE --kill--> DYING --last worker returns--> DEAD
 *   ALIVE --kill while no worker is live---------> DEAD
 *
 * Both bits are set only under `mu`, and DEAD is set in the same critical
 * section that makes "dying and live == 0" true, so nobody can observe a tomb
 * that is dying with no live worker and not DEAD.  No bit is ever cleared.
 *
 * DEAD says every worker function has returned; a waiter returns only once,
 * in addition, every worker thread has been joined (see `zombie`).
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
	 * increments it before its last look at `state`, and a kill sets DYING
	 * before it reads this count (both sequentially consistent), so either
	 * the sleeper sees DYING or the kill sees the sleeper and wakes it. */
	_Atomic uint32_t sleepers;

	/* The reason in force and its message; meaningful once DYING.  Written
	 * under mu, at most twice (a provisional 0, then the first non-zero
	 * reason); read without mu.  `msg` always points to a string that stays
	 * valid until tomb_free: a static one, `defmsg`, or one of `owned`. */
	_Atomic int reason;
	_Atomic(const char *) msg;

	/* Guards every field below. */
	pthread_mutex_t mu;

	/* Broadcast when DEAD is set and when a waiter has finished joining
	 * `zombie`.  Uses CLOCK_MONOTONIC for timed waits. */
	pthread_cond_t dead_cv;

	/* Workers counted as running: tomb_go counts one before it creates the
	 * thread, and the worker uncounts itself after its function returned.
	 * DEAD requires live == 0. */
	uint64_t live;

	/* Workers whose function has returned, ever.  tomb_go compares it before
	 * and after a failed pthread_create to learn whether a worker ended while
	 * the failed one was counted (and so was not seen to be the last). */
	uint64_t ended;

	/* The reap chain.  A returning worker swaps its own handle into `zombie`
	 * and, after unlocking, joins the worker that was there before it; so
	 * joining the zombie joins every worker that ended before it.  After
	 * DEAD, one waiter (or tomb_free) takes the zombie, sets `joining`, joins
	 * it without mu, then clears `joining` and broadcasts dead_cv. */
	pthread_t zombie;
	bool has_zombie;
	bool joining;

	/* Threads inside tomb_wait/tomb_timedwait; tomb_free is EBUSY while > 0. */
	uint32_t waiters;

	/* Messages given to tomb_killf that became the message in force: one for
	 * a provisional 0 reason and one for the final reason.  Freed by
	 * tomb_free, never before, since a reader may hold either. */
	char *owned[2];

	/* The default message of a reason strerror does not know. */
	char defmsg[32];
};

/* The worker whose function this thread is running, if any (thread-local). */
extern _Thread_local const tomb_t *tomb__current;

/*
 * Kills t with reason and msg (an owned string, or NULL for the default).
 * Call with t->mu held.  reason must not be TOMB_STILL_ALIVE; TOMB_EDYING
 * must only come while t is dying.  Returns true when it kept msg (the tomb
 * now owns it); false means the caller still owns msg.
 */
bool tomb__kill_locked(tomb_t *t, int reason, char *msg, const char *smsg);

/* With t->mu held: sets DEAD if t is dying with no live worker. */
void tomb__settle_locked(tomb_t *t);

/* Locks and unlocks mu; a failure there can only be a bug, so it aborts. */
void tomb__lock(tomb_t *t);
void tomb__unlock(tomb_t *t);

/* 0 if abstime is NULL or a valid timespec, else EINVAL. */
int tomb__check_deadline(const struct timespec *abstime);

#endif
