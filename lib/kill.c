/* SPDX-License-Identifier: MIT */
/* kill.c: killing a tomb, the precedence of reasons and their messages,
 * and what a kill wakes. */
#include "config.h"

#include "annotate.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The message for a reason given without one.  Called with mu held, when
 * reason becomes the reason in force; writes defmsg at most once, because a
 * non-zero reason is set at most once. */
static const char *default_msg(tomb_t *t, int reason)
{
	const char *s;

	if (reason == 0)
		return "";
	s = tomb__errno_desc(reason);
	if (s != NULL)
		return s;
	snprintf(t->defmsg, sizeof(t->defmsg), "reason %d", reason);
	return t->defmsg;
}

/* Makes (reason, message) the reason in force; see tomb__kill_locked for
 * owned and smsg. */
static void set_reason_locked(tomb_t *t, int reason, char **owned,
                              const char *smsg)
{
	const char *m = smsg;

	if (owned != NULL && *owned != NULL) {
		/* Slot 0 holds a provisional 0's message, slot 1 the final one;
		 * each is written at most once. */
		m = t->owned[reason == 0 ? 0 : 1] = *owned;
		*owned = NULL;
	}
	if (m == NULL)
		m = default_msg(t, reason);
	atomic_store_explicit(&t->reason, reason, memory_order_release);
	TOMB_ANN_RELEASE(&t->msg); /* for tomb_errmsg's readers */
	atomic_store_explicit(&t->msg, m, memory_order_release);
}

/* With t->mu held, t just made dying: wakes what a kill wakes under mu
 * (the sleepers on `state` are woken after it, in tomb__after_kill):
 * condition waiters registered on condq, and tomb_go calls waiting for a
 * slot (they fail with ECANCELED). */
static void wake_dying_locked(tomb_t *t)
{
	tomb__cond_wake_registered_locked(t);
	if (t->slot_waiters > 0)
		tomb__cond_broadcast(&t->slot_cv);
}

bool tomb__kill_locked(tomb_t *t, int reason, char **owned, const char *smsg)
{
	uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);
	bool fire = false;

	if ((s & TOMB_S_DYING) == 0) {
		/* ALIVE -> DYING.  The reason is stored before the bit, so whoever
		 * sees DYING sees the reason; the fetch_or is sequentially
		 * consistent, for the `sleepers` hand-shake. */
		set_reason_locked(t, reason, owned, smsg);
		TOMB_ANN_RELEASE(&t->state); /* for tomb_dying's readers */
		atomic_fetch_or(&t->state, TOMB_S_DYING);
		wake_dying_locked(t);
		/* The sleepers on `state` are woken by tomb__after_kill, once mu
		 * is released, so that they do not wake only to queue on mu
		 * behind the killer.  `sleepers` is read after DYING is set (see
		 * there). */
		if (atomic_load(&t->sleepers) > 0) {
			t->waking = true;
			fire = true;
		}
		/* The dying descriptor: signalled now, or, when the kill has
		 * sleepers to wake (tomb_poll's pollers are counted there), by
		 * its tail with them (waking_fd).  The kernel wakes n pollers
		 * of one eventfd while it holds its wait queue, and each woken
		 * poller would then queue on mu behind this killer. */
		if (t->dying_ev.fd >= 0) {
			if (t->waking)
				atomic_store(&t->waking_fd, true);
			else
				tomb__event_signal(&t->dying_ev);
		}
		if (!tomb__list_empty(&t->hooks)) {
			t->firing++; /* holds off DEAD until the callbacks ran */
			t->kill_fires = true;
			fire = true;
		}
		tomb__settle_locked(t);
	} else {
		if (reason != 0 && reason != TOMB_EDYING &&
		    atomic_load_explicit(&t->reason, memory_order_relaxed) == 0) {
			/* The provisional 0 gives way to the first non-zero
			 * reason. */
			set_reason_locked(t, reason, owned, smsg);
		}
		/* The first killer's tail may not have written the dying
		 * descriptor yet: this kill does not return before it is. */
		tomb__signal_dying_owed(t);
		/* A dying errgroup or group child may be dead once its
		 * parent is dying too: this may be the parent's kill. */
		tomb__settle_locked(t);
	}
	return fire;
}

