/* SPDX-License-Identifier: MIT */
/*
 * test_io.c: tomb_poll, tomb_poll_fd, tomb_read, tomb_write, tomb_recv,
 * tomb_send, tomb_accept and tomb_connect: data ready, a kill before the
 * call and during it (the calling thread seen blocked in ppoll through
 * /proc), the deadline, a peer that closes, a peer that never reads, an
 * unrelated signal (never EINTR), and a bad descriptor.  The NULL and bad
 * deadline rows are in test_errors.c (doc/errors.md).  Loopback only.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* More than a pipe's or a socket pair's buffer holds: a write of it to a
 * peer that never reads blocks. */
#define BIG (8u << 20)

/* ---- A call made on a thread of its own ---- */

struct call {
	int (*fn)(struct call *c);
	tomb_t *t;
	int fd;
	void *buf;
	size_t len;
	int flags;
	const struct timespec *abstime;
	struct pollfd *fds;
	nfds_t nfds;
	const struct sockaddr *addr;
	socklen_t addrlen;
	/* What the call gave; read by the test after the join. */
	int rc;
	size_t done;
	int newfd;
	int nready;
	bool sigpipe_pending; /* SIGPIPE pending on the thread afterwards */
	pthread_t thread;
	char name[16];
};

static void *call_main(void *arg)
{
	struct call *c = arg;
	sigset_t pending;

	pthread_setname_np(pthread_self(), c->name);
	c->rc = c->fn(c);
	c->sigpipe_pending = sigpending(&pending) == 0 &&
	                     sigismember(&pending, SIGPIPE);
	return NULL;
}

/* Starts c on its thread and returns once it is blocked in ppoll. */
static void start_in_poll(struct call *c)
{
	static atomic_int seq;

	snprintf(c->name, sizeof(c->name), "io-call-%d", atomic_fetch_add(&seq, 1));
	ck_assert_int_eq(pthread_create(&c->thread, NULL, call_main, c), 0);
	await_in_poll(c->name);
}

static void finish(struct call *c)
{
	ck_assert_int_eq(pthread_join(c->thread, NULL), 0);
}

/* Runs c on the test's thread. */
static void run_here(struct call *c)
{
	sigset_t pending;

	c->rc = c->fn(c);
	c->sigpipe_pending = sigpending(&pending) == 0 &&
	                     sigismember(&pending, SIGPIPE);
}

static int call_read(struct call *c)
{
	return tomb_read(c->t, c->fd, c->buf, c->len, &c->done, c->abstime);
}

static int call_recv(struct call *c)
{
	return tomb_recv(c->t, c->fd, c->buf, c->len, c->flags, &c->done,
	                 c->abstime);
}

static int call_write(struct call *c)
{
	return tomb_write(c->t, c->fd, c->buf, c->len, &c->done, c->abstime);
}

static int call_send(struct call *c)
{
	return tomb_send(c->t, c->fd, c->buf, c->len, c->flags, &c->done,
	                 c->abstime);
}

static int call_poll(struct call *c)
{
	return tomb_poll(c->t, c->fds, c->nfds, c->abstime, &c->nready);
}

static int call_poll_fd(struct call *c)
{
	return tomb_poll_fd(c->t, c->fd, POLLIN, c->abstime);
}

static int call_accept(struct call *c)
{
	return tomb_accept(c->t, c->fd, NULL, NULL, SOCK_CLOEXEC, &c->newfd,
	                   c->abstime);
}

static int call_connect(struct call *c)
{
	return tomb_connect(c->t, c->addr, c->addrlen, SOCK_STREAM | SOCK_CLOEXEC,
	                    &c->newfd, c->abstime);
}

/* ---- Descriptors ---- */

/* The kinds of descriptor pair the transfer tests run on: [0] is read,
 * [1] written. */
enum pair_kind { PIPE_BLOCKING, PIPE_NONBLOCKING, SOCKETS_BLOCKING, SOCKETS_NONBLOCKING };
#define PAIR_KINDS 4

static void make_pair(int kind, int fds[2])
{
	int nb = kind == PIPE_NONBLOCKING || kind == SOCKETS_NONBLOCKING ? O_NONBLOCK : 0;

	if (kind == PIPE_BLOCKING || kind == PIPE_NONBLOCKING)
		ck_assert_int_eq(pipe2(fds, O_CLOEXEC | nb), 0);
	else
		ck_assert_int_eq(socketpair(AF_UNIX,
		                            SOCK_STREAM | SOCK_CLOEXEC |
		                                    (nb ? SOCK_NONBLOCK : 0),
		                            0, fds),
		                 0);
}

static bool is_socket_kind(int kind)
{
	return kind == SOCKETS_BLOCKING || kind == SOCKETS_NONBLOCKING;
}

static int flags_of(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fl, 0);
	return fl;
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* A descriptor number that is not open.  Make t's dying descriptor first
 * (the calls do, on their first wait), or it takes the number. */
