/* SPDX-License-Identifier: MIT */
/*
 * proc.h: what a test can learn about its own process, without Check: the
 * thread and descriptor counts, a probe that proves a thread has really
 * exited, and deadlines scaled for slow machines.  The Check suite (through
 * helpers.h) and the stress program (test/stress.c) both use it.
 */
#ifndef TOMB_TEST_PROC_H
#define TOMB_TEST_PROC_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* The number of threads in this process, from /proc/self/status. */
int thread_count(void);

/* The number of threads the process had when it started, before the
 * tests or the library made one: 1, or 2 under qemu-user (its own RCU
 * thread, .ci/m32). */
int start_thread_count(void);

/* The number of open descriptors of this process (counting the one that
 * reads /proc/self/fd). */
int fd_count(void);

/* Whether thread tid of this process sleeps in a futex wait of the kind
 * libtomb's waits and sleeps make now (futex with FUTEX_WAIT_BITSET, on
 * either clock, or futex_waitv; pthread_cond_wait's and pthread_join's
 * too), as /proc/self/task/TID/syscall shows.  With glibc 2.34 and
 * later, a thread blocked on a lock (pthread_mutex_lock, glibc's internal
 * locks, the sanitizers' own: plain FUTEX_WAIT) does not count; with musl
 * or an older glibc, whose condition variables and joins wait with plain
 * FUTEX_WAIT too, it does. */
bool thread_in_futex_wait(pid_t tid);

/* The kernel id of a thread of this process called `name` (its comm),
 * or -1 if there is none. */
pid_t thread_named(const char *name);

/* Whether a thread of this process called `name` (its comm, as
 * pthread_setname_np set it) is inside poll(2) or ppoll(2) now, from
 * /proc/self/task. */
bool thread_in_poll(const char *name);

/* Waits (yielding, for up to 2 s times timeout_multiplier()) until the
 * thread with kernel id tid, joined already, has left /proc/self/task. */
void await_thread_gone(pid_t tid);

/* Waits for the kernel to finish removing threads that have already been
 * joined, then returns the thread count (see proc.c for why). */
int settled_thread_count(int expected);

/*
 * An exit probe: exit_probe_arm(p), called on a worker's thread, makes that
 * thread set p->exited as the very last thing it does in user space (in a
 * thread-specific-data destructor, which runs after the library's code on that
 * thread has returned).  So "p->exited is set" after tomb_wait returns proves
 * the thread finished before the wait did, not merely its function.
 */
struct exit_probe {
	atomic_bool exited;
	sem_t gone; /* posted just after exited is set */
};
void exit_probe_init(struct exit_probe *p);
void exit_probe_destroy(struct exit_probe *p);
void exit_probe_arm(struct exit_probe *p);

/* The CK_TIMEOUT_MULTIPLIER of slow machines (1 if unset or not positive). */
long long timeout_multiplier(void);

/* A deadline for a test that must end: seconds from now, times
 * timeout_multiplier(). */
struct timespec test_deadline(int seconds);

#endif
