/* SPDX-License-Identifier: MIT */
/*
 * pool.c: parked threads that tombs reuse for their workers (tomb_pool_t).
 *
 * Each pool thread runs one worker at a time.  tomb_go hands a worker to the
 * parked thread that is awake (the spinner, below) by storing it in the
 * thread's `job` and flipping its futex word (with TOMB_POOL_WAITER_RUNS it
 * queues the worker and tells the spinner to take it from the queue, so
 * that the tomb's waiter may take it first: tomb__pool_take).  Else, if a
 * thread is parked, it queues the worker and sets a sleeping thread aside
 * for it; the first worker queued wakes one of those, and each thread woken
 * for the queue takes the oldest worker and wakes more of them while the
 * queue holds more workers than threads on their way to it, so that
 * tomb_go's caller pays for one wake-up in a burst, not one per worker.  A
 * thread that finished its worker takes the next queued one before it
 * parks.  When no thread is parked, tomb_go makes a new one while fewer than
 * 2 x the CPUs run workers outside the library's waits, and else queues the
 * worker with no thread set aside: the first thread that finishes takes it,
 * or the watcher makes a thread for it when running workers block (see
 * `watcher`).  So a burst of short workers runs on a few threads, and a
 * queued worker never waits for ever for workers that wait for it.  A thread
 * that finished its worker parks again, or exits when max_idle are
 * parked.  One parked thread at a time spins (yielding) for a moment before
 * it sleeps, so that the next tomb_go finds it awake (see `spinner`).
 *
 * The pool runs jobs (pool.h) and knows nothing of tombs: go.c's job, a
 * worker, parks the thread itself in the critical section that ends the
 * worker, and after that touches only the pool and the thread.  An exiting
 * pool thread joins the pool thread that exited before it (the pool's reap
 * chain, join.h), so tomb_pool_free joins them all by joining the last.
 */
#include "config.h"

#include "annotate.h"
#include "blocked.h"
#include "pool.h"
#include "sys.h"
#include "tomb_private.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A thread's `word`: what its owner tells it.  A parked thread first
 * watches the word for a while (POOL_PARKED), then sleeps on it
 * (POOL_SLEEPING): whoever changes the word wakes it only in that state. */
#define POOL_PARKED 0u   /* nothing to do: watching the word */
#define POOL_RUN 1u      /* `job` holds a job to run */
#define POOL_EXIT 2u     /* the pool is being freed */
#define POOL_SLEEPING 3u /* nothing to do: asleep on the word */
#define POOL_QUEUE 4u    /* take a job from the pool's queue */

/* How many more threads a thread woken for the queue may wake. */
#define POOL_FANOUT 2

/* How long the spinner (see tomb_pool's `spinner`) watches its word
 * before it sleeps. */
#define POOL_SPIN_NS 50000

/* How long the watcher (see tomb_pool's `watcher`) lets the queue stand
 * still before it makes a thread for a waiting job (long enough that a
 * loaded machine's scheduler seldom stalls every running thread that
 * long); and the most threads it makes at once (it doubles the number
 * each period the queue stands still, so that n workers that wait for each
 * other all run within about log2(n) periods). */
#define POOL_WATCH_NS 10000000
#define POOL_WATCH_BURST_MAX 1024

struct pool_thread {
	tomb_pool_t *p;
	_Atomic uint32_t word;     /* POOL_*; set by others, reset by itself
	                            * (and set to POOL_RUN when it takes a
	                            * queued job itself) */
	struct tomb_job *job;      /* written before word becomes POOL_RUN */
	struct tomb_list node;     /* the idle or set-aside stack, under p->mu */
	bool spins;                /* made the spinner when it last parked;
	                            * its own, written under p->mu */
	pid_t tid;                 /* its own, set when it starts */
};

struct tomb_pool {
	/* Guards every field below but those fixed at creation. */
	pthread_mutex_t mu;

	/* Parked threads, the most recently parked first (its stack and
	 * caches are the warmest), but for the spinner, which stays on top
	 * while it spins; and how many. */
	struct tomb_list idle;
	size_t nidle;

	/* Threads started and not yet exited; tomb_pool_free waits (on
	 * gone_cv, broadcast when it drops to 0) until it is 0. */
	size_t threads;
	pthread_cond_t gone_cv;

	/* Threads started, ever (tomb_pool_stats). */
	size_t started;

