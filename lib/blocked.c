/* SPDX-License-Identifier: MIT */
/* blocked.c: the pool threads' word of blocked threads (blocked.h). */
#include "config.h"

#include "blocked.h"
#include "sys.h"

_Thread_local _Atomic uint32_t *tomb__blocked_word;

void tomb__blocked_wake(_Atomic uint32_t *w)
{
	/* Of the threads that saw the bit, the one that clears it wakes. */
	if (atomic_fetch_and_explicit(w, ~BLOCKED_WATCHED,
	                              memory_order_relaxed) & BLOCKED_WATCHED)
		tomb__futex_wake(w, 1);
}
