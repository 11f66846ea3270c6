/* SPDX-License-Identifier: MIT */
/*
 * lock.h: the pthread calls on the library's own mutexes and condition
 * variables, each checked the same way.  Not installed.
 *
 * They can fail only if the library misuses its own objects (an
 * uninitialised or destroyed mutex, one it does not hold): a bug in
 * libtomb, never a caller's doing, so they abort, as libuv's uv_mutex_lock
 * does.  A caller's objects (the mutex given to tomb_cond_wait) never go
 * through these: their errors are returned.
 *
 * No libtomb call is a cancellation point (tomb(7)): the calls here that
 * pthreads makes cancellation points (a condition wait, a join) run with
 * cancellation disabled, so that a cancel never unwinds a thread out of the
 * library with a lock held or a count left behind; a cancel requested
 * meanwhile acts at the thread's next cancellation point, after the call.
 */
#ifndef TOMB_LOCK_H
#define TOMB_LOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* Disables cancellation for the calling thread; the state to restore. */
static inline int tomb__nocancel_begin(void)
{
	int old;

	if (pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) != 0)
		abort();
	return old;
}

static inline void tomb__nocancel_end(int old)
{
	if (pthread_setcancelstate(old, NULL) != 0)
		abort();
}

static inline void tomb__mutex_lock(pthread_mutex_t *mu)
{
	if (pthread_mutex_lock(mu) != 0)
		abort();
}

static inline void tomb__mutex_unlock(pthread_mutex_t *mu)
{
	if (pthread_mutex_unlock(mu) != 0)
		abort();
}

static inline void tomb__cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu)
{
	int old = tomb__nocancel_begin();

	if (pthread_cond_wait(cv, mu) != 0)
		abort();
	tomb__nocancel_end(old);
}

/* 0, or ETIMEDOUT once abstime (checked by the caller) has passed. */
static inline int tomb__cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu,
                                       const struct timespec *abstime)
{
	int old = tomb__nocancel_begin();
	int err = pthread_cond_timedwait(cv, mu, abstime);

	if (err != 0 && err != ETIMEDOUT)
		abort();
	tomb__nocancel_end(old);
	return err;
}

static inline void tomb__cond_signal(pthread_cond_t *cv)
{
	if (pthread_cond_signal(cv) != 0)
		abort();
}

static inline void tomb__cond_broadcast(pthread_cond_t *cv)
{
	if (pthread_cond_broadcast(cv) != 0)
		abort();
}

/* One step of a spin: tells the CPU that this thread waits for another
 * (x86's pause, Arm's yield), so that its sibling runs and its memory
 * order machinery rests. */
static inline void tomb__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield");
#endif
}

/* Joins a thread the library made and nobody else joins. */
static inline void tomb__join(pthread_t th)
{
	int old = tomb__nocancel_begin();

	if (pthread_join(th, NULL) != 0)
		abort();
	tomb__nocancel_end(old);
}

#endif