	/* The spinner: a parked thread that watches its word for a while
	 * (POOL_SPIN_NS) before it sleeps on it, so that a job handed to it
	 * soon after needs no wake-up (a futex wake and the sleeper's return
	 * to a CPU cost several microseconds, more than a short worker).  If
	 * not NULL it is the top of `idle`, where tomb_go looks first: threads
	 * that park while it spins go below it and sleep at once.  One at a
	 * time, so that a burst of returns does not fill the CPUs with
	 * spinning; and only while `spin_useful`: cleared when a spin ended
	 * with no job, set when a job had to wake a sleeper (as after a kill
	 * ends many workers and nothing follows, then a new burst starts). */
	struct pool_thread *spinner;
	bool spin_useful;

	/* Jobs that tomb__pool_start found no awake thread for (and, with
	 * waiter_runs, those it told the spinner to take from here, counted in
	 * `waking`), oldest first, and how many; a waiter may take one of its
	 * tomb's from anywhere in it (tomb__pool_take); the threads taken off
	 * `idle` for them, asleep still (a stack), and how many; and how many
	 * threads were told POOL_QUEUE and have not yet taken mu to look at the
	 * queue.  The jobs beyond nreserved + waking are *waiting*: no thread is
	 * set aside for them (none was parked and `busy_max` threads ran jobs,
	 * see `watcher`); the first threads that finish their jobs take them,
	 * or threads the watcher makes.  Invariants:
	 *   nreserved + waking <= nqueued: none is set aside for nothing, so
	 *   that when the queue is empty so is the set-aside stack;
	 *   nreserved > 0 implies waking > 0: one of them is on its way;
	 *   waiting jobs imply watcher_started and not watcher_idle.
	 * The queue is empty when the pool is freed: a queued job is a worker
	 * counted in its tomb's `live`, so that tomb cannot be freed, and the
	 * pool is not freed while a tomb uses it.  A set-aside thread's word is still
	 * POOL_PARKED or POOL_SLEEPING; only wake_reserved_locked and
	 * dequeue_locked take it off the stack.  A set-aside thread still
	 * counts against a max_idle that is set: nidle + nreserved <=
	 * max_idle. */
	struct tomb_list queue;
	size_t nqueued;
	struct tomb_list reserved;
	size_t nreserved;
	size_t waking;
	uint64_t dequeued; /* jobs taken off the queue, ever */

	/* Growth.  A tomb_go that finds no parked thread and no queue makes
	 * a new thread while fewer than busy_max (2 x the CPUs online) run
	 * jobs outside the library's waits, and else queues its job, waiting,
	 * for the first thread that finishes a job: a burst of short workers
	 * runs on a few threads instead of making hundreds.  The watcher, a
	 * thread of the pool's own made at the first waiting job, makes
	 * threads for waiting jobs (a) at once while fewer than busy_max
	 * threads run (others block in the library's waits: `blocked`), and
	 * (b) when no job has left the queue for POOL_WATCH_NS although none
	 * blocks in the library: one thread, then twice as many each period
	 * the queue still stands still, since workers may block elsewhere (on
	 * each other, on a waiting job itself).  So a waiting job never waits
	 * for ever: no deadlock when every running worker waits for a queued
	 * one.  The watcher sleeps on `blocked` (blocked.h): with no time
	 * limit while no job waits (watcher_idle), and then whoever queues a
	 * waiting job bumps BLOCKED_KICK and wakes it; else until a thread
	 * blocks (BLOCKED_WATCHED) or the period ends. */
	size_t busy_max;
	bool watcher_started;
	bool watcher_idle;
	pthread_t watcher;
	_Atomic uint32_t blocked; /* blocked.h: atomic, not under mu */

	/* Tombs made with this pool and not yet freed; while > 0 the pool
	 * may not be freed, and so `closing` is false. */
	size_t users;
	bool closing;

	/* The reap chain (join.h): an exiting thread joins the one that
	 * exited before it; tomb_pool_free joins the last. */
	struct tomb_chain chain;

	/* Fixed at creation. */
	unsigned generation; /* tomb__fork_generation: EOWNERDEAD in a child */
	size_t max_idle; /* 0: no bound */
	bool waiter_runs; /* TOMB_POOL_WAITER_RUNS: tomb__pool_take gives */
	pthread_attr_t attr; /* stack size; signal mask where the system can
	                      * (tomb__attr_init_blocked) */
	char name[16];
};

