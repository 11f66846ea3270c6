/* SPDX-License-Identifier: MIT */
/* test_hook.c: callbacks on dying. */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a callback saw; written by the callback, read after a hand-off. */
struct seen {
	atomic_int runs;
	int reason;            /* tomb_err inside the callback */
	pthread_t thread;      /* where it ran */
	atomic_bool finished;  /* set as its last act */
	int order;             /* position among callbacks, from `counter` */
	atomic_int *counter;
};

static void record(tomb_t *t, void *arg)
{
	struct seen *s = arg;

	atomic_fetch_add(&s->runs, 1);
	s->reason = tomb_err(t);
	s->thread = pthread_self();
	if (s->counter != NULL)
		s->order = atomic_fetch_add(s->counter, 1);
	for (int i = 0; i < 10; i++)
		sched_yield(); /* linger, so that early returns show */
	atomic_store(&s->finished, true);
}

START_TEST(test_runs_in_killing_thread_with_reason)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
	ck_assert_int_eq(atomic_load(&s.runs), 0);
	ck_assert_int_eq(tomb_kill(t, EHOSTDOWN), 0);
	/* It ran, once, here, before tomb_kill returned, seeing the reason. */
	ck_assert_int_eq(atomic_load(&s.runs), 1);
	ck_assert(pthread_equal(s.thread, pthread_self()));
	ck_assert_int_eq(s.reason, EHOSTDOWN);
	ck_assert_int_eq(tomb_kill(t, EIO), 0);
	ck_assert_int_eq(atomic_load(&s.runs), 1);
	ck_assert_int_eq(tomb_free(t), 0);
	/* A hook that ran needs no tomb: tomb_off after tomb_free is fine. */
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_off(&h), EINVAL); /* twice */
}
END_TEST

START_TEST(test_runs_at_once_when_already_dying)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_kill(t, ENOTCONN), 0);
	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
	ck_assert_int_eq(atomic_load(&s.runs), 1);
	ck_assert(atomic_load(&s.finished));
	ck_assert_int_eq(s.reason, ENOTCONN);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_off_before_kill)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), EBUSY);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(atomic_load(&s.runs), 0);
	ck_assert_int_eq(tomb_off(&h), EINVAL);
	/* An unregistered hook may be registered again. */
	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
	ck_assert_int_eq(atomic_load(&s.runs), 1);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_hook_bad_input)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT, zeroed = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_on_dying(NULL, record, &s, &h), EINVAL);
	ck_assert_int_eq(tomb_on_dying(t, NULL, &s, &h), EINVAL);
	ck_assert_int_eq(tomb_on_dying(t, record, &s, NULL), EINVAL);
	ck_assert_int_eq(tomb_off(NULL), EINVAL);
	ck_assert_int_eq(tomb_off(&zeroed), EINVAL);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_free is EBUSY while a callback is registered. */
