/* SPDX-License-Identifier: MIT */
/*
 * bench.c: the C side of `make bench`, for impls "tomb", "tomb-pool",
 * "pthread" (the raw baseline: pthread_create/join, an atomic flag, a futex)
 * and "pthread-park" (the least a pool's kill can cost: threads parked on a
 * futex, woken by one FUTEX_WAKE, until each has run and parked again).
 *
 *   bench-c IMPL METRIC N RUNS
 *
 * prints one line per run, "METRIC IMPL N VALUE" (ns, or bytes for mem and
 * mem-rss), or "skip METRIC IMPL reason" for a pair it does not measure.
 * bench/README.md says what each metric times; bench/run.sh takes medians.
 */
#define _GNU_SOURCE
#include "tomb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum impl { TOMB, POOL, PTHREAD, PARK };

static enum impl impl;
static const char *impl_name;
static tomb_pool_t *pool; /* impl POOL: one for the whole process */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-c: %s: %s\n", what, strerror(err));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void report(const char *metric, long n, int64_t value)
{
	printf("%s %s %ld %lld\n", metric, impl_name, n, (long long)value);
	fflush(stdout);
}

static tomb_t *new_tomb(int lifetime, size_t stack)
{
	struct tomb_opts o = {.lifetime = lifetime};
	tomb_t *t;

	if (impl == POOL)
		o.pool = pool;
	else
		o.stack_size = stack;
	if ((t = tomb_new_opts(&o)) == NULL)
		die("tomb_new_opts", errno);
	return t;
}

/* ---- poll: one stop-flag check in a hot loop ---------------------------- */

#define POLL_ITERS 50000000L

static _Atomic uint32_t raw_flag;

static double run_poll(void)
{
	tomb_t *t = impl == PTHREAD ? NULL : new_tomb(TOMB_LIFETIME_TOMB, 0);
	long seen = 0;
	int64_t t0 = now_ns(), t1;

	if (impl == PTHREAD) {
		for (long i = 0; i < POLL_ITERS; i++)
			seen += atomic_load_explicit(&raw_flag,
			                             memory_order_acquire) == 0;
	} else {
		for (long i = 0; i < POLL_ITERS; i++)
			seen += !tomb_dying(t);
	}
	t1 = now_ns();
	if (seen != POLL_ITERS)
		die("poll: the flag was set", EINVAL);
	if (t != NULL) {
		tomb_kill(t, 0);
		tomb_wait(t);
		tomb_free(t);
	}
	return (double)(t1 - t0) / POLL_ITERS;
}

/* ---- spawn: start n workers that return at once, wait for all ----------- */

static void *raw_return(void *arg)
{
	return arg;
}

static int tomb_return(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	return 0;
}

