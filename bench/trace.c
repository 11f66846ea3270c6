/* SPDX-License-Identifier: MIT */
/*
 * trace.c: where the time of one spawn and of one kill goes, for a worker
 * on a thread of its own (tomb) against the raw baseline (pthread), in the
 * same process, in turns (issue 21 item 5).  Not a benchmark of its own:
 * it splits the `spawn` and `kill-cond` metrics of bench.c (n = 1) into
 * the steps a user's code can see, with CLOCK_MONOTONIC stamps taken in
 * the calling thread and in the worker:
 *
 *   spawn  call    tomb_go / pthread_create, until it returns
 *          start   from the call to the worker's first line
 *          exit    from the worker's return to the wait's / join's return
 *          total   from the call to the wait's / join's return
 *   kill   call    tomb_kill / the store and FUTEX_WAKE, until it returns
 *          wake    from the kill to the worker's first line after its wait
 *          exit    from the worker's return to the wait's / join's return
 *          total   from the kill to the wait's / join's return
 *
 * The kill has a third column, pthread-waitv: the raw baseline with its
 * thread blocked in futex_waitv on two words instead of FUTEX_WAIT on one,
 * the system call a tomb_cond_wait makes, so that the kernel's share of the
 * tomb's wake shows apart from the library's.
 *
 *   bench/trace-c [ROUNDS]    prints the median of each step, in ns
 *
 * The worker blocks as bench.c's kill-cond and kill do: in tomb_cond_wait,
 * or in FUTEX_WAIT on a word, with 64 KiB stacks.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <tomb.h>
#include <unistd.h>

#define STACK (64 * 1024)

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

/* What is measured: the raw baseline, the same blocked in futex_waitv (a
 * kill only), a tomb. */
enum kind { RAW, RAW_WAITV, TOMB, NKINDS };

enum step { CALL, START, EXIT, WAKE, TOTAL, NSTEPS };
static const char *const step_names[NSTEPS] = {"call", "start", "exit",
                                                "wake", "total"};

/* Written by the worker, read by the caller after the join or the wait
 * (which order them). */
static int64_t w_start, w_woke, w_return;
static _Atomic uint32_t raw_flag, raw_other; /* raw_other: never set */
static pthread_mutex_t cond_mu = PTHREAD_MUTEX_INITIALIZER;
static tomb_cond_t cond = TOMB_COND_INIT;
static sem_t blocked;
static pthread_attr_t raw_attr; /* STACK bytes, as the tombs' workers */

