/* SPDX-License-Identifier: MIT */
/*
 * timer.c: deadlines on tombs.  The pending deadlines of every tomb of the
 * process sit in one min-heap, and one thread of the library, the timer,
 * sleeps until the earliest and kills its tomb with ETIMEDOUT.  The thread
 * runs only while some deadline is pending, is joined once it has exited,
 * and is not left behind by fork().
 */
#include "config.h"

#include "sys.h"
#include "timer.h"
#include "tomb_private.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define NSEC_PER_SEC 1000000000LL
#define TOMB_MSG_DEADLINE "deadline exceeded"

/* The deadline took the first reserved slot of struct tomb_opts, which
 * keeps its size and the place of every other field. */
_Static_assert(offsetof(struct tomb_opts, deadline) ==
                       offsetof(struct tomb_opts, pool) + sizeof(void *),
               "deadline where reserved_[0] was");
_Static_assert(sizeof(struct tomb_opts) ==
                       offsetof(struct tomb_opts, deadline) + 4 * sizeof(void *),
               "struct tomb_opts keeps its size");

/*
 * The timer's state, process-wide (listed in doc/threadsafety.md).  Every
 * variable below and every field of every struct tomb_timer_entry is
 * guarded by tmr_mu.
 *
 * Lock order: a tomb's mu may be held while tmr_mu is taken (the timer
 * does so to check that a deadline is still due when it kills), never the
 * other way round: nothing is called with tmr_mu held that takes another
 * lock of the library's or runs code of the caller's.  In particular the
 * timer kills, and so runs the tomb's callbacks, without tmr_mu.
 */
static pthread_mutex_t tmr_mu = PTHREAD_MUTEX_INITIALIZER;

/* The timer thread sleeps on tmr_cv (CLOCK_MONOTONIC) until the earliest
 * deadline; it is signalled when an earlier one is set than the one it
 * sleeps until, and when the heap becomes empty.  fired_cv is broadcast
 * each time the timer has finished killing a tomb (for tomb_free). */
static pthread_cond_t tmr_cvs[2];
static pthread_cond_t fired_cv = PTHREAD_COND_INITIALIZER;

/* tmr_cv is tmr_cvs[cv_slot], made (with its clock) by timer_ready_locked
 * before the first deadline is pending, and again after a fork, in the
 * other slot: a condition variable the parent's thread waited on is not
 * reused in the child (see atfork_child).  tmr_ready says it is made;
 * atfork_done that the fork handlers are registered (once per process). */
#define tmr_cv (tmr_cvs[cv_slot])
static int cv_slot;
static bool tmr_ready, atfork_done;

/* The pending deadlines: a binary min-heap on `when`, of heap_len slots in
 * an array of heap_cap; each entry's `pos` is 1 + its slot's index, and
 * each slot keeps a copy of its entry's when_ns, so that comparisons read
 * the array only, not the tombs (which are all over the heap of memory).
 * The array is freed when the thread exits with the heap empty. */
struct slot {
	int64_t when;
	struct tomb_timer_entry *e;
};
static struct slot *heap;
static size_t heap_len, heap_cap;

/*
 * The thread.  `thread_running`: a timer thread exists and will look at
 * the heap again before it exits (it exits, under tmr_mu, when it finds
 * the heap empty, or `claimed` or `closing` set).  `thread_done`: a timer
 * thread has left its loop on its own (its last deadline passed) and has
 * not been joined; the next one to start joins it (the arm that starts it,
 * after unlocking), or a call that finds the heap empty, or the library's
 * destructor.  A call that empties the heap (a clear, a tomb_free) claims
 * the running thread and joins it itself (stop_idle_locked).  `thread` is
 * the handle of that one thread, running or done (never both).
 */
static bool thread_running, thread_done;
static pthread_t thread;

/* Set by the library's destructor (exit, or unload): a timer thread exits
 * at its next look at the heap, and fires no more deadlines. */
static bool closing;

/* Set by a call that emptied the heap and joins the running thread itself
 * (see stop_idle_locked), until it has: the thread exits at its next look
 * at the heap and leaves thread_done unset, and a deadline being set waits
 * on fired_cv while `claimed` holds (so that no thread is started, nor
 * needed, while the old one exits). */
static bool claimed;

/* What the running thread sleeps until on tmr_cv, or INT64_MIN while it is
 * awake (it reads the heap again before sleeping, so needs no signal). */
static int64_t sleep_until = INT64_MIN;

/* The entry whose tomb the timer is killing right now, without tmr_mu, or
 * NULL.  Invariant: the tomb of firing_now is not freed: tomb_free calls
 * tomb__timer_disarm, which waits on fired_cv while firing_now is its
 * entry, before it frees anything, and the timer clears firing_now (and
 * broadcasts) only after its last touch of the tomb. */