static int64_t run_spawn(long n)
{
	int64_t t0, t1;

	if (impl == PTHREAD) {
		pthread_t *th = malloc(sizeof(*th) * (size_t)n);
		int err;

		if (th == NULL)
			die("malloc", ENOMEM);
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if ((err = pthread_create(&th[i], NULL, raw_return, NULL)) != 0)
				die("pthread_create", err);
		for (long i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		t1 = now_ns();
		free(th);
	} else {
		/* errgroup: the tomb dies when waited, not when a worker that
		 * returned at once happened to be the last so far. */
		tomb_t *t = new_tomb(TOMB_LIFETIME_ERRGROUP, 0);
		int err;

		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if ((err = tomb_go(t, tomb_return, NULL)) != 0)
				die("tomb_go", err);
		if ((err = tomb_wait(t)) != 0)
			die("tomb_wait", err);
		t1 = now_ns();
		tomb_free(t);
	}
	return (t1 - t0) / n;
}

/* ---- kill: n workers blocked, from the kill to the wait's return -------- */

enum block { B_COND, B_SLEEP, B_POLL_FD, B_SPIN, B_FUTEX, B_READ };

static enum block block;
static sem_t blocked;                /* posted by each worker before it blocks */
static pthread_mutex_t cond_mu = PTHREAD_MUTEX_INITIALIZER;
static tomb_cond_t cond = TOMB_COND_INIT;

static int tomb_blocker(tomb_t *t, void *arg)
{
	(void)arg;
	switch (block) {
	case B_COND:
		pthread_mutex_lock(&cond_mu);
		sem_post(&blocked);
		while (tomb_cond_wait(t, &cond, &cond_mu, NULL) == 0)
			;
		pthread_mutex_unlock(&cond_mu);
		break;
	case B_SLEEP:
		sem_post(&blocked);
		tomb_sleep(t, NULL);
		break;
	case B_POLL_FD: {
		struct pollfd p = {.fd = tomb_dying_fd(t), .events = POLLIN};

		sem_post(&blocked);
		while (poll(&p, 1, -1) != 1)
			;
		break;
	}
	case B_SPIN:
		sem_post(&blocked);
		while (!tomb_dying(t))
			sched_yield(); /* 1000 spinners on 2 cores need to yield */
		break;
	case B_FUTEX:
		break;
	case B_READ: { /* kill-read: tomb_read on an idle socket (issue 17) */
		char c;
		size_t done;

		sem_post(&blocked);
		while (tomb_read(t, *(int *)arg, &c, 1, &done, NULL) !=
		       ECANCELED)
			;
		break;
	}
	}
	return TOMB_EDYING;
}

static void *raw_blocker(void *arg)
{
	(void)arg;
	sem_post(&blocked);
	while (atomic_load_explicit(&raw_flag, memory_order_acquire) == 0)
		syscall(SYS_futex, &raw_flag, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

/* The pause before every timed kill, once n workers have said they are
 * about to block: 5 ms + 20 us per worker, so that they are in the kernel
 * (a benchmark, not a test: a pause is fine here). */
static void pause_for(long n)
{
	int64_t ns = 5000000 + (int64_t)n * 20000;
	struct timespec d = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};

	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

/* The workers have said they are about to block (n posts of `blocked`);
 * give them time to get into the kernel. */
static void settle(long n)
{
	for (long i = 0; i < n; i++)
		while (sem_wait(&blocked) != 0)
			;
	pause_for(n);
}

/* The raw baseline's blocked threads: n of them, at `stack` bytes, each
 * in FUTEX_WAIT on raw_flag once raw_start returns; raw_stop wakes them
 * all with one FUTEX_WAKE and joins them. */
static void raw_start(pthread_t *th, long n, size_t stack)
{
	pthread_attr_t a;
	int err;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, stack);
	atomic_store(&raw_flag, 0);
	for (long i = 0; i < n; i++)
		if ((err = pthread_create(&th[i], &a, raw_blocker, NULL)) != 0)
			die("pthread_create", err);
	pthread_attr_destroy(&a);
	settle(n);
}

static void raw_stop(pthread_t *th, long n)
{
	atomic_store_explicit(&raw_flag, 1, memory_order_release);
	syscall(SYS_futex, &raw_flag, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
	        NULL, 0);
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	atomic_store(&raw_flag, 0);
}

/* ---- pthread-park: the least a pool's kill can cost (issue 21) ---------- */

/*
 * park_n threads parked on one futex word, park_gen, as a pool's threads
 * park between jobs.  The kill is one bump of park_gen and one FUTEX_WAKE
 * for all; each woken thread runs (counts itself in park_done) and parks
 * again; the one that makes the count park_n wakes the waiter, asleep on
 * park_done.  The threads live as long as the process, as a pool's do: the
 * exit ends them.
 *
 * park_gen: bumped by the main thread only, and only when every thread
 * has counted itself (park_done == park_n); a thread sleeps while it holds
 * the value the thread last saw.  park_done: stored 0 by the main thread
 * before it bumps park_gen, raised once by each thread after each bump
 * (and once when it starts).  park_n, park_th: the main thread's.
 */
static _Atomic uint32_t park_gen, park_done;
static long park_n;
static pthread_t *park_th;

static void futex_wait_on(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_on(_Atomic uint32_t *w, int count)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static void *park_main(void *arg)
{
	uint32_t seen = 0;

	(void)arg;
	for (;;) {
		/* "Run": count this wake; the last one wakes the waiter. */
		if (atomic_fetch_add_explicit(&park_done, 1,
		                              memory_order_acq_rel) + 1 ==
		    (uint32_t)park_n)
			futex_wake_on(&park_done, 1);
		/* Park until the next bump. */
		while (atomic_load_explicit(&park_gen, memory_order_acquire) ==
		       seen)
			futex_wait_on(&park_gen, seen);
		seen = atomic_load_explicit(&park_gen, memory_order_acquire);
	}
	return NULL;
}

/* The waiter: asleep on park_done until every thread has counted itself. */
static void park_wait(void)
{
	uint32_t d;

	while ((d = atomic_load_explicit(&park_done, memory_order_acquire)) !=
	       (uint32_t)park_n)
		futex_wait_on(&park_done, d);
}

/* One kill of the parked threads, started on first use: ns from the bump
 * to the waiter's return, once every thread has run and parked again. */
static int64_t run_park_kill(long n, size_t stack)
{
	int64_t t0, t1;

	if (park_th == NULL) {
		pthread_attr_t a;
		int err;

		if ((park_th = malloc(sizeof(*park_th) * (size_t)n)) == NULL)
			die("malloc", ENOMEM);
		park_n = n;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, stack);
		for (long i = 0; i < n; i++)
			if ((err = pthread_create(&park_th[i], &a, park_main,
			                          NULL)) != 0)
				die("pthread_create", err);
		pthread_attr_destroy(&a);
	}
	park_wait();      /* all counted: each is parked or about to be */
	pause_for(n);     /* as settle(): let them reach the kernel */
	atomic_store_explicit(&park_done, 0, memory_order_relaxed);
	t0 = now_ns();
	atomic_fetch_add_explicit(&park_gen, 1, memory_order_release);
	futex_wake_on(&park_gen, INT_MAX);
	park_wait();
	t1 = now_ns();
	return t1 - t0;
}

/* kill-read's sockets: n descriptors that never become readable, the two
 * ends of (n + 1) / 2 socket pairs that nobody writes to (one descriptor
 * per worker, so that 1000 workers fit in the usual 1024). */
static int *idle_sockets(long n)
{
	int *fds = malloc(sizeof(*fds) * (size_t)(n + 1));

	if (fds == NULL)
		die("malloc", ENOMEM);
	for (long i = 0; i < n; i += 2)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &fds[i]) != 0)
			die("socketpair", errno);
	return fds;
}

