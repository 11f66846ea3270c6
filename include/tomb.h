/* SPDX-License-Identifier: MIT */
/*
 * tomb.h: the whole public interface of libtomb.
 *
 * A tomb tracks the threads it starts, asks them to stop, knows when they have
 * stopped and says why.  It is gopkg.in/tomb.v2 for C threads.
 *
 * One convention everywhere: a function that can fail returns 0 on success or a
 * positive errno value (pthread style); it never sets errno, except tomb_new
 * and the two descriptor calls, which follow open(2): -1 and errno.
 * Reasons are ints: 0 means "no error", any other value is the caller's (errno
 * values are a good choice).  Every function is safe to call from any thread.
 * In a child process after fork(), a call on a tomb or pool made before the
 * fork fails with EOWNERDEAD, but for the reads (tomb_dying, tomb_alive,
 * tomb_err, tomb_errmsg, tomb_name, tomb_count); no call is a cancellation
 * point (tomb(7)).
 * Each has a man page: man 3 tomb_go, and so on; man 7 tomb for the model.
 */
#ifndef TOMB_H
#define TOMB_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; tomb_version() gives the library's at run time. */
#define TOMB_VERSION_MAJOR 0
#define TOMB_VERSION_MINOR 1
#define TOMB_VERSION_PATCH 0
#define TOMB_VERSION_STRING "0.1.0"
#define TOMB_VERSION_NUMBER \
	((TOMB_VERSION_MAJOR << 16) | (TOMB_VERSION_MINOR << 8) | TOMB_VERSION_PATCH)

#if defined(__GNUC__) || defined(__clang__)
#define TOMB_EXPORT __attribute__((visibility("default")))
#define TOMB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TOMB_WUR __attribute__((warn_unused_result))
#else
#define TOMB_EXPORT
#define TOMB_PRINTF(fmt, args)
#define TOMB_WUR
#endif

/*
 * Two sentinel reasons, far from every errno value and every small code.
 * TOMB_STILL_ALIVE is what tomb_err() says while the tomb is alive; it is never
 * a reason.  TOMB_EDYING means "I stopped because the tomb is dying": return it
 * from a worker, or kill with it, and the reason stays what it was.
 */
#define TOMB_STILL_ALIVE (-2147483647 - 1)
#define TOMB_EDYING (-2147483647)

typedef struct tomb tomb_t;                /* opaque */
typedef struct tomb_pool tomb_pool_t;      /* opaque: see tomb_pool_new */
typedef int tomb_fn(tomb_t *t, void *arg); /* a worker: returns 0 or a reason */

/* The library's version string, e.g. "0.1.0". */
TOMB_EXPORT const char *tomb_version(void);

/* A new, alive tomb with no worker; NULL and errno ENOMEM on failure. */
TOMB_EXPORT tomb_t *tomb_new(void);

/* How a tomb answers its workers' returns (see tomb(7)). */
enum tomb_lifetime {
	/* gopkg.in/tomb.v2, the default: a non-zero return kills with it; the
	 * last worker to return kills with 0. */
	TOMB_LIFETIME_TOMB = 0,
	/* golang.org/x/sync/errgroup: a non-zero return kills with it; the tomb
	 * dies with 0 only once its owner waits and no worker runs. */
	TOMB_LIFETIME_ERRGROUP = 1,
	/* github.com/pkg/group: any return kills, with 0 or the reason. */
	TOMB_LIFETIME_GROUP = 2
};

/*
 * Options for tomb_new_opts.  Zero (or NULL) means the default for every
 * field, so initialise the whole struct: struct tomb_opts o = {0};  Fields
 * may be added in later versions, in the reserved space, which must be zero.
 */
struct tomb_opts {
	tomb_t *parent;     /* dies with it, counts as one of its workers */
	int lifetime;       /* an enum tomb_lifetime; default TOMB_LIFETIME_TOMB */
	int limit;          /* most workers running at once; 0: no limit */
	const char *name;   /* copied; names unnamed workers' threads too */
	size_t stack_size;  /* bytes of stack per worker; 0: the system default */
	tomb_pool_t *pool;  /* run workers on this pool's threads; NULL: new ones */
	const struct timespec *deadline; /* CLOCK_MONOTONIC; see tomb_set_deadline */
	void *reserved_[3]; /* must be zero */
};

