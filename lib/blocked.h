/* SPDX-License-Identifier: MIT */
/*
 * blocked.h: a pool thread says when its worker blocks in one of the
 * library's waits, so that its pool does not count it as running (pool.c,
 * `busy_max`), as Go's runtime does not count a goroutine in a system call
 * against GOMAXPROCS.  Not installed.
 *
 * Each pool has one word (its `blocked`): the number of its threads inside
 * a wait (the low bits), a bit its watcher sets when it sleeps on the word
 * until a thread blocks (BLOCKED_WATCHED), and a counter the pool bumps to
 * wake the watcher for other reasons (BLOCKED_KICK).  A pool thread points
 * tomb__blocked_word at its pool's word; every other thread has NULL, and
 * then the two calls cost one thread-local load.
 */
#ifndef TOMB_BLOCKED_H
#define TOMB_BLOCKED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKED_WATCHED 0x80000000u
#define BLOCKED_KICK 0x7f000000u  /* a counter, not a toggle: see pool.c */
#define BLOCKED_KICK_ONE 0x01000000u
#define BLOCKED_COUNT 0x00ffffffu

extern _Thread_local _Atomic uint32_t *tomb__blocked_word;

/* Wakes the watcher that set BLOCKED_WATCHED on w, once (blocked.c). */
void tomb__blocked_wake(_Atomic uint32_t *w);

/* Around each wait of the library's that a worker may make. */
static inline void tomb__blocking_begin(void)
{
	_Atomic uint32_t *w = tomb__blocked_word;

	if (w != NULL &&
	    (atomic_fetch_add_explicit(w, 1, memory_order_relaxed) &
	     BLOCKED_WATCHED) != 0)
		tomb__blocked_wake(w);
}

static inline void tomb__blocking_end(void)
{
	_Atomic uint32_t *w = tomb__blocked_word;

	if (w != NULL)
		atomic_fetch_sub_explicit(w, 1, memory_order_relaxed);
}

#endif
