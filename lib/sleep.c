/* SPDX-License-Identifier: MIT */
/* sleep.c: waiting for a tomb to be dying, and sleeping until a deadline
 * unless it dies first. */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <stdlib.h>

TOMB_EXPORT int tomb_wait_dying(tomb_t *t, const struct timespec *abstime)
{
	int err = 0;

	if (t == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (tomb_dying(t))
		return 0;
	/* See `sleepers` in tomb_private.h for why no wake-up is lost. */
	atomic_fetch_add(&t->sleepers, 1);
	tomb__blocking_begin();
	for (;;) {
		uint32_t s = atomic_load(&t->state);

		if (s & TOMB_S_DYING) {
			TOMB_ANN_ACQUIRE(&t->state); /* as tomb_dying */
			err = 0;
			break;
		}
		if (err == ETIMEDOUT)
			break;
		err = tomb__futex_wait(&t->state, s, abstime);
		if (err != 0 && err != EAGAIN && err != EINTR && err != ETIMEDOUT)
			abort(); /* the deadline was checked: a bug in libtomb */
	}
	tomb__blocking_end();
	atomic_fetch_sub(&t->sleepers, 1);
	return err;
}

TOMB_EXPORT int tomb_sleep(tomb_t *t, const struct timespec *abstime)
{
	int err = tomb_wait_dying(t, abstime);

	if (err == 0)
		return ECANCELED;
	return err == ETIMEDOUT ? 0 : err;
}
