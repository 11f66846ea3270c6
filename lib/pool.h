/* SPDX-License-Identifier: MIT */
/*
 * pool.h: what a pool (pool.c) offers the workers above it.  A pool runs
 * jobs: a callback and a link, as libuv's pool runs a struct uv__work.  It
 * does not know what a job is for.  Not installed.
 */
#ifndef TOMB_POOL_H
#define TOMB_POOL_H

#include "tomb.h"

#include "list.h"

struct pool_thread;

/* What a pool thread does after a job: */
#define POOL_UNDECIDED (-1) /* the job did not park it: it must, or exit */
#define POOL_GO_EXIT 0      /* the thread is to exit */
#define POOL_STAYS 1        /* parked, or given a queued job */

struct tomb_job {
	/* Runs the job on the pool thread `self`, whose name is `home` (the
	 * job may rename the thread, and must name it `home` again).  The job
	 * may park the thread itself, with tomb__pool_park, before its last
	 * step: it returns what that gave, else POOL_UNDECIDED.  The job may
	 * be freed once it has started. */
	int (*run)(struct tomb_job *job, struct pool_thread *self,
	           const char *home);
	struct tomb_list node; /* in the pool's queue, under the pool's mu */
	const void *owner;     /* whose job it is, for tomb__pool_take */
};

/* On a pool made with TOMB_POOL_WAITER_RUNS: takes off p's queue the oldest
 * job of owner that no thread has started, if one is among the first
 * POOL_TAKE_SCAN queued, for a waiter that runs it itself.  Else, and on
 * other pools, NULL.  May be called with a tomb's mu held. */
struct tomb_job *tomb__pool_take(tomb_pool_t *p, const void *owner);

/* Gives self the oldest job in its pool's queue if there is one, or puts
 * it on the idle stack, or says it is to exit (the pool is closing, or
 * max_idle are parked).  May be called with a tomb's mu held (lock order:
 * a tomb's mu before a pool's). */
int tomb__pool_park(struct pool_thread *self);

/* The id of pool thread self (tomb__gettid's), read once when it started:
 * a system call saved for each job. */
pid_t tomb__pool_tid(const struct pool_thread *self);

/* Counts a user (a tomb) of p: tomb_pool_free is EBUSY while any is.
 * tomb__pool_use is EINVAL if p is being freed. */
int tomb__pool_use(tomb_pool_t *p);
void tomb__pool_unuse(tomb_pool_t *p);

/* Hands job to a parked thread of p, or queues it for one, or makes a new
 * thread for it: 0, or pthread_create's error (EAGAIN) or ENOMEM, and then
 * job was not touched. */
int tomb__pool_start(tomb_pool_t *p, struct tomb_job *job);

#endif
