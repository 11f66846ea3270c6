/* SPDX-License-Identifier: MIT */
/* test_cond.c: the condition wait that a kill interrupts. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A one-slot queue guarded by mu, with a tomb-aware condition. */
struct queue {
	pthread_mutex_t mu;
	tomb_cond_t cond;
	int items;       /* under mu */
	int got;         /* items taken by the consumer */
	int last_rc;     /* what the consumer's last tomb_cond_wait said */
	sem_t started;   /* posted once the consumer holds mu for the first time */
	atomic_int tid;  /* the consumer's thread, set before `started` */
	sem_t taken;     /* posted for each item taken */
};

static void queue_init(struct queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	ck_assert_int_eq(tomb_cond_init(&q->cond), 0);
	q->items = q->got = 0;
	q->last_rc = -1;
	sem_init(&q->started, 0, 0);
	sem_init(&q->taken, 0, 0);
}

static void queue_destroy(struct queue *q)
{
	ck_assert_int_eq(tomb_cond_destroy(&q->cond), 0);
	pthread_mutex_destroy(&q->mu);
	sem_destroy(&q->started);
	sem_destroy(&q->taken);
}

/* Takes items until the tomb is dying; returns TOMB_EDYING then. */
static int consumer(tomb_t *t, void *arg)
{
	struct queue *q = arg;
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	atomic_store(&q->tid, (int)syscall(SYS_gettid));
	sem_post(&q->started);
	for (;;) {
		while (q->items == 0 && rc == 0)
			rc = tomb_cond_wait(t, &q->cond, &q->mu, NULL);
		if (rc != 0)
			break;
		q->items--;
		q->got++;
		sem_post(&q->taken);
	}
	q->last_rc = rc;
	pthread_mutex_unlock(&q->mu);
	return rc == ECANCELED ? TOMB_EDYING : rc;
}

START_TEST(test_signal_wakes_waiter)
{
	tomb_t *t = tomb_new();
	struct queue q;

	queue_init(&q);
	ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&q.mu);
		q.items++;
		pthread_mutex_unlock(&q.mu);
		ck_assert_int_eq(tomb_cond_signal(&q.cond), 0);
	}
	for (int i = 0; i < 100; i++)
		sem_wait(&q.taken);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(q.got, 100);
	ck_assert_int_eq(q.last_rc, ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
	queue_destroy(&q);
}
END_TEST

START_TEST(test_kill_wakes_waiter)
{
	tomb_t *t = tomb_new();
	struct queue q;

	queue_init(&q);
	ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
	sem_wait(&q.started);
	await_futex_wait(atomic_load(&q.tid)); /* asleep in tomb_cond_wait */
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_wait(t), EPIPE);
	ck_assert_int_eq(q.last_rc, ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
	queue_destroy(&q);
}
END_TEST

/* The kill lands in the window between the consumer's look at its queue
 * and its wait: a lost wake-up would hang (and the timeout fail it). */
START_TEST(test_kill_races_wait)
{
	for (int i = 0; i < test_rounds(2000); i++) {
		tomb_t *t = tomb_new();
		struct queue q;

		queue_init(&q);
		ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
		ck_assert_int_eq(tomb_kill(t, 0), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert_int_eq(q.last_rc, ECANCELED);
		ck_assert_int_eq(tomb_free(t), 0);
		queue_destroy(&q);
	}
}
END_TEST

/* A killer may hold the waiter's mutex: the kill never takes it. */
START_TEST(test_killer_holds_the_mutex)
{
	tomb_t *t = tomb_new();
	struct queue q;

	queue_init(&q);
	ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
	sem_wait(&q.started);
	pthread_mutex_lock(&q.mu); /* the consumer is now inside its wait */
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	pthread_mutex_unlock(&q.mu);
	ck_assert_int_eq(tomb_wait(t), EIO);
	ck_assert_int_eq(q.last_rc, ECANCELED);
	ck_assert_int_eq(tomb_free(t), 0);
	queue_destroy(&q);
}
END_TEST

/* A worker kills its own tomb inside its critical section, while another
 * worker waits on the same mutex and condition. */
static int kill_inside_critical_section(tomb_t *t, void *arg)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->mu);
	tomb_kill(t, ENOSPC);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

START_TEST(test_worker_kills_inside_critical_section)
{
	for (int i = 0; i < test_rounds(500); i++) {
		tomb_t *t = tomb_new();
		struct queue q;

		queue_init(&q);
		ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
		sem_wait(&q.started);
		ck_assert_int_eq(tomb_go(t, kill_inside_critical_section, &q), 0);
		ck_assert_int_eq(tomb_wait(t), ENOSPC);
		ck_assert_int_eq(q.last_rc, ECANCELED);
		ck_assert_int_eq(tomb_free(t), 0);
		queue_destroy(&q);
	}
}
END_TEST