static void die(const char *what, int err)
{
	fprintf(stderr, "trace-c: %s: %s\n", what, strerror(err));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits until the worker is asleep in the kernel (bench.c's pause). */
static void settle(void)
{
	struct timespec d = {0, 5000000};

	while (sem_wait(&blocked) != 0)
		continue;
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		continue;
}

static void *raw_return(void *arg)
{
	w_start = now_ns();
	w_return = now_ns();
	return arg;
}

static int tomb_return(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	w_start = now_ns();
	w_return = now_ns();
	return 0;
}

/* The raw baseline's blocked thread; arg not NULL: in futex_waitv on
 * raw_flag and raw_other, as tomb_cond_wait on its cond's word and the
 * tomb's state. */
static void *raw_blocker(void *arg)
{
	struct futex_waitv w[2];

	memset(w, 0, sizeof(w));
	w[0].uaddr = (uintptr_t)&raw_flag;
	w[1].uaddr = (uintptr_t)&raw_other;
	w[0].flags = w[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
	sem_post(&blocked);
	while (atomic_load_explicit(&raw_flag, memory_order_acquire) == 0) {
		if (arg != NULL)
			syscall(SYS_futex_waitv, w, 2, 0, NULL, CLOCK_MONOTONIC);
		else
			syscall(SYS_futex, &raw_flag, FUTEX_WAIT_PRIVATE, 0, NULL,
			        NULL, 0);
	}
	w_woke = now_ns();
	w_return = now_ns();
	return NULL;
}

static int tomb_blocker(tomb_t *t, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cond_mu);
	sem_post(&blocked);
	while (tomb_cond_wait(t, &cond, &cond_mu, NULL) == 0)
		continue;
	w_woke = now_ns();
	pthread_mutex_unlock(&cond_mu);
	w_return = now_ns();
	return TOMB_EDYING;
}

static tomb_t *new_tomb(int lifetime)
{
	struct tomb_opts o = {.lifetime = lifetime, .stack_size = STACK};
	tomb_t *t = tomb_new_opts(&o);

	if (t == NULL)
		die("tomb_new_opts", errno);
	return t;
}

/* One spawn of one worker; the steps in ns. */
static void spawn_once(enum kind k, int64_t *out)
{
	bool raw = k != TOMB;
	int64_t t0, t1, t2;
	int err;

	if (raw) {
		pthread_t th;

		t0 = now_ns();
		if ((err = pthread_create(&th, &raw_attr, raw_return, NULL)) != 0)
			die("pthread_create", err);
		t1 = now_ns();
		pthread_join(th, NULL);
		t2 = now_ns();
	} else {
		tomb_t *t = new_tomb(TOMB_LIFETIME_ERRGROUP);

		t0 = now_ns();
		if ((err = tomb_go(t, tomb_return, NULL)) != 0)
			die("tomb_go", err);
		t1 = now_ns();
		if ((err = tomb_wait(t)) != 0)
			die("tomb_wait", err);
		t2 = now_ns();
		tomb_free(t);
	}
	out[CALL] = t1 - t0;
	out[START] = w_start - t0;
	out[EXIT] = t2 - w_return;
	out[WAKE] = 0;
	out[TOTAL] = t2 - t0;
}

/* One kill of one blocked worker; the steps in ns. */
static void kill_once(enum kind k, int64_t *out)
{
	int64_t t0, t1, t2;
	int err;

	if (k != TOMB) {
		pthread_t th;

		atomic_store(&raw_flag, 0);
		if ((err = pthread_create(&th, &raw_attr, raw_blocker,
		                          k == RAW_WAITV ? &raw_other : NULL)) != 0)
			die("pthread_create", err);
		settle();
		t0 = now_ns();
		atomic_store_explicit(&raw_flag, 1, memory_order_release);
		syscall(SYS_futex, &raw_flag, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		        NULL, 0);
		t1 = now_ns();
		pthread_join(th, NULL);
		t2 = now_ns();
	} else {
		tomb_t *t = new_tomb(TOMB_LIFETIME_TOMB);

		if ((err = tomb_go(t, tomb_blocker, NULL)) != 0)
			die("tomb_go", err);
		settle();
		t0 = now_ns();
		tomb_kill(t, 0);
		t1 = now_ns();
		tomb_wait(t);
		t2 = now_ns();
		tomb_free(t);
	}
	out[CALL] = t1 - t0;
	out[WAKE] = w_woke - t0;
	out[EXIT] = t2 - w_return;
	out[START] = 0;
	out[TOTAL] = t2 - t0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	/* [op][kind][step][round]; a spawn has no RAW_WAITV */
	int64_t *v[2][NKINDS][NSTEPS];

	if (rounds < 1) {
		fprintf(stderr, "usage: trace-c [ROUNDS]\n");
		return 2;
	}
	sem_init(&blocked, 0, 0);
	pthread_attr_init(&raw_attr);
	pthread_attr_setstacksize(&raw_attr, STACK);
	for (int op = 0; op < 2; op++)
		for (int k = 0; k < NKINDS; k++)
			for (int s = 0; s < NSTEPS; s++)
				if ((v[op][k][s] = calloc((size_t)rounds,
				                          sizeof(int64_t))) == NULL)
					die("calloc", ENOMEM);
	for (long r = -1; r < rounds; r++) { /* round -1: the warm-up */
		int64_t out[NSTEPS];

		for (int op = 0; op < 2; op++) {
			/* A spawn's kinds, then a kill's; each goes first in
			 * turn. */
			static const enum kind kinds[2][NKINDS] = {
				{RAW, TOMB}, {RAW, RAW_WAITV, TOMB}};
			int nk = op == 0 ? 2 : NKINDS;

			for (int i = 0; i < nk; i++) {
				enum kind k = kinds[op][(r + 1 + i) % nk];

				if (op == 0)
					spawn_once(k, out);
				else
					kill_once(k, out);
				for (int s = 0; r >= 0 && s < NSTEPS; s++)
					v[op][k][s][r] = out[s];
			}
		}
	}
	printf("%-6s %-6s %10s %10s %14s   (median ns of %ld rounds)\n", "op",
	       "step", "pthread", "tomb", "pthread-waitv", rounds);
	for (int op = 0; op < 2; op++) {
		const enum step steps[2][4] = {{CALL, START, EXIT, TOTAL},
		                               {CALL, WAKE, EXIT, TOTAL}};

		for (int i = 0; i < 4; i++) {
			enum step s = steps[op][i];

			printf("%-6s %-6s %10lld %10lld", op ? "kill" : "spawn",
			       step_names[s],
			       (long long)median(v[op][RAW][s], rounds),
			       (long long)median(v[op][TOMB][s], rounds));
			if (op)
				printf(" %14lld",
				       (long long)median(v[op][RAW_WAITV][s],
				                         rounds));
			printf("\n");
		}
	}
	return 0;
}