START_TEST(test_free_busy_while_registered)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
	ck_assert_int_eq(tomb_free(t), EBUSY);
	ck_assert_int_eq(tomb_off(&h), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

START_TEST(test_callbacks_run_in_order)
{
	enum { N = 5 };
	tomb_t *t = tomb_new();
	tomb_hook_t h[N] = {TOMB_HOOK_INIT};
	struct seen s[N];
	atomic_int counter;

	atomic_init(&counter, 0);
	for (int i = 0; i < N; i++) {
		s[i] = (struct seen){.reason = -1, .counter = &counter};
		ck_assert_int_eq(tomb_on_dying(t, record, &s[i], &h[i]), 0);
	}
	ck_assert_int_eq(tomb_off(&h[2]), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(s[0].order, 0);
	ck_assert_int_eq(s[1].order, 1);
	ck_assert_int_eq(atomic_load(&s[2].runs), 0);
	ck_assert_int_eq(s[3].order, 2);
	ck_assert_int_eq(s[4].order, 3);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tomb_off(&h[i]), i == 2 ? EINVAL : EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_off from inside the callback: no deadlock, and the callback may then
 * free its own hook (the runner must not touch it again: ASan watches). */
struct self_off {
	tomb_hook_t *hook;
	int off_rc;
};

static void off_and_free_self(tomb_t *t, void *arg)
{
	struct self_off *so = arg;

	(void)t;
	so->off_rc = tomb_off(so->hook);
	free(so->hook);
}

START_TEST(test_off_from_inside)
{
	for (int dying_first = 0; dying_first < 2; dying_first++) {
		tomb_t *t = tomb_new();
		struct self_off so = {.hook = calloc(1, sizeof(tomb_hook_t)), .off_rc = -1};

		ck_assert_ptr_nonnull(so.hook);
		if (dying_first)
			ck_assert_int_eq(tomb_kill(t, EIO), 0);
		ck_assert_int_eq(tomb_on_dying(t, off_and_free_self, &so, so.hook), 0);
		if (!dying_first)
			ck_assert_int_eq(tomb_kill(t, EIO), 0);
		ck_assert_int_eq(so.off_rc, EALREADY);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* tomb_off racing a kill: 0 means the callback never ran and never will;
 * EALREADY means it ran to its end before tomb_off returned. */
struct off_race {
	tomb_t *t;
	pthread_barrier_t go;
};

static void *race_killer(void *arg)
{
	struct off_race *r = arg;

	pthread_barrier_wait(&r->go);
	tomb_kill(r->t, ECANCELED);
	return NULL;
}

START_TEST(test_off_races_kill)
{
	for (int i = 0; i < test_rounds(2000); i++) {
		struct off_race r = {.t = tomb_new()};
		tomb_hook_t h = TOMB_HOOK_INIT;
		struct seen s = {.reason = -1};
		pthread_t killer;
		int rc;

		pthread_barrier_init(&r.go, NULL, 2);
		ck_assert_int_eq(tomb_on_dying(r.t, record, &s, &h), 0);
		ck_assert_int_eq(pthread_create(&killer, NULL, race_killer, &r), 0);
		pthread_barrier_wait(&r.go);
		rc = tomb_off(&h);
		if (rc == 0) {
			ck_assert_int_eq(atomic_load(&s.runs), 0);
		} else {
			ck_assert_int_eq(rc, EALREADY);
			ck_assert(atomic_load(&s.finished));
		}
		pthread_join(killer, NULL);
		ck_assert_int_eq(atomic_load(&s.runs), rc == 0 ? 0 : 1);
		ck_assert_int_eq(tomb_wait(r.t), ECANCELED);
		ck_assert_int_eq(tomb_free(r.t), 0);
		pthread_barrier_destroy(&r.go);
	}
}
END_TEST

/* A callback that writes plain memory, on the killer's thread; the killer
 * then raises `returned`.  The test reads that flag with relaxed
 * read-modify-writes: they order nothing (for ThreadSanitizer as for the
 * C11 model), and Helgrind and DRD take an atomic read-modify-write for a
 * plain read, so the flag is no race of its own. */
struct published {
	tomb_t *t;
	int written;          /* by the callback, then read by the test */
	atomic_int returned;  /* 1 once tomb_kill, and so the callback, returned */
};

static void write_plain(tomb_t *t, void *arg)
{
	(void)t;
	((struct published *)arg)->written = 7;
}

static void *kill_then_flag(void *arg)
{
	struct published *p = arg;

	tomb_kill(p->t, 0);
	atomic_fetch_add_explicit(&p->returned, 1, memory_order_relaxed);
	return NULL;
}

/* A callback's end happens before tomb_off's EALREADY (tomb_off(3): "the
 * callback has finished when tomb_off returns"), also when tomb_off finds
 * the hook done without taking the tomb's lock: the test reads what the
 * callback wrote with nothing else ordering the two threads (the join comes
 * after the read). */
START_TEST(test_off_after_callback_sees_its_writes)
{
	struct published p = {.t = tomb_new(), .written = 0};
	tomb_hook_t h = TOMB_HOOK_INIT;
	pthread_t killer;
	int seen;

	atomic_init(&p.returned, 0);
	ck_assert_int_eq(tomb_on_dying(p.t, write_plain, &p, &h), 0);
	ck_assert_int_eq(pthread_create(&killer, NULL, kill_then_flag, &p), 0);
	while (atomic_fetch_add_explicit(&p.returned, 0, memory_order_relaxed) == 0)
		sched_yield();
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	seen = p.written;
	pthread_join(killer, NULL);
	ck_assert_int_eq(seen, 7);
	ck_assert_int_eq(tomb_wait(p.t), 0);
	ck_assert_int_eq(tomb_free(p.t), 0);
}
END_TEST

/* A callback that kills another tomb: that tomb's callbacks run too. */
static void kill_other(tomb_t *t, void *arg)
{
	tomb_kill(arg, tomb_err(t));
}

START_TEST(test_callback_kills_another_tomb)
{
	tomb_t *a = tomb_new(), *b = tomb_new();
	tomb_hook_t ha = TOMB_HOOK_INIT, hb = TOMB_HOOK_INIT;
	struct seen s = {.reason = -1};

	ck_assert_int_eq(tomb_on_dying(a, kill_other, b, &ha), 0);
	ck_assert_int_eq(tomb_on_dying(b, record, &s, &hb), 0);
	ck_assert_int_eq(tomb_kill(a, EXDEV), 0);
	ck_assert_int_eq(tomb_wait(b), EXDEV);
	ck_assert_int_eq(s.reason, EXDEV);
	ck_assert_int_eq(tomb_off(&ha), EALREADY);
	ck_assert_int_eq(tomb_off(&hb), EALREADY);
	ck_assert_int_eq(tomb_free(a), 0);
	ck_assert_int_eq(tomb_free(b), 0);
}
END_TEST

/* The last worker's return kills with 0 and runs the callbacks on its own
 * thread; the wait returns only after they finished. */
START_TEST(test_last_return_runs_callbacks_before_dead)
{
	for (int i = 0; i < test_rounds(500); i++) {
		tomb_t *t = tomb_new();
		tomb_hook_t h = TOMB_HOOK_INIT;
		struct seen s = {.reason = -1};
		int zero = 0;

		ck_assert_int_eq(tomb_on_dying(t, record, &s, &h), 0);
		ck_assert_int_eq(tomb_go(t, worker_return_arg, &zero), 0);
		ck_assert_int_eq(tomb_wait(t), 0);
		ck_assert(atomic_load(&s.finished));
		ck_assert(!pthread_equal(s.thread, pthread_self()));
		ck_assert_int_eq(tomb_off(&h), EALREADY);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A callback waiting for its own tomb would wait for itself. */
static void wait_inside(tomb_t *t, void *arg)
{
	int reason;

	*(int *)arg = tomb_timedwait(t, NULL, &reason);
}

START_TEST(test_wait_inside_callback)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	int rc = -1;

	ck_assert_int_eq(tomb_on_dying(t, wait_inside, &rc, &h), 0);
	ck_assert_int_eq(tomb_kill(t, 0), 0);
	ck_assert_int_eq(rc, EDEADLK);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* The use that matters: a callback shuts a listening socket down, so that
 * the worker blocked in accept() returns. */
struct listener {
	int fd;
	sem_t listening;
	int accept_errno;
};

static int accept_loop(tomb_t *t, void *arg)
{
	struct listener *l = arg;

	sem_post(&l->listening);
	/* accept() until it fails: once the listener is shut down it fails at
	 * once, whether the kill came before the call or during it. */
	for (;;) {
		int c = accept(l->fd, NULL, NULL);

		if (c >= 0) {
			close(c);
			continue;
		}
		if (errno != EINTR)
			break;
	}
	l->accept_errno = errno;
	return tomb_dying(t) ? TOMB_EDYING : l->accept_errno;
}

static void shut_listener(tomb_t *t, void *arg)
{
	(void)t;
	shutdown(((struct listener *)arg)->fd, SHUT_RDWR);
}

START_TEST(test_callback_unblocks_accept)
{
	tomb_t *t = tomb_new();
	tomb_hook_t h = TOMB_HOOK_INIT;
	struct listener l = {.accept_errno = 0};
	struct sockaddr_in sa = {.sin_family = AF_INET};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(l.fd, 0);
	ck_assert_int_eq(bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l.fd, 8), 0);
	sem_init(&l.listening, 0, 0);
	ck_assert_int_eq(tomb_on_dying(t, shut_listener, &l, &h), 0);
	ck_assert_int_eq(tomb_go(t, accept_loop, &l), 0);
	sem_wait(&l.listening);
	ck_assert_int_eq(tomb_kill(t, ESHUTDOWN), 0);
	ck_assert_int_eq(tomb_wait(t), ESHUTDOWN);
	ck_assert_int_ne(l.accept_errno, 0);
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert_int_eq(tomb_free(t), 0);
	close(l.fd);
	sem_destroy(&l.listening);
}
END_TEST

Suite *make_hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("hook");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_runs_in_killing_thread_with_reason);
	tcase_add_test(tc, test_runs_at_once_when_already_dying);
	tcase_add_test(tc, test_off_before_kill);
	tcase_add_test(tc, test_hook_bad_input);
	tcase_add_test(tc, test_free_busy_while_registered);
	tcase_add_test(tc, test_callbacks_run_in_order);
	tcase_add_test(tc, test_off_from_inside);
	tcase_add_test(tc, test_off_races_kill);
	tcase_add_test(tc, test_off_after_callback_sees_its_writes);
	tcase_add_test(tc, test_callback_kills_another_tomb);
	tcase_add_test(tc, test_last_return_runs_callbacks_before_dead);
	tcase_add_test(tc, test_wait_inside_callback);
	tcase_add_test(tc, test_callback_unblocks_accept);
	suite_add_tcase(s, tc);
	return s;
}
