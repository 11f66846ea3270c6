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
 * site that can fail never did (the goal is every one).  FAULT_VERBOSE=1
 * prints every failure point.
 */
#include "config.h"

#include "fault.h"
#include "helpers.h"

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
	fprintf(f, "fault: %s, call %lu", c->scenario, c->k);
	if (c->variant != 0)
		fprintf(f, " (errno variant %d)", c->variant);
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
	                   got, got > 0 && got < 4096 ? strerrorname_np((int)got) : "",
	                   want, want > 0 && want < 4096 ? strerrorname_np((int)want) : "");
	return false;
}

bool fault_has_fired(void)
{
	return fault_fired() != NULL;
}

int fault_want(bool fired_before, int ok)
{
	const struct fault_site *s = fault_fired();

	if (fired_before || s == NULL || fault_kind_absorbed(s->kind))
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
		fprintf(f, "%s at %s:%d failed with %s", fault_kind_name(s->kind),
		        s->file, s->line, strerrorname_np(fault_fired_errno()));
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

/* One run: the scenario with the k-th counted call failing (0: none).
 * Returns whether it passed; *counted and *site tell what happened. */
static bool run_one(const struct fault_scenario *sc, unsigned long k,
                    int variant, unsigned long *counted,
                    const struct fault_site **site)
{
	struct fault_ctx c = {.scenario = sc->name, .k = k, .variant = variant};
	struct fault_books before, after;
	int n;

	fault_books(&before);
	snprintf(watchdog_msg, sizeof(watchdog_msg),
	         "fault: %s, call %lu, errno variant %d: still running after %u s: a hang\n",
	         sc->name, k, variant, watchdog_seconds);
	alarm(watchdog_seconds);
	fault_plan(k, variant, sc->on_fault, &c);
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
			                   sigabbrev_np(signals[i]));
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
static int report_sites(int *failed_sites, int *exempt_sites)
{
	size_t n;
	struct fault_site *const *all = fault_sites(&n);
	struct fault_site **s = malloc(n * sizeof(*s));
	int never = 0;

	if (s == NULL)
		abort();
	memcpy(s, all, n * sizeof(*s));
	qsort(s, n, sizeof(*s), by_place);
	*failed_sites = *exempt_sites = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long failed = atomic_load(&s[i]->failed);

		printf("fault: %s:%d %s: ", s[i]->file, s[i]->line,
		       fault_kind_name(s[i]->kind));
		if (failed > 0) {
			printf("made to fail %lu times\n", failed);
			++*failed_sites;
		} else if (atomic_load(&s[i]->calls) == 0 &&
		           atomic_load(&s[i]->exempt) > 0) {
			printf("not a failure point (it cannot fail: see fault_sigaction)\n");
			++*exempt_sites;
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
	unsigned long points = 0, runs = 0;
	int failed_sites, exempt_sites, never;
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
	base_threads = settled_thread_count(1);
	base_fds = fd_count();

	for (size_t i = 0; i < fault_nscenarios; i++) {
		const struct fault_scenario *sc = &fault_scenarios[i];
		const struct fault_site *site;
		unsigned long calls, counted, sc_points = 0;

		ok &= run_one(sc, 0, 0, &calls, &site);
		runs++;
		for (unsigned long k = 1; k <= 10000; k++) {
			for (int v = 0;; v++) {
				ok &= run_one(sc, k, v, &counted, &site);
				runs++;
				if (site == NULL)
					goto done; /* no k-th call: every one failed */
				sc_points++;
				if (verbose)
					printf("fault:   call %lu: %s at %s:%d failed with %s\n",
					       k, fault_kind_name(site->kind), site->file,
					       site->line, strerrorname_np(fault_fired_errno()));
				if (v + 1 >= fault_kind_variants(site->kind))
					break;
			}
		}
		fprintf(stderr, "fault: %s: more than 10000 calls that can fail\n",
		        sc->name);
		ok = false;
done:
		printf("fault: scenario %-38s %3lu calls that can fail, %3lu failure points\n",
		       sc->name, calls, sc_points);
		points += sc_points;
	}

	never = report_sites(&failed_sites, &exempt_sites);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("fault: %lu failure points exercised, %zu scenarios, %lu runs, %.2f s\n",
	       points, fault_nscenarios, runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("fault: %d call sites made to fail, %d never, %d not failure points\n",
	       failed_sites, never, exempt_sites);
	if (!ok)
		printf("fault: FAILED: see the messages above\n");
	return ok && never == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