START_TEST(test_many_waiters_one_kill)
{
	enum { N = 64 };
	tomb_t *t = tomb_new();
	struct queue q[N];

	/* Distinct queues: each consumer on its own mutex and condition. */
	for (int i = 0; i < N; i++) {
		queue_init(&q[i]);
		ck_assert_int_eq(tomb_go(t, consumer, &q[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		sem_wait(&q[i].started);
		await_futex_wait(atomic_load(&q[i].tid));
	}
	ck_assert_int_eq(tomb_kill(t, ECANCELED), 0);
	ck_assert_int_eq(tomb_wait(t), ECANCELED);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(q[i].last_rc, ECANCELED);
		queue_destroy(&q[i]);
	}
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* Broadcast wakes every waiter of one condition. */
struct gate {
	pthread_mutex_t mu;
	tomb_cond_t cond;
	bool open;
	int through;
};

static int pass_gate(tomb_t *t, void *arg)
{
	struct gate *g = arg;
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	while (!g->open && rc == 0)
		rc = tomb_cond_wait(t, &g->cond, &g->mu, NULL);
	if (rc == 0)
		g->through++;
	pthread_mutex_unlock(&g->mu);
	return rc;
}

START_TEST(test_broadcast_wakes_all)
{
	enum { N = 16 };
	tomb_t *t = tomb_new();
	struct gate g = {.cond = TOMB_COND_INIT, .open = false, .through = 0};
	sem_t hold;

	pthread_mutex_init(&g.mu, NULL);
	sem_init(&hold, 0, 0);
	/* A holder keeps the tomb alive while the gate workers return 0. */
	ck_assert_int_eq(tomb_go(t, worker_wait_sem, &hold), 0);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tomb_go(t, pass_gate, &g), 0);
	pthread_mutex_lock(&g.mu);
	g.open = true;
	pthread_mutex_unlock(&g.mu);
	ck_assert_int_eq(tomb_cond_broadcast(&g.cond), 0);
	sem_post(&hold);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(g.through, N);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_cond_destroy(&g.cond), 0);
	pthread_mutex_destroy(&g.mu);
	sem_destroy(&hold);
}
END_TEST

START_TEST(test_cond_timeout_and_relock)
{
	tomb_t *t = tomb_new();
	tomb_cond_t c = TOMB_COND_INIT;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec past = {0, 0}, soon = tomb_deadline_ms(10);

	pthread_mutex_lock(&m);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, &past), ETIMEDOUT);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, &soon), ETIMEDOUT);
	ck_assert_int_eq(pthread_mutex_trylock(&m), EBUSY); /* held again */
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, NULL), ECANCELED);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, &past), ECANCELED);
	ck_assert_int_eq(pthread_mutex_trylock(&m), EBUSY);
	pthread_mutex_unlock(&m);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_cond_bad_input)
{
	tomb_t *t = tomb_new();
	tomb_cond_t c;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutexattr_t a;
	pthread_mutex_t checked;
	struct timespec bad = {0, -1};

	ck_assert_int_eq(tomb_cond_init(NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_destroy(NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_signal(NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_broadcast(NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_init(&c), 0);
	ck_assert_int_eq(tomb_cond_wait(NULL, &c, &m, NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_wait(t, NULL, &m, NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_wait(t, &c, NULL, NULL), EINVAL);
	ck_assert_int_eq(tomb_cond_wait(t, &c, &m, &bad), EINVAL);
	/* Waiting with an error-checking mutex this thread does not hold:
	 * EPERM at once, not a hang.  (ThreadSanitizer reports the unlock of
	 * an unlocked mutex that this deliberately makes.) */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&checked, &a);
	if (!UNDER_TSAN)
		ck_assert_int_eq(tomb_cond_wait(t, &c, &checked, NULL), EPERM);
	ck_assert_int_eq(tomb_cond_destroy(&c), 0);
	pthread_mutex_destroy(&checked);
	pthread_mutexattr_destroy(&a);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_cond_destroy is EBUSY while a thread waits, and tomb_free too. */
START_TEST(test_cond_destroy_busy)
{
	tomb_t *t = tomb_new();
	struct queue q;

	queue_init(&q);
	ck_assert_int_eq(tomb_go(t, consumer, &q), 0);
	sem_wait(&q.started);
	pthread_mutex_lock(&q.mu); /* so the consumer is inside its wait */
	ck_assert_int_eq(tomb_cond_destroy(&q.cond), EBUSY);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	pthread_mutex_unlock(&q.mu);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(tomb_wait(t), 0);
	ck_assert_int_eq(tomb_free(t), 0);
	queue_destroy(&q);
}
END_TEST

Suite *make_cond_suite(void)
{
	Suite *s = suite_create("cond");
	TCase *tc = tcase_create("cond");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_signal_wakes_waiter);
	tcase_add_test(tc, test_kill_wakes_waiter);
	tcase_add_test(tc, test_kill_races_wait);
	tcase_add_test(tc, test_killer_holds_the_mutex);
	tcase_add_test(tc, test_worker_kills_inside_critical_section);
	tcase_add_test(tc, test_many_waiters_one_kill);
	tcase_add_test(tc, test_broadcast_wakes_all);
	tcase_add_test(tc, test_cond_timeout_and_relock);
	tcase_add_test(tc, test_cond_bad_input);
	tcase_add_test(tc, test_cond_destroy_busy);
	suite_add_tcase(s, tc);
	return s;
}
