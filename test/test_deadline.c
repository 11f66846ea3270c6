/* SPDX-License-Identifier: MIT */
/* test_deadline.c: deadlines on tombs, the timer thread, and tomb_kill_from. */
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG "deadline exceeded"

/* a <= b, for CLOCK_MONOTONIC times. */
static bool not_after(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* A time so far ahead that no test reaches it: an hour from now. */
static struct timespec far(void)
{
	return tomb_deadline_ms(3600 * 1000);
}

static tomb_t *new_with_deadline(const struct timespec *d, tomb_t *parent)
{
	struct tomb_opts o = {.deadline = d, .parent = parent};
	tomb_t *t = tomb_new_opts(&o);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* A job that ends before its deadline ends at once, with its own reason,
 * and the deadline changes nothing after. */
START_TEST(test_job_ends_first)
{
	const int reasons[] = {0, EIO};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct timespec d = test_deadline(30);
		tomb_t *t = new_with_deadline(&d, NULL);
		int r = reasons[i];

		ck_assert_int_eq(tomb_go(t, worker_return_arg, &r), 0);
		ck_assert_int_eq(tomb_wait(t), reasons[i]);
		ck_assert(not_after(now(), d)); /* "at once": long before */
		ck_assert_str_eq(tomb_errmsg(t), reasons[i] == 0 ? "" : strerror(EIO));
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A job that overruns dies at its deadline, not before. */
START_TEST(test_job_overruns)
{
	struct timespec d = far(), seen;
	tomb_t *t = new_with_deadline(&d, NULL);

	/* Each test of this file sets its short deadline once the tombs,
	 * workers and callbacks it needs are in place: on a slow machine it
	 * could otherwise pass before they are. */
	ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
	d = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert(not_after(d, now()));
	ck_assert_str_eq(tomb_errmsg(t), MSG);
	/* A deadline that has passed is still the tomb's deadline. */
	ck_assert_int_eq(tomb_deadline(t, &seen), 0);
	ck_assert(same_time(seen, d));
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* tomb_set_deadline on a running job, and a deadline already past. */
START_TEST(test_set_later_and_past)
{
	struct timespec d = tomb_deadline_ms(20), past = now();
	tomb_t *t = tomb_new(), *u = tomb_new();

	ck_assert_int_eq(tomb_go(t, worker_until_dying, NULL), 0);
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert(not_after(d, now()));
	ck_assert_int_eq(tomb_set_deadline(t, &d), ECANCELED);
	/* Past: dying before the call returns, in this thread. */
	ck_assert_int_eq(tomb_set_deadline(u, &past), 0);
	ck_assert(tomb_dying(u));
	ck_assert_int_eq(tomb_err(u), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(u), MSG);
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
}
END_TEST

/* Moving later, moving earlier, clearing. */
START_TEST(test_move_and_clear)
{
	struct timespec a = far(), b = {a.tv_sec + 3600, a.tv_nsec}, seen, d;
	tomb_t *t = new_with_deadline(&a, NULL);
	int reason;

	ck_assert_int_eq(tomb_deadline(t, &seen), 0);
	ck_assert(same_time(seen, a));
	ck_assert_int_eq(tomb_set_deadline(t, &b), 0); /* later */
	ck_assert_int_eq(tomb_deadline(t, &seen), 0);
	ck_assert(same_time(seen, b));
	ck_assert_int_eq(tomb_set_deadline(t, NULL), 0); /* cleared */
	ck_assert_int_eq(tomb_deadline(t, &seen), ENOENT);
	ck_assert_int_eq(tomb_set_deadline(t, NULL), 0); /* again: no-op */
	ck_assert(tomb_alive(t));
	/* A deadline too far to count is kept as given. */
	d = tomb_deadline_ms(LLONG_MAX);
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	ck_assert_int_eq(tomb_deadline(t, &seen), 0);
	ck_assert(same_time(seen, d));
	ck_assert_int_eq(tomb_set_deadline(t, &b), 0);
	d = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0); /* earlier */
	ck_assert_int_eq(tomb_wait_dying(t, NULL), 0);
	ck_assert(not_after(d, now()));
	ck_assert_int_eq(tomb_timedwait(t, NULL, &reason), 0);
	ck_assert_int_eq(reason, ETIMEDOUT);
	/* Clearing is always 0, even on a dying tomb. */
	ck_assert_int_eq(tomb_set_deadline(t, NULL), 0);
	ck_assert_int_eq(tomb_deadline(t, &seen), ENOENT);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A cleared deadline never fires: the tomb outlives it. */
START_TEST(test_cleared_never_fires)
{
	struct timespec d = tomb_deadline_ms(10), after = tomb_deadline_ms(60);
	tomb_t *t = new_with_deadline(&d, NULL);
	bool in_time;

	ck_assert_int_eq(tomb_set_deadline(t, NULL), 0);
	/* Only a clear that surely came before the deadline proves anything
	 * (on a slow machine it may come after, and then t may be dead). */
	in_time = !not_after(d, now());
	if (in_time) {
		ck_assert_int_eq(tomb_wait_dying(t, &after), ETIMEDOUT);
		ck_assert(tomb_alive(t));
	}
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A child's deadline is the earlier of its own and its ancestors'. */
START_TEST(test_child_inherits)
{
	struct timespec a = far(), later = {a.tv_sec + 10, 0},
	                sooner = {a.tv_sec - 10, 0}, seen;
	tomb_t *root = tomb_new(), *mid, *leaf;

	mid = new_with_deadline(NULL, root);
	leaf = new_with_deadline(&later, mid);
	ck_assert_int_eq(tomb_deadline(root, &seen), ENOENT);
	ck_assert_int_eq(tomb_deadline(mid, &seen), ENOENT);
	ck_assert_int_eq(tomb_deadline(leaf, &seen), 0);
	ck_assert(same_time(seen, later));
	ck_assert_int_eq(tomb_set_deadline(root, &a), 0);
	ck_assert_int_eq(tomb_deadline(mid, &seen), 0);
	ck_assert(same_time(seen, a));
	ck_assert_int_eq(tomb_deadline(leaf, &seen), 0);
	ck_assert(same_time(seen, a));
	ck_assert_int_eq(tomb_set_deadline(leaf, &sooner), 0);
	ck_assert_int_eq(tomb_deadline(leaf, &seen), 0);
	ck_assert(same_time(seen, sooner));
	ck_assert_int_eq(tomb_deadline(root, &seen), 0);
	ck_assert(same_time(seen, a)); /* a child's never goes up */
	ck_assert_int_eq(tomb_free(leaf), 0);
	ck_assert_int_eq(tomb_free(mid), 0);
	ck_assert_int_eq(tomb_free(root), 0);
}
END_TEST

/* A parent's deadline kills the child with the same reason and message. */
START_TEST(test_parent_deadline_kills_child)
{
	struct timespec d = far();
	tomb_t *p = new_with_deadline(&d, NULL), *c = new_with_deadline(NULL, p);
	int reason;

	ck_assert_int_eq(tomb_go(c, worker_until_dying, NULL), 0);
	d = tomb_deadline_ms(20);
	ck_assert_int_eq(tomb_set_deadline(p, &d), 0);
	ck_assert_int_eq(tomb_timedwait(c, NULL, &reason), 0);
	ck_assert_int_eq(reason, ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(c), MSG);
	ck_assert(not_after(d, now()));
	ck_assert_int_eq(tomb_wait(p), ETIMEDOUT);
	ck_assert_str_eq(tomb_errmsg(p), MSG);
	ck_assert_int_eq(tomb_free(c), 0);
	ck_assert_int_eq(tomb_free(p), 0);
}
END_TEST

/* Every blocking call of the library ends when the deadline kills t. */
struct blocker {
	tomb_t *t;
	int which;
	pthread_t thread;
	int rc, reason;
	tomb_cond_t c;
	pthread_mutex_t m;
};

enum { B_SLEEP, B_WAIT_DYING, B_TIMEDWAIT, B_WAIT, B_COND, B_GO_LIMIT, B_N };

static int noop(tomb_t *t, void *arg)
{
	(void)arg;
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : EPROTO;
}

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;

	switch (b->which) {
	case B_SLEEP:
		b->rc = tomb_sleep(b->t, NULL);
		break;
	case B_WAIT_DYING:
		b->rc = tomb_wait_dying(b->t, NULL);
		break;
	case B_TIMEDWAIT:
		b->rc = tomb_timedwait(b->t, NULL, &b->reason);
		break;
	case B_WAIT:
		b->reason = tomb_wait(b->t);
		b->rc = 0;
		break;
	case B_COND:
		pthread_mutex_lock(&b->m);
		b->rc = tomb_cond_wait(b->t, &b->c, &b->m, NULL);
		pthread_mutex_unlock(&b->m);
		break;
	case B_GO_LIMIT: /* the limit is 1 and one worker runs */
		b->rc = tomb_go(b->t, noop, NULL);
		break;
	}
	return NULL;
}

START_TEST(test_blocking_calls_end)
{
	struct timespec d = far();
	struct tomb_opts o = {.deadline = &d, .limit = 1};
	tomb_t *t = tomb_new_opts(&o);
	struct blocker b[B_N];
	struct pollfd pfd[2];

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tomb_go(t, noop, NULL), 0); /* takes the one slot */
	d = tomb_deadline_ms(30);
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	pfd[0] = (struct pollfd){.fd = tomb_dying_fd(t), .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = tomb_dead_fd(t), .events = POLLIN};
	ck_assert_int_ge(pfd[0].fd, 0);
	ck_assert_int_ge(pfd[1].fd, 0);
	for (int i = 0; i < B_N; i++) {
		b[i] = (struct blocker){.t = t, .which = i, .rc = -1, .reason = -1};
		ck_assert_int_eq(tomb_cond_init(&b[i].c), 0);
		pthread_mutex_init(&b[i].m, NULL);
		ck_assert_int_eq(pthread_create(&b[i].thread, NULL, blocker_main, &b[i]), 0);
	}
	/* Whether each call blocked before the deadline or came after it,
	 * the result is the same. */
	ck_assert_int_eq(poll(pfd, 1, -1), 1);
	ck_assert(not_after(d, now()));
	for (int i = 0; i < B_N; i++) {
		ck_assert_int_eq(pthread_join(b[i].thread, NULL), 0);
		ck_assert_int_eq(tomb_cond_destroy(&b[i].c), 0);
		pthread_mutex_destroy(&b[i].m);
	}
	ck_assert_int_eq(b[B_SLEEP].rc, ECANCELED);
	ck_assert_int_eq(b[B_WAIT_DYING].rc, 0);
	ck_assert_int_eq(b[B_TIMEDWAIT].rc, 0);
	ck_assert_int_eq(b[B_TIMEDWAIT].reason, ETIMEDOUT);
	ck_assert_int_eq(b[B_WAIT].reason, ETIMEDOUT);
	ck_assert_int_eq(b[B_COND].rc, ECANCELED);
	/* tomb_go waiting for a slot: ECANCELED; or, called late, it got the
	 * slot after the first worker returned (its worker returned at once),
	 * or found t dead (ESRCH). */
	ck_assert(b[B_GO_LIMIT].rc == ECANCELED || b[B_GO_LIMIT].rc == 0 ||
	          b[B_GO_LIMIT].rc == ESRCH);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_int_eq(poll(pfd + 1, 1, -1), 1);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* The callbacks of a tomb its deadline kills run in the timer thread, and
 * may call tomb_set_deadline (the timer holds no lock of its own then). */
struct in_callback {
	pthread_t thread;
	tomb_t *other;
	int rc_self, rc_other, rc_clear;
	sem_t ran;
};

static void record_callback(tomb_t *t, void *arg)
{
	struct in_callback *cb = arg;
	struct timespec d = tomb_deadline_ms(10);

	cb->thread = pthread_self();
	cb->rc_self = tomb_set_deadline(t, &d);
	cb->rc_other = tomb_set_deadline(cb->other, &d);
	cb->rc_clear = tomb_set_deadline(t, NULL);
	sem_post(&cb->ran);
}

START_TEST(test_callbacks_in_timer_thread)
{
	struct timespec d;
	tomb_t *t = tomb_new(), *u = tomb_new();
	struct in_callback cb = {.other = u, .rc_self = -1, .rc_other = -1, .rc_clear = -1};
	tomb_hook_t h = TOMB_HOOK_INIT;

	sem_init(&cb.ran, 0, 0);
	ck_assert_int_eq(tomb_on_dying(t, record_callback, &cb, &h), 0);
	d = tomb_deadline_ms(50); /* not passed yet: the timer kills */
	ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
	while (sem_wait(&cb.ran) != 0)
		continue;
	ck_assert_int_eq(tomb_off(&h), EALREADY);
	ck_assert(!pthread_equal(cb.thread, pthread_self()));
	ck_assert_int_eq(cb.rc_self, ECANCELED);
	ck_assert_int_eq(cb.rc_other, 0);
	ck_assert_int_eq(cb.rc_clear, 0);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_int_eq(tomb_wait(u), ETIMEDOUT); /* the callback's deadline */
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
	sem_destroy(&cb.ran);
}
END_TEST

/* The timer kills in the order of the deadlines, whatever the order in
 * which they were set, moved and cleared: the heap's order, checked from
 * outside.  (A deadline that had passed when it was set killed in the
 * setting thread instead; one set after the timer fired a later one is
 * still later than it, so the timer's kills ascend in any case.) */
enum { ORDER_N = 2000 };

struct order {
	tomb_t *t[ORDER_N];
	tomb_hook_t hook[ORDER_N];
	int64_t fired[ORDER_N]; /* the deadlines, in the order of the kills */
	atomic_int nfired;
	pthread_t setter;
	atomic_int by_setter;
};

static int64_t ns_of(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void note_kill(tomb_t *t, void *arg)
{
	struct order *o = arg;
	struct timespec d;

	/* The deadline in force is the one that fired: a move that came
	 * after it is ECANCELED.  (A clear is not, hence the check.) */
	if (pthread_equal(pthread_self(), o->setter))
		atomic_fetch_add(&o->by_setter, 1);
	else if (tomb_deadline(t, &d) == 0)
		o->fired[atomic_fetch_add(&o->nfired, 1)] = ns_of(d);
}

START_TEST(test_kills_in_deadline_order)
{
	struct order *o = calloc(1, sizeof(*o));
	struct timespec start, d;
	unsigned int seed = 7;
	int n = test_rounds(ORDER_N); /* fewer under valgrind */

	ck_assert_ptr_nonnull(o);
	o->setter = pthread_self();
	for (int i = 0; i < n; i++) {
		d = far();
		d.tv_nsec = i % 1000;
		o->t[i] = new_with_deadline(&d, NULL);
		ck_assert_int_eq(tomb_on_dying(o->t[i], note_kill, o, &o->hook[i]), 0);
	}
	start = tomb_deadline_ms(500);
	/* Moves in a scrambled order, each to a distinct time; every fourth
	 * tomb is moved twice, and every tenth cleared at the end. */
	for (int k = 0; k < 2 * n; k++) {
		int i, rc;

		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 8) % (unsigned)n);
		if (k >= n)
			i = k - n;
		else if (i % 4 != 0)
			continue;
		d = start;
		d.tv_nsec += (long)((unsigned)(i * 7919) % ORDER_N) * 10000 +
		             (k < n ? 5000 : 0);
		d.tv_sec += d.tv_nsec / 1000000000;
		d.tv_nsec %= 1000000000;
		rc = tomb_set_deadline(o->t[i], &d);
		/* ECANCELED: on a slow machine, an earlier move of the same
		 * tomb (those moved more than once) may have fired already. */
		ck_assert(rc == 0 || (rc == ECANCELED && i % 4 == 0));
	}
	for (int i = 0; i < n; i += 10)
		ck_assert_int_eq(tomb_set_deadline(o->t[i], NULL), 0);
	for (int i = 0; i < n; i++) {
		int reason;

		if (i % 10 == 0)
			ck_assert_int_eq(tomb_kill(o->t[i], 0), 0);
		ck_assert_int_eq(tomb_timedwait(o->t[i], NULL, &reason), 0);
		ck_assert(reason == ETIMEDOUT || (i % 10 == 0 && reason == 0));
		ck_assert_int_eq(tomb_off(&o->hook[i]), EALREADY);
		ck_assert_int_eq(tomb_free(o->t[i]), 0);
	}
	/* On a slow machine (a sanitizer's) the deadlines may all have passed
	 * before they were set: nothing fired by the timer to check then. */
	for (int k = 1; k < atomic_load(&o->nfired); k++)
		ck_assert_msg(o->fired[k - 1] < o->fired[k], "kill %d out of order", k);
	free(o);
}
END_TEST

/* Ten thousand tombs with deadlines cost one thread, and none once every
 * deadline has passed or been cleared. */
START_TEST(test_ten_thousand_one_thread)
{
	/* 10,000; under valgrind, which tracks each tomb's mutex at a great
	 * cost, 500 (helpers.h). */
	const int N = test_rounds(10000);
	tomb_t **t = calloc(N, sizeof(*t));
	int base = settled_thread_count(1);
	unsigned int seed = 12345;
	struct timespec seen;

	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < N; i++) {
		struct timespec d = far();

		seed = seed * 1103515245u + 12345u;
		d.tv_sec += (time_t)(seed >> 16) % 1000; /* in no order */
		t[i] = new_with_deadline(&d, NULL);
	}
	ck_assert_int_eq(settled_thread_count(base + 1), base + 1);
	/* Half move to soon, in an order of their own; half are cleared. */
	for (int i = 0; i < N; i++) {
		struct timespec d = tomb_deadline_ms(1 + i % 37);

		ck_assert_int_eq(tomb_set_deadline(t[i], i % 2 ? NULL : &d), 0);
	}
	ck_assert_int_le(thread_count(), base + 1);
	for (int i = 0; i < N; i += 2)
		ck_assert_int_eq(tomb_wait(t[i]), ETIMEDOUT);
	ck_assert_int_eq(settled_thread_count(base), base);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(tomb_deadline(t[i], &seen), i % 2 ? ENOENT : 0);
		ck_assert(i % 2 == 0 || tomb_alive(t[i]));
		ck_assert_int_eq(tomb_free(t[i]), 0);
	}
	free(t);
}
END_TEST

/* The thread exits once no deadline is pending, and the next one starts
 * another (which joins the first). */
START_TEST(test_thread_comes_and_goes)
{
	int base = settled_thread_count(1);
	struct timespec d = far();
	tomb_t *t = tomb_new(), *u = tomb_new();

	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(tomb_set_deadline(t, &d), 0);
		ck_assert_int_eq(tomb_set_deadline(u, &d), 0);
		ck_assert_int_eq(settled_thread_count(base + 1), base + 1);
		ck_assert_int_eq(tomb_set_deadline(t, NULL), 0);
		ck_assert_int_eq(thread_count(), base + 1); /* u's is pending */
		ck_assert_int_eq(tomb_free(u), 0);          /* and now none is */
		ck_assert_int_eq(settled_thread_count(base), base);
		u = tomb_new();
	}
	ck_assert_int_eq(tomb_free(t), 0);
	ck_assert_int_eq(tomb_free(u), 0);
}
END_TEST