/* The workers' stack in a kill: 64 KiB, 16 KiB in the scale metric. */
static size_t kill_stack = 64 * 1024;

static int64_t run_kill(long n)
{
	int64_t t0, t1;
	int err;

	if (impl == PARK) {
		return run_park_kill(n, kill_stack);
	} else if (impl == PTHREAD) {
		pthread_t *th = malloc(sizeof(*th) * (size_t)n);

		if (th == NULL)
			die("malloc", ENOMEM);
		raw_start(th, n, kill_stack);
		t0 = now_ns();
		raw_stop(th, n);
		t1 = now_ns();
		free(th);
	} else {
		tomb_t *t = new_tomb(TOMB_LIFETIME_TOMB, kill_stack);
		int *fds = block == B_READ ? idle_sockets(n) : NULL;

		if (block == B_POLL_FD && tomb_dying_fd(t) < 0)
			die("tomb_dying_fd", errno);
		for (long i = 0; i < n; i++)
			if ((err = tomb_go(t, tomb_blocker,
			                   fds != NULL ? &fds[i] : NULL)) != 0)
				die("tomb_go", err);
		settle(n);
		t0 = now_ns();
		tomb_kill(t, 0);
		tomb_wait(t);
		t1 = now_ns();
		tomb_free(t);
		if (fds != NULL) {
			for (long i = 0; i < n + (n & 1); i++)
				close(fds[i]);
			free(fds);
		}
	}
	return t1 - t0;
}

/* ---- read: tomb_read on ready data, against read(2) plus one poll(2) ---- */

#define READ_BATCH 1024L /* reads of READ_LEN bytes per pipe filling */
#define READ_LEN 64
#define READ_BATCHES 200L

/* The mean time of one read of READ_LEN ready bytes from a pipe: with
 * tomb_read (impl tomb), or with a poll of no timeout and a read, the
 * least a hand-written cancellable read costs (impl pthread).  The pipe
 * is filled between timed batches. */
static double run_read(void)
{
	static char fill[READ_BATCH * READ_LEN];
	char buf[READ_LEN];
	int64_t total = 0;
	int p[2], err;
	tomb_t *t = tomb_new();

	if (t == NULL || pipe2(p, O_CLOEXEC) != 0)
		die("pipe2", errno);
	if (fcntl(p[1], F_SETPIPE_SZ, (int)sizeof(fill)) < 0)
		die("F_SETPIPE_SZ", errno);
	for (long b = 0; b < READ_BATCHES; b++) {
		int64_t t0;

		if (write(p[1], fill, sizeof(fill)) != (ssize_t)sizeof(fill))
			die("write", errno);
		t0 = now_ns();
		for (long i = 0; i < READ_BATCH; i++) {
			if (impl == PTHREAD) {
				struct pollfd pf = {.fd = p[0], .events = POLLIN};

				if (poll(&pf, 1, 0) != 1 ||
				    read(p[0], buf, sizeof(buf)) != READ_LEN)
					die("read", errno);
			} else {
				size_t done;

				if ((err = tomb_read(t, p[0], buf, sizeof(buf),
				                     &done, NULL)) != 0 ||
				    done != READ_LEN)
					die("tomb_read", err);
			}
		}
		total += now_ns() - t0;
	}
	close(p[0]);
	close(p[1]);
	tomb_free(t);
	return (double)total / (double)(READ_BATCH * READ_BATCHES);
}