/* The first part of a kill's tail, after tomb__kill_locked returned true:
 * signals the dying descriptor if the kill left that to it (so that a
 * sleeper woken next finds it readable), wakes the sleepers on `state`,
 * then takes mu and clears `waking`.  Returns with mu held. */
static void wake_sleepers(tomb_t *t)
{
	/* Only this thread, the killer, sets `waking` and `kill_fires`, and a
	 * tomb starts dying once: it reads its own writes without mu.  While
	 * `waking` holds, tomb_free waits, so t is still there. */
	tomb__signal_dying_owed(t);
	if (t->waking && atomic_load(&t->sleepers) > 0)
		tomb__futex_wake_all(&t->state);
	tomb__lock(t);
	if (t->waking) {
		t->waking = false;
		tomb__cond_broadcast(&t->dead_cv); /* for tomb_free */
	}
}

void tomb__after_kill(tomb_t *t)
{
	wake_sleepers(t);
	if (t->kill_fires) {
		t->kill_fires = false;
		tomb__fire_hooks_locked(t);
	}
	tomb__unlock(t);
}

/*
 * The tombs that a parent's death killed (tomb__kill_child), whose
 * callbacks this thread has still to run, oldest first, linked through
 * their `fire_next`; and whether a call further up this thread's stack is
 * running them (`draining`).  A child's callbacks kill its own children, so
 * run where they are found they would nest once per level of the tree; run
 * from this queue by the outermost tomb__kill_child, the stack stays the
 * same at any depth.  Each tomb here has `firing` counted (its kill did it),
 * so it is neither DEAD nor freed before its callbacks have run.  Only this
 * thread touches the queue and its tombs' `fire_next`.
 */
static _Thread_local struct {
	tomb_t *head, *tail;
	bool draining;
} orphans;

void tomb__kill_child(tomb_t *c, int reason, const char *smsg)
{
	bool fires;

	tomb__lock(c);
	if (!tomb__kill_locked(c, reason, NULL, smsg)) {
		tomb__unlock(c);
		return;
	}
	tomb__unlock(c);
	/* Its sleepers are woken now, as by any kill; its callbacks, later
	 * in this call or in the one that runs the queue. */
	wake_sleepers(c);
	fires = c->kill_fires;
	c->kill_fires = false;
	tomb__unlock(c);
	if (!fires)
		return;
	c->fire_next = NULL;
	if (orphans.tail != NULL)
		orphans.tail->fire_next = c;
	else
		orphans.head = c;
	orphans.tail = c;
	if (orphans.draining)
		return;
	orphans.draining = true;
	while ((c = orphans.head) != NULL) {
		orphans.head = c->fire_next;
		if (orphans.head == NULL)
			orphans.tail = NULL;
		tomb__lock(c);
		tomb__fire_hooks_locked(c); /* may queue c's children */
		tomb__unlock(c);
	}
	orphans.draining = false;
}

void tomb__kill(tomb_t *t, int reason, char **owned, const char *smsg)
{
	bool fire;

	tomb__lock(t);
	fire = tomb__kill_locked(t, reason, owned, smsg);
	tomb__unlock(t);
	if (fire)
		tomb__after_kill(t);
}

/* Whether (t, reason) may be given to a kill: 0, EINVAL or EOWNERDEAD. */
static int check_kill(const tomb_t *t, int reason)
{
	if (t == NULL || reason == TOMB_STILL_ALIVE)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (reason == TOMB_EDYING && !tomb_dying(t))
		return EINVAL; /* Go panics here; the tomb is left as it was */
	return 0;
}

TOMB_EXPORT int tomb_kill(tomb_t *t, int reason)
{
	int err = check_kill(t, reason);

	if (err != 0)
		return err;
	tomb__kill(t, reason, NULL, NULL);
	return 0;
}

TOMB_EXPORT int tomb_killf(tomb_t *t, int reason, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int err = check_kill(t, reason);

	if (err != 0)
		return err;
	if (fmt == NULL)
		return EINVAL;
	/* Format outside the lock.  Without memory the kill still happens,
	 * with the default message: the reason matters more than its words. */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);

	tomb__kill(t, reason, &msg, NULL);
	free(msg); /* NULL if the tomb took it */
	return reason;
}