/* A new tomb with options (NULL: the defaults).  NULL and errno EINVAL (a bad
 * option, a reserved field not zero, a pool being freed), ESRCH (the parent
 * is dead), ENOMEM, EAGAIN (a deadline, and no thread for the timer), or
 * EOWNERDEAD (the parent or pool was made before a fork).  A child dies when
 * its parent dies, with the parent's reason unless it had one of its own; its death does not kill the parent, but the parent
 * is not dead while a child is not: one wait on the root covers the tree.
 * Free children before their parent (EBUSY otherwise). */
TOMB_EXPORT tomb_t *tomb_new_opts(const struct tomb_opts *opts);

/* The name given in the options, or "" (NULL for NULL t). */
TOMB_EXPORT const char *tomb_name(const tomb_t *t);

/* Frees t: 0, EINVAL for NULL, or EBUSY (nothing freed) while a worker runs,
 * a thread waits or sleeps on t (or waits in tomb_go for a slot), a callback runs, a callback that has not
 * run is still registered, t watches signals, or a child of t is not freed.
 * Joins any finished worker thread not yet joined, and waits, rather than
 * fail, while the kill that made t dying has still to wake the threads
 * blocked on t (it does so after releasing t's lock). */
TOMB_EXPORT int tomb_free(tomb_t *t);

/* Starts fn(t, arg) on a new thread that t tracks (on a parked thread of
 * t's pool, if it has one).  0, EINVAL (NULL t or fn), ESRCH (t is dead), or
 * pthread_create's error (EAGAIN, ENOMEM; EINVAL for a stack_size it
 * refuses); a failure leaves t as if the call had never been made. */
TOMB_EXPORT int tomb_go(tomb_t *t, tomb_fn *fn, void *arg);

/* tomb_go, naming the worker: the name (its first 15 bytes) goes to the
 * thread, as ps, top and gdb show it, and into tomb_dump.  NULL: no name. */
TOMB_EXPORT int tomb_go_named(tomb_t *t, const char *name, tomb_fn *fn,
                              void *arg);

/* tomb_go with a copy of the size bytes at arg (a loop index, a small
 * struct), which the library keeps until fn returns: fn receives a pointer
 * to the copy, so that the caller's storage need not outlive the worker.
 * size 0: fn receives NULL.  0, EINVAL (as tomb_go, or a NULL arg with size
 * above 0), ENOMEM, or as tomb_go. */
TOMB_EXPORT int tomb_go_copy(tomb_t *t, tomb_fn *fn, const void *arg,
                             size_t size);

/* tomb_go that never blocks: EBUSY when the limit is reached (ECANCELED if
 * t is dying then), else as tomb_go.  (With a limit, tomb_go blocks while the limit is reached, and
 * fails with ECANCELED if t is dying then, or EDEADLK if every running
 * worker, the caller among them, would be waiting for a slot.) */
TOMB_EXPORT int tomb_trygo(tomb_t *t, tomb_fn *fn, void *arg);

/* Sets the limit on workers running at once (0: none).  Workers already
 * running go on; if more run than the new limit allows, new ones wait until
 * enough have returned; a raised limit wakes tomb_go calls that wait.
 * 0, or EINVAL for NULL t or a negative limit. */
TOMB_EXPORT int tomb_set_limit(tomb_t *t, int limit);

/* The number of workers running (started, function not yet returned). */
TOMB_EXPORT size_t tomb_count(const tomb_t *t);

/* What tomb_foreach tells about a running worker. */
struct tomb_worker_info {
	const char *name;        /* "" if unnamed; valid during the call only */
	pid_t tid;               /* the thread's id (gettid); 0 if not yet running */
	struct timespec started; /* when tomb_go started it, CLOCK_MONOTONIC */
};

/* Calls fn(info, arg) for each running worker, oldest first, with t's lock
 * held: fn must not call libtomb on t.  0, or EINVAL for NULL t or fn. */
TOMB_EXPORT int tomb_foreach(tomb_t *t,
                             void (*fn)(const struct tomb_worker_info *info,
                                        void *arg),
                             void *arg);

/* Writes a report of t and its running workers (name, thread id, how long
 * each has run) to f, e.g. after tomb_timedwait timed out.  0, EINVAL for
 * NULL t or f, or EIO if writing failed. */
TOMB_EXPORT int tomb_dump(tomb_t *t, FILE *f);