static void pool_lock(tomb_pool_t *p)
{
	tomb__mutex_lock(&p->mu);
}

static void pool_unlock(tomb_pool_t *p)
{
	tomb__mutex_unlock(&p->mu);
}

/* With p->mu held: whether a thread that has just finished a worker should
 * exit rather than park. */
static bool should_exit_locked(const tomb_pool_t *p)
{
	return p->closing || (p->max_idle != 0 && p->nidle >= p->max_idle);
}

/* The pool whose thread this is, if any (tomb_pool_free's EDEADLK). */
static _Thread_local const tomb_pool_t *own_pool;

/* With p->mu held: puts th on the idle stack, below the spinner if there
 * is one (it stays on top). */
static void push_idle_locked(tomb_pool_t *p, struct pool_thread *th)
{
	tomb__list_insert(p->spinner != NULL ? &p->spinner->node : &p->idle,
	                  &th->node);
	p->nidle++;
}

/* With p->mu held: th, parked, gets `word` (a job, the queue or the exit),
 * and is woken if it sleeps.  Under mu, so that th cannot run the job,
 * exit and free itself before the wake is made. */
static void tell_locked(tomb_pool_t *p, struct pool_thread *th, uint32_t word)
{
	TOMB_ANN_RELEASE(&th->word); /* the job, and what made it */
	if (atomic_exchange_explicit(&th->word, word, memory_order_release) ==
	    POOL_SLEEPING) {
		tomb__futex_wake(&th->word, 1);
		if (word != POOL_EXIT)
			p->spin_useful = true; /* a spinner would have saved that */
	}
}

/* With p->mu held: wakes a set-aside thread for the queue. */
static void wake_reserved_locked(tomb_pool_t *p)
{
	struct pool_thread *th = tomb__list_entry(tomb__list_shift(&p->reserved),
	                                          struct pool_thread, node);

	p->nreserved--;
	p->waking++;
	tell_locked(p, th, POOL_QUEUE);
}

/* With p->mu held: takes queued job n off the queue.  A set-aside thread
 * that the queue no longer needs goes back to the idle stack, asleep. */
static struct tomb_job *unqueue_locked(tomb_pool_t *p, struct tomb_list *n)
{
	tomb__list_remove(n);
	p->nqueued--;
	p->dequeued++;
	if (p->nreserved > 0 && p->nreserved + p->waking > p->nqueued) {
		struct pool_thread *th = tomb__list_entry(
			tomb__list_shift(&p->reserved), struct pool_thread, node);

		p->nreserved--;
		push_idle_locked(p, th);
	}
	return tomb__list_entry(n, struct tomb_job, node);
}

/* With p->mu held: the oldest queued job, off the queue, or NULL. */
static struct tomb_job *dequeue_locked(tomb_pool_t *p)
{
	struct tomb_list *n = tomb__list_first(&p->queue);

	return n != NULL ? unqueue_locked(p, n) : NULL;
}

/* How many queued jobs tomb__pool_take looks at, at most. */
#define POOL_TAKE_SCAN 64

struct tomb_job *tomb__pool_take(tomb_pool_t *p, const void *owner)
{
	struct tomb_job *job = NULL;
	struct tomb_list *n;
	int k = 0;

	if (!p->waiter_runs)
		return NULL;
	pool_lock(p);
	for (n = p->queue.next; n != &p->queue && k < POOL_TAKE_SCAN;
	     n = n->next, k++) {
		if (tomb__list_entry(n, struct tomb_job, node)->owner == owner) {
			job = unqueue_locked(p, n);
			break;
		}
	}
	pool_unlock(p);
	return job;
}

/* With p->mu held: what tomb__pool_park does. */
static int park_locked(tomb_pool_t *p, struct pool_thread *self)
{
	struct tomb_job *job = dequeue_locked(p);

	if (job != NULL) { /* no need to park: run it */
		self->job = job;
		atomic_store_explicit(&self->word, POOL_RUN,
		                      memory_order_relaxed);
		return POOL_STAYS;
	}
	if (should_exit_locked(p))
		return POOL_GO_EXIT;
	atomic_store_explicit(&self->word, POOL_PARKED, memory_order_relaxed);
	self->spins = p->spinner == NULL && p->spin_useful;
	push_idle_locked(p, self);
	if (self->spins)
		p->spinner = self;
	return POOL_STAYS;
}

