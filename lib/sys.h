/* SPDX-License-Identifier: MIT */
/*
 * sys.h: the calls the library makes that POSIX does not have (futexes,
 * eventfds, thread ids and names, glibc's message helpers), behind one small
 * interface.  lib/sys_linux.c implements it for Linux; lib/sys_names.c
 * the names (messages and signals), with glibc's helpers or code of its
 * own.  Not installed.
 *
 * Futexes let waiters block in the kernel without a mutex, so a kill wakes
 * any number of them with one system call and none of them queues on a lock
 * to wake up.
 */
#ifndef TOMB_SYS_H
#define TOMB_SYS_H

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

/* A new descriptor, close-on-exec and non-blocking, that polls readable
 * once tomb__event_signal has been called on it: the descriptor, or -1 and
 * errno. */
int tomb__event_new(void);

/* Makes an event descriptor readable; never blocks. */
void tomb__event_signal(int fd);

/* The calling thread's id, as the kernel, ps and gdb know it. */
pid_t tomb__gettid(void);

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
