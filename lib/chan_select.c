/* SPDX-License-Identifier: MIT */
/* chan_select.c: Go's select over channels, which a kill interrupts. */
#include "config.h"

#include "annotate.h"
#include "chan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Selects of up to this many operations keep their bookkeeping on the
 * stack; larger ones allocate it. */
#define SELECT_STACK 16

/* One operation that takes part (its channel is not NULL). */
struct slot {
	tomb_chan_t *chan;
	size_t idx; /* in the caller's ops */
};

/*
 * A per-thread pseudo-random generator (xorshift32) for the order in which
 * a select polls its operations: cheap, no lock, and no shared state
 * between threads.  Seeded on first use from the thread's own address
 * and the clock.
 */
static _Thread_local uint32_t rng_state;

static uint32_t rng_next(void)
{
	uint32_t x = rng_state;

	if (x == 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		x = (uint32_t)(uintptr_t)&rng_state ^ (uint32_t)now.tv_nsec ^
		    (uint32_t)now.tv_sec * 2654435761u;
		if (x == 0)
			x = 0x9e3779b9u;
	}
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x;
}

/* A uniform-enough index below n (n > 0; the bias of the modulo is far
 * below anything a fairness test or a program could see for small n). */
static size_t rng_below(size_t n)
{
	return (size_t)(rng_next() % (uint32_t)n);
}

/* Sorts by channel address (insertion sort: n is small, and the sort is
 * stable for duplicates). */
static void sort_by_chan(struct slot *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct slot x = s[i];
		size_t j = i;

		while (j > 0 && (uintptr_t)s[j - 1].chan > (uintptr_t)x.chan) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = x;
	}
}

/* Locks (lock) or unlocks every distinct channel of s, sorted by
 * address; the lock order of channels is their address order. */
static void lock_all(const struct slot *s, size_t n, bool lock)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && s[i].chan == s[i - 1].chan)
			continue;
		if (lock)
			tomb__chan_lock(s[i].chan);
		else
			tomb__chan_unlock(s[i].chan);
	}
}

static int check_ops(const struct tomb_chan_op *ops, size_t n, size_t *active)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct tomb_chan_op *o = &ops[i];

		if (o->reserved_[0] != NULL || o->reserved_[1] != NULL)
			return EINVAL;
		if (o->chan == NULL)
			continue;
		if (o->dir == TOMB_CHAN_SEND) {
			if (o->value == NULL && o->chan->elem_size != 0)
				return EINVAL;
		} else if (o->dir != TOMB_CHAN_RECV) {
			return EINVAL;
		}
		k++;
	}
	*active = k;
	return 0;
}

/* The select proper, with the bookkeeping arrays given (each of k). */
static int select_with(tomb_t *t, struct tomb_chan_op *ops, size_t n,
                       const struct timespec *abstime, size_t *chosen,
                       struct slot *poll, struct slot *locks,
                       struct chan_entry *entries, size_t k)
{
	struct chan_waiter w, *wake = NULL;
	size_t j = 0;
	int err = EAGAIN;

	/* The poll order: a random permutation (Fisher-Yates, inside out). */
	for (size_t i = 0; i < n; i++) {
		size_t r;

		if (ops[i].chan == NULL)
			continue;
		r = rng_below(j + 1);
		if (r != j)
			poll[j] = poll[r];
		poll[r] = (struct slot){.chan = ops[i].chan, .idx = i};
		j++;
	}
	memcpy(locks, poll, k * sizeof(*locks));
	sort_by_chan(locks, k);

	lock_all(locks, k, true);
	for (size_t i = 0; i < k && err == EAGAIN; i++) {
		struct tomb_chan_op *o = &ops[poll[i].idx];

		err = o->dir == TOMB_CHAN_RECV
		              ? tomb__chan_recv_locked(o->chan, o->value, &wake)
		              : tomb__chan_send_locked(o->chan, o->value, &wake);
		if (err != EAGAIN) {
			*chosen = poll[i].idx;
			o->result = err;
		}
	}
	if (err != EAGAIN || (abstime != NULL && tomb__chan_past(abstime))) {
		lock_all(locks, k, false);
		if (wake != NULL)
			tomb__chan_wake(wake);
		return err == EAGAIN ? EAGAIN : 0;
	}

	/* Nothing is ready: one entry on each channel, then sleep. */
	atomic_init(&w.word, W_WAITING);
	TOMB_ANN_ATOMIC(&w.word);
	w.chosen = 0;
	w.result = 0;
	for (size_t i = 0; i < k; i++) {
		struct tomb_chan_op *o = &ops[locks[i].idx];

		entries[i].w = &w;
		entries[i].value = o->value;
		entries[i].idx = locks[i].idx;
		tomb__chan_enqueue_locked(o->chan, &entries[i],
		                          o->dir == TOMB_CHAN_RECV);
	}
	lock_all(locks, k, false);

	err = tomb__chan_sleep(t, &w, abstime);

	/* Off every queue it is still on (a claimer took the chosen one off
	 * its queue, and dropped any it met that lost the race). */
	lock_all(locks, k, true);
	for (size_t i = 0; i < k; i++) {
		struct tomb_chan_op *o = &ops[locks[i].idx];

		tomb__chan_dequeue_locked(o->chan, &entries[i],
		                          o->dir == TOMB_CHAN_RECV);
	}
	lock_all(locks, k, false);
	if (err == 0) {
		*chosen = w.chosen;
		ops[w.chosen].result = w.result;
	}
	TOMB_ANN_FORGET(&w.word); /* the stack is reused */
	/* The channels are not touched after this: they may be freed. */
	for (size_t i = 0; i < k; i++)
		atomic_fetch_sub(&locks[i].chan->users, 1);
	return err;
}

TOMB_EXPORT int tomb_chan_select(tomb_t *t, struct tomb_chan_op *ops,
                                 size_t n, const struct timespec *abstime,
                                 size_t *chosen)
{
	struct slot poll_s[SELECT_STACK], locks_s[SELECT_STACK];
	struct chan_entry entries_s[SELECT_STACK];
	size_t k = 0;
	int err;

	if ((ops == NULL && n > 0) || chosen == NULL ||
	    tomb__check_deadline(abstime) != 0 ||
	    (n > 0 && check_ops(ops, n, &k) != 0))
		return EINVAL;
	if (k == 0 && t == NULL && abstime == NULL)
		return EINVAL; /* nothing could ever end the wait */
	if (t != NULL && tomb_dying(t))
		return ECANCELED;
	if (k <= SELECT_STACK) {
		err = select_with(t, ops, n, abstime, chosen, poll_s, locks_s,
		                  entries_s, k);
	} else {
		struct slot *poll = calloc(k, sizeof(*poll));
		struct slot *locks = calloc(k, sizeof(*locks));
		struct chan_entry *entries = calloc(k, sizeof(*entries));

		if (poll == NULL || locks == NULL || entries == NULL)
			err = ENOMEM;
		else
			err = select_with(t, ops, n, abstime, chosen, poll, locks,
			                  entries, k);
		free(poll);
		free(locks);
		free(entries);
	}
	return err;
}
