/* SPDX-License-Identifier: MIT */
/*
 * tomb-timeout: the talk's tomb.v2 example, in C.
 *
 * One worker works until the tomb is dying; a second kills the tomb with a
 * timeout reason after a moment.  main waits, and only when the wait returns
 * (every worker has returned and its thread has been joined) does it say so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tomb.h>

static int work(tomb_t *t, void *arg)
{
	unsigned long *rounds = arg;

	while (!tomb_dying(t)) {
		struct timespec tick = tomb_deadline_ms(50);

		++*rounds;                   /* do something */
		(void)tomb_sleep(t, &tick);  /* a kill cuts the pause short */
	}
	printf("worker: shutting down because of: %s\n", tomb_errmsg(t));
	return TOMB_EDYING; /* "I stopped because the tomb is dying" */
}

static int timer(tomb_t *t, void *arg)
{
	long long ms = *(long long *)arg;
	struct timespec deadline = tomb_deadline_ms(ms);

	if (tomb_sleep(t, &deadline) == 0)
		tomb_killf(t, ETIMEDOUT, "timeout after %lld ms", ms);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tomb-timeout [--timeout MS]\n"
	           "Starts a worker and a timer; the timer kills the tomb after MS\n"
	           "milliseconds (default 2000).  Exits 0 when the timeout ended the\n"
	           "run, 1 otherwise, 2 on a usage error.\n");
}

int main(int argc, char **argv)
{
	long long ms = 2000;
	unsigned long rounds = 0;
	tomb_t *t;
	int reason, err;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			ms = strtoll(argv[++i], &end, 10);
			if (*end != '\0' || ms < 0) {
				usage(stderr);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	t = tomb_new();
	if (t == NULL) {
		perror("tomb_new");
		return 1;
	}
	if ((err = tomb_go(t, work, &rounds)) != 0 ||
	    (err = tomb_go(t, timer, &ms)) != 0) {
		fprintf(stderr, "tomb_go: %s\n", strerror(err));
		tomb_kill(t, err);
	}
	printf("main: waiting for workers to finish\n");
	reason = tomb_wait(t);
	printf("main: all workers finished (%lu rounds of work): %s\n", rounds,
	       tomb_errmsg(t));
	tomb_free(t);
	return reason == ETIMEDOUT ? 0 : 1;
}
