/* SPDX-License-Identifier: MIT */
/*
 * sys.h: the calls the library makes that POSIX does not have (futexes,
 * eventfds, thread ids and names, the signal mask of a new thread, glibc's
 * message helpers), behind one small interface.  Two files implement the
 * calls, and configure builds one (--with-backend): lib/sys_linux.c for
 * Linux and glibc, with the kernel's futexes and eventfds, and
 * lib/sys_posix.c for any POSIX system, with mutexes, condition variables
 * and pipes; lib/sys_names.c gives the names (messages and signals), with
 * glibc's helpers or code of its own.  Not installed.
 *
 * Futexes let waiters block in the kernel without a mutex, so a kill wakes
 * any number of them with one system call and none of them queues on a lock
 * to wake up.
 */
#ifndef TOMB_SYS_H
#define TOMB_SYS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Blocks while *word == expected, until woken or the absolute CLOCK_MONOTONIC
 * deadline (NULL: none).  0 when woken (or spuriously), EAGAIN if *word had
 * already changed, EINTR, or ETIMEDOUT. */
int tomb__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                     const struct timespec *abstime);

/* Blocks while *a == ea and *b == eb (futex_waitv), with the same results as
 * tomb__futex_wait, or ENOSYS at once where the kernel lacks futex_waitv (or
 * TOMB_FUTEX_WAITV=0 is in the environment). */
int tomb__futex_wait2(_Atomic uint32_t *a, uint32_t ea, _Atomic uint32_t *b,
                      uint32_t eb, const struct timespec *abstime);

/* Wakes up to n threads blocked on word (INT_MAX: all). */
void tomb__futex_wake(_Atomic uint32_t *word, int n);

/* Wakes every thread blocked on word. */
void tomb__futex_wake_all(_Atomic uint32_t *word);

/* An event: a descriptor, `fd`, that polls readable once the event is
 * signalled, and stays readable.  `wfd` is the descriptor that signalling
 * writes to: fd itself for an eventfd, the other end for a pipe.  Both are
 * -1 while the event is not open (TOMB__EVENT_NONE). */
struct tomb__event {
	int fd, wfd;
};
#define TOMB__EVENT_NONE ((struct tomb__event){-1, -1})

/* Opens ev: its descriptors are close-on-exec and non-blocking.  0, or
 * errno's value (ev is left as it was). */
int tomb__event_open(struct tomb__event *ev);

/* Makes an open event's fd readable; never blocks. */
void tomb__event_signal(const struct tomb__event *ev);

/* Closes an open event, which becomes TOMB__EVENT_NONE. */
void tomb__event_close(struct tomb__event *ev);

/* The calling thread's id: where the system has one, the kernel's (as ps,
 * top and gdb know it), else a number that no other live thread of the
 * process has.  Never 0. */
pid_t tomb__gettid(void);

/* pthread_attr_init, for the library's own threads (not workers, which run
 * with their creator's mask): where the system can, it marks attr so that
 * tomb__thread_create_blocked needs no more work.  0, or the error. */
int tomb__attr_init_blocked(pthread_attr_t *attr);

/* pthread_create, the new thread starting with every signal blocked
 * whatever the caller's mask (the program's handlers are not for the
 * library's threads).  attr is NULL or made by tomb__attr_init_blocked.
 * 0, or pthread_create's error. */
int tomb__thread_create_blocked(pthread_t *th, const pthread_attr_t *attr,
                                void *(*fn)(void *), void *arg);

/* Names the calling thread (the first 15 bytes), for ps, top and gdb;
 * a failure is ignored (a name is a convenience). */
void tomb__set_thread_name(const char *name);

/* The description of an errno value ("No such file or directory"), or NULL
 * if it is not one: thread-safe, a string of static lifetime, as the C
 * library's strerror says it (sys_names.c). */
const char *tomb__errno_desc(int err);

/* A signal's abbreviation ("TERM" for SIGTERM), or NULL: thread-safe, a
 * string of static lifetime (sys_names.c). */
const char *tomb__signal_abbrev(int signo);

#endif