/* Asks every worker to stop: t becomes dying with `reason` (the first non-zero
 * reason wins; 0 is provisional).  0, or EINVAL for NULL t, TOMB_STILL_ALIVE,
 * or TOMB_EDYING while t is alive. */
TOMB_EXPORT int tomb_kill(tomb_t *t, int reason);

/* tomb_kill with a printf-style message that tomb_errmsg() reports if `reason`
 * becomes the reason in force.  Returns `reason`, or EINVAL for bad input
 * (as tomb_kill, or a NULL fmt), in which case nothing changes. */
TOMB_EXPORT int tomb_killf(tomb_t *t, int reason, const char *fmt, ...)
	TOMB_PRINTF(3, 4);

/* True once t is dying (killed); one atomic load.  False for NULL. */
TOMB_EXPORT bool tomb_dying(const tomb_t *t);

/* The same check inline, so that a worker's loop pays one load and no call:
 * the tomb's state word is the first field of struct tomb, and its bit 1
 * means dying (both part of the ABI).  Once it has seen dying (which stays),
 * it calls the function, which says so too and tells valgrind's Helgrind
 * and DRD that the kill happened before: they cannot see this load's
 * ordering.  (tomb_dying)(t) calls the function; define TOMB_NO_INLINE to
 * always call it. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(TOMB_NO_INLINE)
static inline bool tomb__dying_inline(const tomb_t *t)
{
	return t != NULL &&
	       (__atomic_load_n((const unsigned int *)(const void *)t,
	                        __ATOMIC_ACQUIRE) & 1u) != 0 &&
	       (tomb_dying)(t);
}
#define tomb_dying(t) tomb__dying_inline(t)
#endif

/* True while t has not been killed: tomb_err(t) == TOMB_STILL_ALIVE.
 * False for NULL. */
TOMB_EXPORT bool tomb_alive(const tomb_t *t);

/* TOMB_STILL_ALIVE while alive, then the reason in force; EINVAL for NULL. */
TOMB_EXPORT int tomb_err(const tomb_t *t);

/* The message of the reason in force: the one given to tomb_killf, else a
 * default ("" for 0, strerror's text for an errno value).  "still alive" while
 * alive; NULL for NULL.  The string is valid until tomb_free(t). */
TOMB_EXPORT const char *tomb_errmsg(const tomb_t *t);

/* Blocks until t is dead (dying, and every worker has returned and its thread
 * has been joined; with a pool, parked instead, and never to touch t or its
 * workers' arguments or stacks again), then returns the reason.  EINVAL for NULL t, EDEADLK when
 * called from one of t's own workers: use tomb_timedwait to tell these from a
 * reason. */
TOMB_EXPORT int tomb_wait(tomb_t *t);

/* tomb_wait with a deadline: an absolute CLOCK_MONOTONIC time, NULL for none.
 * 0 once dead (the reason stored through `reason` unless it is NULL),
 * ETIMEDOUT at the deadline, EINVAL for NULL t or a bad deadline, EDEADLK from
 * t's own worker. */
TOMB_EXPORT int tomb_timedwait(tomb_t *t, const struct timespec *abstime,
                               int *reason) TOMB_WUR;

/* Blocks until t is dying: 0 once dying, ETIMEDOUT at the deadline (absolute,
 * CLOCK_MONOTONIC, NULL for none), EINVAL for NULL t or a bad deadline. */
/* No TOMB_WUR: with a NULL deadline only a NULL t fails, so a caller may
 * ignore the result (gcc warns about an ignored TOMB_WUR even with a cast). */
TOMB_EXPORT int tomb_wait_dying(tomb_t *t, const struct timespec *abstime);

/* Sleeps until the deadline unless t dies first: 0 when the deadline passes,
 * ECANCELED as soon as t is dying (at once if it already is), EINVAL for
 * NULL t or a bad deadline.  A NULL deadline sleeps until t is dying. */
TOMB_EXPORT int tomb_sleep(tomb_t *t, const struct timespec *abstime);

/* The CLOCK_MONOTONIC time `ms` milliseconds from now (now for ms <= 0), for
 * the functions above that take an absolute deadline. */
TOMB_EXPORT struct timespec tomb_deadline_ms(long long ms);

