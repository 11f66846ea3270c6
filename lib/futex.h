/* SPDX-License-Identifier: MIT */
/*
 * futex.h: the futex operations the library needs, on 32-bit atomic words.
 * Waiters block in the kernel without a mutex, so a kill wakes any number of
 * them with one system call and none of them queues on a lock to wake up.
 */
#ifndef TOMB_FUTEX_H
#define TOMB_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* Blocks while *word == expected, until woken or the absolute CLOCK_MONOTONIC
 * deadline (NULL: none).  0 when woken (or spuriously), EAGAIN if *word had
 * already changed, EINTR, or ETIMEDOUT. */
int tomb_futex_wait(_Atomic uint32_t *word, uint32_t expected,
                    const struct timespec *abstime);

/* Blocks while *a == ea and *b == eb (futex_waitv), with the same results as
 * tomb_futex_wait, or ENOSYS at once where the kernel lacks futex_waitv. */
int tomb_futex_wait2(_Atomic uint32_t *a, uint32_t ea, _Atomic uint32_t *b,
                     uint32_t eb, const struct timespec *abstime);

/* Wakes up to n threads blocked on word (INT_MAX: all). */
void tomb_futex_wake(_Atomic uint32_t *word, int n);

/* Wakes every thread blocked on word. */
void tomb_futex_wake_all(_Atomic uint32_t *word);

#endif
