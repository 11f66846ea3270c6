/* SPDX-License-Identifier: MIT */
/* chan.c: a channel (Go's chan) whose blocking operations a kill interrupts. */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "chan.h"
#include "sys.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a waiter watches its word before it sleeps (see spin). */
#define CHAN_SPIN_NS 10000

bool tomb__chan_past(const struct timespec *abstime)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > abstime->tv_sec ||
	       (now.tv_sec == abstime->tv_sec && now.tv_nsec >= abstime->tv_nsec);
}

/* The channel's mutex, adaptive where glibc has that kind: a producer and
 * a consumer on two CPUs take it in turns for a few dozen nanoseconds
 * each, and a thread that finds it held does better to spin a little than
 * to sleep in the kernel and be woken (chan-stream: 207 against 261 ns a
 * value, 21 turns, medians). */
static int chan_mutex_init(pthread_mutex_t *mu)
{
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
	pthread_mutexattr_t a;
	int err;

	if (pthread_mutexattr_init(&a) != 0)
		return ENOMEM;
	(void)pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
	err = pthread_mutex_init(mu, &a);
	pthread_mutexattr_destroy(&a);
	return err;
#else
	return pthread_mutex_init(mu, NULL);
#endif
}

TOMB_EXPORT tomb_chan_t *tomb_chan_new(size_t elem_size, size_t cap)
{
	tomb_chan_t *c;

	if (elem_size != 0 && cap > SIZE_MAX / 2 / elem_size) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (elem_size != 0 && cap != 0 &&
	    (c->buf = malloc(elem_size * cap)) == NULL) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	if (chan_mutex_init(&c->mu) != 0) {
		free(c->buf);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->elem_size = elem_size;
	c->cap = cap;
	atomic_init(&c->users, 0);
	TOMB_ANN_ATOMIC(&c->users);
	return c;
}

TOMB_EXPORT int tomb_chan_free(tomb_chan_t *c)
{
	if (c == NULL)
		return EINVAL;
	tomb__chan_lock(c);
	if (atomic_load(&c->users) > 0) {
		tomb__chan_unlock(c);
		return EBUSY;
	}
	tomb__chan_unlock(c);
	pthread_mutex_destroy(&c->mu);
	free(c->buf);
	free(c);
	return 0;
}

TOMB_EXPORT size_t tomb_chan_len(tomb_chan_t *c)
{
	size_t n;

	if (c == NULL)
		return 0;
	tomb__chan_lock(c);
	n = c->count;
	tomb__chan_unlock(c);
	return n;
}

TOMB_EXPORT size_t tomb_chan_cap(const tomb_chan_t *c)
{
	return c == NULL ? 0 : c->cap;
}

/* Copies one value; a NULL end (a receive that drops it) or size 0 copies
 * nothing.  The common sizes are copied inline. */
static void copy_value(const tomb_chan_t *c, void *to, const void *from)
{
	if (to == NULL || from == NULL)
		return;
	switch (c->elem_size) { /* ints, pointers, doubles... */
	case 0:
		break;
	case 4:
		memcpy(to, from, 4);
		break;
	case 8:
		memcpy(to, from, 8);
		break;
	default:
		memcpy(to, from, c->elem_size);
		break;
	}
}

static struct chan_entry *pop(struct chan_queue *q)
{
	struct chan_entry *e = q->head;

	if (e != NULL) {
		q->head = e->next;
		if (q->head != NULL)
			q->head->prev = NULL;
		else
			q->tail = NULL;
		e->queued = false;
	}
	return e;
}

/* W_WAITING (asleep or not) to W_CLAIMED, keeping W_ASLEEP; or to
 * W_CANCELED (with cancel).  False if someone else won first. */
static bool win(struct chan_waiter *w, bool cancel)
{
	uint32_t x = atomic_load(&w->word);

	while ((x & W_STATE) == W_WAITING)
		if (atomic_compare_exchange_weak(
			    &w->word, &x, cancel ? W_CANCELED : W_CLAIMED | (x & W_ASLEEP)))
			return true;
	return false;
}

/* With the channel's mu held: the first queued entry whose waiter this
 * thread claims, dropping those already claimed or canceled (their waiters
 * take themselves off the other queues), or NULL. */
static struct chan_entry *claim_first(struct chan_queue *q)
{
	struct chan_entry *e;

	while ((e = pop(q)) != NULL)
		if (win(e->w, false))
			return e;
	return NULL;
}

void tomb__chan_enqueue_locked(tomb_chan_t *c, struct chan_entry *e, bool recv)
{
	struct chan_queue *q = recv ? &c->recvq : &c->sendq;

	e->next = NULL;
	e->prev = q->tail;
	if (q->tail != NULL)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	e->queued = true;
	atomic_fetch_add(&c->users, 1);
}

void tomb__chan_dequeue_locked(tomb_chan_t *c, struct chan_entry *e, bool recv)
{
	struct chan_queue *q = recv ? &c->recvq : &c->sendq;

	if (!e->queued)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	e->queued = false;
}

void tomb__chan_wake(struct chan_waiter *w)
{
	/* What the claimer wrote (the value, chosen, result) happens before
	 * the waiter's reads after it sees W_DONE. */
	uint32_t old;

	TOMB_ANN_RELEASE(&w->word);
	old = atomic_exchange_explicit(&w->word, W_DONE, memory_order_acq_rel);
	if (old & W_ASLEEP)
		tomb__futex_wake(&w->word, 1);
}

/* With the claimer's hold of the channel's mu: entry e's operation
 * happened with result. */
static void complete(struct chan_entry *e, int result)
{
	e->w->chosen = e->idx;
	e->w->result = result;
}

int tomb__chan_send_locked(tomb_chan_t *c, const void *v,
                           struct chan_waiter **wake)
{
	struct chan_entry *e;

	*wake = NULL;
	if (c->closed)
		return EPIPE;
	if ((e = claim_first(&c->recvq)) != NULL) {
		/* A receiver waits: the buffer is empty, hand the value over. */
		copy_value(c, e->value, v);
		complete(e, 0);
		*wake = e->w;
		return 0;
	}
	if (c->count < c->cap) {
		size_t tail = c->head + c->count;

		if (tail >= c->cap)
			tail -= c->cap;
		copy_value(c, c->buf + tail * c->elem_size, v);
		c->count++;
		return 0;
	}
	return EAGAIN;
}

int tomb__chan_recv_locked(tomb_chan_t *c, void *v, struct chan_waiter **wake)
{
	struct chan_entry *e;

	*wake = NULL;
	if (c->count > 0) {
		copy_value(c, v, c->buf + c->head * c->elem_size);
		if (++c->head == c->cap)
			c->head = 0;
		c->count--;
		/* A slot is free: the first blocked sender's value takes it. */
		if ((e = claim_first(&c->sendq)) != NULL) {
			size_t tail = c->head + c->count;

			if (tail >= c->cap)
				tail -= c->cap;
			copy_value(c, c->buf + tail * c->elem_size, e->value);
			c->count++;
			complete(e, 0);
			*wake = e->w;
		}
		return 0;
	}
	if ((e = claim_first(&c->sendq)) != NULL) {
		/* Unbuffered: take the value straight from the sender. */
		copy_value(c, v, e->value);
		complete(e, 0);
		*wake = e->w;
		return 0;
	}
	return c->closed ? EPIPE : EAGAIN;
}

TOMB_EXPORT int tomb_chan_close(tomb_chan_t *c)
{
	struct chan_entry *list = NULL, *e, *next;

	if (c == NULL)
		return EINVAL;
	tomb__chan_lock(c);
	if (c->closed) {
		tomb__chan_unlock(c);
		return EPIPE;
	}
	c->closed = true;
	/* Every blocked receiver (the buffer is empty) and sender (their
	 * values are not delivered) learns of the close. */
	while ((e = claim_first(&c->recvq)) != NULL) {
		complete(e, EPIPE);
		e->wake_next = list;
		list = e;
	}
	while ((e = claim_first(&c->sendq)) != NULL) {
		complete(e, EPIPE);
		e->wake_next = list;
		list = e;
	}
	tomb__chan_unlock(c);
	for (e = list; e != NULL; e = next) {
		next = e->wake_next; /* read before the waiter may return */
		tomb__chan_wake(e->w);
	}
	return 0;
}

/*
 * The fallback's kill callback (registered where the kernel has no
 * futex_waitv, and under valgrind): cancels a waiter that nobody claimed
 * and wakes it.  tomb_off waits for it to return, so w is still there.
 */
static void cancel_on_kill(tomb_t *t, void *arg)
{
	struct chan_waiter *w = arg;

	(void)t;
	if (win(w, true))
		tomb__futex_wake(&w->word, 1);
}

/* Whether spinning can pay: more than one CPU, and not under valgrind.
 * Process-wide, set once (races only write the same answer). */
static bool spin_pays(void)
{
	static _Atomic int known; /* 0 unknown, 1 yes, 2 no */
	int k;

	TOMB_ANN_ATOMIC(&known); /* static: before every use */
	k = atomic_load_explicit(&known, memory_order_relaxed);
	if (k == 0) {
		k = sysconf(_SC_NPROCESSORS_ONLN) > 1 && !TOMB_ON_VALGRIND() ? 1 : 2;
		atomic_store_explicit(&known, k, memory_order_relaxed);
	}
	return k == 1;
}

/*
 * Before it sleeps, a waiter watches its word for up to CHAN_SPIN_NS (or
 * its deadline, or until t is dying): a thread running on another CPU that
 * completes its operation meanwhile (a ping-pong, a consumer that keeps up
 * with its producer) then hands it over with no system call on either
 * side, W_ASLEEP being unset.  A futex wake and the sleeper's return to a
 * CPU cost several microseconds each, more than the spin.
 */
static void spin(tomb_t *t, struct chan_waiter *w,
                 const struct timespec *abstime)
{
	int64_t end;

	if (!spin_pays())
		return;
	end = tomb__spin_end_ns(CHAN_SPIN_NS, abstime);
	for (unsigned i = 1; (atomic_load_explicit(&w->word, memory_order_relaxed) &
	                      W_STATE) == W_WAITING; i++) {
		if (t != NULL && tomb_dying(t))
			return;
		if (i % 64 == 0 && tomb__now_ns() >= end)
			return;
		tomb__cpu_relax();
	}
}

/*
 * THE WAIT (the one place that blocks; a candidate for a shared home):
 * sleeps on w->word until a claimer makes it W_DONE, t is dying, or the
 * deadline passes.  It blocks in one futex_waitv on two words, w->word and
 * t->state, counted in t->sleepers as tomb_cond_wait does (see `sleepers`
 * in tomb_private.h: the kill sets DYING before it reads the count, the
 * sleeper counts itself before the kernel compares `state`, so no wake-up
 * is lost), so that a kill wakes every blocked operation with the one
 * system call it makes for all its sleepers.  Where futex_waitv is missing
 * (ENOSYS), it registers cancel_on_kill with tomb_on_dying instead and
 * sleeps on w->word alone.  A NULL t: w->word alone.
 *
 * Before each futex wait it sets W_ASLEEP (see chan.h), so that the
 * claimer knows to wake it.  To stop waiting (dying, deadline), the waiter
 * must win W_WAITING -> W_CANCELED; if a claimer won first, the operation
 * is happening and the waiter waits (briefly, without deadline: the
 * claimer holds the channel's mu and is copying a value) for W_DONE, and
 * then reports success.
 */
int tomb__chan_sleep(tomb_t *t, struct chan_waiter *w,
                     const struct timespec *abstime)
{
	tomb_hook_t hook;
	bool hooked = false, timed_out = false;
	int err = 0;

	spin(t, w, abstime);
	if (t != NULL)
		atomic_fetch_add(&t->sleepers, 1);
	tomb__blocking_begin();
	for (;;) {
		uint32_t x = atomic_load(&w->word);
		uint32_t s = 0;

		if ((x & W_STATE) == W_DONE) {
			TOMB_ANN_ACQUIRE(&w->word);
			err = 0;
			break;
		}
		if ((x & W_STATE) == W_CANCELED) {
			err = ECANCELED; /* only cancel_on_kill sets it here */
			break;
		}
		/* Say so before sleeping: the claimer wakes only sleepers. */
		if ((x & W_ASLEEP) == 0) {
			if (!atomic_compare_exchange_strong(&w->word, &x,
			                                    x | W_ASLEEP))
				continue;
			x |= W_ASLEEP;
		}
		if ((x & W_STATE) == W_CLAIMED) {
			(void)tomb__futex_wait(&w->word, x, NULL);
			continue;
		}
		if (t != NULL && ((s = atomic_load(&t->state)) & TOMB_S_DYING) != 0)
			err = ECANCELED;
		else if (timed_out)
			err = ETIMEDOUT;
		if (err != 0) {
			if (win(w, true))
				break;
			err = 0; /* claimed meanwhile: wait for W_DONE */
			continue;
		}
		if (t == NULL || hooked) {
			err = tomb__futex_wait(&w->word, x, abstime);
		} else {
			err = tomb__futex_wait2(&w->word, x, &t->state, s, abstime);
			if (err == ENOSYS) {
				memset(&hook, 0, sizeof(hook));
				if (tomb_on_dying(t, cancel_on_kill, w, &hook) != 0)
					abort(); /* t and hook are valid: a bug */
				hooked = true;
			}
		}
		timed_out = err == ETIMEDOUT;
		err = 0;
	}
	tomb__blocking_end();
	if (hooked)
		(void)tomb_off(&hook);
	/* t is not touched after this: tomb_free may free it. */
	if (t != NULL)
		atomic_fetch_sub(&t->sleepers, 1);
	return err;
}

/*
 * The blocking half of chan_op, with c->mu held: queues one entry and
 * sleeps.  On a cancel the entry is taken off its queue (unless a claimer
 * that lost the race already dropped it).  Out of line, so that the
 * frequent case (the operation completes at once) needs no stack frame for
 * the waiter.
 */
__attribute__((noinline)) static int chan_block(
	tomb_t *t, tomb_chan_t *c, void *v, const struct timespec *abstime,
	bool recv)
{
	struct chan_waiter w;
	struct chan_entry e;
	int err;

	atomic_init(&w.word, W_WAITING);
	TOMB_ANN_ATOMIC(&w.word);
	w.chosen = 0;
	w.result = 0;
	e.w = &w;
	e.value = v;
	e.idx = 0;
	tomb__chan_enqueue_locked(c, &e, recv);
	tomb__chan_unlock(c);

	err = tomb__chan_sleep(t, &w, abstime);
	if (err != 0) {
		tomb__chan_lock(c);
		tomb__chan_dequeue_locked(c, &e, recv);
		tomb__chan_unlock(c);
	} else {
		err = w.result;
	}
	TOMB_ANN_FORGET(&w.word); /* the stack is reused */
	/* c is not touched after this: tomb_chan_free may free it. */
	atomic_fetch_sub(&c->users, 1);
	return err;
}

/* A send (recv false) or receive that may block: completes at once if it
 * can, else (unless `try`) blocks in chan_block. */
static int chan_op(tomb_t *t, tomb_chan_t *c, void *v,
                   const struct timespec *abstime, bool recv, bool try)
{
	struct chan_waiter *wake;
	int err;

	if (c == NULL || (!recv && v == NULL && c->elem_size != 0) ||
	    (abstime != NULL && tomb__check_deadline(abstime) != 0))
		return EINVAL;
	if (t != NULL && tomb_dying(t))
		return ECANCELED;
	tomb__chan_lock(c);
	err = recv ? tomb__chan_recv_locked(c, v, &wake)
	           : tomb__chan_send_locked(c, v, &wake);
	if (err != EAGAIN || try || (abstime != NULL && tomb__chan_past(abstime))) {
		tomb__chan_unlock(c);
		if (wake != NULL)
			tomb__chan_wake(wake);
		return err;
	}
	return chan_block(t, c, v, abstime, recv);
}

TOMB_EXPORT int tomb_chan_send(tomb_t *t, tomb_chan_t *c, const void *v,
                               const struct timespec *abstime)
{
	/* The value is only read: a send's entry points to it. */
	return chan_op(t, c, (void *)(uintptr_t)v, abstime, false, false);
}

TOMB_EXPORT int tomb_chan_recv(tomb_t *t, tomb_chan_t *c, void *v,
                               const struct timespec *abstime)
{
	return chan_op(t, c, v, abstime, true, false);
}

TOMB_EXPORT int tomb_chan_trysend(tomb_chan_t *c, const void *v)
{
	return chan_op(NULL, c, (void *)(uintptr_t)v, NULL, false, true);
}

TOMB_EXPORT int tomb_chan_tryrecv(tomb_chan_t *c, void *v)
{
	return chan_op(NULL, c, v, NULL, true, true);
}
