/* SPDX-License-Identifier: MIT */
/* test_chan.c: channels and select, and the kill that interrupts them. */
#define _GNU_SOURCE /* syscall */
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static const struct timespec bad_deadlines[] = {
	{0, -1}, {0, 1000000000L}, {-1, 0}, {0, LONG_MAX}};
#define N_BAD (sizeof(bad_deadlines) / sizeof(bad_deadlines[0]))

/* A plain thread making one channel call that is to block. */
enum call { CALL_SEND, CALL_RECV, CALL_SELECT };
struct chan_call {
	tomb_t *t;
	tomb_chan_t *c, *c2; /* c2: the select's second channel */
	enum call call;
	const struct timespec *abstime;
	int value;
	pthread_t thread;
	atomic_int tid;
	sem_t ready;
	size_t chosen;
	int op_result;
	int rc;
};

static void *chan_call_main(void *arg)
{
	struct chan_call *b = arg;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	sem_post(&b->ready);
	switch (b->call) {
	case CALL_SEND:
		b->rc = tomb_chan_send(b->t, b->c, &b->value, b->abstime);
		break;
	case CALL_RECV:
		b->rc = tomb_chan_recv(b->t, b->c, &b->value, b->abstime);
		break;
	case CALL_SELECT: {
		int other = 0;
		struct tomb_chan_op ops[2] = {
			{.chan = b->c, .dir = TOMB_CHAN_RECV, .value = &b->value},
			{.chan = b->c2, .dir = TOMB_CHAN_RECV, .value = &other}};

		b->rc = tomb_chan_select(b->t, ops, 2, b->abstime, &b->chosen);
		if (b->rc == 0)
			b->op_result = ops[b->chosen].result;
		break;
	}
	}
	return NULL;
}

/* Starts the call on a new thread and returns once it blocks. */
static void start_chan_call(struct chan_call *b)
{
	sem_init(&b->ready, 0, 0);
	b->op_result = -1;
	ck_assert_int_eq(pthread_create(&b->thread, NULL, chan_call_main, b), 0);
	while (sem_wait(&b->ready) != 0)
		continue;
	await_futex_wait(atomic_load(&b->tid));
}

static int finish_chan_call(struct chan_call *b)
{
	ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
	sem_destroy(&b->ready);
	return b->rc;
}

/* Whether the deadline has passed. */
static bool passed(const struct timespec *abstime)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > abstime->tv_sec ||
	       (now.tv_sec == abstime->tv_sec && now.tv_nsec >= abstime->tv_nsec);
}

static tomb_chan_t *new_chan(size_t elem, size_t cap)
{
	tomb_chan_t *c = tomb_chan_new(elem, cap);

	ck_assert_ptr_nonnull(c);
	return c;
}

