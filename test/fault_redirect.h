/* SPDX-License-Identifier: MIT */
/*
 * fault_redirect.h: forced (gcc -include) into every file of lib/ when it
 * is built for the fault-injection test (test/libtomb-fault.la, see
 * Makefile.am), never into the real library.  It turns each call that can
 * fail into the fault_* function of fault_inject.h, with a record of the
 * call site, and each call that releases something into its book-keeping
 * twin.
 *
 * The system headers that declare these functions come first, so that the
 * macros below cannot rewrite their declarations; lib/ includes them again
 * later, to no effect.  So do lib/'s own lock.h and sys.h, whose waits are
 * redirected at each of their callers (after lock.h, so that its inline
 * bodies still call the real pthread functions, but for pthread_join, which
 * the books count); sys_linux.c and sys_posix.c write the names of the
 * futex waits they define in parentheses, which these function-like macros
 * leave alone.
 */
#ifndef TOMB_FAULT_REDIRECT_H
#define TOMB_FAULT_REDIRECT_H

#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fault_inject.h"

#define malloc(n) fault_malloc(FAULT_SITE(FAULT_MALLOC), (n))
#define calloc(n, size) fault_calloc(FAULT_SITE(FAULT_CALLOC), (n), (size))
#define strdup(str) fault_strdup(FAULT_SITE(FAULT_STRDUP), (str))
#define vasprintf(strp, fmt, ap) \
	fault_vasprintf(FAULT_SITE(FAULT_VASPRINTF), (strp), (fmt), (ap))
#define free(p) fault_free(p)

#define pthread_create(th, attr, fn, arg) \
	fault_pthread_create(FAULT_SITE(FAULT_PTHREAD_CREATE), (th), (attr), \
	                     (fn), (arg))
#define pthread_join(th, ret) fault_pthread_join((th), (ret))
#define pthread_attr_init(a) \
	fault_pthread_attr_init(FAULT_SITE(FAULT_PTHREAD_ATTR_INIT), (a))
#define pthread_attr_setstacksize(a, size)                                  \
	fault_pthread_attr_setstacksize(                                    \
		FAULT_SITE(FAULT_PTHREAD_ATTR_SETSTACKSIZE), (a), (size))
#define pthread_attr_destroy(a) fault_pthread_attr_destroy(a)
#define pthread_setname_np(th, name) \
	fault_pthread_setname_np(FAULT_SITE(FAULT_PTHREAD_SETNAME_NP), (th), \
	                         (name))

#define pthread_mutex_init(m, a) \
	fault_pthread_mutex_init(FAULT_SITE(FAULT_PTHREAD_MUTEX_INIT), (m), (a))
#define pthread_mutex_destroy(m) fault_pthread_mutex_destroy(m)
#define pthread_cond_init(c, a) \
	fault_pthread_cond_init(FAULT_SITE(FAULT_PTHREAD_COND_INIT), (c), (a))
#define pthread_cond_destroy(c) fault_pthread_cond_destroy(c)
#define pthread_condattr_init(a) \
	fault_pthread_condattr_init(FAULT_SITE(FAULT_PTHREAD_CONDATTR_INIT), (a))
#define pthread_condattr_setclock(a, clock)                                 \
	fault_pthread_condattr_setclock(                                    \
		FAULT_SITE(FAULT_PTHREAD_CONDATTR_SETCLOCK), (a), (clock))
#define pthread_condattr_destroy(a) fault_pthread_condattr_destroy(a)

#define eventfd(initval, flags) \
	fault_eventfd(FAULT_SITE(FAULT_EVENTFD), (initval), (flags))
#define pipe2(fds, flags) fault_pipe2(FAULT_SITE(FAULT_PIPE2), (fds), (flags))
#define pipe(fds) fault_pipe(FAULT_SITE(FAULT_PIPE2), (fds))
#define close(fd) fault_close(fd)

#define sigaction(signo, act, old) \
	fault_sigaction(FAULT_SITE(FAULT_SIGACTION), (signo), (act), (old))
#define poll(fds, n, timeout) \
	fault_poll(FAULT_SITE(FAULT_POLL), (fds), (n), (timeout))
#define read(fd, buf, n) fault_read(FAULT_SITE(FAULT_READ), (fd), (buf), (n))

#define fprintf(f, ...) fault_fprintf(FAULT_SITE(FAULT_FPRINTF), (f), __VA_ARGS__)
#define fflush(f) fault_fflush(FAULT_SITE(FAULT_FFLUSH), (f))

/* lib/'s wrappers, each call site its own site.  Each macro passes the
 * real function on (its name is not expanded again inside its own
 * macro). */
#include "../lib/lock.h"
#include "../lib/sys.h"

#define tomb__futex_wait(word, expected, abstime)                            \
	fault_futex_wait(FAULT_SITE(FAULT_FUTEX_WAIT), tomb__futex_wait,     \
	                 (word), (expected), (abstime))
#define tomb__futex_wait2(a, ea, b, eb, abstime)                             \
	fault_futex_wait2(FAULT_SITE(FAULT_FUTEX_WAIT2), tomb__futex_wait2,  \
	                  (a), (ea), (b), (eb), (abstime))
#define tomb__cond_wait(cv, mu) \
	fault_cond_wait(FAULT_SITE(FAULT_COND_WAIT), tomb__cond_wait, (cv), (mu))
#define tomb__cond_timedwait(cv, mu, abstime)                                \
	fault_cond_timedwait(FAULT_SITE(FAULT_COND_TIMEDWAIT),               \
	                     tomb__cond_timedwait, (cv), (mu), (abstime))
/* timer.c's own timed wait, outside lock.h. */
#define pthread_cond_timedwait(cv, mu, abstime)                              \
	fault_cond_timedwait(FAULT_SITE(FAULT_COND_TIMEDWAIT),               \
	                     pthread_cond_timedwait, (cv), (mu), (abstime))
#define tomb__join(th) fault_join(FAULT_SITE(FAULT_PTHREAD_JOIN), tomb__join, (th))
#define pthread_sigmask(how, set, old) \
	fault_pthread_sigmask(FAULT_SITE(FAULT_PTHREAD_SIGMASK), (how), (set), (old))

#endif
