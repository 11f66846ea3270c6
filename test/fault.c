/* SPDX-License-Identifier: MIT */
/*
 * fault.c: the fault-injection test (libtomb issue #7).  Every call in lib/
 * that can fail is made to fail, in turn, in every scenario of
 * fault_scenarios.c (see fault.h for the walk, fault_inject.h for how the
 * calls are failed).  After each run: no check failed, the library holds
 * no memory, descriptor, thread, mutex or condition variable, the process
 * has its threads, descriptors and signal actions of before, and the run
 * ended before the watchdog (alarm) fired.
 *
 * Prints a line per scenario, a line per call site of lib/ with how often
 * it was made to fail, and the totals.  Fails if a run failed, or if a
 * site that can fail never did (the goal is every one).  The library's
 * waits are made to return early, never to fail; a wait that no scenario
 * reaches at will (one that a race alone reaches) is said, and does not
 * fail the test; calls that cannot fail in a correct program (pthread_join,
 * pthread_sigmask) are listed.  FAULT_VERBOSE=1 prints every failure
 * point; FAULT_SCENARIO=text runs only the scenarios whose names contain
 * it (and then sites of the others are reported as never made to fail).
 */
#include "config.h"

#include "fault.h"
#include "helpers.h"
#include "names.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What every run must leave as it found: the process's thread and
 * descriptor counts and the actions of the signals the scenarios watch. */
static int base_threads, base_fds;
static const int signals[] = {SIGUSR1, SIGUSR2};
static struct sigaction base_act[2];

/* The watchdog: alarm() before each run; this says which one hung. */
static char watchdog_msg[256];
static unsigned int watchdog_seconds;

static void on_alarm(int signo)
{
	(void)signo;
	(void)!write(STDERR_FILENO, watchdog_msg, strlen(watchdog_msg));
	_exit(EXIT_FAILURE);
}

static void print_run(FILE *f, const struct fault_ctx *c)
{
	if (c->wake >= 0) {
		fprintf(f, "fault: %s, waits returning early (variant %d)",
		        c->scenario, c->wake);
		return;
	}
	fprintf(f, "fault: %s, call %lu", c->scenario, c->k);
	if (c->variant != 0)
		fprintf(f, " (errno variant %d)", c->variant);
	if (c->persistent)
		fputs(" and every later one of its kind", f);
}