START_TEST(test_einval)
{
	tomb_chan_t *c = new_chan(sizeof(int), 1);
	struct timespec past = {0, 0};
	int v = 1;
	size_t chosen;
	struct tomb_chan_op op = {.chan = c, .dir = TOMB_CHAN_RECV, .value = &v};

	errno = 0;
	ck_assert_ptr_null(tomb_chan_new(SIZE_MAX / 2, 3));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tomb_chan_free(NULL), EINVAL);
	ck_assert_int_eq(tomb_chan_close(NULL), EINVAL);
	ck_assert_uint_eq(tomb_chan_len(NULL), 0);
	ck_assert_uint_eq(tomb_chan_cap(NULL), 0);
	ck_assert_int_eq(tomb_chan_send(NULL, NULL, &v, NULL), EINVAL);
	ck_assert_int_eq(tomb_chan_recv(NULL, NULL, &v, NULL), EINVAL);
	ck_assert_int_eq(tomb_chan_trysend(NULL, &v), EINVAL);
	ck_assert_int_eq(tomb_chan_tryrecv(NULL, &v), EINVAL);
	ck_assert_int_eq(tomb_chan_send(NULL, c, NULL, NULL), EINVAL);
	ck_assert_int_eq(tomb_chan_trysend(c, NULL), EINVAL);
	for (size_t i = 0; i < N_BAD; i++) {
		ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &bad_deadlines[i]),
		                 EINVAL);
		ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, &bad_deadlines[i]),
		                 EINVAL);
		ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &bad_deadlines[i],
		                                  &chosen),
		                 EINVAL);
	}
	/* select's own checks. */
	ck_assert_int_eq(tomb_chan_select(NULL, NULL, 1, &past, &chosen), EINVAL);
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, NULL), EINVAL);
	ck_assert_int_eq(tomb_chan_select(NULL, NULL, 0, NULL, &chosen), EINVAL);
	op.chan = NULL;
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, NULL, &chosen), EINVAL);
	op.chan = c;
	op.dir = 0;
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), EINVAL);
	op.dir = TOMB_CHAN_SEND;
	op.value = NULL;
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), EINVAL);
	op.value = &v;
	op.reserved_[1] = &v;
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), EINVAL);
	op.reserved_[1] = NULL;
	/* Nothing changed: the channel is still empty and open. */
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, &past, &chosen), 0);
	ck_assert_uint_eq(tomb_chan_len(c), 1);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_new_sizes)
{
	tomb_chan_t *c = new_chan(0, 0), *d = new_chan(0, 3);
	/* 2^32 (2^16 at 32 bits): big * big / 2 fits in a size_t. */
	size_t big = (size_t)1 << (CHAR_BIT * sizeof(size_t) / 2);

	ck_assert_uint_eq(tomb_chan_cap(c), 0);
	ck_assert_uint_eq(tomb_chan_cap(d), 3);
	/* Go's chan struct{}: values of no size, NULL allowed. */
	ck_assert_int_eq(tomb_chan_trysend(d, NULL), 0);
	ck_assert_int_eq(tomb_chan_trysend(d, NULL), 0);
	ck_assert_uint_eq(tomb_chan_len(d), 2);
	ck_assert_int_eq(tomb_chan_tryrecv(d, NULL), 0);
	ck_assert_int_eq(tomb_chan_trysend(c, NULL), EAGAIN);
	ck_assert_int_eq(tomb_chan_free(c), 0);
	ck_assert_int_eq(tomb_chan_free(d), 0);
	/* Too large to allocate (but not to compute): ENOMEM. */
	errno = 0;
	c = tomb_chan_new(big, big / 2);
	if (c == NULL)
		ck_assert(errno == EINVAL || errno == ENOMEM);
	else
		ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_buffered_fifo)
{
	tomb_chan_t *c = new_chan(sizeof(int), 4);
	int v;

	ck_assert_int_eq(tomb_chan_tryrecv(c, &v), EAGAIN);
	for (int round = 0; round < 3; round++) { /* wraps the ring */
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(tomb_chan_send(NULL, c, &i, NULL), 0);
		v = 99;
		ck_assert_int_eq(tomb_chan_trysend(c, &v), EAGAIN);
		ck_assert_uint_eq(tomb_chan_len(c), 4);
		ck_assert_uint_eq(tomb_chan_cap(c), 4);
		for (int i = 0; i < 3; i++) {
			ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, NULL), 0);
			ck_assert_int_eq(v, i);
		}
		ck_assert_int_eq(tomb_chan_tryrecv(c, &v), 0);
		ck_assert_int_eq(v, 3);
		ck_assert_uint_eq(tomb_chan_len(c), 0);
		v = 5; /* and one more, off the head */
		ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
		ck_assert_int_eq(tomb_chan_tryrecv(c, NULL), 0);
	}
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

/* A producer of n ints 0..n-1 on c, then a close. */
struct producer {
	tomb_chan_t *c;
	int n;
	int rc;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;

	p->rc = 0;
	for (int i = 0; i < p->n && p->rc == 0; i++)
		p->rc = tomb_chan_send(NULL, p->c, &i, NULL);
	if (p->rc == 0)
		p->rc = tomb_chan_close(p->c);
	return NULL;
}

static void check_stream(size_t cap)
{
	tomb_chan_t *c = new_chan(sizeof(int), cap);
	struct producer p = {.c = c, .n = test_rounds(2000)};
	pthread_t th;
	int v, i = 0, rc;

	ck_assert_int_eq(pthread_create(&th, NULL, producer_main, &p), 0);
	while ((rc = tomb_chan_recv(NULL, c, &v, NULL)) == 0) {
		ck_assert_int_eq(v, i);
		i++;
	}
	ck_assert_int_eq(rc, EPIPE);
	ck_assert_int_eq(i, p.n);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}