static struct tomb_timer_entry *firing_now;

static void timer_lock(void)
{
	if (pthread_mutex_lock(&tmr_mu) != 0)
		abort(); /* a bug in libtomb, never a caller's doing */
}

static void timer_unlock(void)
{
	if (pthread_mutex_unlock(&tmr_mu) != 0)
		abort();
}

/* A valid deadline in nanoseconds; one too far to count is never. */
static int64_t to_ns(const struct timespec *ts)
{
	int64_t sec = ts->tv_sec; /* a time_t of 32 bits is never too far */

	if (sec >= INT64_MAX / NSEC_PER_SEC - 1)
		return INT64_MAX;
	return sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec to_timespec(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / NSEC_PER_SEC),
	                      .tv_nsec = (long)(ns % NSEC_PER_SEC)};
	return ts;
}

/* The heap, under tmr_mu. */
static void heap_place(size_t i, struct slot s)
{
	heap[i] = s;
	s.e->pos = i + 1;
}

static void sift_up(size_t i)
{
	struct slot s = heap[i];

	while (i > 0 && s.when < heap[(i - 1) / 2].when) {
		heap_place(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(i, s);
}

static void sift_down(size_t i)
{
	struct slot s = heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && heap[c + 1].when < heap[c].when)
			c++;
		if (heap[c].when >= s.when)
			break;
		heap_place(i, heap[c]);
		i = c;
	}
	heap_place(i, s);
}

/* Gives e, pending, the deadline `when`, and restores the heap's order. */
static void heap_move(struct tomb_timer_entry *e, int64_t when)
{
	size_t i = e->pos - 1;
	bool earlier = when < heap[i].when;

	heap[i].when = e->when_ns = when;
	if (earlier)
		sift_up(i);
	else
		sift_down(i);
}

/* Takes e, which is pending, off the heap; tells the thread when the heap
 * has become empty, so that it exits now rather than at its alarm. */
static void heap_remove(struct tomb_timer_entry *e)
{
	size_t i = e->pos - 1;
	struct slot last = heap[--heap_len];

	e->pos = 0;
	if (i < heap_len) {
		heap_place(i, last);
		sift_up(i);
		sift_down(last.e->pos - 1);
	}
	if (heap_len == 0 && sleep_until != INT64_MIN)
		pthread_cond_signal(&tmr_cv);
}

/* Room for one more entry: 0 or ENOMEM. */
static int heap_reserve(void)
{
	struct slot *h;
	size_t cap;

	if (heap_len < heap_cap)
		return 0;
	cap = heap_cap == 0 ? 16 : 2 * heap_cap;
	/* malloc and a copy, not realloc: the fault-injection build of the
	 * library (test/fault_redirect.h) counts malloc and free only. */
	if (cap > SIZE_MAX / sizeof(*h) || (h = malloc(cap * sizeof(*h))) == NULL)
		return ENOMEM;
	if (heap_len > 0)
		memcpy(h, heap, heap_len * sizeof(*h));
	free(heap);
	heap = h;
	heap_cap = cap;
	return 0;
}

/*
 * Kills t with ETIMEDOUT and "deadline exceeded" if it is still alive, and,
 * for the timer (due_only), if its own deadline is still set, passed, and
 * not pending again: a tomb_set_deadline that moved it later, or cleared
 * it, after the timer took it off the heap wins.  The check and the kill
 * are one critical section of t's mu, so that a tomb that dies of its own
 * accord first (even with 0, which a later reason would replace) keeps its
 * reason.  Callbacks of t run here, in this thread, as for any kill.
 */
static void kill_if_due(tomb_t *t, bool due_only)
{
	bool fire = false, due = true;

	tomb__lock(t);
	if (!(atomic_load_explicit(&t->state, memory_order_relaxed) &
	      TOMB_S_DYING)) {
		if (due_only) {
			timer_lock(); /* lock order: t's mu, then tmr_mu */
			due = t->tmr.has_deadline && t->tmr.pos == 0 &&
			      t->tmr.when_ns <= tomb__now_ns();
			timer_unlock();
		}
		if (due)
			fire = tomb__kill_locked(t, ETIMEDOUT, NULL,
			                         TOMB_MSG_DEADLINE);
	}
	tomb__unlock(t);
	if (fire)
		tomb__after_kill(t);
}

/* The timer thread: kills each tomb at its deadline, in order, and exits
 * once no deadline is pending. */
