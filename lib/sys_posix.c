/* SPDX-License-Identifier: MIT */
/*
 * sys_posix.c: sys.h on any POSIX system (configure --with-backend=posix,
 * and the automatic choice where <linux/futex.h> or <sys/eventfd.h> is
 * missing).
 *
 * Futexes are emulated: a fixed table of buckets, each a mutex, a condition
 * variable and a list of the threads waiting on words that hash to it.  A
 * wait compares the word under its bucket's lock, so a waker that changes
 * the word and then wakes (under the same lock) cannot slip between the
 * compare and the sleep.  futex_waitv is not emulated (ENOSYS: the callers
 * fall back).  An event is a pipe; thread ids and names come from the
 * system where it has them.
 */
#include "config.h"

#include "list.h"
#include "lock.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_PTHREAD_NP_H
#include <pthread_np.h>
#endif

#define NSEC_PER_SEC 1000000000L

/* A thread in tomb__futex_wait, on its own stack. */
struct waiter {
	uintptr_t word;        /* the address it waits on */
	bool woken;            /* set by a wake, which unlinks it; under the
	                        * bucket's mu */
	struct tomb_list node; /* on the bucket's waiters while not woken */
};

/*
 * A bucket.  mu guards waiters and every waiter's `woken`; cv is broadcast
 * by a wake that woke a waiter of the bucket (each waiter then checks its
 * own `woken`).  nwaiters counts the waiters on the list; it is written
 * under mu and read without it by a wake, which skips a bucket with none
 * (see tomb__futex_wake for why that cannot miss one).
 */
struct bucket {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tomb_list waiters;
	_Atomic unsigned nwaiters;
};

#define NBUCKETS_LOG2 8
#define NBUCKETS (1 << NBUCKETS_LOG2)

/* Process-wide: the buckets.  Statically initialised (a range of
 * designators, which gcc and clang take), so nothing can fail to make
 * them; their lists are made empty by the constructor below (a list head
 * points to itself) before any call of the library. */
static struct bucket buckets[NBUCKETS] = {
	[0 ... NBUCKETS - 1] = {.mu = PTHREAD_MUTEX_INITIALIZER,
	                        .cv = PTHREAD_COND_INITIALIZER}};

static struct bucket *bucket_of(uintptr_t word)
{
	/* Fibonacci hashing of the address: neighbouring words (the fields of
	 * one tomb, the waiters of one select) land in different buckets. */
	uint64_t h = (uint64_t)word * UINT64_C(0x9E3779B97F4A7C15);

	return &buckets[h >> (64 - NBUCKETS_LOG2)];
}

static void buckets_empty(void)
{
	for (int i = 0; i < NBUCKETS; i++) {
		tomb__list_init(&buckets[i].waiters);
		atomic_init(&buckets[i].nwaiters, 0);
	}
}

/* fork(): every bucket is locked across it, so that the child finds none
 * held by a thread it does not have; the child's buckets start empty (the
 * parent's waiters are not in the child), with fresh condition variables,
 * on which no thread of the child can be waiting. */
static void atfork_prepare(void)
{
	for (int i = 0; i < NBUCKETS; i++)
		tomb__mutex_lock(&buckets[i].mu);
}

static void atfork_parent(void)
{
	for (int i = NBUCKETS - 1; i >= 0; i--)
		tomb__mutex_unlock(&buckets[i].mu);
}

static void atfork_child(void)
{
	buckets_empty();
	for (int i = NBUCKETS - 1; i >= 0; i--) {
		buckets[i].cv = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
		tomb__mutex_unlock(&buckets[i].mu);
	}
}

/* At load, before any of the library's calls.  If pthread_atfork fails
 * (ENOMEM, at load), a child forked while another thread holds a bucket's
 * lock may block in the library: nothing else is lost. */