START_TEST(test_unbuffered_handoff)
{
	tomb_chan_t *c = new_chan(sizeof(int), 0);
	int v = 7;

	ck_assert_int_eq(tomb_chan_trysend(c, &v), EAGAIN);
	ck_assert_int_eq(tomb_chan_tryrecv(c, &v), EAGAIN);
	ck_assert_uint_eq(tomb_chan_len(c), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
	check_stream(0);
}
END_TEST

START_TEST(test_buffered_stream)
{
	check_stream(1);
	check_stream(7);
}
END_TEST

/* An unbuffered send completes only when a receiver took the value. */
START_TEST(test_unbuffered_send_waits)
{
	tomb_chan_t *c = new_chan(sizeof(int), 0);
	struct chan_call b = {.c = c, .call = CALL_SEND, .value = 42};
	int v = 0;

	start_chan_call(&b);
	ck_assert_int_eq(tomb_chan_tryrecv(c, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(finish_chan_call(&b), 0);
	/* And a receiver blocked first takes a trysend's value. */
	b.call = CALL_RECV;
	b.value = 0;
	start_chan_call(&b);
	v = 43;
	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	ck_assert_int_eq(finish_chan_call(&b), 0);
	ck_assert_int_eq(b.value, 43);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

START_TEST(test_close_semantics)
{
	tomb_chan_t *c = new_chan(sizeof(int), 4);
	int v = 1;
	size_t chosen = 9;
	struct tomb_chan_op op = {.chan = c, .dir = TOMB_CHAN_SEND, .value = &v};

	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, NULL), 0);
	v = 2;
	ck_assert_int_eq(tomb_chan_trysend(c, &v), 0);
	ck_assert_int_eq(tomb_chan_close(c), 0);
	ck_assert_int_eq(tomb_chan_close(c), EPIPE);
	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, NULL), EPIPE);
	ck_assert_int_eq(tomb_chan_trysend(c, &v), EPIPE);
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, NULL, &chosen), 0);
	ck_assert_uint_eq(chosen, 0);
	ck_assert_int_eq(op.result, EPIPE);
	ck_assert_uint_eq(tomb_chan_len(c), 2);
	/* Drained first, then EPIPE, with v untouched. */
	ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, NULL), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(tomb_chan_tryrecv(c, &v), 0);
	ck_assert_int_eq(v, 2);
	v = 77;
	ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, NULL), EPIPE);
	ck_assert_int_eq(tomb_chan_tryrecv(c, &v), EPIPE);
	ck_assert_int_eq(v, 77);
	op.dir = TOMB_CHAN_RECV;
	op.result = -1;
	ck_assert_int_eq(tomb_chan_select(NULL, &op, 1, NULL, &chosen), 0);
	ck_assert_int_eq(op.result, EPIPE);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

#define NBLOCKED 8