int tomb__pool_park(struct pool_thread *self)
{
	tomb_pool_t *p = self->p;
	int parked;

	pool_lock(p);
	parked = park_locked(p, self);
	pool_unlock(p);
	return parked;
}

/* A thread told POOL_QUEUE: takes the oldest queued job (into `job`,
 * its word POOL_RUN) and wakes up to POOL_FANOUT more set-aside threads
 * while more are queued than are on their way; or, if threads that
 * finished a worker took them all, parks again or is to exit. */
static int take_queued(struct pool_thread *self)
{
	tomb_pool_t *p = self->p;
	int parked;

	pool_lock(p);
	p->waking--;
	parked = park_locked(p, self);
	for (int i = 0; i < POOL_FANOUT && p->nreserved > 0 &&
	                p->nqueued > p->waking; i++)
		wake_reserved_locked(p);
	pool_unlock(p);
	return parked;
}

/* A parked thread: the spinner watches its word for up to POOL_SPIN_NS;
 * then, or at once for the others, it sleeps on it until it changes. */
static void await_job(struct pool_thread *self)
{
	tomb_pool_t *p = self->p;
	uint32_t w = POOL_PARKED;

	if (self->spins) {
		int64_t end = tomb__spin_end_ns(POOL_SPIN_NS, NULL);

		self->spins = false;
		/* Yielding, not pausing: a thread that this CPU could run
		 * instead (on a loaded machine, a thread of the caller's) runs. */
		while (atomic_load_explicit(&self->word, memory_order_relaxed) ==
		       POOL_PARKED) {
			if (tomb__now_ns() > end)
				break;
			sched_yield();
		}
		if (atomic_load_explicit(&self->word, memory_order_relaxed) !=
		    POOL_PARKED)
			return; /* a job, or the exit */
		pool_lock(p);
		if (p->spinner == self) { /* still parked: no job came */
			p->spinner = NULL;
			p->spin_useful = false;
		}
		pool_unlock(p);
	}
	if (atomic_compare_exchange_strong(&self->word, &w, POOL_SLEEPING))
		w = POOL_SLEEPING;
	while (w == POOL_SLEEPING) {
		tomb__futex_wait(&self->word, POOL_SLEEPING, NULL);
		w = atomic_load_explicit(&self->word, memory_order_relaxed);
	}
}

/* With p->mu held: takes the top of the idle stack off it. */
static struct pool_thread *pop_idle_locked(tomb_pool_t *p)
{
	struct pool_thread *th = tomb__list_entry(tomb__list_shift(&p->idle),
	                                          struct pool_thread, node);

	p->nidle--;
	if (th == p->spinner)
		p->spinner = NULL;
	return th;
}

pid_t tomb__pool_tid(const struct pool_thread *self)
{
	return self->tid;
}

/* The end of a pool thread (off the idle and set-aside stacks by now: a
 * thread told to exit was taken off idle; one that is to exit found the
 * queue empty, and so the set-aside stack too; one whose job left by
 * pthread_exit or cancellation was running it). */
static void thread_gone(void *arg)
{
	struct pool_thread *self = arg;
	tomb_pool_t *p = self->p;
	pthread_t prev;
	bool has_prev;

	pool_lock(p);
	has_prev = tomb__chain_push_locked(&p->chain, &prev);
	if (--p->threads == 0)
		tomb__cond_broadcast(&p->gone_cv);
	pool_unlock(p);
	TOMB_ANN_FORGET(&self->word);
	free(self);
	if (has_prev)
		tomb__join(prev);
}

static void *pool_main(void *arg)
{
	struct pool_thread *self = arg;
	tomb_pool_t *p = self->p;

	own_pool = p;
	self->tid = tomb__gettid();
	tomb__blocked_word = &p->blocked;
	tomb__set_thread_name(p->name);
	for (;;) {
		uint32_t w = atomic_load_explicit(&self->word,
		                                  memory_order_acquire);
		int parked;

		if (w == POOL_PARKED || w == POOL_SLEEPING) {
			await_job(self);
			continue;
		}
		TOMB_ANN_ACQUIRE(&self->word); /* the job, or the exit */
		if (w == POOL_EXIT)
			break;
		if (w == POOL_QUEUE) {
			parked = take_queued(self);
		} else {
			/* A job that leaves by pthread_exit or cancellation
			 * takes the thread with it: thread_gone counts it gone,
			 * and the pool makes another when it needs one. */
			pthread_cleanup_push(thread_gone, self);
			parked = self->job->run(self->job, self, p->name);
			pthread_cleanup_pop(0);
			if (parked == POOL_UNDECIDED) /* ran callbacks first */
				parked = tomb__pool_park(self);
		}
		if (parked == POOL_GO_EXIT)
			break;
		/* Parked, or given a queued worker; a job may be there. */
	}

	thread_gone(self);
	return NULL;
}