/* tomb_free while the timer may be killing the tomb right now. */
START_TEST(test_free_races_timer)
{
	int rounds = test_rounds(300);

	for (int i = 0; i < rounds; i++) {
		struct timespec d = {0, 0};
		tomb_t *t = tomb_new();

		/* Due in 0 to 49 µs: the free lands before, during or after. */
		d = now();
		d.tv_nsec += (i % 50) * 1000;
		if (d.tv_nsec >= 1000000000L) {
			d.tv_sec++;
			d.tv_nsec -= 1000000000L;
		}
		if (tomb_set_deadline(t, &d) != 0)
			ck_abort_msg("round %d", i);
		for (int k = 0; k < i % 7; k++)
			(void)tomb_alive(t);
		ck_assert_int_eq(tomb_free(t), 0);
	}
}
END_TEST

/* A child process forked while a deadline is pending has no timer thread,
 * and a deadline it sets gets one of its own.  The parent's tomb, which the
 * child must not use (nor free), stays reachable from here, so that
 * memcheck does not count it lost when the child exits. */
static tomb_t *volatile parents_tomb;

static int forked_child(void)
{
	int base = thread_count();
	struct timespec d = far();
	struct tomb_opts o = {.deadline = &d};
	tomb_t *t = tomb_new_opts(&o);

	if (t == NULL)
		return 2;
	if (thread_count() != base + 1) /* a timer of its own */
		return 6;
	d = tomb_deadline_ms(20);
	if (tomb_set_deadline(t, &d) != 0)
		return 7;
	if (tomb_wait(t) != ETIMEDOUT || strcmp(tomb_errmsg(t), MSG) != 0)
		return 3;
	if (tomb_free(t) != 0)
		return 4;
	if (settled_thread_count(base) != base) /* the timer exited */
		return 5;
	return 0;
}

