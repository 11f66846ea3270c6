/* SPDX-License-Identifier: MIT */
/* fd.c: descriptors that become readable when a tomb is dying or dead. */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

void tomb__fd_signal(int fd)
{
	uint64_t one = 1;

	/* Never blocks: the counter only ever reaches 1 or 2. */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		continue;
}

/* Returns *slot, making it first; a new one is readable at once if t's state
 * already has `bit`. */
static int get_fd(tomb_t *t, int *slot, uint32_t bit)
{
	int fd, err = 0;

	tomb__lock(t);
	fd = *slot;
	if (fd < 0) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			err = errno;
		} else {
			*slot = fd;
			if (atomic_load_explicit(&t->state, memory_order_relaxed) &
			    bit)
				tomb__fd_signal(fd);
		}
	}
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
	return get_fd(t, &t->dying_fd, TOMB_S_DYING);
}

TOMB_EXPORT int tomb_dead_fd(tomb_t *t)
{
	if (t == NULL) {
		errno = EINVAL;
		return -1;
	}
	return get_fd(t, &t->dead_fd, TOMB_S_DEAD);
}