/* Close wakes every blocked receiver, sender and select with EPIPE. */
START_TEST(test_close_wakes)
{
	tomb_chan_t *r = new_chan(sizeof(int), 0), *s = new_chan(sizeof(int), 1);
	tomb_chan_t *other = new_chan(sizeof(int), 0);
	struct chan_call b[3 * NBLOCKED];
	int v = 5;

	ck_assert_int_eq(tomb_chan_trysend(s, &v), 0); /* s is full */
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 3 * NBLOCKED; i++) {
		b[i].call = i < NBLOCKED ? CALL_RECV
		            : i < 2 * NBLOCKED ? CALL_SEND : CALL_SELECT;
		b[i].c = b[i].call == CALL_SEND ? s : r;
		b[i].c2 = other;
		b[i].value = -1;
		start_chan_call(&b[i]);
	}
	ck_assert_int_eq(tomb_chan_free(r), EBUSY);
	ck_assert_int_eq(tomb_chan_free(s), EBUSY);
	ck_assert_int_eq(tomb_chan_free(other), EBUSY);
	ck_assert_int_eq(tomb_chan_close(r), 0);
	ck_assert_int_eq(tomb_chan_close(s), 0);
	for (int i = 0; i < 3 * NBLOCKED; i++) {
		if (b[i].call == CALL_SELECT) {
			ck_assert_int_eq(finish_chan_call(&b[i]), 0);
			ck_assert_uint_eq(b[i].chosen, 0);
			ck_assert_int_eq(b[i].op_result, EPIPE);
		} else {
			ck_assert_int_eq(finish_chan_call(&b[i]), EPIPE);
		}
		ck_assert_int_eq(b[i].value, -1);
	}
	/* The value buffered before the close is still there. */
	ck_assert_int_eq(tomb_chan_tryrecv(s, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(tomb_chan_free(r), 0);
	ck_assert_int_eq(tomb_chan_free(s), 0);
	ck_assert_int_eq(tomb_chan_free(other), 0);
}
END_TEST

/* A kill wakes every blocked receive, send and select at once. */
START_TEST(test_kill_wakes)
{
	tomb_t *t = tomb_new();
	tomb_chan_t *r = new_chan(sizeof(int), 0), *s = new_chan(sizeof(int), 0);
	tomb_chan_t *q = new_chan(sizeof(int), 0);
	struct chan_call b[3 * NBLOCKED];
	int v = 0;

	memset(b, 0, sizeof(b));
	for (int i = 0; i < 3 * NBLOCKED; i++) {
		b[i].t = t;
		b[i].call = i < NBLOCKED ? CALL_RECV
		            : i < 2 * NBLOCKED ? CALL_SEND : CALL_SELECT;
		b[i].c = b[i].call == CALL_SEND ? s : r;
		b[i].c2 = q;
		start_chan_call(&b[i]);
	}
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	for (int i = 0; i < 3 * NBLOCKED; i++)
		ck_assert_int_eq(finish_chan_call(&b[i]), ECANCELED);
	/* No value moved; the channels are idle and still open. */
	ck_assert_int_eq(tomb_chan_tryrecv(s, &v), EAGAIN);
	ck_assert_int_eq(tomb_chan_trysend(r, &v), EAGAIN);
	/* A dying tomb cancels at once, even an operation that could
	 * complete. */
	ck_assert_int_eq(tomb_chan_close(s), 0);
	ck_assert_int_eq(tomb_chan_recv(t, s, &v, NULL), ECANCELED);
	ck_assert_int_eq(tomb_chan_recv(NULL, s, &v, NULL), EPIPE);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_chan_free(r), 0);
	ck_assert_int_eq(tomb_chan_free(s), 0);
	ck_assert_int_eq(tomb_chan_free(q), 0);
}
END_TEST

START_TEST(test_deadlines)
{
	tomb_t *t = tomb_new();
	tomb_chan_t *c = new_chan(sizeof(int), 0);
	struct timespec past = {0, 0}, soon;
	struct tomb_chan_op ops[2] = {
		{.chan = c, .dir = TOMB_CHAN_RECV},
		{.chan = NULL, .dir = TOMB_CHAN_SEND}};
	size_t chosen;
	int v = 3;

	/* Already past and nothing ready: a try (Go's default case). */
	ck_assert_int_eq(tomb_chan_send(t, c, &v, &past), EAGAIN);
	ck_assert_int_eq(tomb_chan_recv(NULL, c, &v, &past), EAGAIN);
	ck_assert_int_eq(tomb_chan_select(t, ops, 2, &past, &chosen), EAGAIN);
	/* Passing while it waits: ETIMEDOUT, no sooner than the deadline. */
	soon = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_chan_recv(t, c, &v, &soon), ETIMEDOUT);
	ck_assert(passed(&soon));
	soon = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_chan_send(NULL, c, &v, &soon), ETIMEDOUT);
	ck_assert(passed(&soon));
	soon = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_chan_select(t, ops, 2, &soon, &chosen), ETIMEDOUT);
	ck_assert(passed(&soon));
	/* An empty select waits for the deadline, or for the tomb. */
	soon = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_chan_select(NULL, ops, 0, &soon, &chosen),
	                 ETIMEDOUT);
	ck_assert_int_eq(tomb_chan_select(NULL, &ops[1], 1, &past, &chosen),
	                 EAGAIN);
	/* The deadline left nothing behind: an unbuffered send still blocks. */
	ck_assert_int_eq(tomb_chan_trysend(c, &v), EAGAIN);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_chan_select(t, ops, 0, NULL, &chosen), ECANCELED);
	ck_assert_int_eq(tomb_chan_select(t, ops, 2, &past, &chosen), ECANCELED);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_chan_free(c), 0);
}
END_TEST