void fault_check_failed(struct fault_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	c->failures++;
	print_run(stderr, c);
	if (line > 0)
		fprintf(stderr, ": fault_scenarios.c:%d: ", line);
	else
		fputs(": after the run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool fault_check_int(struct fault_ctx *c, int line, const char *what,
                     long long got, long long want)
{
	if (got == want)
		return true;
	fault_check_failed(c, line, "%s: %lld (%s), expected %lld (%s)", what,
	                   got, got > 0 && got < 4096 ? test_errno_name((int)got) : "",
	                   want, want > 0 && want < 4096 ? test_errno_name((int)want) : "");
	return false;
}

bool fault_has_fired(void)
{
	return fault_fired() != NULL;
}

unsigned long fault_mark(void)
{
	return fault_failures();
}

bool fault_failed_since(unsigned long mark)
{
	return fault_failures() != mark;
}

int fault_want(unsigned long mark, int ok)
{
	const struct fault_site *s = fault_fired();

	if (!fault_failed_since(mark) || s == NULL ||
	    fault_kind_absorbed(s->kind))
		return ok;
	return fault_fired_errno();
}

bool fault_fired_kind(int kind)
{
	const struct fault_site *s = fault_fired();

	return s != NULL && s->kind == kind;
}

static void describe_fault(FILE *f)
{
	const struct fault_site *s = fault_fired();

	if (s == NULL)
		fprintf(f, "no call was made to fail");
	else
		fprintf(f, "%s at %s:%d failed with %s%s", fault_kind_name(s->kind),
		        s->file, s->line, fault_err_name(fault_fired_errno()),
		        fault_persistent() ? ", and every later one" : "");
}

/* Compares what the library holds after a run with before it. */
static void check_books(struct fault_ctx *c, const struct fault_books *a,
                        const struct fault_books *b)
{
	static const struct {
		const char *what;
		size_t off;
	} fields[] = {
#define FIELD(x) {#x, offsetof(struct fault_books, x)}
		FIELD(allocations), FIELD(descriptors), FIELD(threads),
		FIELD(mutexes), FIELD(conds), FIELD(attrs), FIELD(condattrs),
		FIELD(bad_frees), FIELD(bad_closes), FIELD(bad_joins),
#undef FIELD
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		long x = *(const long *)(const void *)((const char *)a + fields[i].off);
		long y = *(const long *)(const void *)((const char *)b + fields[i].off);

		if (x != y)
			fault_check_failed(c, 0, "the library's %s: %ld before the run, %ld after",
			                   fields[i].what, x, y);
	}
	if (a->allocations != b->allocations)
		fault_print_allocations(stderr);
}

/* One run: the scenario with the k-th counted call failing (0: none),
 * persistently or not, or (wake >= 0, with k 0) a wait pass.  Returns
 * whether it passed; *counted and *site tell what happened. */
static bool run_one(const struct fault_scenario *sc, unsigned long k,
                    int variant, bool persistent, int wake,
                    unsigned long *counted, const struct fault_site **site)
{
	struct fault_ctx c = {.scenario = sc->name, .k = k, .variant = variant,
	                      .persistent = persistent, .wake = wake};
	struct fault_books before, after;
	int n;

	fault_books(&before);
	snprintf(watchdog_msg, sizeof(watchdog_msg),
	         "fault: %s, call %lu, errno variant %d%s, wait pass %d: still running after %u s: a hang\n",
	         sc->name, k, variant, persistent ? ", persistent" : "", wake,
	         watchdog_seconds);
	alarm(watchdog_seconds);
	fault_plan(k, variant, sc->on_fault, &c);
	if (persistent)
		fault_persist();
	if (wake >= 0)
		fault_wake_early(wake);
	sc->run(&c, sc->param);
	fault_disarm();
	alarm(0);
	*counted = fault_counted();
	*site = fault_fired();

	fault_books(&after);
	check_books(&c, &before, &after);
	if ((n = settled_thread_count(base_threads)) != base_threads) {
		fault_check_failed(&c, 0, "%d threads, %d before the run", n,
		                   base_threads);
		base_threads = n; /* so that the next runs are judged alone */
	}
	if ((n = fd_count()) != base_fds) {
		fault_check_failed(&c, 0, "%d descriptors, %d before the run", n,
		                   base_fds);
		base_fds = n;
	}
	for (int i = 0; i < 2; i++) {
		struct sigaction now;

		sigaction(signals[i], NULL, &now);
		if (now.sa_handler != base_act[i].sa_handler) {
			fault_check_failed(&c, 0, "SIG%s has another action than before the run",
			                   test_signal_abbrev(signals[i]));
			sigaction(signals[i], &base_act[i], NULL);
		}
	}
	if (c.failures > 0) {
		print_run(stderr, &c);
		fputs(" failed; ", stderr);
		describe_fault(stderr);
		fputs("\n", stderr);
	}
	return c.failures == 0;
}

static int by_place(const void *a, const void *b)
{
	const struct fault_site *x = *(struct fault_site *const *)a;
	const struct fault_site *y = *(struct fault_site *const *)b;
	int d = strcmp(x->file, y->file);

	return d != 0 ? d : x->line - y->line;
}

/* Prints every site; returns how many can fail but never did. */
static int report_sites(int *failed_sites, int *exempt_sites, int *wait_sites,
                        int *exit_sites, int *unwalked_waits)
{
	size_t n;
	struct fault_site *const *all = fault_sites(&n);
	struct fault_site **s = malloc(n * sizeof(*s));
	int never = 0;

	if (s == NULL)
		abort();
	memcpy(s, all, n * sizeof(*s));
	qsort(s, n, sizeof(*s), by_place);
	*failed_sites = *exempt_sites = *wait_sites = *exit_sites = 0;
	*unwalked_waits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long failed = atomic_load(&s[i]->failed);
		unsigned long woken = atomic_load(&s[i]->woken);

		printf("fault: %s:%d %s: ", s[i]->file, s[i]->line,
		       fault_kind_name(s[i]->kind));
		if (fault_kind_listed_only(s[i]->kind)) {
			printf("not a failure point (it cannot fail in a correct program), %s\n",
			       atomic_load(&s[i]->exempt) > 0 ? "reached" : "never reached");
			++*exempt_sites;
		} else if ((s[i]->kind == FAULT_WORKER_EXIT ||
		            s[i]->kind == FAULT_CALLBACK_CANCEL) && failed > 0) {
			printf(s[i]->kind == FAULT_WORKER_EXIT
			               ? "the worker left there %lu times\n"
			               : "a cancel came there %lu times\n",
			       failed);
			++*exit_sites;
		} else if (failed + woken > 0 &&
		           FAULT_KIND_BIT(s[i]->kind) & FAULT_WAITS) {
			printf("returned early %lu times\n", failed + woken);
			++*wait_sites;
		} else if (failed > 0) {
			printf("made to fail %lu times\n", failed);
			++*failed_sites;
		} else if (atomic_load(&s[i]->calls) == 0 &&
		           atomic_load(&s[i]->exempt) > 0) {
			printf("not a failure point (it cannot fail: see fault_sigaction)\n");
			++*exempt_sites;
		} else if (FAULT_KIND_BIT(s[i]->kind) & FAULT_WAITS) {
			/* A wait that only a race reaches (a flag that a
			 * thread holds for a moment): said, not failed. */
			printf("not walked: a wait no scenario reaches at will (%s)\n",
			       atomic_load(&s[i]->calls) == 0 ? "never reached"
			                                      : "reached only unarmed");
			++*unwalked_waits;
		} else {
			printf("NEVER made to fail (%s): add a scenario that reaches it\n",
			       atomic_load(&s[i]->calls) == 0 ? "never reached"
			                                      : "reached only unarmed");
			never++;
		}
	}
	free(s);
	return never;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
	bool verbose = getenv("FAULT_VERBOSE") != NULL, ok = true;
	unsigned long points = 0, persistent = 0, woken = 0, runs = 0;
	int failed_sites, exempt_sites, wait_sites, exit_sites, unwalked_waits,
	    never;
	struct sigaction sa;
	struct timespec t0, t1;
	pthread_t th;

	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	watchdog_seconds = 30 * (m != NULL && atoi(m) > 0 ? (unsigned)atoi(m) : 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < 2; i++)
		sigaction(signals[i], NULL, &base_act[i]);
	/* A sanitizer may start a thread of its own at the first
	 * pthread_create: let it, before the count is taken. */
	if (pthread_create(&th, NULL, nothing, NULL) == 0)
		pthread_join(th, NULL);
	base_threads = settled_thread_count(start_thread_count());
	base_fds = fd_count();

	for (size_t i = 0; i < fault_nscenarios; i++) {
		const struct fault_scenario *sc = &fault_scenarios[i];
		const struct fault_site *site;
		const char *only = getenv("FAULT_SCENARIO");
		unsigned long calls, counted, sc_points = 0, sc_persistent = 0,
		                              sc_woken = 0;
		unsigned long waits;
		unsigned kinds;
		struct timespec s0, s1;

		if (only != NULL && strstr(sc->name, only) == NULL)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &s0);

		ok &= run_one(sc, 0, 0, false, -1, &calls, &site);
		runs++;
		/* A scenario that walks waits or exits itself has no wait
		 * pass: its waits are walked call by call; nor one that met
		 * no wait while armed. */
		kinds = fault_counted_kinds();
		waits = fault_waits_reached();
		for (unsigned long k = 1; k <= 10000; k++) {
			for (int v = 0;; v++) {
				ok &= run_one(sc, k, v, false, -1, &counted, &site);
				runs++;
				if (site == NULL)
					goto done; /* no k-th call: every one failed */
				sc_points++;
				if (verbose)
					printf("fault:   call %lu: %s at %s:%d failed with %s\n",
					       k, fault_kind_name(site->kind), site->file,
					       site->line, fault_err_name(fault_fired_errno()));
				/* A call of its kind came after it: again, with
				 * that one (and any later) failing too. */
				if (fault_kind_persists(site->kind) &&
				    fault_same_kind_after() > 0) {
					ok &= run_one(sc, k, v, true, -1, &counted, &site);
					runs++;
					sc_persistent++;
					if (verbose)
						printf("fault:   call %lu: and every later %s\n",
						       k, fault_kind_name(site->kind));
				}
				if (v + 1 >= fault_kind_variants(site->kind))
					break;
			}
		}
		fprintf(stderr, "fault: %s: more than 10000 calls that can fail\n",
		        sc->name);
		ok = false;
done:
		/* The waits: each returns early once (a futex wait with
		 * EINTR; the scenarios that block walk both ways, call by
		 * call). */
		if ((kinds & ~FAULT_ACQUISITIONS) == 0 && waits > 0) {
			ok &= run_one(sc, 0, 0, false, 0, &counted, &site);
			runs++;
			sc_woken += fault_woken();
		}
		clock_gettime(CLOCK_MONOTONIC, &s1);
		printf("fault: scenario %-38s %3lu calls that can fail, %3lu failure points, %3lu persistent, %3lu waits returned early, %.1f ms\n",
		       sc->name, calls, sc_points, sc_persistent, sc_woken,
		       (double)(s1.tv_sec - s0.tv_sec) * 1e3 +
		               (double)(s1.tv_nsec - s0.tv_nsec) / 1e6);
		points += sc_points;
		persistent += sc_persistent;
		woken += sc_woken;
	}

	never = report_sites(&failed_sites, &exempt_sites, &wait_sites,
	                     &exit_sites, &unwalked_waits);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The wait passes' count depends on which waits the threads' timing
	 * made: said apart, so that the count of failure points is the same
	 * in every run. */
	printf("fault: %lu failure points exercised (%lu single failures, %lu persistent), %zu scenarios, %lu runs, %.2f s\n",
	       points + persistent, points, persistent, fault_nscenarios, runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("fault: and %lu waits returned early in the wait passes\n", woken);
	printf("fault: %d call sites made to fail, %d waits returned early, %d exit points, %d never, %d not failure points, %d waits not walked\n",
	       failed_sites, wait_sites, exit_sites, never, exempt_sites,
	       unwalked_waits);
	if (!ok)
		printf("fault: FAILED: see the messages above\n");
	return ok && never == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