/*
 * A condition variable whose waits a kill interrupts.  Use it like a
 * pthread_cond_t with your own mutex: change the predicate under the mutex,
 * then signal.  Initialise with TOMB_COND_INIT or tomb_cond_init().
 */
typedef struct tomb_cond {
	unsigned int opaque_[2];
} tomb_cond_t;
#define TOMB_COND_INIT {{0, 0}}

/* 0, or EINVAL for NULL. */
TOMB_EXPORT int tomb_cond_init(tomb_cond_t *c);
/* 0, EINVAL for NULL, or EBUSY while a thread waits on c. */
TOMB_EXPORT int tomb_cond_destroy(tomb_cond_t *c);
/* Wakes one waiter / every waiter of c: 0, or EINVAL for NULL. */
TOMB_EXPORT int tomb_cond_signal(tomb_cond_t *c);
TOMB_EXPORT int tomb_cond_broadcast(tomb_cond_t *c);

/* With m locked by the caller: unlocks m, waits for a signal on c, for t to
 * be dying, or for the deadline (absolute, CLOCK_MONOTONIC, NULL for none),
 * and locks m again.  0 when signalled (possibly spuriously: re-check the
 * predicate), ECANCELED when t is dying (at once, without unlocking m, if it
 * already is), ETIMEDOUT at the deadline, EINVAL for NULL t, c or m or a bad
 * deadline, EPERM if m is an error-checking mutex the caller does not hold.
 * A kill never takes m, so a killer may hold it. */
TOMB_EXPORT int tomb_cond_wait(tomb_t *t, tomb_cond_t *c, pthread_mutex_t *m,
                               const struct timespec *abstime) TOMB_WUR;

/*
 * Descriptors that become readable (POLLIN) once t is dying / dead, for poll,
 * epoll, select and event loops.  Made on first use, close-on-exec and
 * non-blocking, owned by t and closed by tomb_free: do not read or close them.
 * The descriptor, or -1 with errno EINVAL (NULL t), EMFILE, ENFILE or ENOMEM.
 */
TOMB_EXPORT int tomb_dying_fd(tomb_t *t);
TOMB_EXPORT int tomb_dead_fd(tomb_t *t);

/*
 * Callbacks on dying, like context.AfterFunc and std::stop_callback.  The
 * caller owns the tomb_hook_t (no allocation): zero it before its first use
 * (TOMB_HOOK_INIT, or memset), and keep it valid until tomb_off.  The callback runs exactly once: at once in the registering thread
 * if t is already dying, otherwise in the thread that kills t, after t's lock
 * is released and with the reason already set.  t is not dead, and cannot be
 * freed, while a callback runs.
 */
typedef void tomb_hook_fn(tomb_t *t, void *arg);
typedef struct tomb_hook {
	void *opaque_[6];
} tomb_hook_t;
#define TOMB_HOOK_INIT {{0}}

/* Registers fn(t, arg) on hook: 0, EINVAL for NULL t, fn or hook, EBUSY if
 * hook is registered already. */
TOMB_EXPORT int tomb_on_dying(tomb_t *t, tomb_hook_fn *fn, void *arg,
                              tomb_hook_t *hook);

/* Unregisters hook: 0 if the callback had not run (it never will),
 * EALREADY if it has run (if it is running on another thread, after it
 * returns; from inside the callback itself, at once), EINVAL if hook is not
 * registered (never was, or tomb_off was called already). */
TOMB_EXPORT int tomb_off(tomb_hook_t *hook);

/*
 * Go's signal.NotifyContext: the first of the n signals in `signals` (e.g.
 * int sigs[] = {SIGINT, SIGTERM}) kills t with
 * reason 0 (or 128 + the signal's number with TOMB_SIGNAL_REASON) and the
 * message "received SIGTERM" (and so on).  The library installs a handler
 * for each (no signal mask changes), and a thread of its own that it stops,
 * putting the old handlers back, when t is dying, and joins before t is
 * dead.  With TOMB_SIGNAL_SECOND_EXITS, a second signal while t dies ends
 * the process at once with status 128 + its number.  0, EINVAL (NULL t or
 * signals, n == 0, a number that is no signal, SIGKILL or SIGSTOP, one the
 * C library keeps for itself, unknown flags), EBUSY (another
 * tomb watches one of the signals), ECANCELED (t is dying), or a system
 * error (EMFILE, ENOMEM, EAGAIN).
 */