static int closed_fd(tomb_t *t)
{
	int fd;

	if (t != NULL)
		ck_assert_int_ge(tomb_dying_fd(t), 0);
	fd = dup(0);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

/* A TCP listener on 127.0.0.1, any port; its address in *a. */
static int listener(int backlog, int type_flags, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);

	ck_assert_int_ge(l, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)a, sizeof(*a)), 0);
	ck_assert_int_eq(listen(l, backlog), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)a, &len), 0);
	return l;
}

/* A plain blocking client connected to a. */
static int client(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(connect(s, (const struct sockaddr *)a, sizeof(*a)), 0);
	return s;
}

/*
 * A listener whose accept queue is full, so that a further connect waits:
 * a backlog of 0 holds one connection, and Linux drops the SYNs that come
 * while it is full.  *filler is the connection that fills it; the queue's
 * length is read from TCP_INFO (tcpi_unacked, for a listener), so the
 * next SYN is known to come after the first connection is queued.
 */
static int full_listener(struct sockaddr_in *a, int *filler)
{
	int l = listener(0, 0, a);
	struct timespec end = test_deadline(10), now;
	struct tcp_info info;
	socklen_t len;

	*filler = client(a);
	for (;;) {
		len = sizeof(info);
		ck_assert_int_eq(getsockopt(l, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
		if (info.tcpi_unacked >= 1)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert(now.tv_sec < end.tv_sec);
		sched_yield();
	}
	return l;
}

/* ---- An unrelated signal ---- */

static atomic_int usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_seen, 1);
}

/* Installs a no-op SIGUSR1 handler without SA_RESTART (so that the signal
 * makes a blocked system call fail with EINTR), sends it to c's thread,
 * and returns once the handler ran and the thread is blocked in ppoll
 * again.  The old handler goes back in *old. */
static void interrupt(struct call *c, struct sigaction *old)
{
	struct sigaction sa;
	struct timespec end = test_deadline(10), now;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, old), 0);
	atomic_store(&usr1_seen, 0);
	ck_assert_int_eq(pthread_kill(c->thread, SIGUSR1), 0);
	while (atomic_load(&usr1_seen) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert(now.tv_sec < end.tv_sec);
		sched_yield();
	}
	await_in_poll(c->name);
}

/* ---- tomb_read, tomb_recv ---- */

static int (*const readers[])(struct call *c) = {call_read, call_recv};

START_TEST(test_read_ready)
{
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int r = 0; r < 2; r++) {
			int fds[2], fl;
			char out[64];
			struct call c = {.fn = readers[r], .buf = out, .len = sizeof(out)};

			if (r == 1 && !is_socket_kind(kind))
				continue;
			make_pair(kind, fds);
			fl = flags_of(fds[0]);
			ck_assert_int_eq(write(fds[1], "hello", 5), 5);
			tomb_t *t = tomb_new();

			c.t = t;
			c.fd = fds[0];
			run_here(&c);
			ck_assert_int_eq(c.rc, 0);
			ck_assert_uint_eq(c.done, 5);
			ck_assert_mem_eq(out, "hello", 5);
			ck_assert_int_eq(flags_of(fds[0]), fl);
			/* A NULL tomb reads as well. */
			ck_assert_int_eq(write(fds[1], "again", 5), 5);
			c.t = NULL;
			run_here(&c);
			ck_assert_int_eq(c.rc, 0);
			ck_assert_uint_eq(c.done, 5);
			ck_assert_mem_eq(out, "again", 5);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
}
END_TEST

/* A kill before the call: ECANCELED at once, even with data ready. */
START_TEST(test_read_killed_before)
{
	for (int r = 0; r < 2; r++) {
		int fds[2];
		char out[8];
		tomb_t *t = tomb_new();
		struct call c = {.fn = readers[r], .t = t, .buf = out, .len = sizeof(out)};

		make_pair(SOCKETS_BLOCKING, fds);
		ck_assert_int_eq(write(fds[1], "x", 1), 1);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		c.fd = fds[0];
		c.done = 99;
		run_here(&c);
		ck_assert_int_eq(c.rc, ECANCELED);
		ck_assert_uint_eq(c.done, 0);
		ck_assert_int_eq(tomb_free(t), 0);
		close_pair(fds);
	}
}
END_TEST

/* Blocked in ppoll on every kind of descriptor, blocking or not: the kill
 * ends the call with ECANCELED and nothing read; the flags are as found. */
