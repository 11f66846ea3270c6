/* SPDX-License-Identifier: MIT */
/* kill_from.c: killing a tomb with the reason and message of another. */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

TOMB_EXPORT int tomb_kill_from(tomb_t *t, const tomb_t *from)
{
	tomb_t *f = (tomb_t *)(uintptr_t)from; /* only its lock is written */
	char *msg;
	int reason;

	if (t == NULL || from == NULL || !tomb_dying(from))
		return EINVAL;
	if (tomb__inherited(t) || tomb__inherited(from))
		return EOWNERDEAD; /* made before a fork */
	/* The reason and its message are read as one pair, under from's lock:
	 * a kill replacing a provisional 0 stores the reason, then the
	 * message, and two lock-free reads could pair the new reason with the
	 * old message.  The message is copied under the lock too: t may well
	 * outlive from.  Without memory the kill still happens, with the
	 * reason's default message. */
	tomb__lock(f);
	reason = atomic_load_explicit(&f->reason, memory_order_relaxed);
	msg = strdup(atomic_load_explicit(&f->msg, memory_order_relaxed));
	tomb__unlock(f);
	tomb__kill(t, reason, &msg, NULL);
	free(msg); /* NULL if t took it */
	return 0;
}
