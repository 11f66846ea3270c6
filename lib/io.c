/* SPDX-License-Identifier: MIT */
/*
 * io.c: read, write, recv and send that a kill interrupts.
 *
 * Each call tries the transfer without blocking first, whatever the
 * descriptor's flags (which it never changes), and waits in tomb_poll_fd
 * only when the transfer would block; so a transfer of data that is ready
 * is one system call, and a wait is one ppoll that the tomb's kill, the
 * deadline or the descriptor ends.  "Without blocking" is:
 *   - sockets: MSG_DONTWAIT (and MSG_NOSIGNAL for sends);
 *   - other descriptors: preadv2/pwritev2 with RWF_NOWAIT (Linux 4.14;
 *     pipes honour it since 5.x), at the current file position;
 *   - where the kernel refuses RWF_NOWAIT (EOPNOTSUPP, ENOSYS), or the C
 *     library has no preadv2/pwritev2 (musl; taken as ENOSYS): a plain
 *     read or write if the descriptor is non-blocking or a regular file or
 *     block device (those never wait for a peer), else a plain one after
 *     poll said ready, at most PIPE_BUF bytes for a write: then another
 *     thread taking the data in between can make it block (documented).
 * A regular file's RWF_NOWAIT fails with EAGAIN when the data is not
 * cached, while poll calls it ready: after a poll, such a file is read or
 * written plainly.
 *
 * A write to a pipe or another non-socket whose reader has gone raises
 * SIGPIPE in the writing thread: see struct sigpipe_guard.
 */
#include "config.h"

#include "tomb_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* How a call moves bytes on its descriptor; it starts with the first way
 * its kind allows and moves down when the kernel refuses one. */
enum way {
	WAY_SOCKET,     /* recv/send with MSG_DONTWAIT */
	WAY_NOWAIT,     /* preadv2/pwritev2 with RWF_NOWAIT */
	WAY_PLAIN,      /* readv/writev: they cannot wait for a peer */
	WAY_POLL_FIRST, /* readv/writev of a blocking descriptor, after poll */
};

/* The arguments every call checks the same way, after setting *done to 0:
 * 0, EINVAL, EBADF or ECANCELED. */
static int check_args(tomb_t *t, int fd, const void *buf, size_t len,
                      size_t *done, const struct timespec *abstime)
{
	if (done != NULL)
		*done = 0;
	if ((buf == NULL && len > 0) || done == NULL ||
	    tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (fd < 0)
		return EBADF;
	if (tomb_dying(t))
		return ECANCELED;
	return 0;
}

/* The way to use once RWF_NOWAIT is refused, or has failed with EAGAIN
 * although poll said the descriptor was ready (`after_poll`). */
static enum way fallback_way(int fd, bool after_poll)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return WAY_PLAIN;
	if (after_poll)
		return WAY_NOWAIT;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK) != 0 ? WAY_PLAIN : WAY_POLL_FIRST;
}

static bool refused(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS;
}

/*
 * SIGPIPE around the writes of one call to a descriptor that is not a
 * socket: the calling thread blocks it (if it did not already), and if a
 * write failed with EPIPE, the SIGPIPE that write raised, pending on the
 * thread, is taken with a zero-timeout sigtimedwait before the mask is
 * put back.  One that was already pending before (a process-directed one,
 * or one the caller had blocked) is left alone: then the call takes
 * nothing, and the caller's own SIGPIPE stays pending for it.
 */
struct sigpipe_guard {
	bool active;          /* begun, not ended */
	bool unblock;         /* SIGPIPE was not blocked before */
	bool pending_before;  /* SIGPIPE was pending before */
};

static void sigpipe_only(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGPIPE);
}

static void guard_begin(struct sigpipe_guard *g)
{
	sigset_t pipe, old, pending;

	if (g->active)
		return;
	sigpipe_only(&pipe);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	g->unblock = !sigismember(&old, SIGPIPE);
	g->pending_before = sigpending(&pending) == 0 &&
	                    sigismember(&pending, SIGPIPE);
	g->active = true;
}

static void guard_end(struct sigpipe_guard *g, int err)
{
	static const struct timespec zero = {0, 0};
	sigset_t pipe;

	if (!g->active)
		return;
	sigpipe_only(&pipe);
	if (err == EPIPE && !g->pending_before)
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			continue;
	if (g->unblock)
		pthread_sigmask(SIG_UNBLOCK, &pipe, NULL);
	g->active = false;
}

/* One attempt at reading into buf: the count, or -1 and errno. */
static ssize_t read_once(enum way w, int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	switch (w) {
	case WAY_SOCKET:
		return recv(fd, buf, len, flags | MSG_DONTWAIT);
	case WAY_NOWAIT:
#ifdef HAVE_PREADV2
		return preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
#else
		errno = ENOSYS; /* no preadv2 in the C library: as refused */
		return -1;
#endif
	default:
		return readv(fd, &iov, 1);
	}
}

/* One attempt at writing buf: the count, or -1 and errno. */
static ssize_t write_once(enum way w, int fd, const void *buf, size_t len,
                          int flags)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};

	switch (w) {
	case WAY_SOCKET:
		return send(fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	case WAY_NOWAIT:
#ifdef HAVE_PWRITEV2
		return pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
#else
		errno = ENOSYS; /* no pwritev2 in the C library: as refused */
		return -1;
#endif
	case WAY_POLL_FIRST:
		/* Poll said there is room for PIPE_BUF bytes at least. */
		if (iov.iov_len > PIPE_BUF)
			iov.iov_len = PIPE_BUF;
		return writev(fd, &iov, 1);
	default:
		return writev(fd, &iov, 1);
	}
}