/* ---- hook: register and unregister one dying callback ------------------- */

#define HOOK_ITERS 2000000L

static void on_dying(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
}

static int64_t run_hook(void)
{
	tomb_t *t = new_tomb(TOMB_LIFETIME_TOMB, 0);
	tomb_hook_t h = TOMB_HOOK_INIT;
	int64_t t0 = now_ns(), t1;

	for (long i = 0; i < HOOK_ITERS; i++) {
		if (tomb_on_dying(t, on_dying, NULL, &h) != 0 || tomb_off(&h) != 0)
			die("tomb_on_dying/tomb_off", EINVAL);
	}
	t1 = now_ns();
	tomb_kill(t, 0);
	tomb_wait(t);
	tomb_free(t);
	return (t1 - t0) / HOOK_ITERS;
}

/* ---- mem: n live workers at the smallest stack --------------------------- */

static long vm_hwm_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		die("/proc/self/status", errno);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Resets the peak RSS to the current RSS (Linux >= 4.0). */
static void reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f == NULL)
		die("/proc/self/clear_refs", errno);
	fputs("5", f);
	fclose(f);
}

/* Starts n workers blocked at the smallest stack; returns the heap bytes
 * (mallinfo2) and peak RSS bytes they added, once all are blocked. */
static void run_mem(long n, int64_t *heap, int64_t *rss)
{
	size_t stack = PTHREAD_STACK_MIN;
	size_t heap0;
	long rss0;
	int err;

	block = B_SLEEP;
	if (impl == POOL) {
		/* A new pool for each run, at the smallest stack: its threads
		 * and their records are counted with the workers'. */
		struct tomb_pool_opts o = {.stack_size = stack};

		if (tomb_pool_free(pool) != 0 ||
		    (pool = tomb_pool_new(&o)) == NULL)
			die("tomb_pool_new", errno);
	}
	reset_hwm();
	rss0 = vm_hwm_bytes();
	heap0 = mallinfo2().uordblks;
	if (impl == PTHREAD) {
		pthread_t *th = malloc(sizeof(*th) * (size_t)n);

		if (th == NULL)
			die("malloc", ENOMEM);
		heap0 = mallinfo2().uordblks; /* the handle array is ours */
		raw_start(th, n, stack);
		*heap = (int64_t)(mallinfo2().uordblks - heap0);
		*rss = vm_hwm_bytes() - rss0;
		raw_stop(th, n);
		free(th);
	} else {
		tomb_t *t = new_tomb(TOMB_LIFETIME_TOMB, stack);

		for (long i = 0; i < n; i++)
			if ((err = tomb_go(t, tomb_blocker, NULL)) != 0)
				die("tomb_go", err);
		settle(n);
		*heap = (int64_t)(mallinfo2().uordblks - heap0);
		*rss = vm_hwm_bytes() - rss0;
		tomb_kill(t, 0);
		tomb_wait(t);
		tomb_free(t);
	}
}

/* ---- scale: the kill of n workers at 16 KiB stacks (issue 21) ---------- */

#define SCALE_STACK (16 * 1024)

/*
 * The kill metric at SCALE_STACK stacks (tomb and tomb-pool: kill-cond),
 * with the peak RSS that the whole run added: prints "scale-kill IMPL N ns"
 * and "scale-rss IMPL N bytes" per run.  No warm-up: for n = 30,000 it
 * would double the run, and the stacks that glibc then caches would hide
 * the next run's memory; bench/scale.sh runs each run as its own process.
 */
static void run_scale(long n, long runs)
{
	kill_stack = SCALE_STACK;
	block = B_COND;
	if (impl == POOL) {
		struct tomb_pool_opts o = {.stack_size = SCALE_STACK};

		if (tomb_pool_free(pool) != 0 ||
		    (pool = tomb_pool_new(&o)) == NULL)
			die("tomb_pool_new", errno);
	}
	for (long r = 0; r < runs; r++) {
		long rss0;
		int64_t ns;

		reset_hwm();
		rss0 = vm_hwm_bytes();
		ns = run_kill(n);
		report("scale-kill", n, ns);
		report("scale-rss", n, vm_hwm_bytes() - rss0);
	}
}

