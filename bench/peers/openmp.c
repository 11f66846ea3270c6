/* SPDX-License-Identifier: MIT */
/*
 * openmp.c: the OpenMP peer: explicit tasks of gcc's libgomp, stopped with
 * `omp cancel taskgroup`.  Impl "openmp" runs with libgomp's default wait
 * policy (an idle thread spins for a while, then sleeps), impl
 * "openmp-passive" with OMP_WAIT_POLICY=passive (it sleeps at once).
 *
 *	bench-openmp openmp|openmp-passive METRIC N RUNS
 *
 * Everything runs in one parallel region per process, inside `omp single`:
 * the other threads of the team wait at the single's barrier and run the
 * tasks, as a pool's threads do.  libgomp reads its environment once, as
 * it starts, so the program runs itself again with OMP_CANCELLATION=true,
 * the impl's OMP_WAIT_POLICY, and OMP_STACKSIZE=64K (bench-c's kill
 * stacks) unless that is set.  OpenMP has no wait that a cancel
 * interrupts: README.md says what each metric measures and what stands in
 * for that.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "peer.h"

/*
 * What the tasks of one run share with the main thread.  ready: tasks
 * about to block (kill) or started (kill-spin); the one that makes it n
 * wakes the main thread, asleep on it.  stop: 0 until the kill, then 1;
 * blocked tasks sleep on it.  ran: spawn's tasks that ran; kill's tasks
 * that passed their cancellation point (none should: the cancel comes
 * first).  Each is reset by the main thread while no task runs.
 */
static _Atomic uint32_t ready, stop;
static atomic_long ran;

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w, int count)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* A task says it is about to block (or is running, for kill-spin). */
static void say_ready(long n)
{
	if (atomic_fetch_add(&ready, 1) + 1 == (uint32_t)n)
		futex_wake(&ready, 1);
}

/* The main thread waits until all n tasks have said so, then pauses as
 * bench-c does, so that the blocked ones are in the kernel. */
static void await_ready(long n)
{
	uint32_t r;

	while ((r = atomic_load(&ready)) != (uint32_t)n)
		futex_wait(&ready, r);
	peer_settle(n);
}

/*
 * spawn: ns per task, for n tasks that return at once (each counts itself
 * in `ran`), from before the first `omp task` to the return of the
 * `omp taskwait`.  The team is the default one, a thread per CPU.
 */
static long long spawn_once(long n)
{
	long long t0, t1;
	long i;

	atomic_store(&ran, 0);
	t0 = peer_now_ns();
	for (i = 0; i < n; i++) {
#pragma omp task
		atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
	}
#pragma omp taskwait
	t1 = peer_now_ns();
	if (atomic_load(&ran) != n)
		peer_die("taskwait returned after %ld of %ld tasks",
			 atomic_load(&ran), n);
	return (t1 - t0) / n;
}

/*
 * spawn-inline: the spawn above, but the result is the share of its n
 * tasks, in percent, that ran on the creating thread before the creating
 * loop ended: tasks that libgomp did not defer (it runs a task at once, in
 * the thread that creates it, while more than 64 x the team's threads are
 * outstanding), so that no other thread took them.  Not a time: it says
 * what a spawn of n measures (bench/peers/README.md).
 */
static _Atomic int creating;
static atomic_long inline_ran;

static long long spawn_inline_once(long n)
{
	int creator = omp_get_thread_num(); /* the single's, not always 0 */
	long i;

	atomic_store(&ran, 0);
	atomic_store(&inline_ran, 0);
	atomic_store(&creating, 1);
	for (i = 0; i < n; i++) {
#pragma omp task
		{
			if (omp_get_thread_num() == creator &&
			    atomic_load_explicit(&creating, memory_order_relaxed))
				atomic_fetch_add_explicit(&inline_ran, 1,
				                          memory_order_relaxed);
			atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
		}
	}
	atomic_store(&creating, 0);
#pragma omp taskwait
	if (atomic_load(&ran) != n)
		peer_die("taskwait returned after %ld of %ld tasks",
			 atomic_load(&ran), n);
	return (atomic_load(&inline_ran) * 100 + n / 2) / n;
}

/*
 * kill: n tasks of one taskgroup, each blocked in FUTEX_WAIT on `stop` on
 * a team thread of its own (the team has n + 1).  The kill is a task that
 * runs at once (`if(0)`) and cancels the taskgroup; then the main thread
 * stores `stop` and makes one FUTEX_WAKE, since no OpenMP construct wakes
 * a blocked task.  Each task wakes and ends at its cancellation point.
 * ns from before the cancel to the end of the taskgroup (every task done).
 *
 * kill-spin: the same tasks, each polling `omp cancellation point
 * taskgroup` with sched_yield() between, OpenMP's own way to see a
 * cancel; the kill is the cancelling task alone.
 */