__attribute__((constructor)) static void buckets_init(void)
{
	buckets_empty();
	(void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* With b->mu held: sleeps on b->cv until woken by a wake, a spurious return
 * or abstime (CLOCK_MONOTONIC).  0, or ETIMEDOUT once abstime has passed.
 * Not a cancellation point (lock.h). */
static int bucket_sleep(struct bucket *b, const struct timespec *abstime)
{
	int err = 0, old;

	if (abstime == NULL) {
		tomb__cond_wait(&b->cv, &b->mu);
		return 0;
	}
	old = tomb__nocancel_begin();
#ifdef HAVE_PTHREAD_COND_CLOCKWAIT
	err = pthread_cond_clockwait(&b->cv, &b->mu, CLOCK_MONOTONIC, abstime);
#else
	{
		/* A condition variable statically made waits on CLOCK_REALTIME:
		 * the same length from now on that clock.  If the clock is set
		 * meanwhile, the wait ends early (the caller sees the deadline
		 * has not passed and waits again) or late by the step. */
		struct timespec mono, real;
		int64_t left;

		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		left = ((int64_t)abstime->tv_sec - mono.tv_sec) * NSEC_PER_SEC +
		       (abstime->tv_nsec - mono.tv_nsec);
		if (left < 0)
			left = 0;
		real.tv_sec += (time_t)(left / NSEC_PER_SEC);
		real.tv_nsec += (long)(left % NSEC_PER_SEC);
		if (real.tv_nsec >= NSEC_PER_SEC) {
			real.tv_sec++;
			real.tv_nsec -= NSEC_PER_SEC;
		}
		err = pthread_cond_timedwait(&b->cv, &b->mu, &real);
	}
#endif
	tomb__nocancel_end(old);
	if (err == ETIMEDOUT) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < abstime->tv_sec ||
		    (now.tv_sec == abstime->tv_sec && now.tv_nsec < abstime->tv_nsec))
			err = 0; /* early: the caller waits again */
	} else if (err != 0) {
		abort(); /* only a bug: lock.h */
	}
	return err;
}

/* The name is in parentheses: the fault-injection build turns its calls
 * into macros (test/fault_redirect.h). */
int (tomb__futex_wait)(_Atomic uint32_t *word, uint32_t expected,
                       const struct timespec *abstime)
{
	struct bucket *b = bucket_of((uintptr_t)word);
	struct waiter w = {.word = (uintptr_t)word, .woken = false};
	int err = 0;

	tomb__mutex_lock(&b->mu);
	atomic_fetch_add_explicit(&b->nwaiters, 1, memory_order_relaxed);
	/* Between counting this waiter and reading the word: see
	 * tomb__futex_wake. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_relaxed) != expected) {
		atomic_fetch_sub_explicit(&b->nwaiters, 1, memory_order_relaxed);
		tomb__mutex_unlock(&b->mu);
		return EAGAIN;
	}
	tomb__list_push_back(&b->waiters, &w.node);
	while (!w.woken && err == 0)
		err = bucket_sleep(b, abstime);
	if (!w.woken) { /* timed out: still listed */
		tomb__list_remove(&w.node);
		atomic_fetch_sub_explicit(&b->nwaiters, 1, memory_order_relaxed);
	}
	tomb__mutex_unlock(&b->mu);
	return w.woken ? 0 : err;
}

int (tomb__futex_wait2)(_Atomic uint32_t *a, uint32_t ea,
                        _Atomic uint32_t *b, uint32_t eb,
                        const struct timespec *abstime)
{
	(void)a;
	(void)ea;
	(void)b;
	(void)eb;
	(void)abstime;
	return ENOSYS;
}

/*
 * The caller has changed *word before this call.  A wait counts itself in
 * nwaiters before it reads the word, and a wake reads nwaiters after the
 * caller's change of the word, each with a sequentially consistent fence
 * between: so either the wake sees the waiter counted (and takes the lock,
 * which the waiter holds until it sleeps), or the waiter reads the changed
 * word (and does not sleep).
 */
void tomb__futex_wake(_Atomic uint32_t *word, int n)
{
	struct bucket *b = bucket_of((uintptr_t)word);
	struct tomb_list *it, *next;
	int woken = 0;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&b->nwaiters, memory_order_relaxed) == 0)
		return;
	tomb__mutex_lock(&b->mu);
	for (it = b->waiters.next; it != &b->waiters && woken < n; it = next) {
		struct waiter *w = tomb__list_entry(it, struct waiter, node);

		next = it->next;
		if (w->word != (uintptr_t)word)
			continue;
		tomb__list_remove(&w->node);
		atomic_fetch_sub_explicit(&b->nwaiters, 1, memory_order_relaxed);
		w->woken = true;
		woken++;
	}
	if (woken > 0)
		tomb__cond_broadcast(&b->cv);
	tomb__mutex_unlock(&b->mu);
}