/* Among ready operations the choice is random: over many rounds each
 * of three gets its share (expected 1/3 each; the bound, 1/6, is more than
 * 30 standard deviations away at 6000 rounds). */
START_TEST(test_select_fair)
{
	tomb_chan_t *c[3];
	struct tomb_chan_op ops[4];
	int counts[3] = {0, 0, 0}, v = 0, rounds = 6000;
	size_t chosen;

	for (int i = 0; i < 3; i++)
		c[i] = new_chan(sizeof(int), 1);
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct tomb_chan_op){.chan = c[0], .dir = TOMB_CHAN_RECV,
	                               .value = &v};
	ops[1] = (struct tomb_chan_op){.chan = NULL, .dir = TOMB_CHAN_RECV};
	ops[2] = (struct tomb_chan_op){.chan = c[1], .dir = TOMB_CHAN_RECV,
	                               .value = &v};
	ops[3] = (struct tomb_chan_op){.chan = c[2], .dir = TOMB_CHAN_SEND,
	                               .value = &v};
	ck_assert_int_eq(tomb_chan_trysend(c[0], &v), 0);
	ck_assert_int_eq(tomb_chan_trysend(c[1], &v), 0);
	for (int r = 0; r < rounds; r++) {
		ck_assert_int_eq(tomb_chan_select(NULL, ops, 4, NULL, &chosen), 0);
		ck_assert(chosen != 1);
		ck_assert_int_eq(ops[chosen].result, 0);
		counts[chosen == 0 ? 0 : chosen == 2 ? 1 : 2]++;
		/* Make the chosen one ready again. */
		if (chosen == 3)
			ck_assert_int_eq(tomb_chan_tryrecv(c[2], NULL), 0);
		else
			ck_assert_int_eq(tomb_chan_trysend(ops[chosen].chan, &v), 0);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_int_gt(counts[i], rounds / 6);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tomb_chan_free(c[i]), 0);
}
END_TEST

/*
 * Many producers, many consumers: every value is received exactly once.
 * Half the consumers receive, half select over the channel and a second
 * one that nobody sends on; half the producers send, half select.
 */
#define NPROD 4
#define NCONS 4
struct mpmc {
	tomb_chan_t *c, *idle;
	int per_producer;
	atomic_int producers_left;
	atomic_uchar *seen; /* NPROD * per_producer counters */
	atomic_int bad;
};

struct mpmc_arg {
	struct mpmc *m;
	int id;
};

static void *mpmc_producer(void *arg)
{
	struct mpmc_arg *a = arg;
	struct mpmc *m = a->m;

	for (int i = 0; i < m->per_producer; i++) {
		int v = a->id * m->per_producer + i, rc;

		if (a->id % 2 == 0) {
			rc = tomb_chan_send(NULL, m->c, &v, NULL);
		} else {
			int dummy = 0;
			size_t chosen = 9;
			struct tomb_chan_op ops[2] = {
				{.chan = m->idle, .dir = TOMB_CHAN_RECV, .value = &dummy},
				{.chan = m->c, .dir = TOMB_CHAN_SEND, .value = &v}};

			rc = tomb_chan_select(NULL, ops, 2, NULL, &chosen);
			if (rc == 0 && (chosen != 1 || ops[1].result != 0))
				rc = -1;
		}
		if (rc != 0)
			atomic_fetch_add(&m->bad, 1);
	}
	if (atomic_fetch_sub(&m->producers_left, 1) == 1 &&
	    tomb_chan_close(m->c) != 0)
		atomic_fetch_add(&m->bad, 1);
	return NULL;
}

