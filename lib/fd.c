/* SPDX-License-Identifier: MIT */
/* fd.c: descriptors that become readable when a tomb is dying or dead. */
#include "config.h"

#include "sys.h"
#include "tomb_private.h"

#include <errno.h>

/* Returns ev's descriptor, opening ev first; a new one is readable at once
 * if t's state already has `bit`. */
static int get_fd(tomb_t *t, struct tomb__event *ev, uint32_t bit)
{
	int fd, err = 0;

	if (tomb__inherited(t)) {
		errno = EOWNERDEAD; /* made before a fork */
		return -1;
	}
	tomb__lock(t);
	if (ev->fd < 0 && (err = tomb__event_open(ev)) == 0 &&
	    (atomic_load_explicit(&t->state, memory_order_relaxed) & bit))
		tomb__event_signal(ev);
	fd = ev->fd;
	tomb__unlock(t);
	if (fd < 0)
		errno = err;
	return fd;
}

TOMB_EXPORT int tomb_dying_fd(tomb_t *t)
{
	if (t == NULL) {
		errno = EINVAL;
		return -1;
	}
	return get_fd(t, &t->dying_ev, TOMB_S_DYING);
}

TOMB_EXPORT int tomb_dead_fd(tomb_t *t)
{
	if (t == NULL) {
		errno = EINVAL;
		return -1;
	}
	return get_fd(t, &t->dead_ev, TOMB_S_DEAD);
}