static long long kill_once(long n, int spin)
{
	long long t0 = 0, t1;
	long i;

	atomic_store(&ready, 0);
	atomic_store(&stop, 0);
	atomic_store(&ran, 0);
#pragma omp taskgroup
	{
		for (i = 0; i < n; i++) {
#pragma omp task
			{
				say_ready(n);
				if (spin) {
					for (;;) {
#pragma omp cancellation point taskgroup
						sched_yield();
					}
				}
				while (atomic_load(&stop) == 0)
					futex_wait(&stop, 0);
#pragma omp cancellation point taskgroup
				atomic_fetch_add(&ran, 1);
			}
		}
		await_ready(n);
		t0 = peer_now_ns();
#pragma omp task if(0)
		{
#pragma omp cancel taskgroup
		}
		if (!spin) {
			atomic_store(&stop, 1);
			futex_wake(&stop, INT_MAX);
		}
	}
	t1 = peer_now_ns();
	if (atomic_load(&ran) != 0)
		peer_die("%ld of %ld tasks passed their cancellation point",
			 atomic_load(&ran), n);
	return t1 - t0;
}

static long long kill_blocked(long n)
{
	return kill_once(n, 0);
}

static long long kill_spinning(long n)
{
	return kill_once(n, 1);
}

/*
 * libgomp reads OMP_* once, as it starts: set them and run again.  A
 * passive policy is the impl's (NULL: libgomp's default, unset).
 */
static void need_env(char **argv, const char *policy)
{
	const char *now = getenv("OMP_WAIT_POLICY");
	int policy_ok = policy == NULL ? now == NULL :
		now != NULL && strcmp(now, policy) == 0;

	if (omp_get_cancellation() && getenv("OMP_STACKSIZE") != NULL &&
	    policy_ok)
		return;
	if (getenv("BENCH_OPENMP_AGAIN") != NULL)
		peer_die("OMP_CANCELLATION=true did not turn cancellation on");
	if (setenv("OMP_CANCELLATION", "true", 1) != 0 ||
	    (getenv("OMP_STACKSIZE") == NULL &&
	     setenv("OMP_STACKSIZE", "64K", 1) != 0) ||
	    (policy == NULL ? unsetenv("OMP_WAIT_POLICY") :
	     setenv("OMP_WAIT_POLICY", policy, 1)) != 0 ||
	    setenv("BENCH_OPENMP_AGAIN", "1", 1) != 0)
		peer_die("setenv: %s", strerror(errno));
	execv("/proc/self/exe", argv);
	peer_die("exec /proc/self/exe: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct peer_args a = peer_parse(argc, argv);
	long long (*once)(long n);
	int threads = 0;	/* 0: the default team */
	const char *policy = NULL;

	if (strcmp(a.impl, "openmp-passive") == 0)
		policy = "passive";
	else if (strcmp(a.impl, "openmp") != 0)
		peer_die("unknown impl \"%s\" (this program serves \"openmp\" "
			 "and \"openmp-passive\")", a.impl);
	if (strcmp(a.metric, "spawn") == 0) {
		once = spawn_once;
	} else if (strcmp(a.metric, "spawn-inline") == 0) {
		once = spawn_inline_once;
	} else if (strcmp(a.metric, "kill") == 0 ||
		   strcmp(a.metric, "kill-spin") == 0) {
		once = a.metric[4] == '\0' ? kill_blocked : kill_spinning;
		if (a.n >= INT_MAX)
			peer_die("N is too large for a team");
		threads = (int)a.n + 1;
	} else if (strcmp(a.metric, "poll") == 0 ||
		   strcmp(a.metric, "hook") == 0 ||
		   strcmp(a.metric, "mem-rss") == 0) {
		peer_skip(&a, "not measured: tasks have no stop flag, callback "
			  "or thread of their own");
		return 0;
	} else {
		peer_die("unknown metric \"%s\"", a.metric);
	}
	need_env(argv, policy);
	if (threads == 0)
		threads = omp_get_max_threads();
#pragma omp parallel num_threads(threads)
#pragma omp single
	{
		long r;

		if (omp_get_num_threads() != threads)
			peer_die("a team of %d threads, not %d",
				 omp_get_num_threads(), threads);
		once(a.n);	/* warm-up */
		for (r = 0; r < a.runs; r++)
			peer_result(&a, once(a.n));
	}
	return 0;
}