#define TOMB_SIGNAL_SECOND_EXITS 1
#define TOMB_SIGNAL_REASON 2
TOMB_EXPORT int tomb_notify_signals(tomb_t *t, const int *signals, size_t n,
                                    int flags);

/*
 * A pool of parked threads that tombs made with opts.pool run their workers
 * on: tomb_go hands the worker to a parked thread (or makes a new one when
 * none is parked), and the thread parks again once the worker has returned,
 * instead of exiting.  A tomb's promise then reads: when its wait returns,
 * every worker function has returned and no pool thread touches the tomb,
 * its workers' arguments or their stacks; the threads themselves live on in
 * the pool until tomb_pool_free joins them.
 */
struct tomb_pool_opts {
	size_t max_idle;    /* most parked threads kept; 0: no bound */
	size_t stack_size;  /* bytes of stack per thread; 0: the system default */
	const char *name;   /* the threads' name (copied, 15 bytes kept) */
	unsigned long flags; /* TOMB_POOL_* below, or 0 */
	void *reserved_[4]; /* must be zero */
};

/* tomb_pool_opts.flags: a thread in an untimed wait for a tomb on the pool
 * runs that tomb's queued workers itself, as OpenMP's taskwait does, rather
 * than sleep until pool threads have run them.  Its workers then must not
 * call pthread_exit nor depend on which thread runs them (tomb_pool_new(3)). */
#define TOMB_POOL_WAITER_RUNS 0x1ul

/* A new pool with no thread yet (NULL opts: the defaults); NULL and errno
 * EINVAL (a bad option, a reserved field not zero) or ENOMEM. */
TOMB_EXPORT tomb_pool_t *tomb_pool_new(const struct tomb_pool_opts *opts);

/* What a pool holds right now: threads started and not exited, how many of
 * them are parked, how many it has started ever, and how many workers are
 * queued, waiting for a thread that none is set aside for (tomb_pool_new(3):
 * how a worker finds a thread). */
struct tomb_pool_stats {
	size_t threads;
	size_t idle;
	size_t started;
	size_t waiting;
	size_t blocked; /* of threads, those whose worker waits in libtomb */
	size_t reserved_[3]; /* set to zero */
};

/* Fills *st: 0, or EINVAL (NULL p or st). */
TOMB_EXPORT int tomb_pool_stats(tomb_pool_t *p, struct tomb_pool_stats *st);

/* Stops and joins the pool's threads and frees it: 0, EINVAL (NULL),
 * EDEADLK on one of the pool's own threads, or EBUSY while a tomb made with
 * it has not been freed (nothing changes). */
TOMB_EXPORT int tomb_pool_free(tomb_pool_t *p);

/*
 * Channels: Go's chan and select, whose blocking operations a kill
 * interrupts.  Values are elem_size bytes, copied in and out.  Every
 * blocking call takes a tomb t (NULL: none, then only the channel and the
 * deadline end the wait) and an absolute CLOCK_MONOTONIC deadline (NULL:
 * none).  ECANCELED when t is dying (at once, even if the operation could
 * complete: drain with a NULL tomb or the try-variants), ETIMEDOUT when the
 * deadline passed while it waited, EAGAIN when the deadline had already
 * passed and the operation could not complete at once (as a try-variant),
 * EPIPE once the channel is closed (see each call), EINVAL for bad input.
 * man 3 tomb_chan_new and the pages it names.
 */
typedef struct tomb_chan tomb_chan_t; /* opaque */

/* A new channel of values of elem_size bytes (0 is allowed, as Go's
 * chan struct{}), buffering cap of them (0: unbuffered, a send completes
 * only when a receiver takes the value).  NULL and errno EINVAL
 * (elem_size * cap too large) or ENOMEM. */
TOMB_EXPORT tomb_chan_t *tomb_chan_new(size_t elem_size, size_t cap);

/* Frees c and the values still buffered in it: 0, EINVAL for NULL, EBUSY
 * (nothing freed) while a thread is blocked on c or in a select that
 * includes it. */
TOMB_EXPORT int tomb_chan_free(tomb_chan_t *c);

/* Sends the value at v (elem_size bytes; v may be NULL when elem_size is
 * 0): 0 once a receiver took it or it is buffered, EPIPE if c is closed
 * (before or while it waited: the value was not delivered), ECANCELED,
 * ETIMEDOUT, EAGAIN (see above), EINVAL. */
