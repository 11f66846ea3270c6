/* SPDX-License-Identifier: MIT */
/*
 * timer.h: a tomb's deadline, and the library's one timer thread that kills
 * tombs at theirs (timer.c).
 */
#ifndef TOMB_TIMER_H
#define TOMB_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct tomb tomb_t;

/*
 * A tomb's own deadline and its place among the pending ones: the timer
 * fields of struct tomb (its `tmr`).  Every field is guarded by the timer's
 * process-wide mutex (timer.c), never by the tomb's mu.  All zero (calloc)
 * means: no deadline, not pending, not firing.
 */
struct tomb_timer_entry {
	/* The tomb this entry is part of; set when a deadline is first set. */
	tomb_t *owner;

	/* The tomb's own deadline, in CLOCK_MONOTONIC nanoseconds (INT64_MAX
	 * for one too far to count) and as it was given, valid while
	 * `has_deadline`.  It stays after it has passed (tomb_deadline still
	 * reports it), until it is moved or cleared. */
	int64_t when_ns;
	struct timespec at;
	bool has_deadline;

	/* 1 + the entry's index in the timer's heap while the deadline is
	 * pending (set, not passed, not cleared), 0 otherwise. */
	size_t pos;

	/* The timer thread has taken this entry off the heap and is killing
	 * its tomb without the timer's mutex held.  Invariant: the tomb is not
	 * freed while `firing` holds: tomb_free, once nothing can make it
	 * EBUSY, calls tomb__timer_disarm, which waits for `firing` to clear
	 * before it returns, and only then frees the tomb. */
	bool firing;
};

/* Sets, moves or clears (abstime NULL) t's own deadline, for
 * tomb_new_opts and tomb_set_deadline; abstime is valid (checked).  A
 * deadline already passed kills t at once, in the calling thread.  0, or
 * ENOMEM or EAGAIN (no memory, no thread for the timer), and then t's
 * deadline is as it was. */
int tomb__timer_set(tomb_t *t, const struct timespec *abstime);

/* For tomb_free, after its last EBUSY check and without t's mu: takes t's
 * deadline off the heap, and waits while the timer thread is killing t. */
void tomb__timer_disarm(tomb_t *t);

#endif