/* Makes a pool thread that runs job first, counted in p->threads: 0, or
 * ENOMEM or pthread_create's error, and then job was not touched.  With
 * p->mu held on entry and on return, not in between. */
static int grow_locked(tomb_pool_t *p, struct tomb_job *job)
{
	struct pool_thread *th;
	pthread_t id;
	int err = ENOMEM;

	p->threads++;
	p->started++;
	pool_unlock(p);
	if ((th = malloc(sizeof(*th))) != NULL) {
		th->p = p;
		th->job = job;
		th->spins = false;
		atomic_init(&th->word, POOL_RUN);
		TOMB_ANN_ATOMIC(&th->word);
		if ((err = tomb__thread_create_blocked(&id, &p->attr, pool_main,
		                                       th)) != 0)
			free(th);
	}
	pool_lock(p);
	if (err != 0) {
		p->started--;
		if (--p->threads == 0)
			tomb__cond_broadcast(&p->gone_cv);
	}
	return err;
}

/* With p->mu held: queued jobs that no thread is set aside for. */
static size_t waiting_locked(const tomb_pool_t *p)
{
	size_t ready = p->nreserved + p->waking;

	return p->nqueued > ready ? p->nqueued - ready : 0;
}

/* With p->mu held: threads that run a job or are on their way to one (set
 * aside, waking), outside the library's waits. */
static size_t busy_locked(tomb_pool_t *p)
{
	size_t running = p->threads - p->nidle;
	size_t blocked = atomic_load_explicit(&p->blocked, memory_order_relaxed) &
	                 BLOCKED_COUNT;

	return running > blocked ? running - blocked : 0;
}

/* With p->mu held: makes up to n threads for waiting jobs, oldest first;
 * false if a thread could not be made (the job stays queued). */
static bool grow_waiting_locked(tomb_pool_t *p, size_t n)
{
	for (size_t i = 0; i < n && waiting_locked(p) > 0; i++) {
		struct tomb_job *job = dequeue_locked(p);

		if (grow_locked(p, job) != 0) {
			/* No thread now: the job goes back to the front, and
			 * a later look tries again. */
			tomb__list_push_front(&p->queue, &job->node);
			p->nqueued++;
			return false;
		}
	}
	return true;
}

/* Wakes the watcher from any of its sleeps. */
static void kick_watcher(tomb_pool_t *p)
{
	/* A counter, not a toggle: two kicks before the watcher's futex wait
	 * (a waiting job, then tomb_pool_free) must not give the word back
	 * the value it read, or the wait would sleep through both wakes. */
	uint32_t old = atomic_load_explicit(&p->blocked, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(
		&p->blocked, &old,
		(old & ~BLOCKED_KICK) | ((old + BLOCKED_KICK_ONE) & BLOCKED_KICK),
		memory_order_relaxed, memory_order_relaxed))
		continue;
	tomb__futex_wake(&p->blocked, 1);
}

