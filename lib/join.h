/* SPDX-License-Identifier: MIT */
/*
 * join.h: joining the threads that have finished, in one place (join.c).
 * Not installed.
 *
 * A thread the library starts is joined by exactly one other thread, and
 * never by itself.  Three ways lead there:
 *
 *   the reap chain  an exiting thread swaps its own handle into the chain
 *                   and, once it has dropped its locks, joins the thread
 *                   that was there before it; so joining the chain's last
 *                   thread joins every thread that went through it, and a
 *                   long-lived tomb (or pool) keeps one thread unjoined.
 *   the list        an exiting thread puts its record on a list and exits
 *                   without joining anyone, so that threads that end
 *                   together (the workers a kill stops) exit side by side,
 *                   not each after its predecessor; whoever takes the list
 *                   joins them all and releases their records.
 *   a claim         a waiter joins threads that have not finished yet
 *                   (go.c picks them, tomb__join_claimed_locked joins them).
 */
#ifndef TOMB_JOIN_H
#define TOMB_JOIN_H

#include "list.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* A thread to join, embedded in its owner's record. */
struct tomb_thread {
	pthread_t id;          /* written by the thread itself, first thing */
	struct tomb_list node; /* on a reap list, once the thread has ended
	                        * (its owner may use it before that) */
	/* Called once the thread is joined, to free the record. */
	void (*release)(struct tomb_thread *th);
};

/* The reap chain's last thread (see above). */
struct tomb_chain {
	pthread_t last;
	bool has_last;
};

/* Finished threads, taken in one go by the thread that joins them. */
struct tomb_reap_batch {
	struct tomb_chain chain;
	struct tomb_list list;
};

/* With the chain's lock held, in the exiting thread: puts this thread at
 * the end of the chain; true if *prev was there before it and must be
 * joined (tomb__join) once the lock is released. */
bool tomb__chain_push_locked(struct tomb_chain *c, pthread_t *prev);

/* With the lock held: moves the chain's last thread and every thread of
 * list into b, leaving both empty.  Whether there was anything to take. */
bool tomb__reap_take_locked(struct tomb_chain *c, struct tomb_list *list,
                            struct tomb_reap_batch *b);

/* Without any lock: joins the threads in b and releases their records. */
void tomb__reap_join(struct tomb_reap_batch *b);

#endif