/*
 * What a read or write attempt that failed with errno e does next: true to
 * try again at once (EINTR; or a new way `w`, when RWF_NOWAIT is refused,
 * or when it found nothing just after poll called the descriptor ready,
 * which a regular file's RWF_NOWAIT does: then it reads or writes plainly);
 * false to poll (*err 0: nothing there yet) or to stop (*err = e).
 */
static bool after_failure(int e, enum way *w, int fd, bool was_ready,
                          int *err)
{
	*err = 0;
	if (e == EINTR)
		return true;
	if (*w == WAY_NOWAIT && refused(e)) {
		*w = fallback_way(fd, false);
		return true;
	}
	if (e != EAGAIN && e != EWOULDBLOCK) {
		*err = e;
		return false;
	}
	return was_ready && *w == WAY_NOWAIT &&
	       (*w = fallback_way(fd, true)) == WAY_PLAIN;
}

/*
 * Reads up to len bytes, starting the way `w`.  With `all` (recv's
 * MSG_WAITALL) it goes on until len bytes or the end; otherwise it returns
 * once some bytes came.  `ready` says that poll has just called the
 * descriptor ready: the next attempt is due even the poll-first way, and a
 * RWF_NOWAIT attempt that still finds nothing may be a regular file's.
 */
static int read_body(tomb_t *t, int fd, void *buf, size_t len, int flags,
                     bool all, enum way w, size_t *done,
                     const struct timespec *abstime)
{
	bool ready = false;
	int err = check_args(t, fd, buf, len, done, abstime);

	if (err != 0)
		return err;
	*done = 0;
	while (*done < len) {
		if (w != WAY_POLL_FIRST || ready) {
			ssize_t n = read_once(w, fd, (char *)buf + *done,
			                      len - *done, flags);
			bool was_ready = ready;

			ready = false;
			if (n > 0) {
				*done += (size_t)n;
				if (!all)
					break;
				continue;
			}
			if (n == 0)
				break; /* the end of the file */
			if (after_failure(errno, &w, fd, was_ready, &err))
				continue;
			if (err != 0)
				break;
		}
		err = tomb_poll_fd(t, fd, POLLIN, abstime);
		if (err != 0)
			break;
		ready = true;
	}
	return err;
}

/* Writes all of buf, starting the way `w`; a socket that turns out not to
 * be one (ENOTSOCK) goes on as another descriptor if `any` allows.
 * `ready` as for do_read. */
static int write_body(tomb_t *t, int fd, const void *buf, size_t len,
                      int flags, bool any, enum way w, size_t *done,
                      const struct timespec *abstime)
{
	struct sigpipe_guard g = {.active = false};
	bool ready = false;
	int err = check_args(t, fd, buf, len, done, abstime);

	if (err != 0)
		return err;
	*done = 0;
	while (*done < len) {
		if (w != WAY_POLL_FIRST || ready) {
			ssize_t n = write_once(w, fd, (const char *)buf + *done,
			                       len - *done, flags);
			bool was_ready = ready;

			ready = false;
			if (n >= 0) {
				*done += (size_t)n;
				continue;
			}
			if (w == WAY_SOCKET && errno == ENOTSOCK && any) {
				guard_begin(&g);
				w = WAY_NOWAIT;
				continue;
			}
			if (after_failure(errno, &w, fd, was_ready, &err))
				continue;
			if (err != 0)
				break;
		}
		err = tomb_poll_fd(t, fd, POLLOUT, abstime);
		if (err != 0)
			break;
		ready = true;
	}
	guard_end(&g, err);
	return err;
}

/* read_body and write_body as no cancellation point, as every libtomb call
 * (tomb(7)): read, write and ppoll are ones. */
static int do_read(tomb_t *t, int fd, void *buf, size_t len, int flags,
                   bool all, enum way w, size_t *done,
                   const struct timespec *abstime)
{
	int cancel_state = tomb__nocancel_begin();
	int err = read_body(t, fd, buf, len, flags, all, w, done, abstime);

	tomb__nocancel_end(cancel_state);
	return err;
}

static int do_write(tomb_t *t, int fd, const void *buf, size_t len,
                    int flags, bool any, enum way w, size_t *done,
                    const struct timespec *abstime)
{
	int cancel_state = tomb__nocancel_begin();
	int err = write_body(t, fd, buf, len, flags, any, w, done, abstime);

	tomb__nocancel_end(cancel_state);
	return err;
}

TOMB_EXPORT int tomb_read(tomb_t *t, int fd, void *buf, size_t len,
                          size_t *done, const struct timespec *abstime)
{
	return do_read(t, fd, buf, len, 0, false, WAY_NOWAIT, done, abstime);
}

TOMB_EXPORT int tomb_recv(tomb_t *t, int fd, void *buf, size_t len, int flags,
                          size_t *done, const struct timespec *abstime)
{
	return do_read(t, fd, buf, len, flags & ~MSG_WAITALL,
	               (flags & MSG_WAITALL) != 0, WAY_SOCKET, done, abstime);
}

TOMB_EXPORT int tomb_write(tomb_t *t, int fd, const void *buf, size_t len,
                           size_t *done, const struct timespec *abstime)
{
	return do_write(t, fd, buf, len, 0, true, WAY_SOCKET, done, abstime);
}

TOMB_EXPORT int tomb_send(tomb_t *t, int fd, const void *buf, size_t len,
                          int flags, size_t *done,
                          const struct timespec *abstime)
{
	return do_write(t, fd, buf, len, flags, false, WAY_SOCKET, done,
	                abstime);
}
