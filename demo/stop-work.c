/* SPDX-License-Identifier: MIT */
/*
 * stop-work: the talk's stop-channel worker loop, in C.
 *
 * A producer feeds a buffered channel; N workers take items until they are
 * asked to stop.  Everyone blocks in a channel send or receive, which a kill
 * interrupts: no polling, no sleeps, no queue of our own.  main shows the
 * difference between asking a thread to stop (tomb_kill) and knowing that
 * it has (tomb_wait).  The Go original:
 *
 *	for {
 *		select {
 *		case <-t.Dying():
 *			return tomb.ErrDying
 *		case item := <-work:
 *			process(item)
 *		}
 *	}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tomb.h>

#define QUEUE_SIZE 8

struct worker {
	tomb_chan_t *work;
	int id;
	long taken;
};

static int producer(tomb_t *t, void *arg)
{
	/* The send blocks while the channel is full, until a worker takes an
	 * item or the tomb is dying (ECANCELED). */
	for (int item = 0; tomb_chan_send(t, arg, &item, NULL) == 0; item++)
		continue;
	return TOMB_EDYING;
}

static int consumer(tomb_t *t, void *arg)
{
	struct worker *w = arg;
	int item;

	/* <-work, or <-t.Dying(): whichever comes first. */
	while (tomb_chan_recv(t, w->work, &item, NULL) == 0)
		w->taken++; /* "process" the item */
	printf("worker %d: stopped after %ld items\n", w->id, w->taken);
	return TOMB_EDYING;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: stop-work [--workers N] [--ms MS]\n"
	           "Runs a producer and N workers (default 4) on a channel\n"
	           "for MS milliseconds (default 300), then asks them to stop and\n"
	           "waits until they have.  Exits 0, or 2 on a usage error.\n");
}

static int parse(int argc, char **argv, long *workers, long *ms)
{
	for (int i = 1; i < argc; i++) {
		long *out = NULL;
		char *end;

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(argv[i], "--workers") == 0)
			out = workers;
		else if (strcmp(argv[i], "--ms") == 0)
			out = ms;
		if (out == NULL || i + 1 == argc)
			return -1;
		*out = strtol(argv[++i], &end, 10);
		if (*end != '\0' || *out < 0 || (out == workers && *out < 1) ||
		    *out > 100000)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long workers = 4, ms = 300;
	tomb_chan_t *work;
	struct worker *w;
	struct timespec deadline;
	tomb_t *t;
	int err = 0;

	if (parse(argc, argv, &workers, &ms) != 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	work = tomb_chan_new(sizeof(int), QUEUE_SIZE);
	w = calloc((size_t)workers, sizeof(*w));
	t = tomb_new();
	if (work == NULL || w == NULL || t == NULL) {
		perror("stop-work");
		return 1;
	}
	for (long i = 0; i < workers && err == 0; i++) {
		w[i] = (struct worker){.work = work, .id = (int)i + 1};
		err = tomb_go_named(t, "consumer", consumer, &w[i]);
	}
	if (err == 0)
		err = tomb_go_named(t, "producer", producer, work);
	if (err != 0)
		fprintf(stderr, "stop-work: tomb_go: %s\n", strerror(err));

	deadline = tomb_deadline_ms(ms);
	(void)tomb_sleep(t, &deadline); /* let them work */
	printf("main: asked to stop\n");
	tomb_kill(t, err);
	tomb_wait(t);
	printf("main: all stopped\n");
	tomb_free(t);
	free(w);
	tomb_chan_free(work); /* nobody is blocked on it: every worker is joined */
	return err == 0 ? 0 : 1;
}