void tomb__futex_wake_all(_Atomic uint32_t *word)
{
	tomb__futex_wake(word, INT_MAX);
}

#ifndef HAVE_PIPE2
/* Sets flags on a descriptor (F_GETFD/F_SETFD or F_GETFL/F_SETFL): 0, or
 * errno's value. */
static int add_flags(int fd, int get, int set, int flags)
{
	int old = fcntl(fd, get);

	return old < 0 || fcntl(fd, set, old | flags) < 0 ? errno : 0;
}
#endif

/* A pipe: the read end is the event's descriptor; one byte written to the
 * other makes it readable for good (nobody reads it). */
int tomb__event_open(struct tomb__event *ev)
{
	int fds[2];

#ifdef HAVE_PIPE2
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return errno;
#else
	int err = 0;

	/* Not atomic: a fork and exec in another thread between the two
	 * calls may pass the descriptors on. */
	if (pipe(fds) != 0)
		return errno;
	for (int i = 0; i < 2 && err == 0; i++)
		if ((err = add_flags(fds[i], F_GETFD, F_SETFD, FD_CLOEXEC)) == 0)
			err = add_flags(fds[i], F_GETFL, F_SETFL, O_NONBLOCK);
	if (err != 0) {
		close(fds[0]);
		close(fds[1]);
		return err;
	}
#endif
	ev->fd = fds[0];
	ev->wfd = fds[1];
	return 0;
}

void tomb__event_signal(const struct tomb__event *ev)
{
	char one = 1;
	/* write(2) is a cancellation point; no libtomb call is one, and a
	 * kill that unwound here would leave its sleepers asleep. */
	int cancel_state = tomb__nocancel_begin();

	/* Never blocks: the library signals each event once or twice
	 * (struct tomb's waking_fd), so the pipe holds two bytes at most. */
	while (write(ev->wfd, &one, 1) < 0 && errno == EINTR)
		continue;
	tomb__nocancel_end(cancel_state);
}

void tomb__event_close(struct tomb__event *ev)
{
	close(ev->fd);
	close(ev->wfd);
	*ev = TOMB__EVENT_NONE;
}

#if defined(HAVE_GETTID)
pid_t tomb__gettid(void)
{
	return gettid(); /* Linux: glibc >= 2.30, musl >= 1.2.2 */
}
#elif defined(HAVE_PTHREAD_GETTHREADID_NP)
pid_t tomb__gettid(void)
{
	return (pid_t)pthread_getthreadid_np(); /* FreeBSD */
}
#else
/* Where the system has no id of its own: numbers handed out in turn, one
 * per thread that asks, kept for the thread's life.  Process-wide. */
static _Atomic pid_t next_id = 1;
static _Thread_local pid_t my_id;

pid_t tomb__gettid(void)
{
	/* Unique among live threads until 2^31 threads have asked. */
	if (my_id == 0) {
		my_id = atomic_fetch_add_explicit(&next_id, 1,
		                                  memory_order_relaxed);
		if (my_id <= 0) /* wrapped */
			my_id = 1;
	}
	return my_id;
}
#endif

void tomb__set_thread_name(const char *name)
{
#if defined(HAVE_PTHREAD_SETNAME_NP_2)
	/* Linux, FreeBSD >= 12.2: 15 bytes and the null at most. */
	char short_name[16];

	strncpy(short_name, name, sizeof(short_name) - 1);
	short_name[sizeof(short_name) - 1] = '\0';
	pthread_setname_np(pthread_self(), short_name);
#elif defined(HAVE_PTHREAD_SETNAME_NP_1)
	pthread_setname_np(name); /* macOS: the calling thread's */
#elif defined(HAVE_PTHREAD_SET_NAME_NP)
	pthread_set_name_np(pthread_self(), name); /* OpenBSD, FreeBSD */
#else
	(void)name; /* no way: a name is a convenience */
#endif
}

int tomb__attr_init_blocked(pthread_attr_t *attr)
{
	return pthread_attr_init(attr);
}

int tomb__thread_create_blocked(pthread_t *th, const pthread_attr_t *attr,
                                void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	/* The new thread inherits the creator's mask: block around it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(th, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