static void *timer_main(void *arg)
{
	struct tomb_timer_entry *e;
	tomb_t *t;

	(void)arg;
	tomb__set_thread_name("tomb-timer"); /* for ps and gdb */
	timer_lock();
	while (heap_len > 0 && !closing && !claimed) {
		e = heap[0].e;
		if (e->when_ns > tomb__now_ns()) {
			struct timespec until = to_timespec(e->when_ns);

			sleep_until = e->when_ns;
			pthread_cond_timedwait(&tmr_cv, &tmr_mu, &until);
			sleep_until = INT64_MIN;
			continue;
		}
		heap_remove(e);
		firing_now = e;
		t = e->owner;
		timer_unlock();
		kill_if_due(t, true);
		timer_lock();
		firing_now = NULL;
		pthread_cond_broadcast(&fired_cv);
	}
	/* Once closing, the destructor joins this thread (or, if it found
	 * it killing, nobody does: the process is ending). */
	thread_running = false;
	thread_done = !closing && !claimed;
	if (heap_len == 0) {
		free(heap);
		heap = NULL;
		heap_cap = 0;
	}
	timer_unlock();
	return NULL;
}

/* With tmr_mu held and no thread running: starts one, with every signal
 * blocked (the program's handlers are not for this thread).  0, or
 * pthread_create's error.  A thread that has exited and is not joined yet
 * is handed to the caller through *prev (and *has_prev) to join once it
 * has released tmr_mu. */
static int start_thread_locked(pthread_t *prev, bool *has_prev)
{
	pthread_t th;
	int err;

	err = tomb__thread_create_blocked(&th, NULL, timer_main, NULL);
	if (err != 0)
		return err;
	if (thread_done) {
		*prev = thread;
		*has_prev = true;
		thread_done = false;
	}
	thread = th;
	thread_running = true;
	return 0;
}

/* fork(): the child has no timer thread, and the parent's pending
 * deadlines are on tombs the child must not use (doc/threadsafety.md), so
 * it starts with none.  The prepare handler holds tmr_mu across the fork,
 * so that the heap is consistent in the child. */
static void atfork_prepare(void)
{
	timer_lock();
}

static void atfork_parent(void)
{
	timer_unlock();
}

static void atfork_child(void)
{
	for (size_t i = 0; i < heap_len; i++)
		heap[i].e->pos = 0;
	heap_len = 0;
	thread_running = thread_done = closing = claimed = false;
	sleep_until = INT64_MIN;
	firing_now = NULL;
	/* The parent's timer thread may have been waiting on tmr_cv, and
	 * tomb_free calls on fired_cv: the child, which has none of those
	 * threads, makes a new tmr_cv in the other slot when it first needs
	 * one, and takes a fresh fired_cv. */
	cv_slot = 1 - cv_slot;
	tmr_ready = false;
	fired_cv = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
	timer_unlock();
}

/* With tmr_mu held: makes tmr_cv, on CLOCK_MONOTONIC, and registers the
 * fork handlers, unless done.  0, or the error of the call that failed
 * (the next call tries again). */
