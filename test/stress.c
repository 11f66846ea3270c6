/* SPDX-License-Identifier: MIT */
/*
 * stress.c: a randomised stress test of libtomb (not a Check suite).
 *
 *   test/stress [--seed S] [--seconds N] [--threads K] [--watchdog W]
 *
 * K driver threads (default 4) each run random operations for N seconds
 * (default 5) on NSLOTS shared tombs of every lifetime, some with limits,
 * some children of others, some with dying and dead descriptors: start
 * workers of ten kinds (stress_work.c), kill with random reasons, wait with
 * and without deadlines, register and unregister callbacks, make and free
 * private children, and retire tombs (kill, wait, check, free, replace).
 * The invariants are checked as they go, and once more on every tomb when it
 * is retired (stress_gen.c):
 *   - dying and dead are final, dead implies dying, and the descriptors
 *     agree with the state;
 *   - the reason never changes once non-zero, is one that was given (to the
 *     tomb, or to its parent), and is the first: no kill with another
 *     non-zero reason had returned before it was given; a reason of 0 means
 *     no non-zero reason was given; its message is the reason's;
 *   - tomb_count never exceeds the workers started, nor the highest limit;
 *   - after a wait returned, every worker of the tomb has returned and its
 *     thread has exited;
 *   - every callback ran at most once, exactly when tomb_off says it did;
 *   - at the end, the process has the threads and descriptors it started
 *     with.
 *
 * The first line printed is the seed; the same seed gives each driver the
 * same stream of random choices (the interleavings, of course, differ).
 * The exit status is 0 if every check held, 1 otherwise, 2 for bad usage.
 * A watchdog fails the run if a driver makes no progress for W seconds
 * (default 20 times CK_TIMEOUT_MULTIPLIER), printing what every driver was
 * doing and tomb_dump of every tomb it can reach.
 */
#include "config.h"

#include "stress.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

tomb_pool_t *stress_pools[2];
uint64_t stress_seed;
_Thread_local const char *stress_who = "main";
atomic_bool stress_stop;
struct stress_stats stats;
FILE *stress_devnull;

static atomic_bool failed;
static _Atomic uint64_t next_ticket;
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cv; /* CLOCK_MONOTONIC; signalled on a failure */

/* The drivers, and one more for main's final teardown. */
static struct driver drivers[MAX_DRIVERS + 1];
static int ndrivers;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);

	r->s = splitmix64(&x);
	if (r->s == 0)
		r->s = 1; /* xorshift's one forbidden state */
}

uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)((rng_next(r) >> 32) * n >> 32);
}