/* The watcher (see tomb_pool's `watcher`). */
static void *watch_main(void *arg)
{
	tomb_pool_t *p = arg;
	size_t burst = 1;
	uint64_t seen = 0;
	int64_t period_end = 0; /* 0: no period begun */

	tomb__set_thread_name(p->name);
	pool_lock(p);
	while (!p->closing) {
		size_t waiting = waiting_locked(p), busy = busy_locked(p);
		struct timespec end;
		uint32_t v;
		int err;

		if (waiting == 0) {
			p->watcher_idle = true;
			v = atomic_load_explicit(&p->blocked, memory_order_relaxed);
			pool_unlock(p);
			(void)tomb__futex_wait(&p->blocked, v, NULL);
			pool_lock(p);
			/* Kicked, or woken for nothing: either way it looks
			 * again, so no kick is owed (the invariant above). */
			p->watcher_idle = false;
			burst = 1;
			period_end = 0;
			continue;
		}
		if (busy < p->busy_max) { /* (a): some block in the library */
			uint64_t before = p->dequeued;
			bool all = grow_waiting_locked(p, p->busy_max - busy);

			/* Not progress either (see below). */
			seen += p->dequeued - before;
			if (all)
				continue;
			period_end = 0; /* no thread: try again after a period */
		}
		if (period_end == 0 || p->dequeued != seen) {
			if (p->dequeued != seen)
				burst = 1; /* the queue moves: jobs end */
			seen = p->dequeued;
			period_end = tomb__now_ns() + POOL_WATCH_NS;
		} else if (tomb__now_ns() >= period_end) {
			/* (b): the queue stood still for a whole period. */
			(void)grow_waiting_locked(p, burst);
			if (burst < POOL_WATCH_BURST_MAX)
				burst *= 2;
			/* The next period starts now; the jobs just given
			 * to new threads are no sign that the queue moves. */
			seen = p->dequeued;
			period_end = tomb__now_ns() + POOL_WATCH_NS;
			continue;
		}
		end.tv_sec = (time_t)(period_end / 1000000000);
		end.tv_nsec = (long)(period_end % 1000000000);
		v = atomic_fetch_or_explicit(&p->blocked, BLOCKED_WATCHED,
		                             memory_order_relaxed) |
		    BLOCKED_WATCHED;
		pool_unlock(p);
		err = tomb__futex_wait(&p->blocked, v, &end);
		pool_lock(p);
		atomic_fetch_and_explicit(&p->blocked, ~BLOCKED_WATCHED,
		                          memory_order_relaxed);
		(void)err; /* the loop looks again, whatever woke it */
	}
	pool_unlock(p);
	return NULL;
}

/* With p->mu held: queues job as a waiting one, starting the watcher if
 * it is not yet there: 0, or pthread_create's error (nothing changed). */
static int queue_waiting_locked(tomb_pool_t *p, struct tomb_job *job)
{
	int err;

	if (!p->watcher_started) {
		if ((err = tomb__thread_create_blocked(&p->watcher, &p->attr,
		                                       watch_main, p)) != 0)
			return err;
		p->watcher_started = true;
	}
	tomb__list_push_back(&p->queue, &job->node);
	p->nqueued++;
	if (p->watcher_idle) {
		p->watcher_idle = false;
		kick_watcher(p);
	}
	return 0;
}

int tomb__pool_start(tomb_pool_t *p, struct tomb_job *job)
{
	struct pool_thread *th;
	int err;

	pool_lock(p);
	if (p->spinner != NULL) { /* awake, on top of idle: no wake-up */
		th = pop_idle_locked(p);
		if (p->waiter_runs) {
			/* Queued, so that the tomb's waiter may take it
			 * first: on a CPU that both share, it does so
			 * without a switch to the spinner and back. */
			tomb__list_push_back(&p->queue, &job->node);
			p->nqueued++;
			p->waking++;
			tell_locked(p, th, POOL_QUEUE);
		} else {
			th->job = job;
			tell_locked(p, th, POOL_RUN);
		}
		pool_unlock(p);
		return 0;
	}
	if (!tomb__list_empty(&p->idle)) { /* asleep: queue it, set one aside */
		tomb__list_push_back(&p->queue, &job->node);
		p->nqueued++;
		th = pop_idle_locked(p);
		tomb__list_push_front(&p->reserved, &th->node);
		p->nreserved++;
		if (p->waking == 0)
			wake_reserved_locked(p);
		pool_unlock(p);
		return 0;
	}
	/* None parked: a new thread, unless enough run jobs already (or the
	 * watcher cannot be made: then a new thread all the same). */
	if ((p->nqueued == 0 && busy_locked(p) < p->busy_max) ||
	    queue_waiting_locked(p, job) != 0) {
		err = grow_locked(p, job);
	}
	else
		err = 0;
	pool_unlock(p);
	return err;
}

int tomb__pool_use(tomb_pool_t *p)
{
	int err = 0;

	if (p->generation != tomb__fork_generation())
		return EOWNERDEAD; /* made before a fork */
	pool_lock(p);
	if (p->closing)
		err = EINVAL;
	else
		p->users++;
	pool_unlock(p);
	return err;
}