static void *mpmc_consumer(void *arg)
{
	struct mpmc_arg *a = arg;
	struct mpmc *m = a->m;

	for (;;) {
		int v = -1, rc;

		if (a->id % 2 == 0) {
			rc = tomb_chan_recv(NULL, m->c, &v, NULL);
		} else {
			size_t chosen = 9;
			struct tomb_chan_op ops[2] = {
				{.chan = m->c, .dir = TOMB_CHAN_RECV, .value = &v},
				{.chan = m->idle, .dir = TOMB_CHAN_RECV, .value = &v}};

			rc = tomb_chan_select(NULL, ops, 2, NULL, &chosen);
			if (rc == 0 && chosen != 0)
				rc = -1;
			else if (rc == 0)
				rc = ops[0].result;
		}
		if (rc == EPIPE)
			break;
		if (rc != 0 || v < 0 || v >= NPROD * m->per_producer) {
			atomic_fetch_add(&m->bad, 1);
			break;
		}
		atomic_fetch_add(&m->seen[v], 1);
	}
	return NULL;
}

static void run_mpmc(size_t cap, int per_producer)
{
	struct mpmc m = {.per_producer = per_producer};
	struct mpmc_arg pa[NPROD], ca[NCONS];
	pthread_t pt[NPROD], ct[NCONS];
	int total = NPROD * per_producer;

	m.c = new_chan(sizeof(int), cap);
	m.idle = new_chan(sizeof(int), 0);
	atomic_init(&m.producers_left, NPROD);
	atomic_init(&m.bad, 0);
	m.seen = calloc((size_t)total, sizeof(*m.seen));
	ck_assert_ptr_nonnull(m.seen);
	for (int i = 0; i < NCONS; i++) {
		ca[i] = (struct mpmc_arg){.m = &m, .id = i};
		ck_assert_int_eq(pthread_create(&ct[i], NULL, mpmc_consumer, &ca[i]),
		                 0);
	}
	for (int i = 0; i < NPROD; i++) {
		pa[i] = (struct mpmc_arg){.m = &m, .id = i};
		ck_assert_int_eq(pthread_create(&pt[i], NULL, mpmc_producer, &pa[i]),
		                 0);
	}
	for (int i = 0; i < NPROD; i++)
		ck_assert_int_eq(pthread_join(pt[i], NULL), 0);
	for (int i = 0; i < NCONS; i++)
		ck_assert_int_eq(pthread_join(ct[i], NULL), 0);
	ck_assert_int_eq(atomic_load(&m.bad), 0);
	for (int i = 0; i < total; i++)
		ck_assert_msg(atomic_load(&m.seen[i]) == 1,
		              "value %d received %d times (cap %zu)", i,
		              (int)atomic_load(&m.seen[i]), cap);
	free(m.seen);
	ck_assert_int_eq(tomb_chan_free(m.c), 0);
	ck_assert_int_eq(tomb_chan_free(m.idle), 0);
}

START_TEST(test_mpmc_exactly_once)
{
	int n = test_rounds(4000);

	run_mpmc(0, n);
	run_mpmc(1, n);
	run_mpmc(16, n);
}
END_TEST

/*
 * A kill in the middle of a stream: every send that succeeded was received
 * exactly once (by a consumer, or by the drain after the kill), and no
 * value whose send failed was.
 */
struct killed_stream {
	tomb_chan_t *c;
	atomic_long sent_sum, got_sum;
	atomic_int sent_n, got_n, bad;
	sem_t going;
};

static int ks_producer(tomb_t *t, void *arg)
{
	struct killed_stream *k = arg;
	bool posted = false;

	for (int i = 1;; i++) {
		int rc = tomb_chan_send(t, k->c, &i, NULL);

		if (rc == ECANCELED)
			break;
		if (rc != 0) {
			atomic_fetch_add(&k->bad, 1);
			break;
		}
		atomic_fetch_add(&k->sent_sum, i);
		atomic_fetch_add(&k->sent_n, 1);
		if (!posted && i > 100) {
			sem_post(&k->going);
			posted = true;
		}
	}
	return TOMB_EDYING;
}

static int ks_consumer(tomb_t *t, void *arg)
{
	struct killed_stream *k = arg;

	for (;;) {
		int v, rc = tomb_chan_recv(t, k->c, &v, NULL);

		if (rc == ECANCELED)
			break;
		if (rc != 0) {
			atomic_fetch_add(&k->bad, 1);
			break;
		}
		atomic_fetch_add(&k->got_sum, v);
		atomic_fetch_add(&k->got_n, 1);
	}
	return TOMB_EDYING;
}