bool rng_percent(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

uint64_t ticket_take(void)
{
	return atomic_fetch_add(&next_ticket, 1);
}

int reason_new(void)
{
	uint64_t t = ticket_take();

	/* Some 2e9 tickets: hours of running at the rates seen. */
	if (t > (uint64_t)INT_MAX - REASON_BASE) {
		CHECK(false, "out of tickets: run shorter");
		t = 0;
	}
	return REASON_BASE + (int)t;
}

bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void stress_fail(const char *file, int line, const char *fmt, ...)
{
	static atomic_int nfail;
	int n = atomic_fetch_add(&nfail, 1);
	va_list ap;

	atomic_store(&failed, true);
	atomic_store(&stress_stop, true);
	if (n < 20) {
		flockfile(stderr);
		fprintf(stderr, "stress: FAIL (seed %" PRIu64 ", %s) %s:%d: ",
		        stress_seed, stress_who, file, line);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	pthread_mutex_lock(&run_mu);
	pthread_cond_broadcast(&run_cv);
	pthread_mutex_unlock(&run_mu);
}

static size_t pick_op(struct driver *d)
{
	unsigned total = 0, r;
	size_t i;

	for (i = 0; i < stress_nops; i++)
		total += stress_ops[i].weight;
	r = rng_below(&d->rng, total);
	for (i = 0; r >= stress_ops[i].weight; i++)
		r -= stress_ops[i].weight;
	return i;
}

static void *driver_main(void *arg)
{
	struct driver *d = arg;

	stress_who = d->who;
	pthread_setname_np(pthread_self(), d->who);
	while (!atomic_load(&stress_stop)) {
		if (d->retire_slot >= 0) {
			int s = d->retire_slot;

			/* A tomb it saw dead or used up. */
			d->retire_slot = -1;
			atomic_store(&d->op, "retire (claimed)");
			slot_retire(d, s, true);
			d->counts[stress_nops]++;
		} else {
			size_t i = pick_op(d);

			atomic_store(&d->op, stress_ops[i].name);
			stress_ops[i].run(d);
			d->counts[i]++;
		}
		atomic_store(&d->op, "between operations");
		atomic_fetch_add(&d->ops, 1);
	}
	atomic_store(&d->op, "stopped");
	atomic_store(&d->active, false);
	return NULL;
}

/* The watchdog. */
static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv; /* CLOCK_MONOTONIC */
static bool wd_done;
static long long wd_seconds;

static void dump_hung(int sig)
{
	static const char msg[] = "stress: the watchdog's dump hung too\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static double seconds_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) +
	       (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/*
 * Prints what every driver was doing and what every tomb it can reach
 * runs, then exits 1.  The slots' locks may be held by the stuck threads, so
 * the tombs are reached without them: a tomb being freed at this very moment
 * could be read after its free, a risk taken only on a run that has failed
 * already.  If the dump itself blocks (a tomb's lock held for ever), an
 * alarm ends the process.
 */
static void hang(int stuck)
{
	struct driver *d = &drivers[stuck];

	signal(SIGALRM, dump_hung);
	alarm(10);
	flockfile(stderr);
	fprintf(stderr, "stress: FAIL (seed %" PRIu64 "): %s made no progress "
	        "for %lld s, in \"%s\" on slot %d\n", stress_seed, d->who,
	        wd_seconds, atomic_load(&d->op), atomic_load(&d->op_slot));
	for (int i = 0; i <= ndrivers; i++) {
		struct driver *e = &drivers[i];
		struct gen *c = atomic_load(&e->child);

		if (!atomic_load(&e->active))
			continue;
		fprintf(stderr, "stress: %s: %" PRIu64 " operations, now \"%s\""
		        " on slot %d\n", e->who, atomic_load(&e->ops),
		        atomic_load(&e->op), atomic_load(&e->op_slot));
		if (c != NULL) {
			fprintf(stderr, "  its private child ");
			gen_dump(c, stderr);
		}
	}
	for (int s = 0; s < NSLOTS; s++) {
		struct gen *g = atomic_load(&slots[s].gen);

		fprintf(stderr, "stress: slot %d (parent %d): ", s,
		        slots[s].parent);
		if (g == NULL)
			fprintf(stderr, "empty\n");
		else
			gen_dump(g, stderr);
	}
	fprintf(stderr, "stress: %" PRIu64 " workers running\n",
	        atomic_load(&stats.live_workers));
	fflush(stderr);
	_exit(1);
}

static void *watchdog_main(void *arg)
{
	uint64_t last[MAX_DRIVERS + 1];
	struct timespec since[MAX_DRIVERS + 1], now;

	(void)arg;
	stress_who = "watchdog";
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int i = 0; i <= ndrivers; i++) {
		last[i] = atomic_load(&drivers[i].ops);
		since[i] = now;
	}
	pthread_mutex_lock(&wd_mu);
	while (!wd_done) {
		struct timespec dl = tomb_deadline_ms(250);

		pthread_cond_timedwait(&wd_cv, &wd_mu, &dl);
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (int i = 0; i <= ndrivers && !wd_done; i++) {
			uint64_t ops = atomic_load(&drivers[i].ops);

			if (!atomic_load(&drivers[i].active) || ops != last[i]) {
				last[i] = ops;
				since[i] = now;
			} else if (seconds_between(since[i], now) >=
			           (double)wd_seconds) {
				hang(i);
			}
		}
	}
	pthread_mutex_unlock(&wd_mu);
	return NULL;
}

static void init_monotonic_cond(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

/* Stores its kernel thread id in *arg. */
static void *nothing(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static void usage(const char *why)
{
	fprintf(stderr, "stress: %s\nusage: stress [--seed S] [--seconds N] "
	        "[--threads K (1-%d)] [--watchdog SECONDS]\n", why,
	        MAX_DRIVERS);
	exit(2);
}

static unsigned long long number(const char *opt, const char *s,
                                 unsigned long long lo,
                                 unsigned long long hi)
{
	char *end;
	unsigned long long v;

	if (s == NULL)
		usage("an option lacks its value");
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "stress: %s %s: not a number in [%llu, %llu]\n",
		        opt, s, lo, hi);
		usage("bad value");
	}
	return v;
}

static void report(double secs, int threads_before, int threads_after,
                   int fds_before, int fds_after)
{
	uint64_t total = 0, per[64] = {0};

	for (int i = 0; i < ndrivers; i++) {
		for (size_t j = 0; j <= stress_nops; j++)
			per[j] += drivers[i].counts[j];
		total += atomic_load(&drivers[i].ops);
	}
	printf("stress: %" PRIu64 " operations in %.1f s (%.0f/s):", total,
	       secs, (double)total / secs);
	for (size_t j = 0; j < stress_nops; j++)
		printf(" %s %" PRIu64 ",", stress_ops[j].name, per[j]);
	printf(" retire (claimed) %" PRIu64 "\n", per[stress_nops]);
	printf("stress: %" PRIu64 " workers started (%" PRIu64 " tomb_go "
	       "refused, %" PRIu64 " for lack of resources); %" PRIu64
	       " tombs (%" PRIu64 " private children, %" PRIu64
	       " freed alive); %" PRIu64 " retirements\n",
	       atomic_load(&stats.workers_started),
	       atomic_load(&stats.go_refused),
	       atomic_load(&stats.resource_errors),
	       atomic_load(&stats.generations), atomic_load(&stats.children),
	       atomic_load(&stats.freed_alive), atomic_load(&stats.retires));
	printf("stress: %" PRIu64 " kills, %" PRIu64 " waits saw a tomb dead, "
	       "%" PRIu64 " timed out; %" PRIu64 " callbacks ran (%" PRIu64
	       " at once); %" PRIu64 " condition wake-ups; %" PRIu64
	       " tickets\n", atomic_load(&stats.kills),
	       atomic_load(&stats.waits_dead),
	       atomic_load(&stats.waits_timed_out),
	       atomic_load(&stats.hooks_fired),
	       atomic_load(&stats.hooks_at_once),
	       atomic_load(&stats.cond_signals), atomic_load(&next_ticket));
	printf("stress: operations found their tomb alive %" PRIu64 ", dying "
	       "%" PRIu64 ", dead %" PRIu64 " times\n",
	       atomic_load(&stats.found_alive), atomic_load(&stats.found_dying),
	       atomic_load(&stats.found_dead));
	printf("stress: threads %d -> %d, descriptors %d -> %d\n",
	       threads_before, threads_after, fds_before, fds_after);
}

int main(int argc, char **argv)
{
	unsigned long long seconds = 5;
	int threads = 4, threads_before, fds_before, threads_after, fds_after;
	bool seeded = false;
	struct rng rng;
	struct timespec t0, t1, end;
	pthread_t wd, th;
	pid_t nothing_tid = 0;
	struct driver *m;

	wd_seconds = 20 * timeout_multiplier();
	for (int i = 1; i < argc; i += 2) { /* each option takes a value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--seed") == 0) {
			stress_seed = number(a, v, 0, UINT64_MAX);
			seeded = true;
		} else if (strcmp(a, "--seconds") == 0) {
			seconds = number(a, v, 0, 1000000);
		} else if (strcmp(a, "--threads") == 0) {
			threads = (int)number(a, v, 1, MAX_DRIVERS);
		} else if (strcmp(a, "--watchdog") == 0) {
			wd_seconds = (long long)number(a, v, 1, 1000000);
		} else {
			usage(a);
		}
	}
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &t0);
		stress_seed = ((uint64_t)t0.tv_sec * 1000000000ULL +
		               (uint64_t)t0.tv_nsec) ^ ((uint64_t)getpid() << 32);
	}
	printf("stress: seed %" PRIu64 ", %llu seconds, %d threads\n",
	       stress_seed, seconds, threads);
	fflush(stdout);

	init_monotonic_cond(&run_cv);
	init_monotonic_cond(&wd_cv);
	stress_devnull = fopen("/dev/null", "w");
	if (stress_devnull == NULL) {
		perror("stress: /dev/null");
		return 1;
	}
	/* A sanitizer may start a thread of its own at the first
	 * pthread_create: before the count is taken, and once the thread
	 * that made it start has left the count (which lags its join). */
	if (pthread_create(&th, NULL, nothing, &nothing_tid) == 0) {
		pthread_join(th, NULL);
		await_thread_gone(nothing_tid);
	}
	fds_before = fd_count();

	ndrivers = threads;
	for (int i = 0; i <= ndrivers; i++) {
		struct driver *d = &drivers[i];

		d->id = i;
		rng_seed(&d->rng, stress_seed, (uint64_t)i + 1);
		snprintf(d->who, sizeof(d->who), i < ndrivers ? "driver %d"
		         : "main", i);
		atomic_init(&d->op, "starting");
		atomic_init(&d->op_slot, -1);
		d->retire_slot = -1;
		d->counts = calloc(stress_nops + 1, sizeof(*d->counts));
		if (d->counts == NULL)
			return 1;
	}
	if (pthread_create(&wd, NULL, watchdog_main, NULL) != 0) {
		fprintf(stderr, "stress: cannot start the watchdog\n");
		return 1;
	}
	threads_before = settled_thread_count(INT_MAX);
	for (int i = 0; i < 2; i++) {
		/* The second pool's untimed waiters run queued workers. */
		struct tomb_pool_opts po = {
			.max_idle = i == 0 ? 0 : 4,
			.flags = i == 0 ? 0 : TOMB_POOL_WAITER_RUNS,
		};

		if ((stress_pools[i] = tomb_pool_new(&po)) == NULL) {
			fprintf(stderr, "stress: cannot make a pool\n");
			return 1;
		}
	}

	rng_seed(&rng, stress_seed, 0);
	slots_init(&rng);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < ndrivers; i++) {
		atomic_store(&drivers[i].active, true);
		if (pthread_create(&drivers[i].th, NULL, driver_main,
		                   &drivers[i]) != 0) {
			fprintf(stderr, "stress: cannot start driver %d\n", i);
			return 1;
		}
	}

	/* Run for the budget, or until a failure. */
	end = tomb_deadline_ms((long long)seconds * 1000);
	pthread_mutex_lock(&run_mu);
	while (!atomic_load(&stress_stop) &&
	       pthread_cond_timedwait(&run_cv, &run_mu, &end) != ETIMEDOUT)
		continue;
	pthread_mutex_unlock(&run_mu);
	atomic_store(&stress_stop, true);
	for (int i = 0; i < ndrivers; i++)
		pthread_join(drivers[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Retire every tree for good, watched by the watchdog too. */
	m = &drivers[ndrivers];
	atomic_store(&m->active, true);
	atomic_store(&m->op, "final retirement");
	for (int s = 0; s < NSLOTS; s++) {
		if (slots[s].parent < 0)
			slot_retire(m, s, false);
		atomic_fetch_add(&m->ops, 1);
	}
	for (int s = 0; s < NSLOTS; s++)
		CHECK(atomic_load(&slots[s].gen) == NULL,
		      "slot %d still has a tomb", s);
	CHECK(atomic_load(&stats.live_workers) == 0,
	      "%" PRIu64 " workers still counted running",
	      atomic_load(&stats.live_workers));
	for (int i = 0; i < 2; i++) {
		int err = tomb_pool_free(stress_pools[i]);

		CHECK(err == 0, "tomb_pool_free of shared pool %d: %d", i, err);
	}
	threads_after = settled_thread_count(threads_before);
	fds_after = fd_count();
	CHECK(threads_after == threads_before, "%d threads, %d at the start",
	      threads_after, threads_before);
	CHECK(fds_after == fds_before, "%d descriptors, %d at the start",
	      fds_after, fds_before);
	atomic_store(&m->active, false);

	pthread_mutex_lock(&wd_mu);
	wd_done = true;
	pthread_cond_broadcast(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
	pthread_join(wd, NULL);

	report(seconds_between(t0, t1), threads_before, threads_after,
	       fds_before, fds_after);
	for (int i = 0; i <= ndrivers; i++)
		free(drivers[i].counts);
	fclose(stress_devnull);
	if (atomic_load(&failed)) {
		printf("stress: FAILED (seed %" PRIu64 ")\n", stress_seed);
		return 1;
	}
	printf("stress: passed\n");
	return 0;
}
