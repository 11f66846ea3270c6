/* SPDX-License-Identifier: MIT */
/*
 * chan.h: what chan.c (the channel) and chan_select.c (select) share.
 * Not installed.
 *
 * The design is Go's (runtime/chan.go, select.go): a channel is a mutex, a
 * ring buffer and two queues of blocked operations; a thread that must
 * block puts one entry per operation on the queues of the channels
 * involved and sleeps on a word of its own (a `chan_waiter`).  Whoever
 * completes one of its operations first claims the waiter with a
 * compare-and-swap on that word, so a waiter is claimed exactly once: a
 * value is never delivered twice nor lost.  A select locks its channels in
 * address order, so two selects on the same channels cannot deadlock.
 * model/chan.pml models the protocol.
 */
#ifndef TOMB_CHAN_H
#define TOMB_CHAN_H

#include "tomb_private.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The states of chan_waiter.word, the futex word the waiter sleeps on (its
 * low two bits, W_STATE):
 *   W_WAITING   queued; nobody has claimed it.
 *   W_CLAIMED   another thread won the compare-and-swap from W_WAITING and
 *               is completing one of its operations (under that channel's
 *               mu); the waiter must wait for W_DONE.
 *   W_DONE      the operation `chosen` happened with `result`; the claimer
 *               no longer touches the waiter, save a futex wake.
 *   W_CANCELED  the waiter itself (its tomb dying or its deadline) or the
 *               fallback's kill callback won the compare-and-swap from
 *               W_WAITING: none of its operations will happen.
 * and W_ASLEEP, a bit the waiter sets (by compare-and-swap) before each
 * futex wait: the claimer's exchange to W_DONE returns it, and makes the
 * wake system call only when it is set, so a hand-off to a waiter that has
 * not reached the kernel costs no system call.  A claim keeps the bit.
 */
#define W_WAITING 0u
#define W_CLAIMED 1u
#define W_DONE 2u
#define W_CANCELED 3u
#define W_STATE 3u
#define W_ASLEEP 4u

/* A thread blocked in a send, a receive or a select, on its stack. */
struct chan_waiter {
	_Atomic uint32_t word; /* the states above */
	size_t chosen;         /* written by the claimer before W_DONE */
	int result;            /* likewise: 0, or EPIPE (closed) */
};

/* One operation of a waiter, queued on one channel's recvq or sendq. */
struct chan_entry {
	struct chan_waiter *w;
	struct chan_entry *prev, *next; /* in the queue, under the channel's mu */
	void *value;  /* the value to send or where to receive (NULL: drop) */
	size_t idx;   /* which of the waiter's operations this is */
	bool queued;  /* on the queue now; under the channel's mu */
	struct chan_entry *wake_next; /* tomb_chan_close's list of claimed entries */
};

/* A FIFO of entries, linked both ways so an entry leaves from anywhere. */
struct chan_queue {
	struct chan_entry *head, *tail;
};

struct tomb_chan {
	/* Guards every field below but elem_size, cap and users, and the
	 * entries on its queues.  Lock order: channels by address. */
	pthread_mutex_t mu;
	size_t elem_size; /* fixed at creation */
	size_t cap;       /* fixed at creation; 0: unbuffered */
	unsigned char *buf; /* cap values, a ring: `count` of them from `head` */
	size_t head, count;
	bool closed;
	/* Blocked receivers and senders.  Invariants, with mu held: recvq is
	 * empty unless count == 0; sendq is empty unless count == cap; both
	 * are empty once closed. */
	struct chan_queue recvq, sendq;
	/* Entries that threads blocked on c have queued, counted up under mu
	 * and down after the thread's last touch of c: tomb_chan_free is EBUSY
	 * while it is not 0. */
	_Atomic size_t users;
};

/* Locks and unlocks c->mu; a failure there is a bug, so it aborts. */
static inline void tomb__chan_lock(tomb_chan_t *c)
{
	tomb__mutex_lock(&c->mu);
}

static inline void tomb__chan_unlock(tomb_chan_t *c)
{
	tomb__mutex_unlock(&c->mu);
}

/* With c->mu held: does a send of v, or a receive into v, if it can
 * complete now.  0 (done), EPIPE (closed; for a receive, closed and
 * drained), or EAGAIN (it would block).  If it completed a blocked
 * thread's operation, *wake is that thread's waiter, which the caller must
 * pass to tomb__chan_wake once it has unlocked c (else *wake is NULL). */
int tomb__chan_send_locked(tomb_chan_t *c, const void *v,
                           struct chan_waiter **wake);
int tomb__chan_recv_locked(tomb_chan_t *c, void *v, struct chan_waiter **wake);

/* With c->mu held: queues e (with e->w, value and idx set) on c's
 * receivers (recv) or senders, and counts it in c->users; and takes e off
 * its queue if it is still on one. */
void tomb__chan_enqueue_locked(tomb_chan_t *c, struct chan_entry *e,
                               bool recv);
void tomb__chan_dequeue_locked(tomb_chan_t *c, struct chan_entry *e,
                               bool recv);

/* Makes a claimed waiter W_DONE and wakes it; the waiter may return at
 * once, so w is not touched after that but for the futex wake (harmless
 * on reused memory: a futex wake-up may always be spurious). */
void tomb__chan_wake(struct chan_waiter *w);

/* Blocks until w is W_DONE (0), or cancels it when t is dying (ECANCELED)
 * or the deadline passes (ETIMEDOUT).  See chan.c. */
int tomb__chan_sleep(tomb_t *t, struct chan_waiter *w,
                     const struct timespec *abstime);

/* Whether the deadline (valid, not NULL) has passed. */
bool tomb__chan_past(const struct timespec *abstime);

#endif