TOMB_EXPORT int tomb_chan_send(tomb_t *t, tomb_chan_t *c, const void *v,
                               const struct timespec *abstime) TOMB_WUR;

/* Receives a value into v (NULL: discard it): 0, EPIPE once c is closed
 * and drained (Go's ok == false; v is not written), ECANCELED, ETIMEDOUT,
 * EAGAIN (see above), EINVAL. */
TOMB_EXPORT int tomb_chan_recv(tomb_t *t, tomb_chan_t *c, void *v,
                               const struct timespec *abstime) TOMB_WUR;

/* tomb_chan_send and tomb_chan_recv that never block: EAGAIN when they
 * would.  The other results are theirs (but never ECANCELED or
 * ETIMEDOUT). */
TOMB_EXPORT int tomb_chan_trysend(tomb_chan_t *c, const void *v) TOMB_WUR;
TOMB_EXPORT int tomb_chan_tryrecv(tomb_chan_t *c, void *v) TOMB_WUR;

/* Closes c: buffered values can still be received, then receives report
 * EPIPE; blocked receivers wake with EPIPE, blocked senders with EPIPE (their
 * values not delivered), and later sends fail with EPIPE.  0, EINVAL for
 * NULL, EPIPE if c was closed already. */
TOMB_EXPORT int tomb_chan_close(tomb_chan_t *c);

/* The number of values buffered in c now, and its capacity (0 for NULL). */
TOMB_EXPORT size_t tomb_chan_len(tomb_chan_t *c);
TOMB_EXPORT size_t tomb_chan_cap(const tomb_chan_t *c);

/* One operation of tomb_chan_select. */
#define TOMB_CHAN_SEND 1
#define TOMB_CHAN_RECV 2
struct tomb_chan_op {
	tomb_chan_t *chan; /* NULL: the operation is ignored (Go's nil channel) */
	int dir;           /* TOMB_CHAN_SEND or TOMB_CHAN_RECV */
	void *value;       /* what to send, or where to receive (NULL: discard) */
	int result;        /* set for the chosen op: 0, or EPIPE (c closed) */
	void *reserved_[2]; /* must be zero */
};

/* Go's select: waits until exactly one of the n operations in ops
 * happens, then stores its index in *chosen and its result (0, or EPIPE as
 * for tomb_chan_send and tomb_chan_recv) in ops[*chosen].result and returns
 * 0.  Among operations ready at once it picks one at random, so that none
 * starves.  ECANCELED or ETIMEDOUT when none happened; a deadline already
 * past is Go's default case: EAGAIN at once when none is ready.  EINVAL
 * for NULL ops (n > 0) or chosen, a bad dir, a send of NULL with elem_size
 * above 0, a non-zero reserved field, a bad deadline, or nothing that
 * could ever end the wait (no channel, no tomb, no deadline); ENOMEM for
 * a large n (above 16) whose bookkeeping cannot be allocated. */
TOMB_EXPORT int tomb_chan_select(tomb_t *t, struct tomb_chan_op *ops,
                                 size_t n, const struct timespec *abstime,
                                 size_t *chosen) TOMB_WUR;

/*
 * I/O that a kill interrupts: the tomb is the cancellation token
 * of blocking calls on descriptors.  Each returns 0 or a positive errno
 * value, like every call here, and reports a transfer's bytes through
 * *done, so that a partial transfer's count is never lost in the error:
 * ECANCELED as soon as t is dying (at once if it already is), ETIMEDOUT
 * once the deadline (absolute, CLOCK_MONOTONIC, NULL for none) has passed
 * with nothing to do, EINTR never (an unrelated signal is waited through),
 * EINVAL for a NULL pointer that is needed or a bad deadline, EBADF for a
 * negative descriptor, else the system call's own error.  A NULL t is no
 * tomb: the call waits for the descriptor and the deadline only.  They work
 * on blocking and non-blocking descriptors and never change their flags.
 */

/* poll(2) over fds that also ends when t is dying: 0 and *nready >= 1
 * descriptors with revents, ECANCELED, ETIMEDOUT (a past deadline polls
 * once), EINVAL (NULL nready, NULL fds with nfds > 0, a bad deadline),
 * ENOMEM, or poll's error (EINVAL for too many descriptors). */
