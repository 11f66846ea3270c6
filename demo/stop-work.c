/* SPDX-License-Identifier: MIT */
/*
 * stop-work: the talk's stop-channel worker loop, in C.
 *
 * A producer feeds a bounded queue; N workers take items until they are asked
 * to stop.  Everyone blocks in tomb_cond_wait, which a kill interrupts: no
 * polling, no sleeps.  main shows the difference between asking a thread to
 * stop (tomb_kill) and knowing that it has (tomb_wait).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tomb.h>

#define QUEUE_SIZE 8

struct queue {
	pthread_mutex_t mu;
	tomb_cond_t not_empty, not_full;
	int items[QUEUE_SIZE]; /* a ring, under mu */
	int head, count;
};

struct worker {
	struct queue *q;
	int id;
	long taken;
};

/* Blocks until there is room or the tomb is dying (ECANCELED). */
static int put(tomb_t *t, struct queue *q, int item)
{
	int err = 0;

	pthread_mutex_lock(&q->mu);
	while (q->count == QUEUE_SIZE && err == 0)
		err = tomb_cond_wait(t, &q->not_full, &q->mu, NULL);
	if (err == 0) {
		q->items[(q->head + q->count++) % QUEUE_SIZE] = item;
		tomb_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return err;
}

/* Blocks until there is an item or the tomb is dying (ECANCELED). */
static int take(tomb_t *t, struct queue *q, int *item)
{
	int err = 0;

	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && err == 0)
		err = tomb_cond_wait(t, &q->not_empty, &q->mu, NULL);
	if (err == 0) {
		*item = q->items[q->head];
		q->head = (q->head + 1) % QUEUE_SIZE;
		q->count--;
		tomb_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return err;
}

static int producer(tomb_t *t, void *arg)
{
	for (int item = 0; put(t, arg, item) == 0; item++)
		continue;
	return TOMB_EDYING;
}

static int consumer(tomb_t *t, void *arg)
{
	struct worker *w = arg;
	int item;

	while (take(t, w->q, &item) == 0)
		w->taken++; /* "process" the item */
	printf("worker %d: stopped after %ld items\n", w->id, w->taken);
	return TOMB_EDYING;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: stop-work [--workers N] [--ms MS]\n"
	           "Runs a producer and N workers (default 4) on a bounded queue\n"
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
	struct queue q = {.not_empty = TOMB_COND_INIT, .not_full = TOMB_COND_INIT};
	struct worker *w;
	struct timespec deadline;
	tomb_t *t;
	int err = 0;

	if (parse(argc, argv, &workers, &ms) != 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&q.mu, NULL);
	w = calloc((size_t)workers, sizeof(*w));
	t = tomb_new();
	if (w == NULL || t == NULL) {
		perror("stop-work");
		return 1;
	}
	for (long i = 0; i < workers && err == 0; i++) {
		w[i] = (struct worker){.q = &q, .id = (int)i + 1};
		err = tomb_go_named(t, "consumer", consumer, &w[i]);
	}
	if (err == 0)
		err = tomb_go_named(t, "producer", producer, &q);
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
	pthread_mutex_destroy(&q.mu);
	return err == 0 ? 0 : 1;
}