static int timer_ready_locked(void)
{
	pthread_condattr_t ca;
	int err;

	if (tmr_ready)
		return 0;
	if ((err = pthread_condattr_init(&ca)) != 0)
		return err;
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (err == 0)
		err = pthread_cond_init(&tmr_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (err != 0)
		return err;
	if (!atfork_done &&
	    (err = pthread_atfork(atfork_prepare, atfork_parent, atfork_child)) != 0) {
		pthread_cond_destroy(&tmr_cv);
		return err;
	}
	atfork_done = tmr_ready = true;
	return 0;
}

/* At exit, or when the library is unloaded: stops and joins the timer
 * thread, unless it is killing a tomb right now (it may be running a
 * callback that never returns; the process is ending anyway).  A thread
 * that has exited is joined; one asleep, or between two kills, is told to
 * exit and joined.  No deadline fires after this. */
__attribute__((destructor)) static void timer_fini(void)
{
	pthread_t th;
	bool join = false;

	timer_lock();
	closing = true;
	if (thread_done) {
		th = thread;
		thread_done = false;
		join = true;
	} else if (thread_running && firing_now == NULL && !claimed) {
		th = thread;
		join = true;
		pthread_cond_signal(&tmr_cv);
	}
	timer_unlock();
	if (join)
		tomb__join(th);
}

/*
 * With tmr_mu held, after a call of the caller's emptied the heap: if the
 * thread runs and is not killing (so it will exit at its next look at the
 * heap, running no code of the caller's), and this is not the thread
 * itself, claims it for the caller to join (*th) once it has released
 * tmr_mu.  An exited thread not yet joined is handed over the same way.
 * Either way, once the caller has joined it, no thread is left and
 * finish_stop frees what the next deadline makes again.
 */
static bool stop_idle_locked(pthread_t *th, bool *was_claimed)
{
	*was_claimed = false;
	if (heap_len != 0 || claimed)
		return false;
	if (thread_done) {
		*th = thread;
		thread_done = false;
		return true;
	}
	if (thread_running && firing_now == NULL &&
	    !pthread_equal(thread, pthread_self())) {
		*th = thread;
		claimed = *was_claimed = true;
		pthread_cond_signal(&tmr_cv);
		return true;
	}
	return false;
}

/* After the join that stop_idle_locked asked for: if still nothing is
 * pending and no thread runs, destroys tmr_cv (made again with the next
 * thread) and frees the heap's array. */
static void finish_stop(pthread_t th, bool was_claimed)
{
	tomb__join(th);
	timer_lock();
	if (was_claimed) {
		claimed = false;
		pthread_cond_broadcast(&fired_cv); /* for tomb__timer_set */
	}
	if (heap_len == 0 && !thread_running && !thread_done && !claimed) {
		if (tmr_ready) {
			pthread_cond_destroy(&tmr_cv);
			tmr_ready = false;
		}
		free(heap);
		heap = NULL;
		heap_cap = 0;
	}
	timer_unlock();
}

int tomb__timer_set(tomb_t *t, const struct timespec *abstime)
{
	struct tomb_timer_entry *e = &t->tmr;
	pthread_t prev, idle;
	bool has_prev = false, past = false, stop = false, was_claimed;
	int64_t when = abstime != NULL ? to_ns(abstime) : 0;
	int err;

	timer_lock();
	while (abstime != NULL && claimed)
		tomb__cond_wait(&fired_cv, &tmr_mu);
	if (abstime != NULL && (err = timer_ready_locked()) != 0)
		goto out;
	if (abstime == NULL) {
		e->has_deadline = false;
		if (e->pos != 0)
			heap_remove(e);
	} else if (when <= tomb__now_ns()) {
		if (e->pos != 0)
			heap_remove(e);
		past = true;
	} else if (e->pos == 0) {
		if ((err = heap_reserve()) != 0 ||
		    (!thread_running &&
		     (err = start_thread_locked(&prev, &has_prev)) != 0))
			goto out;
		e->when_ns = when;
		heap_place(heap_len++, (struct slot){when, e});
		sift_up(heap_len - 1);
	} else {
		heap_move(e, when);
	}
	if (abstime != NULL) {
		e->owner = t;
		e->when_ns = when;
		e->at = *abstime;
		e->has_deadline = true;
		/* An earlier deadline than the one the thread sleeps until
		 * wakes it; a later one lets it wake for nothing, once. */
		if (!past && when < sleep_until)
			pthread_cond_signal(&tmr_cv);
	}
out:
	if (err != 0 && heap_len == 0 && !thread_running && !thread_done) {
		/* Made for nothing: as if the call had not been made. */
		if (tmr_ready) {
			pthread_cond_destroy(&tmr_cv);
			tmr_ready = false;
		}
		free(heap);
		heap = NULL;
		heap_cap = 0;
	}
	stop = abstime == NULL && stop_idle_locked(&idle, &was_claimed);
	timer_unlock();
	if (has_prev)
		tomb__join(prev);
	if (stop)
		finish_stop(idle, was_claimed);
	if (past)
		kill_if_due(t, false);
	return err;
}

void tomb__timer_disarm(tomb_t *t)
{
	struct tomb_timer_entry *e = &t->tmr;

	/* Only tomb__timer_set writes owner, in a call on t that the caller
	 * of tomb_free has finished: without a deadline ever set, there is
	 * nothing to disarm and no need for the process-wide lock. */
	if (e->owner == NULL)
		return;
	pthread_t idle;
	bool stop, was_claimed;

	timer_lock();
	if (e->pos != 0)
		heap_remove(e);
	e->has_deadline = false;
	while (firing_now == e)
		tomb__cond_wait(&fired_cv, &tmr_mu);
	stop = stop_idle_locked(&idle, &was_claimed);
	timer_unlock();
	if (stop)
		finish_stop(idle, was_claimed);
}

TOMB_EXPORT int tomb_set_deadline(tomb_t *t, const struct timespec *abstime)
{
	if (t == NULL || tomb__check_deadline(abstime) != 0)
		return EINVAL;
	if (tomb__inherited(t))
		return EOWNERDEAD; /* made before a fork */
	if (abstime != NULL && tomb_dying(t))
		return ECANCELED;
	return tomb__timer_set(t, abstime);
}

TOMB_EXPORT int tomb_deadline(const tomb_t *t, struct timespec *out)
{
	const struct tomb_timer_entry *best = NULL;

	if (t == NULL || out == NULL)
		return EINVAL;
	/* Parents are fixed at creation and outlive their children. */
	timer_lock();
	for (const tomb_t *a = t; a != NULL; a = a->parent) {
		if (a->tmr.has_deadline &&
		    (best == NULL || a->tmr.when_ns < best->when_ns))
			best = &a->tmr;
	}
	if (best != NULL)
		*out = best->at;
	timer_unlock();
	return best != NULL ? 0 : ENOENT;
}
