/* SPDX-License-Identifier: MIT */
/*
 * socket.c: accept and connect that a kill interrupts.
 *
 * accept4 has no "do not wait" flag of its own: on a non-blocking listening
 * socket the call tries it first and waits in tomb_poll_fd on EAGAIN; on a
 * blocking one it waits first, then accepts, which blocks if another thread
 * took the connection in between (the man page says so).  connect makes its
 * socket non-blocking, waits for the connection in tomb_poll_fd, and gives
 * the caller the flags asked for.
 */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

static int accept_body(tomb_t *t, int fd, struct sockaddr *addr,
                       socklen_t *addrlen, int flags, int *newfd,
                       const struct timespec *abstime)
{
	bool ready;
	int err, fl;

	if (newfd != NULL)
		*newfd = -1;
	/* accept4's flags are checked here: musl 1.2.3's accept4 drops
	 * unknown ones and accepts. */
	if (newfd == NULL || (addr != NULL && addrlen == NULL) ||
	    (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0 ||
	    tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (fd < 0)
		return EBADF;
	if (tomb_dying(t))
		return ECANCELED;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return errno;
	/* A blocking socket is accepted from only once poll said ready. */
	ready = (fl & O_NONBLOCK) != 0;
	for (;;) {
		if (ready) {
			int s = accept4(fd, addr, addrlen, flags);

			if (s >= 0) {
				*newfd = s;
				return 0;
			}
			/* A connection reset before it was accepted is
			 * gone: wait for the next one, as accept's would. */
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return errno;
		}
		err = tomb_poll_fd(t, fd, POLLIN, abstime);
		if (err != 0)
			return err;
		ready = true;
	}
}

/* Waits for the connection on s, non-blocking and in progress, to be made:
 * 0 or the error. */
static int await_connected(tomb_t *t, int s, const struct timespec *abstime)
{
	int err = tomb_poll_fd(t, s, POLLOUT, abstime), so = 0;
	socklen_t len = sizeof(so);

	if (err != 0)
		return err;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &so, &len) != 0)
		return errno;
	return so;
}

static int connect_body(tomb_t *t, const struct sockaddr *addr,
                        socklen_t addrlen, int type, int *fdp,
                        const struct timespec *abstime)
{
	int s, err = 0;

	if (fdp == NULL)
		return EINVAL;
	*fdp = -1;
	if (addr == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb_dying(t))
		return ECANCELED;
	s = socket(addr->sa_family, type | SOCK_NONBLOCK, 0);
	if (s < 0)
		return errno;
	if (connect(s, addr, addrlen) != 0) {
		/* EINTR: the connection goes on, as if in progress. */
		if (errno == EINPROGRESS || errno == EINTR)
			err = await_connected(t, s, abstime);
		else
			err = errno;
	}
	if (err == 0 && (type & SOCK_NONBLOCK) == 0) {
		int fl = fcntl(s, F_GETFL);

		if (fl < 0 || fcntl(s, F_SETFL, fl & ~O_NONBLOCK) != 0)
			err = errno;
	}
	if (err != 0) {
		close(s);
		return err;
	}
	*fdp = s;
	return 0;
}

/* The bodies above as no cancellation point, as every libtomb call
 * (tomb(7)): accept4, connect and ppoll are ones. */
TOMB_EXPORT int tomb_accept(tomb_t *t, int fd, struct sockaddr *addr,
                            socklen_t *addrlen, int flags, int *newfd,
                            const struct timespec *abstime)
{
	int cancel_state = tomb__nocancel_begin();
	int err = accept_body(t, fd, addr, addrlen, flags, newfd, abstime);

	tomb__nocancel_end(cancel_state);
	return err;
}

TOMB_EXPORT int tomb_connect(tomb_t *t, const struct sockaddr *addr,
                             socklen_t addrlen, int type, int *fdp,
                             const struct timespec *abstime)
{
	int cancel_state = tomb__nocancel_begin();
	int err = connect_body(t, addr, addrlen, type, fdp, abstime);

	tomb__nocancel_end(cancel_state);
	return err;
}