START_TEST(test_kill_mid_stream)
{
	int rounds = test_rounds(20);

	for (int r = 0; r < rounds; r++) {
		tomb_t *t = tomb_new();
		struct killed_stream k;
		int v;

		memset(&k, 0, sizeof(k));
		k.c = new_chan(sizeof(int), (size_t)(r % 3 == 0 ? 0 : r % 5));
		sem_init(&k.going, 0, 0);
		for (int i = 0; i < 2; i++) {
			ck_assert_int_eq(tomb_go(t, ks_producer, &k), 0);
			ck_assert_int_eq(tomb_go(t, ks_consumer, &k), 0);
		}
		while (sem_wait(&k.going) != 0)
			continue;
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		while (tomb_chan_tryrecv(k.c, &v) == 0) {
			atomic_fetch_add(&k.got_sum, v);
			atomic_fetch_add(&k.got_n, 1);
		}
		ck_assert_int_eq(atomic_load(&k.bad), 0);
		ck_assert_int_eq(atomic_load(&k.sent_n), atomic_load(&k.got_n));
		ck_assert_int_eq(atomic_load(&k.sent_sum), atomic_load(&k.got_sum));
		sem_destroy(&k.going);
		ck_assert_int_eq(tomb_free(t), 0);
		ck_assert_int_eq(tomb_chan_free(k.c), 0);
	}
}
END_TEST

/*
 * Two threads select over the same two unbuffered channels in opposite
 * orders: A offers a send on c1 and a receive on c2, B a send on c2 and a
 * receive on c1.  Each round matches one of A's with one of B's; neither
 * deadlocks, and both agree on what happened.
 */
struct crossed {
	tomb_chan_t *c1, *c2;
	int rounds;
	bool a;
	int sends, recvs, bad;
};

static void *crossed_main(void *arg)
{
	struct crossed *x = arg;

	for (int i = 0; i < x->rounds; i++) {
		int out = i, in = -1;
		size_t chosen = 9;
		struct tomb_chan_op ops[2] = {
			{.chan = x->a ? x->c1 : x->c2, .dir = TOMB_CHAN_SEND,
			 .value = &out},
			{.chan = x->a ? x->c2 : x->c1, .dir = TOMB_CHAN_RECV,
			 .value = &in}};

		if (tomb_chan_select(NULL, ops, 2, NULL, &chosen) != 0 ||
		    ops[chosen].result != 0) {
			x->bad++;
			break;
		}
		if (chosen == 0) {
			x->sends++;
		} else {
			x->recvs++;
			if (in != i)
				x->bad++; /* both are in the same round */
		}
	}
	return NULL;
}

START_TEST(test_select_opposite_orders)
{
	struct crossed a = {.rounds = test_rounds(5000), .a = true}, b;
	pthread_t ta, tb;

	a.c1 = new_chan(sizeof(int), 0);
	a.c2 = new_chan(sizeof(int), 0);
	b = a;
	b.a = false;
	ck_assert_int_eq(pthread_create(&ta, NULL, crossed_main, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, crossed_main, &b), 0);
	ck_assert_int_eq(pthread_join(ta, NULL), 0);
	ck_assert_int_eq(pthread_join(tb, NULL), 0);
	ck_assert_int_eq(a.bad, 0);
	ck_assert_int_eq(b.bad, 0);
	ck_assert_int_eq(a.sends, b.recvs);
	ck_assert_int_eq(a.recvs, b.sends);
	ck_assert_int_eq(a.sends + a.recvs, a.rounds);
	ck_assert_int_eq(tomb_chan_free(a.c1), 0);
	ck_assert_int_eq(tomb_chan_free(a.c2), 0);
}
END_TEST

/* A select of more operations than fit its stack bookkeeping, with one
 * channel several times and both directions on one channel. */