TOMB_EXPORT int tomb_poll(tomb_t *t, struct pollfd *fds, nfds_t nfds,
                          const struct timespec *abstime, int *nready)
	TOMB_WUR;

/* Waits until fd is ready for `events` (POLLERR and POLLHUP count as
 * ready): 0, ECANCELED, ETIMEDOUT, EBADF (not open, or negative), EINVAL. */
TOMB_EXPORT int tomb_poll_fd(tomb_t *t, int fd, short events,
                             const struct timespec *abstime) TOMB_WUR;

/* read(2) that waits for data: 0 once some bytes came (*done of them; 0
 * bytes: the end of the file), or an error with *done 0. */
TOMB_EXPORT int tomb_read(tomb_t *t, int fd, void *buf, size_t len,
                          size_t *done, const struct timespec *abstime)
	TOMB_WUR;

/* Writes all of buf: 0, or the error with the *done bytes written before it;
 * a reader that has gone is EPIPE, never SIGPIPE. */
TOMB_EXPORT int tomb_write(tomb_t *t, int fd, const void *buf, size_t len,
                           size_t *done, const struct timespec *abstime)
	TOMB_WUR;

/* tomb_read for a socket, with recv(2)'s flags (MSG_WAITALL: all of len,
 * or the end). */
TOMB_EXPORT int tomb_recv(tomb_t *t, int fd, void *buf, size_t len,
                          int flags, size_t *done,
                          const struct timespec *abstime) TOMB_WUR;

/* tomb_write for a socket, with send(2)'s flags; MSG_NOSIGNAL is implied. */
TOMB_EXPORT int tomb_send(tomb_t *t, int fd, const void *buf, size_t len,
                          int flags, size_t *done,
                          const struct timespec *abstime) TOMB_WUR;

/* accept4(2) that waits for a connection: 0 and the new descriptor in
 * *newfd (-1 on error); `flags` as accept4's (SOCK_NONBLOCK, SOCK_CLOEXEC). */
TOMB_EXPORT int tomb_accept(tomb_t *t, int fd, struct sockaddr *addr,
                            socklen_t *addrlen, int flags, int *newfd,
                            const struct timespec *abstime) TOMB_WUR;

/* Makes a socket of `type` (which may carry SOCK_NONBLOCK, SOCK_CLOEXEC)
 * in addr's family and connects it: 0 and the connected descriptor in *fdp,
 * or an error, *fdp -1 and nothing left open. */
TOMB_EXPORT int tomb_connect(tomb_t *t, const struct sockaddr *addr,
                             socklen_t addrlen, int type, int *fdp,
                             const struct timespec *abstime) TOMB_WUR;

/*
 * Deadlines, like Go's context.WithDeadline: at its deadline (an absolute
 * CLOCK_MONOTONIC time), a tomb still alive is killed with ETIMEDOUT and the
 * message "deadline exceeded".  A deadline is not a worker: it never keeps a
 * tomb alive.  One thread of the library's, the timer, serves every tomb of
 * the process, and runs only while some deadline is pending; the callbacks
 * of a tomb it kills (tomb_on_dying) run in it.  A child dies with its
 * parent, so its deadline is in effect the earlier of its own and its
 * ancestors'.
 */

/* Sets t's own deadline, moves it (earlier or later), or clears it (NULL).
 * A deadline already passed kills t at once, in the calling thread.  0,
 * EINVAL (NULL t, a bad deadline), ECANCELED (setting or moving on a tomb
 * that is dying; clearing is always 0), or ENOMEM or EAGAIN (no memory or
 * no thread for the timer; the deadline is then as it was). */
TOMB_EXPORT int tomb_set_deadline(tomb_t *t, const struct timespec *abstime);

/* The deadline in effect for t, like Go's ctx.Deadline(): the earliest of
 * t's own and its ancestors', passed or not, into *out.  0, ENOENT when
 * none of them has one, EINVAL for NULL t or out. */
TOMB_EXPORT int tomb_deadline(const tomb_t *t, struct timespec *out);

/* Kills t with from's reason and a copy of its message, in one call (e.g.
 * a worker passing up the reason of a child tomb it waited on).  0, or
 * EINVAL (NULL t or from, or from still alive). */
TOMB_EXPORT int tomb_kill_from(tomb_t *t, const tomb_t *from);

#ifdef __cplusplus
}
#endif

#endif /* TOMB_H */