void tomb__pool_unuse(tomb_pool_t *p)
{
	pool_lock(p);
	p->users--;
	pool_unlock(p);
}

TOMB_EXPORT tomb_pool_t *tomb_pool_new(const struct tomb_pool_opts *opts)
{
	static const struct tomb_pool_opts defaults;
	const struct tomb_pool_opts *o = opts != NULL ? opts : &defaults;
	tomb_pool_t *p;
	long ncpu;
	int err = EINVAL;

	for (size_t i = 0; i < sizeof(o->reserved_) / sizeof(o->reserved_[0]); i++)
		if (o->reserved_[i] != NULL)
			goto fail;
	if ((o->flags & ~TOMB_POOL_WAITER_RUNS) != 0)
		goto fail;
	if ((err = tomb__fork_watch()) != 0)
		goto fail;
	err = ENOMEM;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->generation = tomb__fork_generation();
	p->max_idle = o->max_idle;
	p->waiter_runs = (o->flags & TOMB_POOL_WAITER_RUNS) != 0;
	p->spin_useful = true;
	tomb__list_init(&p->idle);
	tomb__list_init(&p->queue);
	tomb__list_init(&p->reserved);
	if ((err = tomb__attr_init_blocked(&p->attr)) != 0)
		goto fail_free;
	/* Never "": a worker's name is replaced by this one when it returns. */
	strncpy(p->name, o->name != NULL && o->name[0] != '\0' ? o->name :
	        "tomb-pool", sizeof(p->name) - 1);
	/* EINVAL below the system's minimum. */
	if (o->stack_size != 0 &&
	    (err = pthread_attr_setstacksize(&p->attr, o->stack_size)) != 0)
		goto fail_attr;
	if ((err = pthread_mutex_init(&p->mu, NULL)) != 0)
		goto fail_attr;
	if ((err = pthread_cond_init(&p->gone_cv, NULL)) != 0)
		goto fail_mutex;
	atomic_init(&p->blocked, 0);
	TOMB_ANN_ATOMIC(&p->blocked);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	p->busy_max = 2 * (size_t)(ncpu > 0 ? ncpu : 1);
	return p;

fail_mutex:
	pthread_mutex_destroy(&p->mu);
fail_attr:
	pthread_attr_destroy(&p->attr);
fail_free:
	free(p);
fail:
	errno = err;
	return NULL;
}

TOMB_EXPORT int tomb_pool_stats(tomb_pool_t *p, struct tomb_pool_stats *st)
{
	if (p == NULL || st == NULL)
		return EINVAL;
	if (p->generation != tomb__fork_generation())
		return EOWNERDEAD; /* made before a fork */
	memset(st, 0, sizeof(*st));
	pool_lock(p);
	st->threads = p->threads;
	st->idle = p->nidle;
	st->started = p->started;
	st->waiting = waiting_locked(p);
	st->blocked = atomic_load_explicit(&p->blocked, memory_order_relaxed) &
	              BLOCKED_COUNT;
	pool_unlock(p);
	return 0;
}

TOMB_EXPORT int tomb_pool_free(tomb_pool_t *p)
{
	if (p == NULL)
		return EINVAL;
	if (p->generation != tomb__fork_generation())
		return EOWNERDEAD; /* made before a fork */
	if (own_pool == p)
		return EDEADLK; /* it would wait for this very thread */
	pool_lock(p);
	if (p->users > 0) {
		pool_unlock(p);
		return EBUSY;
	}
	p->closing = true;
	/* Threads still finishing a worker of a freed tomb see `closing` and
	 * exit; parked ones are told to (under mu, which an exiting thread
	 * takes before it frees itself, so th is there for the wake). */
	while (!tomb__list_empty(&p->idle))
		tell_locked(p, pop_idle_locked(p), POOL_EXIT);
	if (p->watcher_started)
		kick_watcher(p);
	while (p->threads > 0)
		tomb__cond_wait(&p->gone_cv, &p->mu);
	pool_unlock(p);

	if (p->watcher_started)
		tomb__join(p->watcher);
	if (p->chain.has_last)
		tomb__join(p->chain.last); /* and so every thread before it */
	pthread_cond_destroy(&p->gone_cv);
	pthread_mutex_destroy(&p->mu);
	pthread_attr_destroy(&p->attr);
	TOMB_ANN_FORGET(&p->blocked);
	free(p);
	return 0;
}
