/* SPDX-License-Identifier: MIT */
/*
 * tomb-timeout: the talk's tomb.v2 example, in C, with a deadline.
 *
 * One worker works until its job is done or the tomb is dying; the tomb has
 * a deadline (context.WithTimeout), which kills it with ETIMEDOUT and
 * "deadline exceeded" if the job runs too long.  A job that finishes first
 * ends the run at once, with its own reason: a deadline is not a worker, it
 * keeps nothing alive.  main waits, and only when the wait returns (every
 * worker has returned and its thread has been joined) does it say so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tomb.h>

struct job {
	long long work_ms;   /* how long the job takes; < 0: forever */
	unsigned long rounds;
};

static long long ms_until(const struct timespec *at)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (at->tv_sec - now.tv_sec) * 1000LL +
	       (at->tv_nsec - now.tv_nsec) / 1000000;
}

static int work(tomb_t *t, void *arg)
{
	struct job *j = arg;
	struct timespec done = tomb_deadline_ms(j->work_ms), left;

	/* ctx.Deadline(): what a worker could hand to a call with a timeout. */
	if (tomb_deadline(t, &left) == 0)
		printf("worker: the deadline is in %lld ms\n", ms_until(&left));
	while (!tomb_dying(t)) {
		struct timespec tick = tomb_deadline_ms(50);

		if (j->work_ms >= 0 && ms_until(&done) <= 0) {
			printf("worker: job done\n");
			return 0; /* the last worker's 0 kills the tomb with 0 */
		}
		++j->rounds;                 /* do something */
		(void)tomb_sleep(t, &tick);  /* a kill cuts the pause short */
	}
	printf("worker: shutting down because of: %s\n", tomb_errmsg(t));
	return TOMB_EDYING; /* "I stopped because the tomb is dying" */
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tomb-timeout [--timeout MS] [--work MS]\n"
	           "Starts a worker in a tomb whose deadline is MS milliseconds away\n"
	           "(--timeout, default 2000).  The worker's job takes --work MS\n"
	           "milliseconds (default: it never ends by itself).  Exits 0 when the\n"
	           "run ended, by the deadline or with the job done, 1 otherwise, 2 on\n"
	           "a usage error.\n");
}

static int parse_ms(const char *s, long long *ms)
{
	char *end;

	*ms = strtoll(s, &end, 10);
	return *end == '\0' && *ms >= 0 ? 0 : EINVAL;
}

int main(int argc, char **argv)
{
	struct job j = {.work_ms = -1};
	long long ms = 2000;
	struct timespec deadline;
	struct tomb_opts o = {0};
	tomb_t *t;
	int reason, err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		           parse_ms(argv[i + 1], &ms) == 0) {
			i++;
		} else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc &&
		           parse_ms(argv[i + 1], &j.work_ms) == 0) {
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	deadline = tomb_deadline_ms(ms);
	o.deadline = &deadline; /* context.WithTimeout(ctx, ms) */
	t = tomb_new_opts(&o);
	if (t == NULL) {
		perror("tomb_new_opts");
		return 1;
	}
	if ((err = tomb_go(t, work, &j)) != 0) {
		fprintf(stderr, "tomb_go: %s\n", strerror(err));
		tomb_kill(t, err);
	}
	printf("main: waiting for workers to finish\n");
	reason = tomb_wait(t);
	printf("main: all workers finished (%lu rounds of work): %s\n", j.rounds,
	       reason == 0 ? "job done" : tomb_errmsg(t));
	tomb_free(t);
	return reason == ETIMEDOUT || reason == 0 ? 0 : 1;
}
