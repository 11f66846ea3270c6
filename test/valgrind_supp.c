/* SPDX-License-Identifier: MIT */
/*
 * valgrind_supp.c: the program of test/valgrind-supp.sh.  It does what
 * makes Helgrind report inside glibc (libtomb.supp's two entries), and
 * with --race it also has a data race of its own, on purpose, which the
 * suppressions must not hide.
 *
 *   valgrind_supp [--race]
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tomb.h>
#include <unistd.h>

/* Written by a worker and read by main with nothing ordering the two: the
 * race, with --race. */
static int racy;

static int deliberate_race_worker(tomb_t *t, void *arg)
{
	(void)t;
	(void)arg;
	racy = 1;
	return 0;
}

static int stopping_worker(tomb_t *t, void *arg)
{
	(void)arg;
	return tomb_sleep(t, NULL) == ECANCELED ? 0 : EPROTO;
}

/* Waits for its tomb with a short deadline, again and again, until it is
 * dead: with several such waiters and workers that return meanwhile, one
 * times out just as the tomb becomes dead, and glibc's wait passes on the
 * wake-up it was given (libtomb.supp's second entry). */
static void *timed_waiter(void *arg)
{
	tomb_t *t = arg;
	int reason, err;

	do {
		struct timespec at = tomb_deadline_ms(1);

		err = tomb_timedwait(t, &at, &reason);
	} while (err == ETIMEDOUT);
	return NULL;
}

/* A tomb, n workers started, killed, waited for (so joined by this thread:
 * their stacks go to glibc's stack cache) and freed.  NULL, or what
 * failed. */
static const char *batch(int n)
{
	tomb_t *t = tomb_new();

	if (t == NULL)
		return "tomb_new";
	for (int i = 0; i < n; i++)
		if (tomb_go(t, stopping_worker, NULL) != 0)
			return "tomb_go";
	(void)tomb_kill(t, 0);
	if (tomb_wait(t) != 0)
		return "tomb_wait";
	return tomb_free(t) == 0 ? NULL : "tomb_free";
}

/* libtomb.supp's first entry.  The first thread starts and joins workers
 * twice, so that its second batch reuses (and clears) the stacks of the
 * first; then it writes to a pipe, which orders the two threads in time
 * but not for Helgrind, which does not take a pipe for a lock; the second
 * thread reads it and starts workers, on the same cached stacks. */
static int pipefd[2];

/* A thread's result: the name of what failed (a string literal), or NULL. */
static void *failure(const char *what)
{
	return (void *)(uintptr_t)what;
}

static void *reuse_first(void *arg)
{
	const char *failed;

	(void)arg;
	if ((failed = batch(2)) == NULL)
		failed = batch(2);
	if (write(pipefd[1], "", 1) != 1) /* also after a failure */
		return failure("write");
	return failure(failed);
}

static void *reuse_second(void *arg)
{
	char c;

	(void)arg;
	if (read(pipefd[0], &c, 1) != 1)
		return failure("read");
	return failure(batch(2));
}

/* libtomb.supp's second entry: rounds of a tomb whose workers are killed
 * while three threads wait for it with short deadlines, again and again
 * (timed_waiter). */
static void *timed_rounds(void *arg)
{
	(void)arg;
	for (int r = 0; r < 30; r++) {
		tomb_t *t = tomb_new();
		pthread_t waiter[2];
		struct timespec until = tomb_deadline_ms(2);

		if (t == NULL)
			return failure("tomb_new");
		for (int i = 0; i < 3; i++)
			if (tomb_go(t, stopping_worker, NULL) != 0)
				return failure("tomb_go");
		for (int i = 0; i < 2; i++)
			if (pthread_create(&waiter[i], NULL, timed_waiter, t) != 0)
				return failure("pthread_create");
		(void)tomb_sleep(t, &until);
		(void)tomb_kill(t, 0);
		timed_waiter(t);
		for (int i = 0; i < 2; i++)
			(void)pthread_join(waiter[i], NULL);
		if (tomb_free(t) != 0)
			return failure("tomb_free");
	}
	return NULL;
}

/* Runs f and g on two threads at once; 0, or 1 after saying what failed. */
static int pair(void *(*f)(void *), void *(*g)(void *))
{
	pthread_t th[2];
	void *failed[2] = {NULL, NULL};

	if (pthread_create(&th[0], NULL, f, NULL) != 0 ||
	    pthread_create(&th[1], NULL, g, NULL) != 0) {
		fprintf(stderr, "valgrind_supp: pthread_create failed\n");
		return 1;
	}
	for (int i = 0; i < 2; i++)
		(void)pthread_join(th[i], &failed[i]);
	for (int i = 0; i < 2; i++)
		if (failed[i] != NULL) {
			fprintf(stderr, "valgrind_supp: %s failed\n",
			        (const char *)failed[i]);
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	int race = argc > 1 && strcmp(argv[1], "--race") == 0;
	tomb_t *t;

	if (race) {
		if ((t = tomb_new()) == NULL ||
		    tomb_go(t, deliberate_race_worker, NULL) != 0)
			return 1;
		printf("racy: %d\n", racy); /* before the wait: the race */
		(void)tomb_wait(t);
		(void)tomb_free(t);
	}
	if (pipe(pipefd) != 0) {
		perror("valgrind_supp: pipe");
		return 1;
	}
	return pair(reuse_first, reuse_second) || pair(timed_rounds, timed_rounds);
}
