/* SPDX-License-Identifier: MIT */
/*
 * poll.c: poll(2) that a kill interrupts, and the step every blocking call
 * of io.c and socket.c shares: wait until a descriptor is ready, the tomb is
 * dying or the deadline passes.
 *
 * The tomb's side is its dying descriptor (tomb_dying_fd: made on first use,
 * then reused), polled next to the caller's descriptors, so a wait while the
 * tomb is alive is the one ppoll system call, and a kill, which makes that
 * descriptor readable, wakes every thread polling it at once.
 */
#include "config.h"

#include "blocked.h"
#include "tomb_private.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSEC_PER_SEC 1000000000L

/* Up to this many caller's descriptors are polled from an array on the
 * stack; more take one allocation per call. */
#define POLL_STACK_FDS 16

/* Sets *rel to the time left until abstime (zero once it has passed) and
 * returns whether any is left. */
static bool time_left(const struct timespec *abstime, struct timespec *rel)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	rel->tv_sec = abstime->tv_sec - now.tv_sec;
	rel->tv_nsec = abstime->tv_nsec - now.tv_nsec;
	if (rel->tv_nsec < 0) {
		rel->tv_sec--;
		rel->tv_nsec += NSEC_PER_SEC;
	}
	if (rel->tv_sec < 0 || (rel->tv_sec == 0 && rel->tv_nsec == 0)) {
		rel->tv_sec = 0;
		rel->tv_nsec = 0;
		return false;
	}
	return true;
}

/* tomb_poll without its cancellation guard and its count in t->sleepers. */
static int poll_counted(tomb_t *t, struct pollfd *fds, nfds_t nfds,
                        const struct timespec *abstime, int *nready);

/* tomb_poll counts itself in t->sleepers while it polls, so that tomb_free
 * is EBUSY meanwhile (the dying descriptor is t's), and, as every libtomb
 * call, is no cancellation point (ppoll is one: tomb(7)). */
TOMB_EXPORT int tomb_poll(tomb_t *t, struct pollfd *fds, nfds_t nfds,
                          const struct timespec *abstime, int *nready)
{
	int err, cancel_state;

	if (t != NULL && tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	cancel_state = tomb__nocancel_begin();
	if (t != NULL)
		atomic_fetch_add(&t->sleepers, 1);
	tomb__blocking_begin();
	err = poll_counted(t, fds, nfds, abstime, nready);
	tomb__blocking_end();
	if (t != NULL)
		atomic_fetch_sub(&t->sleepers, 1);
	tomb__nocancel_end(cancel_state);
	return err;
}

static int poll_counted(tomb_t *t, struct pollfd *fds, nfds_t nfds,
                        const struct timespec *abstime, int *nready)
{
	struct pollfd stack[POLL_STACK_FDS + 1], *all = stack;
	struct timespec rel;
	int dfd = -1, err;

	if (nready == NULL || (fds == NULL && nfds > 0) ||
	    nfds >= SIZE_MAX / sizeof(*all))
		return EINVAL;
	*nready = 0;
	err = tomb__check_deadline(abstime);
	if (err != 0)
		return err;
	if (t != NULL) {
		if (tomb_dying(t))
			return ECANCELED;
		dfd = tomb_dying_fd(t);
		if (dfd < 0)
			return errno;
	}
	if (nfds > POLL_STACK_FDS) {
		all = malloc((nfds + 1) * sizeof(*all));
		if (all == NULL)
			return ENOMEM;
	}
	if (nfds > 0)
		memcpy(all, fds, nfds * sizeof(*all));
	/* With no tomb, a negative descriptor that poll ignores. */
	all[nfds].fd = dfd;
	all[nfds].events = POLLIN;
	all[nfds].revents = 0;

	for (;;) {
		bool left = abstime != NULL && time_left(abstime, &rel);
		int n = ppoll(all, nfds + 1, abstime != NULL ? &rel : NULL, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue; /* an unrelated signal: wait on */
			err = errno;
			break;
		}
		for (nfds_t i = 0; i < nfds; i++)
			fds[i].revents = all[i].revents;
		if (all[nfds].revents != 0) {
			err = ECANCELED;
			break;
		}
		if (n > 0) {
			*nready = n;
			break;
		}
		/* Nothing ready: the deadline passed (a deadline in the past
		 * polls once), unless ppoll woke a little early. */
		if (!left || !time_left(abstime, &rel)) {
			err = ETIMEDOUT;
			break;
		}
	}
	if (all != stack)
		free(all);
	return err;
}

TOMB_EXPORT int tomb_poll_fd(tomb_t *t, int fd, short events,
                             const struct timespec *abstime)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n, err;

	if (fd < 0)
		return tomb__check_deadline(abstime) != 0 ? EINVAL : EBADF;
	err = tomb_poll(t, &p, 1, abstime, &n);
	if (err == 0 && (p.revents & POLLNVAL) != 0)
		err = EBADF;
	return err;
}