START_TEST(test_select_large)
{
	enum { N = 40 };
	tomb_chan_t *c = new_chan(sizeof(int), 0), *d = new_chan(sizeof(int), 2);
	struct tomb_chan_op ops[N];
	struct chan_call b = {.c = c, .call = CALL_SEND, .value = 11};
	int vals[N];
	size_t chosen = 99;

	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < N; i++) {
		vals[i] = -1;
		ops[i].chan = i % 2 == 0 ? c : NULL;
		ops[i].dir = i % 4 == 0 ? TOMB_CHAN_RECV : TOMB_CHAN_SEND;
		ops[i].value = &vals[i];
	}
	start_chan_call(&b);
	ck_assert_int_eq(tomb_chan_select(NULL, ops, N, NULL, &chosen), 0);
	ck_assert_uint_eq(chosen % 4, 0);
	ck_assert_int_eq(vals[chosen], 11);
	ck_assert_int_eq(finish_chan_call(&b), 0);
	/* A buffered channel in both directions: a send or a receive. */
	for (int i = 0; i < N; i++)
		ops[i].chan = d;
	ck_assert_int_eq(tomb_chan_select(NULL, ops, N, NULL, &chosen), 0);
	ck_assert_uint_ne(chosen % 4, 0); /* empty: only a send is ready */
	ck_assert_uint_eq(tomb_chan_len(d), 1);
	ck_assert_int_eq(tomb_chan_free(c), 0);
	ck_assert_int_eq(tomb_chan_free(d), 0);
}
END_TEST

/* A select blocked until another thread's operation completes one of its
 * operations: the other ops are taken off their queues. */
START_TEST(test_select_blocked_then_woken)
{
	tomb_chan_t *c = new_chan(sizeof(int), 0), *d = new_chan(sizeof(int), 0);
	struct chan_call b = {.c = c, .c2 = d, .call = CALL_SELECT};
	int v = 5;

	for (int round = 0; round < 2; round++) {
		b.value = -1;
		start_chan_call(&b);
		v = 5 + round;
		ck_assert_int_eq(tomb_chan_send(NULL, round == 0 ? d : c, &v, NULL),
		                 0);
		ck_assert_int_eq(finish_chan_call(&b), 0);
		ck_assert_uint_eq(b.chosen, round == 0 ? 1 : 0);
		ck_assert_int_eq(b.op_result, 0);
		if (round == 1)
			ck_assert_int_eq(b.value, 6);
		/* Nothing of it is left queued on either channel. */
		ck_assert_int_eq(tomb_chan_trysend(c, &v), EAGAIN);
		ck_assert_int_eq(tomb_chan_trysend(d, &v), EAGAIN);
	}
	ck_assert_int_eq(tomb_chan_free(c), 0);
	ck_assert_int_eq(tomb_chan_free(d), 0);
}
END_TEST

/* tomb_chan_free is EBUSY while a thread is blocked on the channel, and
 * the tomb's free while a thread blocks with it. */
START_TEST(test_free_busy)
{
	tomb_t *t = tomb_new();
	tomb_chan_t *c = new_chan(sizeof(int), 0);
	struct timespec soon;
	struct chan_call b = {.t = t, .c = c, .call = CALL_RECV};

	/* A thread blocked on c and t. */

	start_chan_call(&b);
	ck_assert_int_eq(tomb_chan_free(c), EBUSY);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_chan_close(c), 0);
	ck_assert_int_eq(finish_chan_call(&b), EPIPE);
	ck_assert_int_eq(tomb_chan_free(c), 0);
	/* And after a timeout, nothing is left counted. */
	c = new_chan(sizeof(int), 0);
	soon = tomb_deadline_ms(10);
	ck_assert_int_eq(tomb_chan_send(t, c, &b.value, &soon), ETIMEDOUT);
	ck_assert_int_eq(tomb_chan_free(c), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_chan_suite(void)
{
	Suite *s = suite_create("chan");
	TCase *tc = tcase_create("chan");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_einval);
	tcase_add_test(tc, test_new_sizes);
	tcase_add_test(tc, test_buffered_fifo);
	tcase_add_test(tc, test_unbuffered_handoff);
	tcase_add_test(tc, test_buffered_stream);
	tcase_add_test(tc, test_unbuffered_send_waits);
	tcase_add_test(tc, test_close_semantics);
	tcase_add_test(tc, test_close_wakes);
	tcase_add_test(tc, test_kill_wakes);
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_select_fair);
	tcase_add_test(tc, test_mpmc_exactly_once);
	tcase_add_test(tc, test_kill_mid_stream);
	tcase_add_test(tc, test_select_opposite_orders);
	tcase_add_test(tc, test_select_large);
	tcase_add_test(tc, test_select_blocked_then_woken);
	tcase_add_test(tc, test_free_busy);
	suite_add_tcase(s, tc);
	return s;
}
