/*
 * futex.h: the two futex operations the library needs, on a 32-bit atomic word.
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

/* Wakes every thread blocked in tomb_futex_wait on word. */
void tomb_futex_wake_all(_Atomic uint32_t *word);

#endif