START_TEST(test_read_killed_during)
{
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int r = 0; r < 2; r++) {
			int fds[2], fl;
			char out[8];
			tomb_t *t = tomb_new();
			struct call c = {.fn = readers[r], .t = t, .buf = out,
			                 .len = sizeof(out)};

			if (r == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			fl = flags_of(fds[0]);
			c.fd = fds[0];
			start_in_poll(&c);
			ck_assert_int_eq(tomb_kill(t, 0), 0);
			finish(&c);
			ck_assert_int_eq(c.rc, ECANCELED);
			ck_assert_uint_eq(c.done, 0);
			ck_assert_int_eq(flags_of(fds[0]), fl);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
}
END_TEST

/* A worker of the tomb, blocked reading: the kill reaches it, and the
 * tomb's wait returns. */
static int read_worker(tomb_t *t, void *arg)
{
	char out[8];
	size_t done;
	int rc;

	pthread_setname_np(pthread_self(), "io-worker");
	rc = tomb_read(t, *(int *)arg, out, sizeof(out), &done, NULL);
	return rc == ECANCELED ? TOMB_EDYING : rc;
}

START_TEST(test_read_worker_killed)
{
	int fds[2];
	tomb_t *t = tomb_new();

	make_pair(SOCKETS_BLOCKING, fds);
	ck_assert_int_eq(tomb_go(t, read_worker, &fds[0]), 0);
	await_in_poll("io-worker");
	ck_assert_int_eq(tomb_kill(t, ESHUTDOWN), 0);
	ck_assert_int_eq(tomb_wait(t), ESHUTDOWN);
	ck_assert_int_eq(tomb_free(t), 0);
	close_pair(fds);
}
END_TEST

/* Nothing comes: ETIMEDOUT; a past deadline still reads data that is
 * ready (one attempt that does not wait). */
START_TEST(test_read_deadline)
{
	for (int kind = 0; kind < PAIR_KINDS; kind++) {
		int fds[2];
		char out[8];
		struct timespec soon = tomb_deadline_ms(20), past = tomb_deadline_ms(0);
		tomb_t *t = tomb_new();
		struct call c = {.fn = call_read, .t = t, .buf = out, .len = sizeof(out),
		                 .abstime = &soon};

		make_pair(kind, fds);
		c.fd = fds[0];
		run_here(&c);
		ck_assert_int_eq(c.rc, ETIMEDOUT);
		ck_assert_uint_eq(c.done, 0);
		c.abstime = &past;
		run_here(&c);
		ck_assert_int_eq(c.rc, ETIMEDOUT);
		ck_assert_int_eq(write(fds[1], "ab", 2), 2);
		run_here(&c);
		ck_assert_int_eq(c.rc, 0);
		ck_assert_uint_eq(c.done, 2);
		/* No tomb: the deadline alone. */
		c.t = NULL;
		c.abstime = &soon;
		run_here(&c);
		ck_assert_int_eq(c.rc, ETIMEDOUT);
		ck_assert_int_eq(tomb_free(t), 0);
		close_pair(fds);
	}
}
END_TEST

/* The writer closes while the reader waits: 0 with 0 bytes, the end. */
START_TEST(test_read_peer_closes)
{
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int r = 0; r < 2; r++) {
			int fds[2];
			char out[8];
			tomb_t *t = tomb_new();
			struct call c = {.fn = readers[r], .t = t, .buf = out,
			                 .len = sizeof(out)};

			if (r == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			c.fd = fds[0];
			start_in_poll(&c);
			close(fds[1]);
			fds[1] = -1;
			finish(&c);
			ck_assert_int_eq(c.rc, 0);
			ck_assert_uint_eq(c.done, 0);
			ck_assert(tomb_alive(t));
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
}
END_TEST

/* An unrelated signal interrupts the ppoll: the call waits on, and reads
 * the data that comes after. */
START_TEST(test_read_signal_not_eintr)
{
	for (int r = 0; r < 2; r++) {
		int fds[2];
		char out[8];
		struct sigaction old;
		tomb_t *t = tomb_new();
		struct call c = {.fn = readers[r], .t = t, .buf = out, .len = sizeof(out)};

		make_pair(r == 0 ? PIPE_BLOCKING : SOCKETS_BLOCKING, fds);
		c.fd = fds[0];
		start_in_poll(&c);
		interrupt(&c, &old);
		ck_assert_int_eq(write(fds[1], "after", 5), 5);
		finish(&c);
		ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
		ck_assert_int_eq(c.rc, 0);
		ck_assert_uint_eq(c.done, 5);
		ck_assert_int_eq(tomb_free(t), 0);
		close_pair(fds);
	}
}
END_TEST

START_TEST(test_read_bad_fd)
{
	char out[8];
	size_t done = 99;
	tomb_t *t = tomb_new();
	int bad = closed_fd(t);

	ck_assert_int_eq(tomb_read(t, bad, out, sizeof(out), &done, NULL), EBADF);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(tomb_read(t, -1, out, sizeof(out), &done, NULL), EBADF);
	ck_assert_int_eq(tomb_recv(t, bad, out, sizeof(out), 0, &done, NULL), EBADF);
	ck_assert_int_eq(tomb_recv(t, -1, out, sizeof(out), 0, &done, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* MSG_WAITALL: all of len across several writes; MSG_PEEK leaves the
 * data; tomb_recv on a pipe is recv's ENOTSOCK. */
START_TEST(test_recv_flags)
{
	int fds[2], p[2];
	char out[10];
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_recv, .t = t, .buf = out, .len = sizeof(out),
	                 .flags = MSG_WAITALL};

	make_pair(SOCKETS_BLOCKING, fds);
	c.fd = fds[0];
	ck_assert_int_eq(write(fds[1], "01234", 5), 5);
	start_in_poll(&c);
	ck_assert_int_eq(write(fds[1], "56789", 5), 5);
	finish(&c);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_uint_eq(c.done, 10);
	ck_assert_mem_eq(out, "0123456789", 10);
	ck_assert_int_eq(write(fds[1], "pk", 2), 2);
	c.flags = MSG_PEEK;
	run_here(&c);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_uint_eq(c.done, 2);
	c.flags = 0;
	run_here(&c);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_uint_eq(c.done, 2);
	ck_assert_mem_eq(out, "pk", 2);
	make_pair(PIPE_BLOCKING, p);
	c.fd = p[0];
	run_here(&c);
	ck_assert_int_eq(c.rc, ENOTSOCK);
	close_pair(p);
	ck_assert_int_eq(tomb_free(t), 0);
	close_pair(fds);
}
END_TEST

/* tomb_read of a regular file reads it, to the end. */
START_TEST(test_read_regular_file)
{
	char path[] = "/tmp/tomb-io-XXXXXX", out[16];
	int fd = mkstemp(path);
	size_t done;
	tomb_t *t = tomb_new();

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "file data", 9), 9);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(tomb_read(t, fd, out, sizeof(out), &done, NULL), 0);
	ck_assert_uint_eq(done, 9);
	ck_assert_mem_eq(out, "file data", 9);
	ck_assert_int_eq(tomb_read(t, fd, out, sizeof(out), &done, NULL), 0);
	ck_assert_uint_eq(done, 0);
	close(fd);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- tomb_write, tomb_send ---- */

static int (*const writers[])(struct call *c) = {call_write, call_send};

START_TEST(test_write_ready)
{
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int w = 0; w < 2; w++) {
			int fds[2], fl;
			char in[8];
			tomb_t *t = tomb_new();
			char hello[] = "hello";
			struct call c = {.fn = writers[w], .t = t, .buf = hello, .len = 5};

			if (w == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			fl = flags_of(fds[1]);
			c.fd = fds[1];
			run_here(&c);
			ck_assert_int_eq(c.rc, 0);
			ck_assert_uint_eq(c.done, 5);
			ck_assert_int_eq(read(fds[0], in, sizeof(in)), 5);
			ck_assert_mem_eq(in, "hello", 5);
			ck_assert_int_eq(flags_of(fds[1]), fl);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
}
END_TEST

START_TEST(test_write_killed_before)
{
	for (int w = 0; w < 2; w++) {
		int fds[2];
		tomb_t *t = tomb_new();
		char x[] = "x";
		struct call c = {.fn = writers[w], .t = t, .buf = x, .len = 1,
		                 .done = 99};

		make_pair(SOCKETS_BLOCKING, fds);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		c.fd = fds[1];
		run_here(&c);
		ck_assert_int_eq(c.rc, ECANCELED);
		ck_assert_uint_eq(c.done, 0);
		ck_assert_int_eq(tomb_free(t), 0);
		close_pair(fds);
	}
}
END_TEST

/* A peer that never reads: the write fills the buffer and blocks; the kill
 * releases it with ECANCELED and the count of what went through. */
START_TEST(test_write_killed_during)
{
	char *big = calloc(1, BIG);

	ck_assert_ptr_nonnull(big);
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int w = 0; w < 2; w++) {
			int fds[2], fl;
			tomb_t *t = tomb_new();
			struct call c = {.fn = writers[w], .t = t, .buf = big, .len = BIG};

			if (w == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			fl = flags_of(fds[1]);
			c.fd = fds[1];
			start_in_poll(&c);
			ck_assert_int_eq(tomb_kill(t, 0), 0);
			finish(&c);
			ck_assert_int_eq(c.rc, ECANCELED);
			ck_assert_uint_gt(c.done, 0);
			ck_assert_uint_lt(c.done, BIG);
			ck_assert(!c.sigpipe_pending);
			ck_assert_int_eq(flags_of(fds[1]), fl);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
	free(big);
}
END_TEST

START_TEST(test_write_deadline)
{
	char *big = calloc(1, BIG);
	struct timespec soon = tomb_deadline_ms(20);

	ck_assert_ptr_nonnull(big);
	for (int kind = 0; kind < PAIR_KINDS; kind++) {
		int fds[2];
		struct call c = {.fn = call_write, .t = NULL, .buf = big, .len = BIG,
		                 .abstime = &soon};

		make_pair(kind, fds);
		c.fd = fds[1];
		run_here(&c);
		ck_assert_int_eq(c.rc, ETIMEDOUT);
		ck_assert_uint_gt(c.done, 0);
		ck_assert_uint_lt(c.done, BIG);
		close_pair(fds);
	}
	free(big);
}
END_TEST

/* The reader closes while the writer is blocked: EPIPE, the count of what
 * went through, and no SIGPIPE (its default action would end the test
 * process), neither delivered nor left pending. */
START_TEST(test_write_peer_closes)
{
	char *big = calloc(1, BIG);
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(sigaction(SIGPIPE, &dfl, &old), 0);
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int w = 0; w < 2; w++) {
			int fds[2];
			tomb_t *t = tomb_new();
			struct call c = {.fn = writers[w], .t = t, .buf = big, .len = BIG};

			if (w == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			c.fd = fds[1];
			start_in_poll(&c);
			close(fds[0]);
			fds[0] = -1;
			finish(&c);
			ck_assert_int_eq(c.rc, EPIPE);
			ck_assert_uint_gt(c.done, 0);
			ck_assert(!c.sigpipe_pending);
			/* And at once, on the test's thread. */
			c.done = 99;
			run_here(&c);
			ck_assert_int_eq(c.rc, EPIPE);
			ck_assert_uint_eq(c.done, 0);
			ck_assert(!c.sigpipe_pending);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
	ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
	free(big);
}
END_TEST

/* A SIGPIPE the thread had pending (blocked) before the call is left
 * pending: the call takes only its own. */
START_TEST(test_write_keeps_pending_sigpipe)
{
	int fds[2];
	size_t done;
	sigset_t pipe_set, old, pending;
	struct timespec zero = {0, 0};

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &pipe_set, &old), 0);
	ck_assert_int_eq(pthread_kill(pthread_self(), SIGPIPE), 0);
	make_pair(PIPE_BLOCKING, fds);
	close(fds[0]);
	fds[0] = -1;
	ck_assert_int_eq(tomb_write(NULL, fds[1], "x", 1, &done, NULL), EPIPE);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert(sigismember(&pending, SIGPIPE));
	ck_assert_int_eq(sigtimedwait(&pipe_set, NULL, &zero), SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	close_pair(fds);
}
END_TEST

START_TEST(test_write_signal_not_eintr)
{
	char *big = calloc(1, BIG);

	ck_assert_ptr_nonnull(big);
	for (int w = 0; w < 2; w++) {
		int fds[2];
		struct sigaction old;
		tomb_t *t = tomb_new();
		struct call c = {.fn = writers[w], .t = t, .buf = big, .len = BIG};

		make_pair(w == 0 ? PIPE_BLOCKING : SOCKETS_BLOCKING, fds);
		c.fd = fds[1];
		start_in_poll(&c);
		interrupt(&c, &old);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		finish(&c);
		ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
		ck_assert_int_eq(c.rc, ECANCELED);
		ck_assert_uint_gt(c.done, 0);
		ck_assert_int_eq(tomb_free(t), 0);
		close_pair(fds);
	}
	free(big);
}
END_TEST

/* All of a big buffer goes through to a reader that takes it slowly. */
struct drain {
	int fd;
	size_t got;
	unsigned char bad; /* a byte that was not what was written */
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	unsigned char buf[4096];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, d->got++)
			if (buf[i] != (unsigned char)(d->got * 7))
				d->bad = 1;
	return NULL;
}

START_TEST(test_write_all)
{
	unsigned char *big = malloc(BIG);

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7);
	for (int kind = 0; kind < PAIR_KINDS; kind++)
		for (int w = 0; w < 2; w++) {
			int fds[2];
			pthread_t th;
			struct drain d = {.got = 0, .bad = 0};
			tomb_t *t = tomb_new();
			struct call c = {.fn = writers[w], .t = t, .buf = big, .len = BIG};

			if (w == 1 && !is_socket_kind(kind)) {
				ck_assert_int_eq(tomb_free(t), 0);
				continue;
			}
			make_pair(kind, fds);
			/* The reader blocks: read(2) on a non-blocking end spins. */
			ck_assert_int_eq(fcntl(fds[0], F_SETFL, 0), 0);
			d.fd = fds[0];
			c.fd = fds[1];
			ck_assert_int_eq(pthread_create(&th, NULL, drain_main, &d), 0);
			run_here(&c);
			close(fds[1]);
			fds[1] = -1;
			ck_assert_int_eq(pthread_join(th, NULL), 0);
			ck_assert_int_eq(c.rc, 0);
			ck_assert_uint_eq(c.done, BIG);
			ck_assert_uint_eq(d.got, BIG);
			ck_assert_int_eq(d.bad, 0);
			ck_assert_int_eq(tomb_free(t), 0);
			close_pair(fds);
		}
	free(big);
}
END_TEST

START_TEST(test_write_bad_fd)
{
	size_t done = 99;
	tomb_t *t = tomb_new();
	int bad = closed_fd(t), fds[2];

	ck_assert_int_eq(tomb_write(t, bad, "x", 1, &done, NULL), EBADF);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(tomb_write(t, -1, "x", 1, &done, NULL), EBADF);
	ck_assert_int_eq(tomb_send(t, bad, "x", 1, 0, &done, NULL), EBADF);
	ck_assert_int_eq(tomb_send(t, -1, "x", 1, 0, &done, NULL), EBADF);
	make_pair(PIPE_BLOCKING, fds);
	ck_assert_int_eq(tomb_send(t, fds[1], "x", 1, 0, &done, NULL), ENOTSOCK);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- tomb_poll, tomb_poll_fd ---- */

START_TEST(test_poll_ready)
{
	int a[2], b[2], n = -1;
	tomb_t *t = tomb_new();
	struct pollfd p[2];

	make_pair(PIPE_BLOCKING, a);
	make_pair(PIPE_BLOCKING, b);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	p[0] = (struct pollfd){.fd = a[0], .events = POLLIN};
	p[1] = (struct pollfd){.fd = b[0], .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, p, 2, NULL, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(p[0].revents, 0);
	ck_assert_int_eq(p[1].revents, POLLIN);
	ck_assert_int_eq(tomb_poll_fd(t, b[0], POLLIN, NULL), 0);
	ck_assert_int_eq(tomb_poll_fd(t, a[1], POLLOUT, NULL), 0);
	/* No tomb. */
	ck_assert_int_eq(tomb_poll(NULL, p, 2, NULL, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tomb_poll_fd(NULL, b[0], POLLIN, NULL), 0);
	close_pair(a);
	close_pair(b);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* More descriptors than the stack array holds: the allocated path. */
START_TEST(test_poll_many)
{
	enum { N = 100 };
	int fds[2], n = -1;
	struct pollfd p[N];
	tomb_t *t = tomb_new();
	struct timespec soon = tomb_deadline_ms(10);

	make_pair(PIPE_BLOCKING, fds);
	for (int i = 0; i < N; i++)
		p[i] = (struct pollfd){.fd = i == N - 1 ? fds[0] : -1, .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, p, N, &soon, &n), ETIMEDOUT);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_poll(t, p, N, NULL, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(p[N - 1].revents, POLLIN);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_killed_before)
{
	int fds[2], n = -1;
	struct pollfd p;
	tomb_t *t = tomb_new();

	make_pair(PIPE_BLOCKING, fds);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, &p, 1, NULL, &n), ECANCELED);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(tomb_poll_fd(t, fds[0], POLLIN, NULL), ECANCELED);
	/* With no descriptor at all, the tomb alone. */
	ck_assert_int_eq(tomb_poll(t, NULL, 0, NULL, &n), ECANCELED);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_poll_killed_during)
{
	for (int k = 0; k < 3; k++) {
		int fds[2];
		struct pollfd p;
		tomb_t *t = tomb_new();
		struct call c = {.fn = k == 0 ? call_poll_fd : call_poll, .t = t};

		make_pair(PIPE_BLOCKING, fds);
		p = (struct pollfd){.fd = fds[0], .events = POLLIN};
		c.fd = fds[0];
		c.fds = k == 2 ? NULL : &p;
		c.nfds = k == 2 ? 0 : 1;
		start_in_poll(&c);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		finish(&c);
		ck_assert_int_eq(c.rc, ECANCELED);
		ck_assert_int_eq(c.nready, 0);
		close_pair(fds);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

START_TEST(test_poll_deadline)
{
	int fds[2], n = -1;
	struct pollfd p;
	struct timespec soon = tomb_deadline_ms(20), past = tomb_deadline_ms(0);
	tomb_t *t = tomb_new();

	make_pair(PIPE_BLOCKING, fds);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	ck_assert_int_eq(tomb_poll(t, &p, 1, &soon, &n), ETIMEDOUT);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(tomb_poll(NULL, &p, 1, &past, &n), ETIMEDOUT);
	ck_assert_int_eq(tomb_poll_fd(t, fds[0], POLLIN, &past), ETIMEDOUT);
	ck_assert_int_eq(tomb_poll(t, NULL, 0, &past, &n), ETIMEDOUT);
	/* A past deadline polls once: a ready descriptor is reported. */
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(tomb_poll(t, &p, 1, &past, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tomb_poll_fd(NULL, fds[0], POLLIN, &past), 0);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* The peer closes: POLLHUP, which tomb_poll_fd counts as ready. */
START_TEST(test_poll_peer_closes)
{
	for (int k = 0; k < 2; k++) {
		int fds[2];
		struct pollfd p;
		tomb_t *t = tomb_new();
		struct call c = {.fn = k == 0 ? call_poll_fd : call_poll, .t = t,
		                 .fds = &p, .nfds = 1};

		make_pair(PIPE_BLOCKING, fds);
		p = (struct pollfd){.fd = fds[0], .events = POLLIN};
		c.fd = fds[0];
		start_in_poll(&c);
		close(fds[1]);
		fds[1] = -1;
		finish(&c);
		ck_assert_int_eq(c.rc, 0);
		if (k == 1) {
			ck_assert_int_eq(c.nready, 1);
			ck_assert(p.revents & POLLHUP);
		}
		close_pair(fds);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

START_TEST(test_poll_signal_not_eintr)
{
	int fds[2];
	struct pollfd p;
	struct sigaction old;
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_poll, .t = t, .fds = &p, .nfds = 1};

	make_pair(PIPE_BLOCKING, fds);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	start_in_poll(&c);
	interrupt(&c, &old);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	finish(&c);
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(c.nready, 1);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A descriptor that is not open: tomb_poll reports POLLNVAL, as poll(2)
 * does; tomb_poll_fd says EBADF. */
START_TEST(test_poll_bad_fd)
{
	tomb_t *t = tomb_new();
	int bad = closed_fd(t), n = -1;
	struct pollfd p = {.fd = bad, .events = POLLIN};

	ck_assert_int_eq(tomb_poll(t, &p, 1, NULL, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(p.revents, POLLNVAL);
	ck_assert_int_eq(tomb_poll_fd(t, bad, POLLIN, NULL), EBADF);
	ck_assert_int_eq(tomb_poll_fd(t, -1, POLLIN, NULL), EBADF);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- tomb_accept ---- */

START_TEST(test_accept_ready)
{
	for (int nb = 0; nb < 2; nb++) {
		struct sockaddr_in a, peer;
		socklen_t len = sizeof(peer);
		int l = listener(8, nb ? SOCK_NONBLOCK : 0, &a), fl = flags_of(l);
		int cl = client(&a), s = -1;
		tomb_t *t = tomb_new();
		char in[4];

		ck_assert_int_eq(tomb_accept(t, l, (struct sockaddr *)&peer, &len,
		                             SOCK_CLOEXEC, &s, NULL),
		                 0);
		ck_assert_int_ge(s, 0);
		ck_assert_uint_eq(len, sizeof(peer));
		ck_assert_int_eq(peer.sin_family, AF_INET);
		ck_assert(fcntl(s, F_GETFD) & FD_CLOEXEC);
		ck_assert_int_eq(flags_of(s) & O_NONBLOCK, 0);
		ck_assert_int_eq(flags_of(l), fl);
		ck_assert_int_eq(write(cl, "hi", 2), 2);
		ck_assert_int_eq(read(s, in, sizeof(in)), 2);
		close(s);
		/* SOCK_NONBLOCK, and no tomb. */
		close(cl);
		cl = client(&a);
		ck_assert_int_eq(tomb_accept(NULL, l, NULL, NULL, SOCK_NONBLOCK, &s, NULL), 0);
		ck_assert(flags_of(s) & O_NONBLOCK);
		close(s);
		close(cl);
		close(l);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

START_TEST(test_accept_killed_before)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), cl = client(&a), s = 5;
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_accept(t, l, NULL, NULL, 0, &s, NULL), ECANCELED);
	ck_assert_int_eq(s, -1);
	close(cl);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_killed_during)
{
	for (int nb = 0; nb < 2; nb++) {
		struct sockaddr_in a;
		int l = listener(8, nb ? SOCK_NONBLOCK : 0, &a), fl = flags_of(l);
		tomb_t *t = tomb_new();
		struct call c = {.fn = call_accept, .t = t, .fd = l};

		start_in_poll(&c);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		finish(&c);
		ck_assert_int_eq(c.rc, ECANCELED);
		ck_assert_int_eq(c.newfd, -1);
		ck_assert_int_eq(flags_of(l), fl);
		close(l);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A client that connects while the call waits, then closes: the accepted
 * connection reads as ended. */
START_TEST(test_accept_peer_closes)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), cl;
	char in[4];
	size_t done = 9;
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_accept, .t = t, .fd = l};

	start_in_poll(&c);
	cl = client(&a);
	close(cl);
	finish(&c);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_ge(c.newfd, 0);
	ck_assert_int_eq(tomb_read(t, c.newfd, in, sizeof(in), &done, NULL), 0);
	ck_assert_uint_eq(done, 0);
	close(c.newfd);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_deadline)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), s = 5;
	struct timespec soon = tomb_deadline_ms(20), past = tomb_deadline_ms(0);

	ck_assert_int_eq(tomb_accept(NULL, l, NULL, NULL, 0, &s, &soon), ETIMEDOUT);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(tomb_accept(NULL, l, NULL, NULL, 0, &s, &past), ETIMEDOUT);
	close(l);
}
END_TEST

START_TEST(test_accept_signal_not_eintr)
{
	struct sockaddr_in a;
	struct sigaction old;
	int l = listener(8, 0, &a);
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_accept, .t = t, .fd = l};

	start_in_poll(&c);
	interrupt(&c, &old);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	finish(&c);
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	ck_assert_int_eq(c.rc, ECANCELED);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_accept_bad_fd)
{
	int s = 5, fds[2];
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_accept(t, closed_fd(t), NULL, NULL, 0, &s, NULL), EBADF);
	ck_assert_int_eq(s, -1);
	ck_assert_int_eq(tomb_accept(t, -1, NULL, NULL, 0, &s, NULL), EBADF);
	/* Not a socket: accept4's ENOTSOCK, after poll called it ready. */
	make_pair(PIPE_NONBLOCKING, fds);
	ck_assert_int_eq(tomb_accept(t, fds[0], NULL, NULL, 0, &s, NULL), ENOTSOCK);
	close_pair(fds);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* ---- tomb_connect ---- */

START_TEST(test_connect_ready)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), s = -1, as;
	tomb_t *t = tomb_new();
	char in[4];

	ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM | SOCK_CLOEXEC, &s, NULL),
	                 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(flags_of(s) & O_NONBLOCK, 0);
	ck_assert(fcntl(s, F_GETFD) & FD_CLOEXEC);
	as = accept(l, NULL, NULL);
	ck_assert_int_ge(as, 0);
	ck_assert_int_eq(write(s, "ok", 2), 2);
	ck_assert_int_eq(read(as, in, sizeof(in)), 2);
	close(as);
	close(s);
	ck_assert_int_eq(tomb_connect(NULL, (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM | SOCK_NONBLOCK, &s, NULL),
	                 0);
	ck_assert(flags_of(s) & O_NONBLOCK);
	ck_assert_int_eq(fcntl(s, F_GETFD) & FD_CLOEXEC, 0);
	close(s);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Nobody listens: ECONNREFUSED, and nothing left open. */
START_TEST(test_connect_refused)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), s = 5;

	close(l); /* the port is free now */
	ck_assert_int_eq(tomb_connect(NULL, (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM, &s, NULL),
	                 ECONNREFUSED);
	ck_assert_int_eq(s, -1);
}
END_TEST

START_TEST(test_connect_killed_before)
{
	struct sockaddr_in a;
	int l = listener(8, 0, &a), s = 5;
	tomb_t *t = tomb_new();

	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_connect(t, (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM, &s, NULL),
	                 ECANCELED);
	ck_assert_int_eq(s, -1);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_killed_during)
{
	struct sockaddr_in a;
	int filler, l = full_listener(&a, &filler);
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_connect, .t = t, .addr = (struct sockaddr *)&a,
	                 .addrlen = sizeof(a)};

	start_in_poll(&c);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	finish(&c);
	ck_assert_int_eq(c.rc, ECANCELED);
	ck_assert_int_eq(c.newfd, -1);
	close(filler);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_connect_deadline)
{
	struct sockaddr_in a;
	int filler, l = full_listener(&a, &filler), s = 5;
	struct timespec soon = tomb_deadline_ms(20);

	ck_assert_int_eq(tomb_connect(NULL, (struct sockaddr *)&a, sizeof(a),
	                              SOCK_STREAM, &s, &soon),
	                 ETIMEDOUT);
	ck_assert_int_eq(s, -1);
	close(filler);
	close(l);
}
END_TEST

START_TEST(test_connect_signal_not_eintr)
{
	struct sockaddr_in a;
	struct sigaction old;
	int filler, l = full_listener(&a, &filler);
	tomb_t *t = tomb_new();
	struct call c = {.fn = call_connect, .t = t, .addr = (struct sockaddr *)&a,
	                 .addrlen = sizeof(a)};

	start_in_poll(&c);
	interrupt(&c, &old);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	finish(&c);
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	ck_assert_int_eq(c.rc, ECANCELED);
	ck_assert_int_eq(c.newfd, -1);
	close(filler);
	close(l);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A family the system has no socket for: socket's error, nothing open. */
START_TEST(test_connect_bad_family)
{
	struct sockaddr sa = {.sa_family = AF_MAX};
	int s = 5;

	ck_assert_int_eq(tomb_connect(NULL, &sa, sizeof(sa), SOCK_STREAM, &s, NULL),
	                 EAFNOSUPPORT);
	ck_assert_int_eq(s, -1);
}
END_TEST

Suite *make_io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc;

	tc = tcase_create("read");
	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_read_ready);
	tcase_add_test(tc, test_read_killed_before);
	tcase_add_test(tc, test_read_killed_during);
	tcase_add_test(tc, test_read_worker_killed);
	tcase_add_test(tc, test_read_deadline);
	tcase_add_test(tc, test_read_peer_closes);
	tcase_add_test(tc, test_read_signal_not_eintr);
	tcase_add_test(tc, test_read_bad_fd);
	tcase_add_test(tc, test_recv_flags);
	tcase_add_test(tc, test_read_regular_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_write_ready);
	tcase_add_test(tc, test_write_killed_before);
	tcase_add_test(tc, test_write_killed_during);
	tcase_add_test(tc, test_write_deadline);
	tcase_add_test(tc, test_write_peer_closes);
	tcase_add_test(tc, test_write_keeps_pending_sigpipe);
	tcase_add_test(tc, test_write_signal_not_eintr);
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_write_bad_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("poll");
	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_poll_ready);
	tcase_add_test(tc, test_poll_many);
	tcase_add_test(tc, test_poll_killed_before);
	tcase_add_test(tc, test_poll_killed_during);
	tcase_add_test(tc, test_poll_deadline);
	tcase_add_test(tc, test_poll_peer_closes);
	tcase_add_test(tc, test_poll_signal_not_eintr);
	tcase_add_test(tc, test_poll_bad_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_accept_ready);
	tcase_add_test(tc, test_accept_killed_before);
	tcase_add_test(tc, test_accept_killed_during);
	tcase_add_test(tc, test_accept_peer_closes);
	tcase_add_test(tc, test_accept_deadline);
	tcase_add_test(tc, test_accept_signal_not_eintr);
	tcase_add_test(tc, test_accept_bad_fd);
	tcase_add_test(tc, test_connect_ready);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_killed_before);
	tcase_add_test(tc, test_connect_killed_during);
	tcase_add_test(tc, test_connect_deadline);
	tcase_add_test(tc, test_connect_signal_not_eintr);
	tcase_add_test(tc, test_connect_bad_family);
	suite_add_tcase(s, tc);
	return s;
}
