/* kill.c: killing a tomb, the precedence of reasons, and their messages. */
#include "config.h"

#include "futex.h"
#include "tomb_private.h"

#include <errno.h>
#include <limits.h>
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
	s = reason > 0 ? strerrordesc_np(reason) : NULL;
	if (s != NULL)
		return s;
	snprintf(t->defmsg, sizeof(t->defmsg), "reason %d", reason);
	return t->defmsg;
}

/* Makes (reason, message) the reason in force.  `slot` is where an owned
 * message goes: 0 for a provisional 0 reason, 1 for the final one. */
static bool set_reason_locked(tomb_t *t, int reason, char *owned,
                              const char *smsg)
{
	const char *m = owned != NULL ? owned : smsg;

	if (m == NULL)
		m = default_msg(t, reason);
	if (owned != NULL)
		t->owned[reason == 0 ? 0 : 1] = owned;
	atomic_store_explicit(&t->reason, reason, memory_order_release);
	atomic_store_explicit(&t->msg, m, memory_order_release);
	return owned != NULL;
}

bool tomb__kill_locked(tomb_t *t, int reason, char *owned, const char *smsg)
{
	uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);
	bool kept = false;

	if ((s & TOMB_S_DYING) == 0) {
		/* ALIVE -> DYING.  The reason is stored before the bit, so whoever
		 * sees DYING sees the reason. */
		kept = set_reason_locked(t, reason, owned, smsg);
		atomic_fetch_or(&t->state, TOMB_S_DYING);
		if (atomic_load(&t->sleepers) > 0)
			tomb_futex_wake_all(&t->state);
		tomb__settle_locked(t);
	} else if (reason != 0 && reason != TOMB_EDYING &&
	           atomic_load_explicit(&t->reason, memory_order_relaxed) == 0) {
		/* The provisional 0 gives way to the first non-zero reason. */
		kept = set_reason_locked(t, reason, owned, smsg);
	}
	return kept;
}

void tomb__settle_locked(tomb_t *t)
{
	uint32_t s = atomic_load_explicit(&t->state, memory_order_relaxed);

	if ((s & TOMB_S_DYING) && !(s & TOMB_S_DEAD) && t->live == 0) {
		atomic_fetch_or(&t->state, TOMB_S_DEAD);
		pthread_cond_broadcast(&t->dead_cv);
	}
}

/* Whether (t, reason) may be given to a kill: 0 or EINVAL. */
static int check_kill(const tomb_t *t, int reason)
{
	if (t == NULL || reason == TOMB_STILL_ALIVE)
		return EINVAL;
	if (reason == TOMB_EDYING && !tomb_dying(t))
		return EINVAL; /* Go panics here; the tomb is left as it was */
	return 0;
}

TOMB_EXPORT int tomb_kill(tomb_t *t, int reason)
{
	int err = check_kill(t, reason);

	if (err != 0)
		return err;
	tomb__lock(t);
	tomb__kill_locked(t, reason, NULL, NULL);
	tomb__unlock(t);
	return 0;
}

TOMB_EXPORT int tomb_killf(tomb_t *t, int reason, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	bool kept;
	int err = check_kill(t, reason);

	if (err != 0 || fmt == NULL)
		return EINVAL;
	/* Format outside the lock.  Without memory the kill still happens,
	 * with the default message: the reason matters more than its words. */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);

	tomb__lock(t);
	kept = tomb__kill_locked(t, reason, msg, NULL);
	tomb__unlock(t);
	if (!kept)
		free(msg);
	return reason;
}
