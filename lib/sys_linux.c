/* SPDX-License-Identifier: MIT */
/* sys_linux.c: sys.h on Linux (but its names: sys_names.c); configure's
 * --with-backend=posix builds sys_posix.c instead. */
#include "config.h"

#include "annotate.h"
#include "lock.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/time_types.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
               "a futex word must be a plain 32-bit word");

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

/* Whether futex_waitv works here: 0 unknown, 1 yes, 2 no.  Process-wide,
 * set once (races only write the same answer).  The environment variable
 * TOMB_FUTEX_WAITV=0 makes it "no", to test the fallback. */
static _Atomic int waitv_state;

/* The names of the two waits are in parentheses: the fault-injection build
 * (test/fault_redirect.h) turns their calls into macros, and these are not
 * calls. */
int (tomb__futex_wait)(_Atomic uint32_t *word, uint32_t expected,
                       const struct timespec *abstime)
{
	/* FUTEX_WAIT_BITSET takes an absolute deadline on CLOCK_MONOTONIC, as
	 * the C library's struct timespec: SYS_futex reads a 32-bit time_t
	 * on 32-bit x86, the time_t this library is built with there (no
	 * _TIME_BITS=64; that would need SYS_futex_time64 here). */
	long rc = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
	                  expected, abstime, NULL, FUTEX_BITSET_MATCH_ANY);
	return rc == 0 ? 0 : errno;
}

int (tomb__futex_wait2)(_Atomic uint32_t *a, uint32_t ea,
                        _Atomic uint32_t *b, uint32_t eb,
                        const struct timespec *abstime)
{
	struct futex_waitv w[2];
	struct __kernel_timespec end, *endp = NULL;
	int known;
	long rc;

	TOMB_ANN_ATOMIC(&waitv_state); /* static: before every use */
	known = atomic_load_explicit(&waitv_state, memory_order_relaxed);

	if (known == 0) {
		const char *env = getenv("TOMB_FUTEX_WAITV");

		known = env != NULL && strcmp(env, "0") == 0 ? 2 : 1;
		atomic_store_explicit(&waitv_state, known, memory_order_relaxed);
	}
	if (known == 2)
		return ENOSYS;
	memset(w, 0, sizeof(w));
	w[0].uaddr = (uintptr_t)a;
	w[0].val = ea;
	w[0].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	w[1].uaddr = (uintptr_t)b;
	w[1].val = eb;
	w[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	/* futex_waitv reads a 64-bit time on every architecture, where
	 * struct timespec may hold a 32-bit time_t (32-bit x86): copied, or
	 * the kernel would read tv_nsec as the high half of the seconds. */
	if (abstime != NULL) {
		end.tv_sec = abstime->tv_sec;
		end.tv_nsec = abstime->tv_nsec;
		endp = &end;
	}
	rc = syscall(SYS_futex_waitv, w, 2, 0, endp, CLOCK_MONOTONIC);
	if (rc >= 0)
		return 0; /* the index of the futex that woke us */
	if (errno == ENOSYS)
		atomic_store_explicit(&waitv_state, 2, memory_order_relaxed);
	return errno;
}

void tomb__futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL,
	        0);
}

void tomb__futex_wake_all(_Atomic uint32_t *word)
{
	tomb__futex_wake(word, INT_MAX);
}

/* One eventfd is both ends. */
int tomb__event_open(struct tomb__event *ev)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return errno;
	ev->fd = ev->wfd = fd;
	return 0;
}

void tomb__event_signal(const struct tomb__event *ev)
{
	uint64_t one = 1;
	/* write(2) is a cancellation point; no libtomb call is one, and a
	 * kill that unwound here would leave its sleepers asleep. */
	int cancel_state = tomb__nocancel_begin();

	/* Never blocks: the library signals each descriptor once or twice
	 * (struct tomb's waking_fd), so the counter stays far below its
	 * maximum. */
	while (write(ev->wfd, &one, sizeof(one)) < 0 && errno == EINTR)
		continue;
	tomb__nocancel_end(cancel_state);
}

void tomb__event_close(struct tomb__event *ev)
{
	close(ev->fd);
	*ev = TOMB__EVENT_NONE;
}

pid_t tomb__gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void tomb__set_thread_name(const char *name)
{
	pthread_setname_np(pthread_self(), name);
}

int tomb__attr_init_blocked(pthread_attr_t *attr)
{
	int err = pthread_attr_init(attr);
#ifdef HAVE_PTHREAD_ATTR_SETSIGMASK_NP
	sigset_t all;

	sigfillset(&all);
	if (err == 0 && (err = pthread_attr_setsigmask_np(attr, &all)) != 0)
		pthread_attr_destroy(attr);
#endif
	return err;
}

int tomb__thread_create_blocked(pthread_t *th, const pthread_attr_t *attr,
                                void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

#ifdef HAVE_PTHREAD_ATTR_SETSIGMASK_NP
	if (attr != NULL) /* tomb__attr_init_blocked set its mask */
		return pthread_create(th, attr, fn, arg);
#endif
	/* The new thread inherits the creator's mask: block around it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(th, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