/* ---- channels: chan-stream, chan-pingpong, chan-kill -------------------- */

#define CHAN_CAP 128

/* The hand-made baseline of chan-stream: a bounded queue of ints on a
 * pthread mutex and two condition variables, as a C programmer writes it
 * without a channel.  All fields under mu. */
struct bq {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull;
	int buf[CHAN_CAP];
	size_t head, len;
	bool closed;
};

static void bq_put(struct bq *q, int v)
{
	pthread_mutex_lock(&q->mu);
	while (q->len == CHAN_CAP)
		pthread_cond_wait(&q->nonfull, &q->mu);
	q->buf[(q->head + q->len) % CHAN_CAP] = v;
	q->len++;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

static bool bq_get(struct bq *q, int *v)
{
	bool ok;

	pthread_mutex_lock(&q->mu);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->nonempty, &q->mu);
	ok = q->len > 0;
	if (ok) {
		*v = q->buf[q->head];
		q->head = (q->head + 1) % CHAN_CAP;
		q->len--;
		pthread_cond_signal(&q->nonfull);
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

static void bq_close(struct bq *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

struct stream {
	long n;
	struct bq q;
	tomb_chan_t *c;
};

static void *stream_producer(void *arg)
{
	struct stream *s = arg;

	for (long i = 0; i < s->n; i++) {
		int v = (int)i;

		if (impl == PTHREAD)
			bq_put(&s->q, v);
		else if (tomb_chan_send(NULL, s->c, &v, NULL) != 0)
			die("tomb_chan_send", EPIPE);
	}
	if (impl == PTHREAD)
		bq_close(&s->q);
	else
		tomb_chan_close(s->c);
	return NULL;
}

/* ns per value, n values from a producer thread to this one. */
static int64_t run_chan_stream(long n)
{
	struct stream s = {.n = n};
	pthread_t th;
	int64_t t0, t1;
	long got = 0;
	int v, err;

	pthread_mutex_init(&s.q.mu, NULL);
	pthread_cond_init(&s.q.nonempty, NULL);
	pthread_cond_init(&s.q.nonfull, NULL);
	if (impl != PTHREAD && (s.c = tomb_chan_new(sizeof(int), CHAN_CAP)) == NULL)
		die("tomb_chan_new", errno);
	t0 = now_ns();
	if ((err = pthread_create(&th, NULL, stream_producer, &s)) != 0)
		die("pthread_create", err);
	if (impl == PTHREAD)
		while (bq_get(&s.q, &v))
			got++;
	else
		while (tomb_chan_recv(NULL, s.c, &v, NULL) == 0)
			got++;
	pthread_join(th, NULL);
	t1 = now_ns();
	if (got != n)
		die("chan-stream lost values", EIO);
	if (impl != PTHREAD)
		tomb_chan_free(s.c);
	pthread_cond_destroy(&s.q.nonempty);
	pthread_cond_destroy(&s.q.nonfull);
	pthread_mutex_destroy(&s.q.mu);
	return (t1 - t0) / n;
}

/* chan-pingpong: a value there and back.  The baseline: one futex word
 * that the two threads hand to each other (0: ping's turn, 1: pong's). */
struct pingpong {
	long n;
	tomb_chan_t *there, *back;
	_Atomic uint32_t turn;
};

static void futex_pass(_Atomic uint32_t *w, uint32_t mine, uint32_t next)
{
	while (atomic_load_explicit(w, memory_order_acquire) != mine)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, next, NULL, NULL, 0);
}

static void *pong_main(void *arg)
{
	struct pingpong *p = arg;
	int v;

	for (long i = 0; i < p->n; i++) {
		if (impl == PTHREAD) {
			futex_pass(&p->turn, 1, 0);
			atomic_store_explicit(&p->turn, 0, memory_order_release);
			syscall(SYS_futex, &p->turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
			        0);
		} else if (tomb_chan_recv(NULL, p->there, &v, NULL) != 0 ||
		           tomb_chan_send(NULL, p->back, &v, NULL) != 0) {
			die("pong", EPIPE);
		}
	}
	return NULL;
}

/* ns per round trip. */
static int64_t run_chan_pingpong(long n)
{
	struct pingpong p = {.n = n};
	pthread_t th;
	int64_t t0, t1;
	int err;

	atomic_init(&p.turn, 0);
	if (impl != PTHREAD && ((p.there = tomb_chan_new(sizeof(int), 0)) == NULL ||
	                        (p.back = tomb_chan_new(sizeof(int), 0)) == NULL))
		die("tomb_chan_new", errno);
	if ((err = pthread_create(&th, NULL, pong_main, &p)) != 0)
		die("pthread_create", err);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int v = (int)i;

		if (impl == PTHREAD) {
			atomic_store_explicit(&p.turn, 1, memory_order_release);
			syscall(SYS_futex, &p.turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
			        0);
			futex_pass(&p.turn, 0, 1);
		} else if (tomb_chan_send(NULL, p.there, &v, NULL) != 0 ||
		           tomb_chan_recv(NULL, p.back, &v, NULL) != 0) {
			die("ping", EPIPE);
		}
	}
	t1 = now_ns();
	pthread_join(th, NULL);
	if (impl != PTHREAD) {
		tomb_chan_free(p.there);
		tomb_chan_free(p.back);
	}
	return (t1 - t0) / n;
}

/* chan-kill: n workers blocked in tomb_chan_recv on one channel; ns from
 * the kill to the wait's return (compare kill-cond). */
static int chan_blocker(tomb_t *t, void *arg)
{
	int v;

	sem_post(&blocked);
	while (tomb_chan_recv(t, arg, &v, NULL) == 0)
		;
	return TOMB_EDYING;
}

static int64_t run_chan_kill(long n)
{
	tomb_t *t = new_tomb(TOMB_LIFETIME_TOMB, 64 * 1024);
	tomb_chan_t *c = tomb_chan_new(sizeof(int), 0);
	int64_t t0, t1;
	int err;

	if (c == NULL)
		die("tomb_chan_new", errno);
	for (long i = 0; i < n; i++)
		if ((err = tomb_go(t, chan_blocker, c)) != 0)
			die("tomb_go", err);
	settle(n);
	t0 = now_ns();
	tomb_kill(t, 0);
	tomb_wait(t);
	t1 = now_ns();
	tomb_free(t);
	tomb_chan_free(c);
	return t1 - t0;
}

/* Runs one of the channel metrics; false if metric is none of them. */
static bool run_chan_metric(const char *metric, long n, long runs)
{
	int64_t (*fn)(long);

	if (strcmp(metric, "chan-stream") == 0)
		fn = run_chan_stream;
	else if (strcmp(metric, "chan-pingpong") == 0)
		fn = run_chan_pingpong;
	else if (strcmp(metric, "chan-kill") == 0)
		fn = run_chan_kill;
	else
		return false;
	if (impl == POOL || (impl == PTHREAD && fn == run_chan_kill)) {
		printf("skip %s %s not measured (tomb against kill-cond)\n", metric,
		       impl_name);
		return true;
	}
	fn(n < 1000 ? n : 1000); /* warm-up */
	for (long r = 0; r < runs; r++)
		report(metric, n, fn(n));
	return true;
}

/* ---- deadlines (issue 22) ----------------------------------------------- */

/*
 * deadline-late: n threads, each blocked until its own tomb is dying (tomb:
 * tomb_wait_dying on a tomb with a deadline), or asleep until the same time
 * (pthread: clock_nanosleep, TIMER_ABSTIME); each notes how late it woke.
 * The median over the n threads, in ns.
 */
struct late {
	tomb_t *t;
	const struct timespec *at;
	int64_t late_ns;
};

static void *late_main(void *arg)
{
	struct late *l = arg;
	int64_t at = (int64_t)l->at->tv_sec * 1000000000 + l->at->tv_nsec;

	sem_post(&blocked);
	if (l->t != NULL) {
		if (tomb_wait_dying(l->t, NULL) != 0)
			die("tomb_wait_dying", EPROTO);
	} else {
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, l->at,
		                       NULL) != 0)
			;
	}
	l->late_ns = now_ns() - at;
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t run_deadline_late(long n)
{
	struct late *l = calloc((size_t)n, sizeof(*l));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	int64_t *v = calloc((size_t)n, sizeof(*v)), med;
	/* Far enough for every thread to be started and blocked first (the
	 * pause of settle(), and some more). */
	struct timespec at = tomb_deadline_ms(20 + n / 20);
	struct tomb_opts o = {.deadline = &at};
	pthread_attr_t a;
	int err;

	if (l == NULL || th == NULL || v == NULL)
		die("calloc", ENOMEM);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (long i = 0; i < n; i++) {
		l[i].at = &at;
		if (impl != PTHREAD && (l[i].t = tomb_new_opts(&o)) == NULL)
			die("tomb_new_opts", errno);
		if ((err = pthread_create(&th[i], &a, late_main, &l[i])) != 0)
			die("pthread_create", err);
	}
	pthread_attr_destroy(&a);
	for (long i = 0; i < n; i++)
		while (sem_wait(&blocked) != 0)
			;
	for (long i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		v[i] = l[i].late_ns;
		if (l[i].t != NULL && tomb_free(l[i].t) != 0)
			die("tomb_free", EBUSY);
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	med = v[n / 2];
	free(l);
	free(th);
	free(v);
	return med;
}

/*
 * deadline-set: ns to set then clear the deadline of one tomb while n
 * others are pending (the earliest of them first, so that the one timed
 * never becomes the earliest: no wake of the timer thread is timed).
 */
static int64_t run_deadline_set(long n)
{
	tomb_t **t = calloc((size_t)n + 1, sizeof(*t));
	struct timespec base = tomb_deadline_ms(3600 * 1000);
	enum { REPS = 100000 };
	struct timespec *at = calloc(REPS, sizeof(*at));
	unsigned int seed = 1;
	int64_t t0, t1;

	if (t == NULL || at == NULL)
		die("calloc", ENOMEM);
	for (long i = 0; i <= n; i++) {
		struct timespec d = base;

		if (i > 0) {
			seed = seed * 1103515245u + 12345u;
			d.tv_sec += 1 + (time_t)((seed >> 8) % 100000);
		}
		if ((t[i] = tomb_new()) == NULL)
			die("tomb_new", errno);
		if (i < n && tomb_set_deadline(t[i], &d) != 0)
			die("tomb_set_deadline", EPROTO);
	}
	for (long k = 0; k < REPS; k++) {
		seed = seed * 1103515245u + 12345u;
		at[k] = base;
		at[k].tv_sec += 1 + (time_t)((seed >> 8) % 100000);
	}
	t0 = now_ns();
	for (long k = 0; k < REPS; k++) {
		tomb_set_deadline(t[n], &at[k]);
		tomb_set_deadline(t[n], NULL);
	}
	t1 = now_ns();
	for (long i = 0; i <= n; i++)
		if (tomb_free(t[i]) != 0)
			die("tomb_free", EBUSY);
	free(t);
	free(at);
	return (t1 - t0) / REPS;
}

int main(int argc, char **argv)
{
	const char *metric;
	long n, runs;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-c tomb|tomb-pool|pthread|pthread-park "
		        "METRIC N RUNS\n");
		return 2;
	}
	impl_name = argv[1];
	metric = argv[2];
	n = atol(argv[3]);
	runs = atol(argv[4]);
	if (strcmp(impl_name, "tomb") == 0) {
		impl = TOMB;
	} else if (strcmp(impl_name, "tomb-pool") == 0) {
		/* Its workers neither exit their thread nor care which thread
		 * runs them: the waiter may run them (bench/README.md). */
		struct tomb_pool_opts o = {.stack_size = 64 * 1024,
		                           .flags = TOMB_POOL_WAITER_RUNS};

		impl = POOL;
		if ((pool = tomb_pool_new(&o)) == NULL)
			die("tomb_pool_new", errno);
	} else if (strcmp(impl_name, "pthread") == 0) {
		impl = PTHREAD;
	} else if (strcmp(impl_name, "pthread-park") == 0) {
		impl = PARK;
	} else {
		fprintf(stderr, "bench-c: unknown impl %s\n", impl_name);
		return 2;
	}
	if (n < 1 || runs < 1) {
		fprintf(stderr, "bench-c: N and RUNS must be positive\n");
		return 2;
	}
	sem_init(&blocked, 0, 0);

	if (impl == PARK && strcmp(metric, "kill") != 0 &&
	    strcmp(metric, "scale") != 0) {
		printf("skip %s %s the park baseline is a kill's only\n", metric,
		       impl_name);
	} else if (strcmp(metric, "scale") == 0) {
		run_scale(n, runs);
	} else if (strcmp(metric, "poll") == 0) {
		run_poll(); /* warm-up */
		for (long r = 0; r < runs; r++)
			printf("%s %s %ld %.3f\n", metric, impl_name, n,
			       run_poll()); /* below a nanosecond: decimals */
	} else if (strcmp(metric, "spawn") == 0) {
		long reps = n >= 1000 ? 1 : 1000 / n;

		run_spawn(n); /* warm-up (and, for a pool, its threads) */
		for (long r = 0; r < runs; r++) {
			int64_t sum = 0;

			/* A run is the mean of `reps`, so that small n
			 * is not one noisy thread creation. */
			for (long k = 0; k < reps; k++)
				sum += run_spawn(n);
			report(metric, n, sum / reps);
		}
	} else if (strncmp(metric, "kill", 4) == 0) {
		const char *how = metric + 4;

		if ((impl == PTHREAD || impl == PARK) && strcmp(how, "") == 0)
			block = B_FUTEX;
		else if (impl != PTHREAD && strcmp(how, "-cond") == 0)
			block = B_COND;
		else if (impl != PTHREAD && strcmp(how, "-sleep") == 0)
			block = B_SLEEP;
		else if (impl != PTHREAD && strcmp(how, "-poll-fd") == 0)
			block = B_POLL_FD;
		else if (impl != PTHREAD && strcmp(how, "-spin") == 0)
			block = B_SPIN;
		else if (impl != PTHREAD && strcmp(how, "-read") == 0)
			block = B_READ;
		else {
			printf("skip %s %s no such way of blocking\n", metric,
			       impl_name);
			return 0;
		}
		long reps = n >= 100 ? 1 : 100 / n / 4 + 1;

		run_kill(n);
		for (long r = 0; r < runs; r++) {
			int64_t sum = 0;

			for (long k = 0; k < reps; k++) /* as for spawn */
				sum += run_kill(n);
			report(metric, n, sum / reps);
		}
	} else if (strcmp(metric, "read") == 0) {
		if (impl == POOL) {
			printf("skip read tomb-pool the same call as tomb\n");
			return 0;
		}
		run_read(); /* warm-up */
		for (long r = 0; r < runs; r++)
			printf("%s %s %ld %.1f\n", metric, impl_name, n, run_read());
	} else if (strcmp(metric, "hook") == 0) {
		if (impl == PTHREAD) {
			printf("skip hook pthread no callbacks in raw pthreads\n");
			return 0;
		}
		run_hook();
		for (long r = 0; r < runs; r++)
			report(metric, n, run_hook());
	} else if (strcmp(metric, "mem") == 0 || strcmp(metric, "mem-rss") == 0) {
		bool want_rss = strcmp(metric, "mem-rss") == 0;

		if (!want_rss) { /* warm-up, both ways: glibc caches stacks */
			int64_t heap, rss;
			enum impl self = impl;

			impl = PTHREAD;
			run_mem(n, &heap, &rss);
			impl = self;
			run_mem(n, &heap, &rss);
		}
		for (long r = 0; r < runs; r++) {
			int64_t heap, rss, raw_heap = 0, raw_rss;
			enum impl self = impl;

			/* The library's bookkeeping is what its heap use adds
			 * to glibc's own for the same threads (the DTV a new
			 * thread gets, ~300 bytes here): measure raw threads
			 * first, in the same process. */
			if (!want_rss && impl != PTHREAD) {
				impl = PTHREAD;
				run_mem(n, &raw_heap, &raw_rss);
				impl = self;
			}
			run_mem(n, &heap, &rss);
			report(metric, n, want_rss ? rss : (heap - raw_heap) / n);
		}
	} else if (strcmp(metric, "deadline-late") == 0) {
		if (impl == POOL) {
			printf("skip %s %s no workers: a pool changes nothing\n",
			       metric, impl_name);
			return 0;
		}
		run_deadline_late(n);
		for (long r = 0; r < runs; r++)
			report(metric, n, run_deadline_late(n));
	} else if (strcmp(metric, "deadline-set") == 0) {
		if (impl != TOMB) {
			printf("skip %s %s tomb only\n", metric, impl_name);
			return 0;
		}
		run_deadline_set(n);
		for (long r = 0; r < runs; r++)
			report(metric, n, run_deadline_set(n));
	} else if (!run_chan_metric(metric, n, runs)) {
		printf("skip %s %s unknown metric\n", metric, impl_name);
	}
	if (pool != NULL && tomb_pool_free(pool) != 0)
		die("tomb_pool_free", EBUSY);
	sem_destroy(&blocked);
	return 0;
}