START_TEST(test_fork_then_deadline)
{
	int base, status;
	struct timespec d = far();
	tomb_t *t;
	pid_t pid;

	/* ThreadSanitizer refuses to start a thread in a child forked from a
	 * process with threads ("starting new threads after multi-threaded
	 * fork is not supported"), which is the very thing tested here. */
	if (UNDER_TSAN)
		return;
	base = settled_thread_count(1);
	t = new_with_deadline(&d, NULL);

	ck_assert_int_eq(thread_count(), base + 1); /* the timer */
	/* Fork once the timer thread sleeps.  A thread that is still
	 * starting may be inside the allocator, and AddressSanitizer's (gcc
	 * 12) takes no lock around fork(): the child then inherits one of its
	 * locks held, and its own timer thread blocked on it for ever at its
	 * start (seen in 3 of 6 runs; gdb showed the child's tomb-timer in
	 * SizeClassAllocator64::GetFromAllocator).  glibc's malloc locks
	 * itself across fork(), so natively the moment does not matter. */
	await_futex_wait(await_thread_named("tomb-timer"));
	parents_tomb = t;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(forked_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(tomb_alive(t));
	ck_assert_int_eq(tomb_free(t), 0);
	parents_tomb = NULL;
}
END_TEST

/* tomb_kill_from passes a reason up with its message, copied. */
START_TEST(test_kill_from)
{
	tomb_t *t = tomb_new(), *child = tomb_new(), *zero = tomb_new();

	ck_assert_int_eq(tomb_killf(child, EIO, "disk %d failed", 3), EIO);
	ck_assert_int_eq(tomb_kill_from(t, child), 0);
	ck_assert_int_eq(tomb_free(child), 0);
	ck_assert_int_eq(tomb_err(t), EIO);
	ck_assert_str_eq(tomb_errmsg(t), "disk 3 failed");
	ck_assert_int_eq(tomb_free(t), 0);

	/* A provisional 0 with its message; a later reason still wins. */
	t = tomb_new();
	ck_assert_int_eq(tomb_killf(zero, 0, "done early"), 0);
	ck_assert_int_eq(tomb_kill_from(t, zero), 0);
	ck_assert_int_eq(tomb_err(t), 0);
	ck_assert_str_eq(tomb_errmsg(t), "done early");
	ck_assert_int_eq(tomb_kill(t, EPIPE), 0);
	ck_assert_int_eq(tomb_err(t), EPIPE);
	/* From itself: nothing changes. */
	ck_assert_int_eq(tomb_kill_from(t, t), 0);
	ck_assert_int_eq(tomb_err(t), EPIPE);
	ck_assert_int_eq(tomb_free(zero), 0);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

/* A worker passes a child's deadline up whole. */
static int supervisor(tomb_t *t, void *arg)
{
	struct timespec d = far();
	struct tomb_opts o = {.parent = t, .deadline = &d};
	tomb_t *child = tomb_new_opts(&o);
	int *rc = arg;

	/* The worker first, then a deadline it cannot miss: the child would
	 * be dead already if the deadline passed before tomb_go. */
	if (child == NULL || tomb_go(child, worker_until_dying, NULL) != 0)
		return ENOMEM;
	d = tomb_deadline_ms(10);
	if (tomb_set_deadline(child, &d) != 0)
		return EPROTO;
	(void)tomb_wait(child);
	*rc = tomb_kill_from(t, child);
	return tomb_free(child) == 0 ? TOMB_EDYING : EPROTO;
}

START_TEST(test_kill_from_child_deadline)
{
	tomb_t *t = tomb_new();
	int rc = -1;

	ck_assert_int_eq(tomb_go(t, supervisor, &rc), 0);
	ck_assert_int_eq(tomb_wait(t), ETIMEDOUT);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(tomb_errmsg(t), MSG);
	ck_assert_int_eq(tomb_free(t), 0);
}
END_TEST

Suite *make_deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("deadline");

	add_leak_check(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_job_ends_first);
	tcase_add_test(tc, test_job_overruns);
	tcase_add_test(tc, test_set_later_and_past);
	tcase_add_test(tc, test_move_and_clear);
	tcase_add_test(tc, test_cleared_never_fires);
	tcase_add_test(tc, test_child_inherits);
	tcase_add_test(tc, test_parent_deadline_kills_child);
	tcase_add_test(tc, test_blocking_calls_end);
	tcase_add_test(tc, test_callbacks_in_timer_thread);
	tcase_add_test(tc, test_kills_in_deadline_order);
	tcase_add_test(tc, test_ten_thousand_one_thread);
	tcase_add_test(tc, test_thread_comes_and_goes);
	tcase_add_test(tc, test_free_races_timer);
	tcase_add_test(tc, test_fork_then_deadline);
	tcase_add_test(tc, test_kill_from);
	tcase_add_test(tc, test_kill_from_child_deadline);
	suite_add_tcase(s, tc);
	return s;
}
